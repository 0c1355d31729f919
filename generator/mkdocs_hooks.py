"""MkDocs hooks (see `hooks:` in mkdocs.yml), so that a plain `mkdocs build` is right too.

- on_config: refuse to build when jieba cannot be imported (Material's search would then
  index Chinese unsegmented, silently); reset jieba, so that every build segments alike;
  point the search plugin at the generated jieba user dictionary by an absolute path (the
  plugin resolves it against the cwd).
- on_config also takes the site's name, description and publisher from `.site.json`,
  which `generate` writes into the docs dir from the data dir's site.yml.
- on_files: add the project's `docs/assets/` (style sheet, offline search shim) to a docs
  dir that lacks them (`--docs` elsewhere, for another place's data).
- on_page_markdown: escape the front matter `title`. Material prints `page.meta.title` as
  HTML (header, <title>, search index), but a reply's title is text and may hold
  anything, `<script>` included.
- Search engine (`extra.search_engine` in mkdocs.yml: auto | material | pagefind): a
  site of PAGEFIND_FROM replies or more, not built for offline use, gets Pagefind under
  Material's own search box and result list (see `generator/assets/pagefind-worker.js`):
  on_page_content marks the searchable pages for Pagefind and takes them out of
  Material's index, on_post_build puts the Pagefind worker in place of Material's and
  runs Pagefind on the marked pages, `extra.pagefind_shard_pages` at a time (see
  `generator/pagefind_shards.py`). Material's index would hold every word of every reply and be downloaded
  whole before the first result (tens of MB at 10,000 replies); Pagefind's is split in
  chunks, and a query downloads only those it needs.
- on_post_build: in the search index, merge one-character Han tokens into the word
  before them. Material splits a Chinese query against the index vocabulary, never
  testing the query's full length, so with `省` in the vocabulary the query `省发改委`
  becomes `省* 发*` and matches everything; without one-character tokens it stays
  `省发改委*`. The separators are zero-width, so result snippets look the same.
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from generator.pagefind_shards import SHARD_PAGES, PagefindError, build_index
from generator.render import SITE_SETTINGS, USER_DICT  # the package is installed (`make .venv`)

_HAN = re.compile(r"[\u3400-\u9fff]")


def plugin(config, name: str):
    """The configured plugin `name` (search, offline), whichever theme namespace it is in."""
    return next((p for key, p in config.plugins.items() if key.endswith(name)), None)


ENGINES = ("auto", "material", "pagefind")
PAGEFIND_FROM = 2000  # replies; below this Material's index is a few MB at most
PAGEFIND_WORKER = Path(__file__).resolve().parent / "assets" / "pagefind-worker.js"
# The site's own style sheet and scripts: a docs dir of another place's data gets them too.
PROJECT_DOCS = Path(__file__).resolve().parent.parent / "docs"
_engine = {"name": "material", "pages": []}  # decided per build, in on_files; pages to index
log = logging.getLogger("mkdocs.hooks.search")


def search_engine(config, replies: int) -> str:
    """The engine a build uses: the setting, or by corpus size when it is `auto`.
    Offline archives keep Material's search: Pagefind fetches its chunks, which a page
    opened from disk may not do."""
    setting = str((config.extra or {}).get("search_engine") or "auto")
    if setting not in ENGINES:
        raise PluginError(f"extra.search_engine is {setting!r}; expected one of {', '.join(ENGINES)}")
    offline = plugin(config, "offline")
    if offline is not None and offline.config.get("enabled"):
        return "material"
    if setting == "auto":
        return "pagefind" if replies >= PAGEFIND_FROM else "material"
    return setting


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File

    for path in sorted((PROJECT_DOCS / "assets").rglob("*")):
        uri = path.relative_to(PROJECT_DOCS).as_posix()
        if path.is_file() and files.get_file_from_path(uri) is None:
            files.append(File(uri, str(PROJECT_DOCS), config["site_dir"], config["use_directory_urls"]))
    replies = sum(1 for f in files.documentation_pages()
                  if f.src_uri.startswith("replies/") and f.src_uri.count("/") == 1 and f.src_uri != "replies/index.md")
    _engine["name"] = search_engine(config, replies)
    _engine["pages"] = []
    if _engine["name"] == "pagefind":
        try:
            import pagefind  # noqa: F401  (the package that ships the binary)
        except ImportError:
            raise PluginError("the Pagefind search engine needs `pip install 'pagefind[extended]'`") from None
    return files


def on_page_content(html_text, page, **kwargs):
    if _engine["name"] != "pagefind":
        return html_text
    search = page.meta.get("search") or {}
    # Pagefind indexes only what is marked; Material's index gets nothing.
    page.meta["search"] = {**search, "exclude": True}
    if search.get("exclude"):
        return html_text
    _engine["pages"].append(page.file.dest_uri)
    return f"<div data-pagefind-body>\n{html_text}\n</div>"


@event_priority(100)  # before the search plugin reads its configuration
def on_config(config, **kwargs):
    from material.plugins.search import plugin as material_search

    if material_search.jieba is None:
        raise PluginError("jieba cannot be imported: Chinese search would not be segmented (pip install jieba)")
    import jieba

    # Loading a user dictionary adds to jieba's running totals, so a second build in one
    # process (tests, `serve`) would segment differently: start from the plain dictionary.
    jieba.dt.initialized = False
    search = plugin(config, "search")
    user_dict = Path(config.docs_dir) / USER_DICT
    if search is not None and user_dict.is_file():
        # The search plugin's own on_config runs after this one and loads the dictionary.
        search.config["jieba_dict_user"] = str(user_dict.resolve())
    apply_site_settings(config)
    return config


def apply_site_settings(config) -> None:
    """The site's name, description and footer from the data dir's site.yml, which
    `generate` leaves in the docs dir (SITE_SETTINGS): the header and the browser's title
    name the place and publisher, whatever mkdocs.yml says."""
    path = Path(config.docs_dir) / SITE_SETTINGS
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if settings.get("site_name"):
        config["site_name"] = settings["site_name"]
    if settings.get("description"):
        config["site_description"] = settings["description"]
    if settings.get("publisher"):
        config["copyright"] = f"发布单位：{settings['publisher']}"


def _han(ch: str) -> bool:
    return bool(_HAN.match(ch))


_PARTS = re.compile(r"([\s\u200b\-]+)")  # mkdocs.yml's search separator; the build passes its own


def merge_lone_han(text: str, parts: re.Pattern = _PARTS) -> str:
    """Leave no one-character Han token where a zero-width separator can be dropped: it
    joins the Han word before it (`建议\u200b的` → `建议的`), else the word after it
    (`省\u200b发改委` → `省发改委`, `省\u200b、` → `省、`), else the word before it
    (`29\u200b号` → `29号`). Visible separators (spaces, hyphens) are never removed."""
    pieces = parts.split(text)  # words at even indices, separators at odd ones
    words, seps = pieces[0::2], pieces[1::2]
    n = 0
    while n < len(words):
        word = words[n]
        if len(word) == 1 and _han(word):
            before = n > 0 and seps[n - 1] == "\u200b" and words[n - 1]
            after = n + 1 < len(words) and seps[n] == "\u200b" and words[n + 1]
            if before and _han(words[n - 1][-1]):
                join_at = n - 1
            elif after:
                join_at = n
            elif before:
                join_at = n - 1
            else:
                n += 1
                continue
            words[join_at:join_at + 2] = [words[join_at] + words[join_at + 1]]
            del seps[join_at]
            n = join_at  # the merged word may need another look
            continue
        n += 1
    out = [words[0]]
    for sep, word in zip(seps, words[1:]):
        out += [sep, word]
    return "".join(out)


def on_page_markdown(markdown, page, **kwargs):
    title = page.meta.get("title")
    if isinstance(title, str):
        page.meta["title"] = html.escape(title)
    return markdown


def _pagefind(site_dir: Path, pages: list[str], shard_pages: int) -> None:
    workers = list((site_dir / "assets" / "javascripts" / "workers").glob("search.*.js"))
    if not workers:
        raise PluginError("Material's search worker is missing: cannot put Pagefind's in its place")
    for worker in workers:
        shutil.copyfile(PAGEFIND_WORKER, worker)
        Path(f"{worker}.map").unlink(missing_ok=True)  # the map of the replaced file
    try:
        shards = build_index(site_dir, pages, shard_pages, progress=log.info)
    except PagefindError as exc:
        raise PluginError(str(exc)) from None
    log.info(f"Pagefind indexed {len(pages)} pages in {shards} shard(s)")


def on_post_build(config, **kwargs):
    if _engine["name"] == "pagefind":
        shard_pages = int((config.extra or {}).get("pagefind_shard_pages") or SHARD_PAGES)
        _pagefind(Path(config.site_dir), _engine["pages"], shard_pages)
    path = Path(config.site_dir) / "search" / "search_index.json"
    if not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    # Tokens are what the search splits on: its configured separator.
    separator = (data.get("config") or {}).get("separator")
    parts = re.compile(f"({separator})") if separator else _PARTS
    for doc in data.get("docs", []):
        for field in ("title", "text"):
            if isinstance(doc.get(field), str):
                doc[field] = merge_lone_han(doc[field], parts)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# Material's search panel is a dialog without a name; a screen reader announces it as
# "dialog" only (axe: aria-dialog-name).
_SEARCH_DIALOG = 'data-md-component="search" role="dialog"'


# A section of the nav with an index page (navigation.indexes) is a <nav> labelled by its
# toggle, which holds only an icon: a landmark without a name, the same as the pager's
# on a listing (axe: landmark-unique). It is named by its title instead.
_SECTION_NAV = re.compile(
    r'(<nav class="md-nav" data-md-level="\d+") aria-labelledby="([\w-]+)_label"'
    r'([^>]*>\s*<label class="md-nav__title" for="\2">)(.*?)(</label>)', re.S)


def name_section_navs(output: str) -> str:
    def named(m: re.Match) -> str:
        title = html.unescape(re.sub(r"<[^>]*>", "", m[4])).strip()
        if not title:
            return m[0]
        return f'{m[1]} aria-label="{html.escape(title)}"{m[3]}{m[4]}{m[5]}'
    return _SECTION_NAV.sub(named, output)


def on_post_page(output, page, config, **kwargs):
    output = name_section_navs(output)
    return output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG + ' aria-label="搜索"', 1)


def on_post_template(output_content, template_name, config, **kwargs):
    return on_post_page(output_content, None, config)  # 404.html is a template, not a page
