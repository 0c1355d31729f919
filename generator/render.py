"""Stage 6, render: Replies (and their index) → files under docs/.

In: the published Replies, sorted, and the templates in `templates/`. Out: a mapping
of paths relative to docs/ to file contents: `replies/<id>.md` per reply (YAML front
matter from `yaml.safe_dump`, a header card, the body), `replies/index.md`, and the
open data `data/replies.json` and `data/replies.csv`. Nothing is written here; see
`pipeline.write_outputs`.

Every text value reaches Markdown through `md_escape`, so raw HTML, Markdown syntax and
template syntax in a reply are shown literally.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jinja2
import yaml

from .model import BlockKind, Reply

LIST_SEPARATOR = ";"  # between the items of a list field in the CSV

_INLINE = re.compile(r"([\\`*_\[\]{}|])")


def md_escape(text) -> str:
    """Show `text` literally in Markdown: HTML is escaped, Markdown syntax backslashed."""
    text = "" if text is None else str(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    text = re.sub(r"^(\s*)(\d+)([.)])", r"\1\2\\\3", text)  # `1.` would start a list
    text = re.sub(r"^(\s*)([#+\-=])", r"\1\\\2", text)
    return text.replace("\n", " ")


def front_matter(reply: Reply) -> str:
    data = reply.record()
    if reply.classification:
        data["classification"] = reply.classification
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n"


class Renderer:
    def __init__(self, templates: Path):
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,  # Markdown output: values are escaped with `md` explicitly
        )
        self.env.filters["md"] = md_escape

    def reply_page(self, reply: Reply) -> str:
        card = [
            ("提出者", f"{reply.proposer}（{reply.proposer_type}）" if reply.proposer else None),
            ("会议", reply.session),
            ("类别", " ".join(filter(None, [reply.proposal_kind, f"第{reply.proposal_number}号" if reply.proposal_number else None])) or None),
            ("提案/建议题目", f"《{reply.proposal_title}》" if reply.proposal_title else None),
            ("承办单位", reply.agency),
            ("会办单位", "、".join(reply.co_agencies) or None),
            ("文号", reply.doc_number),
            ("答复日期", reply.date.strftime("%Y年%-m月%-d日") if reply.date else None),
            ("办理结果分类", reply.classification),
            ("主题", "、".join(reply.themes) or None),
        ]
        blocks = [b for b in reply.blocks if b.kind is not BlockKind.TITLE]
        if reply.publish == "summary":
            blocks = [b for b in blocks if b.kind is BlockKind.SECTION]
        body = self.env.get_template("reply.md.j2").render(
            reply=reply,
            heading=reply.title or f"答复 {reply.id}",
            card=[(label, value) for label, value in card if value],
            blocks=blocks,
            redacted=reply.redactions > 0 and reply.publish == "full",
        )
        return front_matter(reply) + re.sub(r"\n{3,}", "\n\n", body)

    def replies_list(self, replies: list[Reply]) -> str:
        return self.env.get_template("replies.md.j2").render(replies=replies)


def open_data_json(replies: list[Reply]) -> str:
    records = [r.record() for r in sorted(replies, key=lambda r: r.id)]
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


def open_data_csv(replies: list[Reply]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(Reply.FIELDS)
    for reply in sorted(replies, key=lambda r: r.id):
        record = reply.record()
        writer.writerow(
            LIST_SEPARATOR.join(v) if isinstance(v, list) else ("" if v is None else v)
            for v in record.values()
        )
    # A BOM so that spreadsheet programs read the Chinese text as UTF-8.
    return "\ufeff" + out.getvalue()
