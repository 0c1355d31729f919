"""How to cite a reply: the 引用本文 block's three forms.

In: a Reply (its open-data fields) and the site's settings (publisher, site title). Out:
a `Citation`, the same reference as
- GB/T 7714-2015 text for an electronic resource:
  `承办单位. 题名: 文号[EB/OL]. 发布单位, 年(日期)[引用日期]. URL.`
- a BibTeX `@online` entry (the agency in double braces, kept whole);
- a CSL-JSON item (`webpage`) in a list, as reference managers import it.

Each form is cut where two values are still open: the page's permanent URL (known when
the site is built with `site_url`, else only in the reader's browser) and the access date
(the reader's today). The template puts an empty slot there; the MkDocs hook fills the
URL slots at build time (`fill_url_slots`), `docs/assets/javascripts/cite.js` fills what
is left in the browser. `slot_text` is what fills a slot, in each form; cite.js writes the
same. Every value here is plain text: the template escapes it for HTML.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from urllib.parse import quote

from .model import Reply

FORMS = ("text", "bibtex", "csl")
# LaTeX's special characters in a BibTeX value. A brace is written as a command with
# balanced braces: BibTeX counts `\{` as an opening brace all the same.
_LATEX = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
          "%": r"\%", "&": r"\&", "$": r"\$", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
_LATEX_SPECIAL = re.compile(r"[\\{}%&$#_^~]")
_URL_BRACES = re.compile(r"[{}\\]")


def bibtex_escape(text: str) -> str:
    """`text` as a BibTeX value shows it, LaTeX's special characters written as commands."""
    return _LATEX_SPECIAL.sub(lambda m: _LATEX[m[0]], text)


@dataclass(frozen=True)
class Citation:
    """A reply's reference in three forms, each as the text before its open slots and
    the text after them (the slots: the access date then the URL in `text`, the URL then
    the access date in the others)."""

    text: str
    text_lead: str  # what the access date follows in `text`: `. ` when no date or publisher ends it
    bibtex: str
    bibtex_end: str
    csl: str
    csl_end: str


def title_of(reply: Reply) -> str:
    """The reply's own title; without one, what names it (model.reply_label)."""
    return reply.title or reply.label


def citation(reply: Reply, publisher: str = "", site_title: str = "") -> Citation:
    """The reply's reference; `publisher` and `site_title` from site.yml (either may be empty)."""
    title = title_of(reply)
    date = reply.date.isoformat() if reply.date else None
    # GB/T 7714-2015 §4.8 (电子资源): 主要责任者. 题名: 其他题名信息[EB/OL]. 出版地: 出版者,
    # 出版年(更新或修改日期)[引用日期]. 获取和访问路径. The 文号 is the title's other
    # information, as a standard's number is; the place of publication is not known.
    head = f"{reply.agency}. " if reply.agency else ""
    head += title + (f": {reply.doc_number}" if reply.doc_number else "") + "[EB/OL]. "
    when = f"({date})" if date else ""
    if publisher:
        year = str(reply.year) if reply.year else ""
        text = head + (f"{publisher}, {year}{when}" if year or when else publisher)
    else:
        text = head + when
    # Nothing after the type mark: the text ends there, and the access date (only in the
    # browser) brings its own `. `, so that the text never reads `[EB/OL]. .`.
    lead = ". " if text.endswith(". ") else ""
    text = text.removesuffix(". ")
    fields = [("author", f"{{{bibtex_escape(reply.agency)}}}" if reply.agency else None),
              ("title", bibtex_escape(title)), ("date", date),
              ("year", str(reply.year) if reply.year else None),
              ("number", bibtex_escape(reply.doc_number) if reply.doc_number else None),
              ("publisher", bibtex_escape(publisher) if publisher else None)]
    bibtex = f"@online{{{reply.id},\n" + ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    issued = [reply.date.year, reply.date.month, reply.date.day] if reply.date else [reply.year] if reply.year else None
    item = {"id": reply.id, "type": "webpage", "title": title,
            "author": [{"literal": reply.agency}] if reply.agency else None,
            "issued": {"date-parts": [issued]} if issued else None,
            "number": reply.doc_number, "publisher": publisher or None,
            "container-title": site_title or None, "language": "zh-CN"}
    # One member a line, each value on its own line whole (json.dumps would spread a date over nine).
    csl = "[\n  {\n" + ",\n".join(f"    {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}"
                                  for key, value in item.items() if value is not None)
    return Citation(text=text, text_lead=lead, bibtex=bibtex, bibtex_end="\n}", csl=csl, csl_end="\n  }\n]")


def slot_text(form: str, field: str, value: str) -> str:
    """What fills the slot of `field` (url | accessed, an ISO date) in `form` (see FORMS)."""
    if field == "url":
        if form == "text":
            return f" {value}."
        if form == "bibtex":  # a brace or backslash would end the value: percent-encoded, as in a URL
            return ",\n  url = {" + _URL_BRACES.sub(lambda m: quote(m[0]), value) + "}"
        return ',\n    "URL": ' + json.dumps(value, ensure_ascii=False)
    if form == "text":
        return f"[{value}]"
    if form == "bibtex":
        return ",\n  urldate = {" + value + "}"
    parts = ", ".join(str(int(part)) for part in value.split("-"))
    return ',\n    "accessed": {"date-parts": [[' + parts + "]]}"


# An empty URL slot as the template writes it (escaped values never hold a `<`).
_URL_SLOT = re.compile(r'<span class="cite-slot" data-field="url" data-form="(text|bibtex|csl)"></span>')


def fill_url_slots(page_html: str, url: str) -> str:
    """A reply page's HTML with its URL slots filled with `url` (the MkDocs hook, when the
    site's address is known): the citation is whole without JavaScript but for the access date."""
    return _URL_SLOT.sub(lambda m: m[0].replace("></span>", ">" + html.escape(slot_text(m[1], "url", url))
                                                + "</span>"), page_html)
