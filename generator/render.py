"""Stage 6, render: Replies and their Index → files under docs/.

In: the published Replies, their `Index` and the templates in `templates/`. Out: a
mapping of paths relative to docs/ to file contents:

- `index.md`: the home page (totals, SVG charts, newest replies);
- `replies/<id>.md` per reply (YAML front matter from `yaml.safe_dump`, a header card
  linking to its index pages, the agency's commitments, the body, related replies, how
  to cite it: see `cite`), and `data/replies/<id>.json`, its own open-data record;
- paginated listings: `replies/`, `agencies/`, `themes/`, `sessions/`, `proposers/`,
  `years/`, each with a page per key (an agency's page counts its lead replies by outcome
  class, lists its replies as lead and, separately, as co-handler, and its newest
  commitments, with a full listing beyond them); the proposers again in pinyin order
  (`proposers/pinyin/`, members and deputies apart from groups, by initial);
- the commitments (办理承诺) of every reply published in full, by year (`commitments/`),
  each row linking to its paragraph on the reply's page;
- the about page (`about.md`, from the data dir's site.yml) and `.site.json`, the site's
  name, place and publisher, which the MkDocs hook puts in the header and footer;
- the open data `data/replies.json` and `data/replies.csv`, and the commitments'
  `data/commitments.json` and `data/commitments.csv`;
- the Atom feeds (`feeds.py`): the site's and each agency's, theme's and proposer's,
  linked from those pages (front matter `feed`, read by overrides/main.html).

Nothing is written here; see `write.Writer`. Every text value reaches Markdown
through `md_escape`, so raw HTML, Markdown syntax and template syntax in a reply are
shown literally. No page grows with the number of replies: lists are cut into pages of
`PAGE_SIZE` rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import jinja2
import yaml

from .charts import bar_chart
from .cite import citation
from .config import SiteConfig
from .facets import (FACETS, FACETS_SCRIPT, POSTINGS_SCRIPT, ROWS_SCRIPT, facet_tables, facets_script,
                     filter_marks, postings_script, rows_script, sort_value)
from .feeds import SITE_FEED, feed_link, feed_tasks
from .index import Commitment, Index, proposer_names, session_key
from .model import OUTCOME, Block, BlockKind, Reply, cn_date, proposal_ref
from .readers import suffix_of
from .store import ReplyList
from .text import int_to_cn, pinyin_initial, pinyin_key

LIST_SEPARATOR = ";"  # between the items of a list field in the CSV
SITE_SETTINGS = ".site.json"  # the site's name, place and publisher, for the MkDocs hook
PAGE_SIZE = 50  # rows per listing page
NEWEST = 10  # newest replies on the home page
AGENCY_COMMITMENTS = 20  # newest commitments on an agency's page; a full listing beyond
PINYIN_WHOLE = 200  # a group of proposers this small is listed whole on the pinyin index
CHART_ROWS = 12

_INLINE = re.compile(r"([\\`*_\[\]{}|])")
_LIST_NUMBER = re.compile(r"^(\s*)(\d+)([.)])")  # `1.` would start a list
# A mark that starts a block when it begins a line: a heading, list or setext mark, an
# admonition (`!!! danger`), a collapsible block (`??? note`) or a tab (`=== "Tab"`).
_LINE_MARK = re.compile(r"^(\s*)([#+\-=!?])")
# Python-Markdown backslash-escapes `#`, `+`, `-` and `!`, but shows `\=` and `\?` with
# their backslash: those two are written as character references instead.
_MARK_ESCAPES = {"=": "&#61;", "?": "&#63;"}
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
NOT_SEARCHED = {"search": {"exclude": True}}
FIELD_ZH = {"title": "标题", "proposal_kind": "类别", "proposal_title": "题目", "session": "会议",
            "proposer": "提出者", "proposer_type": "提出者类别", "agency": "承办单位", "date": "日期",
            "doc_number": "文号", "proposal_number": "编号"}  # field names on the 数据质量 page
COMMITMENT_START = re.compile(r"^(?:下一步|下步|今后|下一阶段)")
COMMITMENT_HEADING = re.compile(r"下一?步(?:打算|工作|计划|措施)|今后(?:打算|工作)")
# The letter's closing courtesies, often the last paragraphs of a 下步打算 section: no promise.
COURTESY = re.compile(r"^(?:(?:衷心|再次|非常)?感谢|谢谢|以上答复|如有不妥|欢迎(?:您|继续|再)|希望(?:您|继续)|恳请)")
EXCERPT_CHARS = 30  # a commitment's link text at most, so that the page does not say it twice
_COMMITMENT_LEAD = re.compile(r"^(?:下一步|下步|今后|下一阶段)(?:工作中|工作)?[，,：:\s]*")
# A paragraph's own number ("1.", "（一）", "一、"): the list numbers the excerpts already.
_OWN_NUMBER = re.compile(r"^(?:\d+\s*[.、．)）]|[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、)\s*")
EXCERPT_MIN = 10
_CLAUSE = re.compile(r"[^，,；;。：:！!？?]*[，,；;。：:！!？?]?")


# A block of HTML a template writes whole, between these two lines: a listing's table, a
# reply's card. The MkDocs hooks take it out of the Markdown before Python-Markdown parses
# it, and put it back after, its `.md` links made into URLs and checked as MkDocs does a
# Markdown link's (generator/mkdocs_hooks.py). As Markdown, a listing's table of 50 rows
# and 100 links was most of the build's Markdown work; as HTML only its links cost anything.
HTML_OPEN, HTML_CLOSE = "<!-- html -->", "<!-- /html -->"


def _html_escaped(text) -> str:
    """`text` as a page can hold it, HTML escaped: the common part of `md_escape` and
    `html_text`."""
    text = "" if text is None else str(text)
    # A lone surrogate (a file name that is not UTF-8) cannot be written to a page; a control
    # character (ESC, BEL, left in a reply's text) is nothing a reader can see.
    text = _UNWRITABLE.sub(lambda m: "\ufffd" if m[0] >= "\ud800" else "", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=1 << 16)  # a reply's title is escaped once for all its listings
def html_text(text) -> str:
    """Show `text` literally in HTML: what Python-Markdown makes of `md_escape(text)`."""
    return _html_escaped(text).replace("\n", " ")


@lru_cache(maxsize=1 << 16)  # a reply's title is escaped once for all its listings
def md_escape(text) -> str:
    """Show `text` literally in Markdown: HTML is escaped, Markdown syntax backslashed."""
    text = _INLINE.sub(r"\\\1", _html_escaped(text))
    text = _LIST_NUMBER.sub(r"\1\2\\\3", text)
    text = _LINE_MARK.sub(lambda m: m[1] + _MARK_ESCAPES.get(m[2], "\\" + m[2]), text)
    return text.replace("\n", " ")


def commitments(blocks: tuple[Block, ...]) -> list[int]:
    """Indices of the paragraphs stating the agency's next steps: those opening with
    下一步 and every paragraph of a 下步打算 sub-section."""
    found, inside = [], False
    for number, block in enumerate(blocks):
        if block.kind in (BlockKind.SECTION, BlockKind.SUBSECTION):
            inside = bool(COMMITMENT_HEADING.search(block.text))
        elif block.kind is BlockKind.PARAGRAPH and (inside or COMMITMENT_START.match(block.text)) \
                and not COURTESY.match(block.text):
            found.append(number)
    return found


def page_blocks(reply: Reply) -> list[Block]:
    """The blocks a reply's page shows, in order: the title is the page's heading, and a
    summary-only reply shows its section headings alone."""
    blocks = [b for b in reply.blocks if b.kind is not BlockKind.TITLE]
    if reply.publish == "summary":
        blocks = [b for b in blocks if b.kind is BlockKind.SECTION]
    return blocks


def reply_commitments(reply: Reply) -> tuple[str, ...]:
    """The texts of a reply's commitments (from its body), in the order its page numbers
    them (`#commitment-N`, N from 1): what other pages and the open data list. None for a
    reply not published in full, whose page shows no body."""
    if reply.publish != "full":
        return ()
    blocks = page_blocks(reply)
    return tuple(blocks[n].text for n in commitments(tuple(blocks)))


def commitment_excerpt(text: str) -> str:
    """The link text for a commitment in the list atop a reply page: its opening clauses
    (at least EXCERPT_MIN characters, so that "我们将：" is not all), without the 下一步
    that every one opens with (the list's title says it), cut at EXCERPT_CHARS. The full
    text is read once, in the body, where the link leads."""
    rest = _OWN_NUMBER.sub("", _COMMITMENT_LEAD.sub("", text.strip())).rstrip("。；;！!？? ") or text.strip()
    excerpt = ""
    for piece in _CLAUSE.findall(rest):
        excerpt += piece
        if len(excerpt) >= EXCERPT_MIN:
            break
    excerpt = excerpt.rstrip("，,；;。：:！!？? ")
    if len(excerpt) > EXCERPT_CHARS:
        return excerpt[:EXCERPT_CHARS - 1] + "…"
    return excerpt if len(excerpt) >= len(rest) else excerpt + "…"


def yaml_block(data: dict) -> str:
    """A YAML front matter block; the only way front matter is written."""
    # The safe dumper in C (libyaml) when present: the same YAML as `yaml.safe_dump`, 5× faster.
    return "---\n" + yaml.dump(data, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n"


NOT_SEARCHED_BLOCK = yaml_block(NOT_SEARCHED)  # the same on thousands of index pages


def front_matter(reply: Reply) -> str:
    return yaml_block(reply.record())


def rel(target: str, here: str) -> str:
    """The relative link from the page `here` to the page `target` (both docs-relative,
    normalised: no `.`, `..` or `//`). String work only: posixpath.relpath asks the OS
    for the working directory on every call, and listings make hundreds of thousands."""
    parts, base = target.split("/"), here.split("/")[:-1]
    common = 0
    while common < len(base) and common < len(parts) - 1 and base[common] == parts[common]:
        common += 1
    return "/".join([".."] * (len(base) - common) + parts[common:])


PAGER_REACH = 3  # page links shown on each side of the current page


COMMITMENTS = "commitments"  # the folder of the commitments' pages


class CommitmentRow(NamedTuple):
    """A commitment as a table shows it; links relative to the page showing it."""

    text: str
    number: int  # its anchor on the reply's page: `#commitment-<number>`
    reply_page: str
    label: str  # the reply's
    year: int | None
    outcome: str | None
    agency: str | None
    agency_page: str | None


PINYIN_FOLDER = "proposers/pinyin"
PINYIN_INDEX = f"{PINYIN_FOLDER}/index.md"
PERSON_TYPES = ("代表", "委员")  # filed in person: the surname leads; the other types are groups
PINYIN_GROUPS = (("members", "代表和委员", "位"), ("groups", "党派团体和其他", "个"))  # slug, title, counter
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ#"
LETTER_SLUGS = {letter: letter.lower() if letter != "#" else "other" for letter in LETTERS}


@dataclass
class Page:
    path: str  # docs-relative path of this page
    number: int
    count: int
    rows: list
    previous: str | None = None  # path of the previous page
    next: str | None = None
    # The pager: (number, path) of the pages linked, path None for this page, and
    # (None, None) for a gap; a constant number of entries however many pages there are.
    window: list = field(default_factory=list)


def page_count(rows: int) -> int:
    """How many pages `rows` rows take (one at least, empty)."""
    return max(1, -(-rows // PAGE_SIZE))


def paginate(rows: Sequence, first: str, folder: str) -> Iterator[Page]:
    """Cut `rows` into pages: the first at `first`, the others at `folder/page/N.md`.
    One page at a time, its rows sliced as it comes (a `ReplyList` reads only those)."""
    count = page_count(len(rows))
    return (page_of(rows, first, folder, here, count) for here in range(1, count + 1))


def page_of(rows: Sequence, first: str, folder: str, here: int, count: int) -> Page:
    """Page `here` of the `count` pages of `rows` (see `paginate`)."""

    def path(number: int) -> str:
        return first if number == 1 else f"{folder}/page/{number}.md"

    start = (here - 1) * PAGE_SIZE
    page = Page(path(here), here, count, rows[start:start + PAGE_SIZE],
                previous=path(here - 1) if here > 1 else None,
                next=path(here + 1) if here < count else None)
    near = range(max(1, here - PAGER_REACH - 1), min(count, here + PAGER_REACH + 1) + 1)
    for number in sorted({1, count, *near}):
        if number == here:
            page.window.append((number, None))
        elif number in (1, count) or abs(number - here) <= PAGER_REACH:
            page.window.append((number, path(number)))
        else:
            page.window.append((None, None))
    return page


ORIGINAL_SUFFIXES = (".pdf", ".docx")  # a web page is linked (sidecar source_url), never copied: it runs scripts


def original_path(reply: Reply, site: SiteConfig) -> str | None:
    """Where a reply's original file is published (docs-relative), when the site
    publishes originals (site.yml `originals`) and the reply is published in full."""
    suffix = suffix_of(reply.source)
    if not site.originals or reply.publish != "full" or suffix not in ORIGINAL_SUFFIXES:
        return None
    return f"originals/{reply.id}{suffix}"


def reply_page_path(reply_id: str) -> str:
    """The docs-relative path of the page of the reply with this id."""
    return f"replies/{reply_id}.md"


def reply_record_path(reply_id: str) -> str:
    """The docs-relative path of the open-data record of the reply with this id."""
    return f"data/replies/{reply_id}.json"


def reply_id_of_path(rel: str) -> str | None:
    """The id whose reply page `rel` would be, else None."""
    folder, _, name = rel.rpartition("/")
    return name[:-3] if folder == "replies" and name.endswith(".md") else None


def reply_id_of_file(rel: str) -> str | None:
    """The id whose page or record `rel` would be (the files made for each reply, their
    paths derived from its id: see `reply_files`), else None."""
    folder, _, name = rel.rpartition("/")
    if folder == "data/replies" and name.endswith(".json"):
        return name[:-5]
    return reply_id_of_path(rel)


def reply_files(reply_id: str) -> tuple[str, str]:
    """The paths of the files made for the reply with this id: its page and its record."""
    return reply_page_path(reply_id), reply_record_path(reply_id)


def record_json(reply: Reply) -> str:
    """A reply's open-data record as JSON, as `data/replies.json` holds it (without the
    list's indentation) and `data/replies/<id>.json` alone."""
    return json.dumps(reply.record(), ensure_ascii=False, indent=1)


Pages = Iterator[tuple[str, str]]  # (docs-relative path, Markdown) of each page, as rendered


class Rows(Sequence):
    """`make(*item)` for each of `items`, made as a page slices it: a table of 100,000
    proposers is not held as 100,000 dicts."""

    def __init__(self, items: Sequence, make: Callable):
        self.items, self.make = items, make

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [self.make(*item) for item in self.items[n]]
        return self.make(*self.items[n])


class Renderer:
    """Renders every page from the templates; one instance per run."""

    def __init__(self, templates: Path, index: Index | None = None, site: SiteConfig | None = None):
        self.index = index
        self.site = site or SiteConfig()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,  # Markdown output: values are escaped with `md` explicitly
        )
        self.env.filters["md"] = md_escape
        self.env.filters["text"] = html_text  # in a block of HTML (HTML_OPEN)
        self.env.globals["HTML_OPEN"], self.env.globals["HTML_CLOSE"] = HTML_OPEN, HTML_CLOSE
        self.env.filters["cn_date"] = cn_date
        self.env.filters["excerpt"] = commitment_excerpt
        self.env.globals["rel"] = rel
        self.env.filters["field_zh"] = lambda name: FIELD_ZH.get(name, name)
        self.env.globals["site"] = self.site.public()
        self.env.globals["outcome"] = OUTCOME
        self.env.globals["ref"] = proposal_ref
        # A link's address in Markdown: its parentheses would end the link.
        self.env.filters["md_url"] = lambda url: url.replace("(", "%28").replace(")", "%29")

    def _render(self, template: str, **context) -> str:
        text = self.env.get_template(template).render(**context)
        return re.sub(r"\n{3,}", "\n\n", text)

    def _index_page(self, template: str, feed: dict | None = None, **context) -> str:
        """A listing or index page: kept out of search, so that search finds replies.
        `feed` (`feeds.feed_link`): the page's feed, linked visibly and, unless it is the
        site's (which every page's head links), from the head (front matter `feed`)."""
        head = NOT_SEARCHED_BLOCK if feed is None or feed["path"] == SITE_FEED else \
            yaml_block({**NOT_SEARCHED, "feed": feed})
        return head + self._render(template, feed=feed, **context)

    # --- paths of the pages of each key --------------------------------------------

    @staticmethod
    def reply_path(reply: Reply) -> str:
        return reply_page_path(reply.id)

    @staticmethod
    def key_path(key) -> str:
        return f"{key.section}/{key.slug}/index.md"

    def _agency_path(self, name: str | None) -> str | None:
        """The page of the agency of this name, if it has one."""
        agency = self.index.agency_by_name.get(name) if self.index and name else None
        return self.key_path(agency) if agency else None

    def _links(self, reply: Reply) -> dict:
        """Pages a reply links to: its agencies, session, themes and proposer."""
        index = self.index
        if index is None:
            return {"agency": None, "co": [], "session": None, "themes": [], "proposers": [], "year": None}
        session = session_key(reply)
        return {
            "agency": index.agency_by_name.get(reply.agency) if reply.agency else None,
            "co": [index.agency_by_name[name] for name in reply.co_agencies],
            "session": session if session in index.sessions else None,
            "themes": [index.theme_by_name[name] for name in reply.themes],
            "proposers": [index.proposer_by_name[name] for name in proposer_names(reply) if name in index.proposer_by_name],
            "year": f"years/{reply.year}/index.md" if reply.year else None,
        }

    # --- pages -----------------------------------------------------------------------

    def reply_page(self, reply: Reply) -> str:
        blocks = page_blocks(reply)  # as `reply_commitments` numbers them
        # Each commitment's number (from 1) is its paragraph's anchor, linked from the list atop.
        promised = {n: number for number, n in enumerate(commitments(tuple(blocks)), 1)}
        related = self.index.related(reply) if self.index else []
        body = self._render(
            "reply.md.j2",
            reply=reply,
            here=self.reply_path(reply),
            heading=reply.title or f"答复 {reply.id}",
            links=self._links(reply),
            blocks=[(b.kind.value, b.text, promised.get(n, 0)) for n, b in enumerate(blocks)],
            commitments=[(number, commitment_excerpt(blocks[n].text)) for n, number in promised.items()],
            related=related,
            # The reply's facets, for Pagefind's filters and sort (the 检索 page).
            facets=filter_marks(reply, self.index) if self.index else [],
            sort=sort_value(reply),
            redacted=reply.redactions > 0 and reply.publish == "full",
            original=original_path(reply, self.site),
            record=reply_record_path(reply.id),
            cite=citation(reply, self.site.publisher, self.site.title),
            key_path=self.key_path,
            reply_path=self.reply_path,
        )
        return front_matter(reply) + body

    @staticmethod
    def reply_record(reply: Reply) -> str:
        """`data/replies/<id>.json`: the reply's record, as in `data/replies.json`."""
        return record_json(reply) + "\n"

    def _paginated(self, template: str, rows: Sequence, first: str, folder: str, view: Callable | None = None,
                   **context) -> Pages:
        """`rows` cut into pages (see `paginate`), each rendered with `template` as it is
        asked for: a listing of the whole archive is never in memory whole. `view(rows,
        here)`: what the template shows of a page's rows, if not the rows themselves."""
        return chain.from_iterable(task() for task in self._page_tasks(template, rows, first, folder, view, **context))

    def _page_tasks(self, template: str, rows: Sequence | Callable[[], Sequence], first: str, folder: str,
                    view: Callable | None = None, **context) -> list[Callable[[], Pages]]:
        """The work of `_paginated`, a task per page: each page is rendered (and, by the
        render cache, rendered again) apart. `rows`: the rows, or what makes them (for
        rows that are not a list of the index, such as its commitments)."""
        count = page_count(len(rows() if callable(rows) else rows))
        return [partial(self._page, template, rows, first, folder, number, count, view, context)
                for number in range(1, count + 1)]

    def _page(self, template: str, rows: Sequence | Callable[[], Sequence], first: str, folder: str, number: int,
              count: int, view: Callable | None, context: dict) -> Pages:
        rows = rows() if callable(rows) else rows
        page = page_of(rows, first, folder, number, count)
        yield page.path, self._index_page(template, page=page, here=page.path, total=len(rows),
                                          rows=view(page.rows, page.path) if view else page.rows, **context)

    def listing(self, first: str, folder: str, title: str, replies: Sequence[Reply], intro: str = "",
                feed: dict | None = None) -> Pages:
        """A paginated table of replies, newest first; `feed`: the feed of its replies."""
        return chain.from_iterable(task() for task in self._listing_tasks(first, folder, title, replies, intro, feed))

    def _listing_tasks(self, first: str, folder: str, title: str, replies: Sequence[Reply], intro: str = "",
                       feed: dict | None = None) -> list[Callable[[], Pages]]:
        return self._page_tasks("listing.md.j2", replies, first, folder, title=title, intro=intro,
                                reply_path=self.reply_path, feed=feed)

    def key_list(self, section: str, title: str, intro: str, rows: Sequence[dict], see: tuple = ()) -> Pages:
        """A paginated table of the keys of one kind (agencies, themes, proposers…);
        `see`: (text, page) of another view of them, linked after the intro."""
        return self._paginated("keys.md.j2", rows, f"{section}/index.md", section, title=title, intro=intro,
                               see=see)

    def quality_pages(self, entries, totals: dict) -> Pages:
        """The 数据质量 report, paginated: the files with something to report."""
        return chain.from_iterable(task() for task in self.quality_page_tasks(entries, totals))

    def quality_page_tasks(self, entries, totals: dict) -> list[Callable[[], Pages]]:
        """The work of `quality_pages`, a task per page."""
        rows = [e for e in entries if e.level != "ok" or e.missing]
        return self._page_tasks("quality.md.j2", rows, "quality/index.md", "quality", totals=totals)

    def site_pages(self) -> dict[str, str]:
        """Every page but the reply pages: home, listings, the page of each key, and the
        feeds (`feeds.feed_tasks`)."""
        return dict(chain.from_iterable(task() for task in self.site_page_tasks()))

    def site_page_tasks(self) -> list[Callable[[], Pages]]:
        """The work of `site_pages` in independent pieces (each list, each key's pages,
        the home page), so that worker processes can share it."""
        index = self.index
        # A listing is a task per page (`_page_tasks`): a page is rendered apart from the others.
        tasks: list[Callable[[], Pages]] = self._listing_tasks(
            "replies/index.md", "replies", "全部答复", index.replies, "按答复日期从新到旧排列。", self._feed(None))
        # Agencies: the list, then a page per agency with its lead and co-handled replies.
        agencies = sorted(index.agencies.items(), key=lambda kv: (-len(kv[1].lead), -kv[1].total, kv[0].name))
        tasks.append(partial(self.key_list, "agencies", "按部门", "各承办单位答复的件数：主办为牵头答复，会办为参与办理。", Rows(
            agencies, lambda a, r: {"key": a, "path": self.key_path(a), "cells": [len(r.lead), len(r.co)],
                                    "head": ["主办", "会办"]})))
        tasks += [task for agency, replies in agencies for task in self._agency_tasks(agency, replies)]
        # Themes, sessions, proposers, years: a list and a paginated page per key.
        themes = sorted(index.themes.items(), key=lambda kv: (-len(kv[1]), kv[0].name))
        tasks.append(partial(self.key_list, "themes", "按主题", "每件答复按关键词归入 1-5 个政策主题。", Rows(
            themes, lambda t, r: {"key": t, "path": self.key_path(t), "cells": [len(r)], "head": ["答复"],
                                  "note": t.description})))
        tasks += [task for theme, replies in themes for task in self._listing_tasks(
            self.key_path(theme), f"themes/{theme.slug}", f"主题：{theme.name}", replies, theme.description,
            self._feed(theme))]
        sessions = sorted(index.sessions.items(), key=lambda kv: (kv[0].place, kv[0].body, -kv[0].term, -kv[0].meeting))
        tasks.append(lambda: [("sessions/index.md", self._index_page(
            "sessions.md.j2", here="sessions/index.md", groups=self._session_groups(sessions),
            key_path=self.key_path))])
        tasks += [task for session, replies in sessions for task in self._listing_tasks(
            self.key_path(session), f"sessions/{session.slug}", session.name, replies)]
        proposers = sorted(index.proposers.items(), key=lambda kv: (-len(kv[1]), kv[0].name))
        tasks.append(partial(self.key_list, "proposers", "按提出者", "提出建议、提案的代表、委员和党派团体，按答复件数排列。", Rows(
            proposers, lambda p, r: {"key": p, "path": self.key_path(p), "cells": [p.type, len(r)],
                                     "head": ["类别", "答复"]}), ("按姓名拼音排列 »", PINYIN_INDEX)))
        tasks.append(partial(self._pinyin_pages, proposers))
        tasks += [task for proposer, replies in proposers for task in self._listing_tasks(
            self.key_path(proposer), f"proposers/{proposer.slug}", f"{proposer.name}（{proposer.type}）", replies,
            feed=self._feed(proposer))]
        years = sorted(index.years.items(), reverse=True)
        tasks.append(lambda: [("years/index.md", self._index_page("years.md.j2", here="years/index.md", years=years))])
        tasks += [task for year, replies in years
                  for task in self._listing_tasks(f"years/{year}/index.md", f"years/{year}", f"{year} 年答复", replies)]
        # Commitments: by year (and those of undated replies), then an index of the years.
        by_year = [(str(year), f"{year} 年", replies) for year, replies in years]
        by_year.append(("undated", "年份不详", index.undated))
        tasks.append(partial(self._commitment_index, by_year))
        tasks += [task for group in by_year if group[2] for task in self._commitment_listing_tasks(*group)]
        tasks.append(lambda: [("index.md", self.home(agencies, themes, sessions))])
        tasks.append(self.find_files)
        return tasks + feed_tasks(index, self.site)

    def _feed(self, key) -> dict:
        return feed_link(key, self.site)

    def find_files(self) -> Pages:
        """The 检索 page and the scripts it reads (see `facets`)."""
        here = "find/index.md"
        yield here, yaml_block({"hide": ["navigation", "toc"], **NOT_SEARCHED}) + self._render(
            "find.md.j2", here=here, facets=[f for f in FACETS if f.key != "lead"], total=len(self.index.replies))
        tables = facet_tables(self.index)  # a pass over every reply: once for the three scripts
        yield FACETS_SCRIPT, facets_script(self.index, tables)
        yield POSTINGS_SCRIPT, postings_script(self.index, tables)
        yield ROWS_SCRIPT, "".join(rows_script(self.index, tables))

    def _agency_tasks(self, agency, replies) -> list[Callable[[], Pages]]:
        """An agency's pages, a task each: its page, then its full listings of lead and
        co-handled replies and of its commitments where its page shows but the newest."""
        base = f"agencies/{agency.slug}"
        feed = self._feed(agency)
        tasks = [partial(self._agency_page, agency, replies)]
        # The agency page shows the first PAGE_SIZE of each; full listings only beyond that.
        for role, rows, label in (("lead", replies.lead, "主办"), ("co", replies.co, "会办")):
            if len(rows) > PAGE_SIZE:
                tasks += self._listing_tasks(f"{base}/{role}.md", f"{base}/{role}", f"{agency.name}：{label}答复",
                                             rows, feed=feed)
        promised = partial(self.index.commitments_of, replies.lead)
        if len(promised()) > AGENCY_COMMITMENTS:
            tasks += self._page_tasks(
                "commitments.md.j2", promised, f"{base}/commitments.md", f"{base}/commitments",
                view=self._commitment_rows, title=f"{agency.name}：办理承诺",
                intro="本单位主办答复中的下一步工作安排，按答复日期从新到旧排列。",
                up=("返回本单位页面", self.key_path(agency)), show_agency=False)
        return tasks

    def _agency_page(self, agency, replies) -> Pages:
        base = f"agencies/{agency.slug}"
        feed = self._feed(agency)
        promised = self.index.commitments_of(replies.lead)
        outcomes = [(f"{letter} 类：{meaning}", replies.outcomes[letter]) for letter, meaning in OUTCOME.items()]
        outcomes.append(("未标注", replies.outcomes[""]))
        yield self.key_path(agency), self._index_page(
            "agency.md.j2", feed=feed, agency=agency, replies=replies, here=self.key_path(agency),
            lead=replies.lead[:PAGE_SIZE], co=replies.co[:PAGE_SIZE], reply_path=self.reply_path,
            more_lead=len(replies.lead) > PAGE_SIZE, more_co=len(replies.co) > PAGE_SIZE, outcomes=outcomes,
            commitments=self._commitment_rows(promised[:AGENCY_COMMITMENTS], self.key_path(agency)),
            commitment_count=len(promised),
            all_commitments=f"{base}/commitments.md" if len(promised) > AGENCY_COMMITMENTS else None)

    def _commitment_index(self, by_year: list[tuple[str, str, ReplyList]]) -> Pages:
        """`commitments/index.md`: how many commitments each year's replies hold, linked
        to that year's listing."""
        rows = [(label, f"{COMMITMENTS}/{folder}/index.md", count) for folder, label, replies in by_year
                if (count := len(self.index.commitments_of(replies)))]
        yield f"{COMMITMENTS}/index.md", self._index_page(
            "commitment_years.md.j2", here=f"{COMMITMENTS}/index.md", rows=rows, total=sum(r[2] for r in rows))

    def _commitment_listing_tasks(self, folder: str, label: str, replies: ReplyList) -> list[Callable[[], Pages]]:
        """The commitments of one year's replies, newest reply first, a task per page."""
        return self._page_tasks(
            "commitments.md.j2", partial(self.index.commitments_of, replies), f"{COMMITMENTS}/{folder}/index.md",
            f"{COMMITMENTS}/{folder}", view=self._commitment_rows, title=f"办理承诺：{label}",
            intro="按答复日期从新到旧排列。", up=("全部年份", f"{COMMITMENTS}/index.md"), show_agency=True)

    def _commitment_rows(self, found: list[Commitment], here: str) -> list[CommitmentRow]:
        """What a table of commitments on page `here` shows of each: its links made
        here, once per reply (a reply's commitments are neighbours), not per cell."""
        rows, last = [], None
        for commitment in found:
            reply = commitment.reply
            if reply is not last:
                last, page, label = reply, rel(self.reply_path(reply), here), reply.label
                agency = self._agency_path(reply.agency)
                agency = rel(agency, here) if agency else None
            rows.append(CommitmentRow(commitment.text, commitment.number, page, label, reply.year,
                                      reply.classification, reply.agency, agency))
        return rows

    def _pinyin_pages(self, proposers) -> Pages:
        """The proposers by the pinyin of their names, under their initials: members and
        deputies (their surnames read as surnames) apart from parties and groups. A group
        of at most PINYIN_WHOLE is listed whole on the index page, its letters linking to
        their headings; a larger one has a page per letter, paginated, which its letters
        link to."""
        groups, letter_pages = [], []
        for slug, title, unit in PINYIN_GROUPS:
            people = slug == "members"
            entries = sorted((pinyin_key(p.name, surname=people), p.name, p, len(r))
                             for p, r in proposers if (p.type in PERSON_TYPES) == people)
            by_letter: dict[str, list] = {}
            for key, _, proposer, count in entries:
                by_letter.setdefault(pinyin_initial(key), []).append((proposer, count))
            whole = len(entries) <= PINYIN_WHOLE
            # Each letter's target: its heading on the index page, or its own page.
            letters = [(letter, f"#{slug}-{LETTER_SLUGS[letter]}" if whole else
                        f"{PINYIN_FOLDER}/{slug}/{LETTER_SLUGS[letter]}/index.md", LETTER_SLUGS[letter])
                       for letter in LETTERS if letter in by_letter]
            group = {"slug": slug, "title": title, "unit": unit, "count": len(entries), "letters": letters,
                     "sections": [(letter, name, by_letter[letter]) for letter, _, name in letters] if whole else []}
            groups.append(group)
            if not whole:
                letter_pages += [(group, letter, by_letter[letter]) for letter, _, _ in letters]
        yield PINYIN_INDEX, self._index_page("pinyin.md.j2", here=PINYIN_INDEX, groups=groups, page=None,
                                             current=None, title="提出者（按姓名拼音）", key_path=self.key_path,
                                             see=("按答复件数排列 »", "proposers/index.md"))
        for group, letter, rows in letter_pages:
            folder = f"{PINYIN_FOLDER}/{group['slug']}/{LETTER_SLUGS[letter]}"
            for page in paginate(rows, f"{folder}/index.md", folder):
                shown = {**group, "sections": [(letter, LETTER_SLUGS[letter], page.rows)]}
                yield page.path, self._index_page(
                    "pinyin.md.j2", here=page.path, page=page, groups=[shown], current=letter,
                    title=f"提出者（按姓名拼音）：{group['title']} {letter}", key_path=self.key_path,
                    see=("拼音索引 »", PINYIN_INDEX))

    @staticmethod
    def _session_groups(sessions) -> list[tuple[str, list]]:
        """Sessions grouped by place, body and term, e.g. 某县政协十三届 → its meetings."""
        groups: dict[str, list] = {}
        for session, replies in sessions:
            term = f"{int_to_cn(session.term)}届"
            if session.body == "政协":
                label = f"{session.place}政协{term}"
            else:
                label = f"{term}全国人大" if session.place == "全国" else f"{session.place}{term}人大"
            groups.setdefault(label, []).append((session, len(replies)))
        return list(groups.items())

    def about(self) -> str:
        """The about page: the publisher, what the site holds, the open data's fields."""
        first, last = self.index.date_range() if self.index else (None, None)
        return self._render("about.md.j2", here="about.md", fields=Reply.FIELDS, about=self.site.about,
                            first=first, last=last, count=len(self.index.replies) if self.index else 0)

    def site_settings(self) -> str:
        """What the MkDocs hook sets from the data dir's site.yml (site name, description,
        footer): JSON, read at build time from the docs dir."""
        return json.dumps(self.site.public(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def home(self, agencies, themes, sessions) -> str:
        index = self.index
        by_session = sorted(sessions, key=lambda kv: (kv[0].body, kv[0].term, kv[0].meeting))[-CHART_ROWS:]
        charts = {
            "sessions": bar_chart("各次会议的答复件数", [(s.name, len(r)) for s, r in by_session], "chart-sessions",
                                  ("会议", "答复件数")),
            "agencies": bar_chart("各单位主办答复件数", [(a.name, len(r.lead)) for a, r in agencies if r.lead][:CHART_ROWS],
                                  "chart-agencies", ("承办单位", "主办答复件数")),
            "themes": bar_chart("各主题答复件数", [(t.name, len(r)) for t, r in themes][:CHART_ROWS], "chart-themes",
                                ("主题", "答复件数")),
        }
        first, last = index.date_range()
        return yaml_block({"hide": ["navigation", "toc"], **NOT_SEARCHED}) + self._render(
            "home.md.j2", here="index.md", charts=charts, newest=index.replies[:NEWEST],
            totals={"replies": len(index.replies), "agencies": sum(1 for r in index.agencies.values() if r.lead),
                    "proposers": len(index.proposers),
                    "sessions": len(index.sessions), "themes": len(index.themes)},
            first=first, last=last, feed=self._feed(None),
            reply_path=self.reply_path)


USER_DICT = ".userdict.txt"  # docs-relative; MkDocs does not publish dot-files
USER_DICT_FREQ = 200000  # high enough that jieba keeps these words whole


def jieba_user_dict(words) -> str:
    """A jieba user dictionary: one `word freq` per line, sorted, without duplicates."""
    clean = {re.sub(r"\s+", "", w) for w in words if w}
    return "".join(f"{w} {USER_DICT_FREQ}\n" for w in sorted(clean) if len(w) > 1)


def _by_id(replies: Sequence[Reply]) -> Iterable[Reply]:
    """`replies` in the order of their ids; a `ReplyList` sorts without reading them."""
    return replies.by_id() if isinstance(replies, ReplyList) else sorted(replies, key=lambda r: r.id)


def _json_item(record: dict) -> str:
    """`record` as an item of a JSON list with `indent=1`: one level deeper (JSON strings
    hold no raw line break)."""
    return json.dumps(record, ensure_ascii=False, indent=1).replace("\n", "\n ")


def json_list_pieces(records: Iterable[dict]) -> Iterator[str]:
    """A JSON list of `records` in pieces of one record: the same text as `json.dumps` of
    the list with `indent=1`, without ever holding it whole (it grows with the archive)."""
    yield "["
    empty = True
    for record in records:
        yield ("\n " if empty else ",\n ") + _json_item(record)
        empty = False
    yield "]\n" if empty else "\n]\n"


def open_data_json_pieces(replies: list[Reply]) -> Iterator[str]:
    """The JSON export of the replies, sorted by id, in pieces (see `json_list_pieces`)."""
    return json_list_pieces(reply.record() for reply in _by_id(replies))


# The fields of the commitments' open data: a commitment is paragraph `number` of the
# page of reply `reply_id` (`#commitment-<number>`), with what the lists show of its reply.
COMMITMENT_FIELDS = ("reply_id", "number", "agency", "year", "date", "classification", "text")


def commitment_records(replies: Sequence[Reply]) -> Iterator[dict]:
    """One record per commitment of `replies` (as their pages number them), sorted by
    reply id, then number; fields `COMMITMENT_FIELDS`. Only the replies with commitments
    are read."""
    ordered = (replies if isinstance(replies, ReplyList) else ReplyList(replies, range(len(replies)))).by_id()
    for n in range(len(ordered)):
        yield from _reply_commitment_records(ordered, n)


def _reply_commitment_records(replies: ReplyList, n: int) -> list[dict]:
    """The commitment records of reply n of `replies` (read only when it has any)."""
    if not replies.commitment_count(n):
        return []
    reply = replies[n]
    return [{"reply_id": reply.id, "number": number, "agency": reply.agency, "year": reply.year,
             "date": reply.date.isoformat() if reply.date else None,
             "classification": reply.classification, "text": text}
            for number, text in enumerate(replies.commitments(n), 1)]


# A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): it begins with one
# of these. Such a cell is prefixed with `'`, which spreadsheets read as "text".
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str | int:
    """A CSV cell: lists joined with `;`, None empty, text that a spreadsheet would take for
    a formula (`=HYPERLINK(…)`) prefixed with `'`. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def open_data_csv_pieces(replies: list[Reply], rows_per_piece: int = 1000) -> Iterator[str]:
    """The CSV export of the replies, sorted by id, in pieces (see `csv_pieces`)."""
    return csv_pieces(Reply.FIELDS, (reply.record() for reply in _by_id(replies)), rows_per_piece)


def csv_pieces(fields: Sequence[str], records: Iterable[dict], rows_per_piece: int = 1000) -> Iterator[str]:
    """A CSV file of `records` (their `fields`, in order) in pieces of `rows_per_piece`
    rows: a BOM, the header, cells made by `csv_cell`."""
    out = io.StringIO()
    out.write("\ufeff")  # a BOM so that spreadsheet programs read the Chinese text as UTF-8
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for number, record in enumerate(records, 1):
        writer.writerow([csv_cell(record[name]) for name in fields])
        if number % rows_per_piece == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _csv_text(rows: Iterable[Sequence]) -> str:
    """`rows` as CSV lines, as `csv_pieces` writes them."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@dataclass(frozen=True)
class OpenDataFile:
    """An open-data file as a head, one piece per published reply in id order (empty
    for a reply with nothing in it), the non-empty pieces parted by `separator`, and a
    tail; `empty` is the whole file when no reply gives a piece. A piece is made from its
    reply alone (`piece(replies, n)`, n its place in `replies`): so a run may reuse the
    piece of a reply that did not change (`rendercache.Splice`)."""

    path: str
    head: str
    separator: str
    tail: str
    empty: str
    piece: Callable[[ReplyList, int], str]


def _reply_json(replies: ReplyList, n: int) -> str:
    return _json_item(replies[n].record())


def _reply_csv(replies: ReplyList, n: int) -> str:
    record = replies[n].record()
    return _csv_text([[csv_cell(record[name]) for name in Reply.FIELDS]])


def _commitments_json(replies: ReplyList, n: int) -> str:
    return ",\n ".join(_json_item(record) for record in _reply_commitment_records(replies, n))


def _commitments_csv(replies: ReplyList, n: int) -> str:
    return _csv_text([csv_cell(record[name]) for name in COMMITMENT_FIELDS]
                     for record in _reply_commitment_records(replies, n))


def _csv_head(fields: Sequence[str]) -> str:
    return "\ufeff" + _csv_text([fields])  # as `csv_pieces` begins


# The open data: the replies' records (metadata only, so summary-only replies are in it
# too) and the commitments of the replies published in full (the others have none), as
# JSON (the text of `json.dumps(…, indent=1)` of the list) and CSV (as `csv_pieces`).
OPEN_DATA = (
    OpenDataFile("data/replies.json", "[\n ", ",\n ", "\n]\n", "[]\n", _reply_json),
    OpenDataFile("data/replies.csv", _csv_head(Reply.FIELDS), "", "", _csv_head(Reply.FIELDS), _reply_csv),
    OpenDataFile("data/commitments.json", "[\n ", ",\n ", "\n]\n", "[]\n", _commitments_json),
    OpenDataFile("data/commitments.csv", _csv_head(COMMITMENT_FIELDS), "", "", _csv_head(COMMITMENT_FIELDS),
                 _commitments_csv),
)


def joined(file: OpenDataFile, pieces: Iterable[str]) -> Iterator[str]:
    """The text of `file` made of `pieces` (its replies', in order), in pieces."""
    first = True
    for piece in pieces:
        if piece:
            yield (file.head if first else file.separator) + piece
            first = False
    yield file.empty if first else file.tail


def open_data_pieces(file: OpenDataFile, replies: Sequence[Reply]) -> Iterator[str]:
    """The text of `file` for the published `replies`, in pieces."""
    ordered = (replies if isinstance(replies, ReplyList) else ReplyList(replies, range(len(replies)))).by_id()
    return joined(file, (file.piece(ordered, n) for n in range(len(ordered))))


def open_data_json(replies: list[Reply]) -> str:
    return "".join(open_data_json_pieces(replies))


def open_data_csv(replies: list[Reply]) -> str:
    return "".join(open_data_csv_pieces(replies))
