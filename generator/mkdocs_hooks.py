"""MkDocs hooks (see `hooks:` in mkdocs.yml), so that a plain `mkdocs build` is right too.

- on_config: refuse to build when jieba cannot be imported (Material's search would then
  index Chinese unsegmented, silently), and point the search plugin at the generated
  jieba user dictionary by an absolute path (the plugin resolves it against the cwd).
- on_post_build: in the search index, merge one-character Han tokens into the word
  before them. Material splits a Chinese query against the index vocabulary, never
  testing the query's full length, so with `省` in the vocabulary the query `省发改委`
  becomes `省* 发*` and matches everything; without one-character tokens it stays
  `省发改委*`. The separators are zero-width, so result snippets look the same.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

USER_DICT = ".userdict.txt"  # keep in step with render.USER_DICT
_HAN = re.compile(r"[\u3400-\u9fff]")


def _search_plugin(config):
    return next((p for name, p in config.plugins.items() if name.endswith("search")), None)


@event_priority(100)  # before the search plugin reads its configuration
def on_config(config, **kwargs):
    from material.plugins.search import plugin as material_search

    if material_search.jieba is None:
        raise PluginError("jieba cannot be imported: Chinese search would not be segmented (pip install jieba)")
    search = _search_plugin(config)
    user_dict = Path(config.docs_dir) / USER_DICT
    if search is not None and user_dict.is_file():
        # The search plugin's own on_config runs after this one and loads the dictionary.
        search.config["jieba_dict_user"] = str(user_dict.resolve())
    return config


def _han(ch: str) -> bool:
    return bool(_HAN.match(ch))


def merge_lone_han(text: str) -> str:
    """Leave no one-character Han token: it joins the Han word before it (`建议\u200b的`
    → `建议的`), else the token after it (`省\u200b发改委` → `省发改委`, `省\u200b、` → `省、`),
    else the token before it."""
    tokens = text.split("\u200b")
    out: list[str] = []
    pending = ""  # a lone character waiting for the token after it
    for token in tokens:
        if pending:
            token, pending = pending + token, ""
        if len(token) == 1 and _han(token):
            if out and out[-1] and _han(out[-1][-1]):
                out[-1] += token
                continue
            pending = token
            continue
        out.append(token)
    if pending:
        if out and out[-1]:
            out[-1] += pending
        else:
            out.append(pending)
    return "\u200b".join(out)


def on_post_build(config, **kwargs):
    path = Path(config.site_dir) / "search" / "search_index.json"
    if not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    for doc in data.get("docs", []):
        for field in ("title", "text"):
            if isinstance(doc.get(field), str):
                doc[field] = merge_lone_han(doc[field])
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
