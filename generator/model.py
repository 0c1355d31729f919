"""The data model shared by every stage: frozen dataclasses with documented fields.

`Reply` is what `extract` produces from one source file (and `classify` completes with
themes); `Block` is one piece of its body; `Agency`, `Theme`, `Session` and `Proposer`
are index keys: small objects with a name, a slug and a url, equal and hashed by slug so
that spelling variants of one key merge in the indexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as Date
from enum import Enum


class BlockKind(str, Enum):
    """What a body block is; decides how `render` lays it out."""

    TITLE = "title"  # the reply's own title (关于……的答复)
    DOC_NUMBER = "doc_number"  # 文号
    ADDRESSEE = "addressee"  # 尊敬的徐川委员：
    PREAMBLE = "preamble"  # other lines before the opening: classification, letterhead
    OPENING = "opening"  # the "您在……提出的《……》收悉" paragraph
    SECTION = "section"  # top-level heading: 一、…
    SUBSECTION = "subsection"  # short heading: （一）…
    PARAGRAPH = "paragraph"
    SIGNATURE = "signature"  # signing agency and date
    CONTACT = "contact"  # contact person / phone: personal data, withheld by default
    COPY_TO = "copy_to"  # 抄送：…


@dataclass(frozen=True)
class Block:
    """One paragraph of a reply, as the author wrote it (cleaned), with its role."""

    kind: BlockKind
    text: str

    def __reduce__(self):
        # Pickled as (kind value, text): the cache stores every body, and the default
        # (an object state plus an Enum call per block) takes twice as long to load.
        return _block, (self.kind.value, self.text)


_KINDS = {kind.value: kind for kind in BlockKind}


def _block(kind: str, text: str) -> Block:
    return Block(_KINDS[kind], text)


@dataclass(frozen=True)
class Key:
    """An index key: equal and hashed by slug, so that spelling variants merge."""

    name: str
    slug: str

    section = "keys"  # URL folder of the key's pages; subclasses override

    @property
    def url(self) -> str:
        return f"{self.section}/{self.slug}/"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Key) and type(self) is type(other) and self.slug == other.slug

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.slug))


@dataclass(frozen=True, eq=False)
class Agency(Key):
    """A government body; `name` is its canonical full name."""

    aliases: tuple[str, ...] = ()
    known: bool = True  # False when canonicalised by rule, not found in the registry
    section = "agencies"


@dataclass(frozen=True, eq=False)
class Theme(Key):
    """A policy theme from `data/themes.yml`."""

    description: str = ""
    section = "themes"


@dataclass(frozen=True, eq=False)
class Session(Key):
    """A meeting of a CPPCC committee or a People's Congress, of any place.

    `name` is the canonical label with its place, e.g. 某省政协十三届二次会议,
    某县十四届人大四次会议, 十四届全国人大二次会议.
    """

    place: str = ""  # the place part of the label: 某县, 全国, or a level alone (县) when unknown
    body: str = ""  # 政协 | 人大
    term: int = 0
    meeting: int = 0
    section = "sessions"


@dataclass(frozen=True, eq=False)
class Proposer(Key):
    """Who filed the proposal: a member, a deputy or a party/group."""

    type: str = ""  # 委员 | 代表 | 党派团体 | 其他
    section = "proposers"


# Names a registry slug may not take: a key's pages are `<section>/<slug>/`, beside the
# section's own `<section>/index.md` and pages `<section>/page/N.md`; the other names are
# the site's top-level folders and pages (render.py, mkdocs.yml, the search engines), kept
# free so that a slug never reads as, or later collides with, a generated page.
RESERVED_SLUGS = frozenset({
    "index", "page",
    *(kind.section for kind in (Key, Agency, Theme, Session, Proposer)),
    "replies", "years", "quality", "data", "about", "assets", "search", "pagefind", "find", "feeds",
    "commitments", "undated",  # commitments/<year>/ and commitments/undated/
    "pinyin",  # proposers/pinyin/: the proposers in pinyin order
})


@dataclass(frozen=True, slots=True)  # slots: a run holds one per reply (100,000 and more)
class Reply:
    """One reply, extracted and cleaned. Field names are those of the open data.

    A value that is not in the text is None (or empty), never guessed.
    """

    id: str  # URL-safe; default the source file's stem
    source: str  # file name under data/replies/
    title: str | None  # the reply's own title, else 关于《proposal_title》的答复
    proposal_kind: str | None  # 提案 | 建议 | 议案
    proposal_number: str | None  # e.g. D8, 2023D51, 0356
    proposal_title: str | None  # the 《》 text of the opening, without 《》
    session: str | None  # canonical label
    session_body: str | None  # 政协 | 人大
    session_term: int | None
    session_meeting: int | None
    proposer: str | None
    proposer_type: str | None  # 委员 | 代表 | 党派团体 | 其他
    doc_number: str | None  # brackets normalised to 〔〕, no spaces
    agency: str | None  # canonical lead (signing) agency
    co_agencies: tuple[str, ...]  # canonical, order of first appearance, lead excluded
    date: Date | None
    year: int | None
    themes: tuple[str, ...]  # theme names, best first
    sections: tuple[str, ...]  # top-level section headings, cleaned
    classification: str | None = None  # the outcome class 办理结果: A solved, B in hand, C explained
    # Not part of the open data:
    publish: str = "full"  # full | summary | none (sidecar `publish`)
    source_url: str | None = None  # the publisher's copy (sidecar `source_url`), linked from the card
    redactions: int = 0  # contact blocks and personal numbers withheld from the page
    # Its commitments' texts as its page numbers them (`render.reply_commitments`), kept by
    # the run when the body is read: other pages and the open data list them without it.
    commitments: tuple[str, ...] = field(default=(), repr=False)
    blocks: tuple[Block, ...] = field(default=(), repr=False)

    # The open-data fields, in order: front matter, JSON and CSV use exactly these.
    FIELDS = (
        "id", "source", "title", "proposal_kind", "proposal_number", "proposal_title",
        "session", "session_body", "session_term", "session_meeting", "proposer",
        "proposer_type", "doc_number", "agency", "co_agencies", "date", "year", "classification",
        "themes", "sections",
    )

    @property
    def label(self) -> str:
        """What names this reply in lists and titles (see `reply_label`)."""
        return reply_label(self.title, self.proposal_title, self.id)

    def record(self) -> dict:
        """The open-data record: plain JSON/YAML types, field order as `FIELDS`."""
        out = {}
        for name in self.FIELDS:
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Date):
                value = value.isoformat()
            out[name] = value
        return out


# The outcome classes (办理结果) as replies and handling rules name them.
OUTCOME = {"A": "所提问题已经解决或采纳", "B": "正在解决或已列入计划解决", "C": "因条件限制留作参考"}


_NOT_WORDS = re.compile(r"[\s《》“”\"'「」『』〈〉（）()，,。、：:；;！!？?—-]+")


def reply_label(title: str | None, proposal_title: str | None, reply_id: str = "") -> str:
    """What names a reply in lists, page titles and search results. A reply's own title
    is often the same words for every reply of a session (关于对市政协八届一次会议第016号
    提案的答复), so it names the reply only when it holds the proposal's title; otherwise
    the proposal's title does. Punctuation and spaces are ignored in that comparison."""
    if proposal_title and (not title or _NOT_WORDS.sub("", proposal_title) not in _NOT_WORDS.sub("", title)):
        return proposal_title
    return title or proposal_title or f"答复 {reply_id}".strip()


def proposal_ref(kind: str | None, number: str | None) -> str:
    """`提案第D8号`, `建议第016号`, `第12号`, `提案` or empty: the proposal's kind and number."""
    return f"{kind or ''}第{number}号" if number else (kind or "")


def cn_date(value) -> str:
    """`2024年5月20日` from a date or an ISO date text; other text as it is."""
    if isinstance(value, str):
        try:
            value = Date.fromisoformat(value)
        except ValueError:
            return value
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def reply_summary(record: dict) -> str:
    """One sentence saying what a reply is, from its open-data record: for a page's meta
    description and link previews, so that each page describes itself.
    `某厅2024年5月20日对某省政协十三届二次会议提案第D8号《…》（张三提出）的答复。`"""
    subject = record.get("proposal_title") or ""
    what = (record.get("session") or "") + proposal_ref(record.get("proposal_kind"), record.get("proposal_number"))
    if subject:
        what += f"《{subject}》"
    if record.get("proposer"):
        what += f"（{record['proposer']}提出）"
    who = (record.get("agency") or "") + cn_date(record.get("date"))
    if not what:
        return f"{who}：{reply_label(record.get('title'), None, record.get('id') or '')}" if who else \
            reply_label(record.get("title"), None, record.get("id") or "")
    return f"{who}对{what}的答复。" if who else f"对{what}的答复。"


# Characters that would act on a terminal or a log rather than show: control characters
# (a newline forges a line, ESC starts a colour sequence), lone surrogates, line and
# paragraph separators and bidirectional overrides.
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """`text` safe to print on one line: the characters of `_UNSHOWABLE` written as
    escapes (`\\n`, `\\x1b`, `\\ud800`), everything else (Chinese included) as it is."""
    return _UNSHOWABLE.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one source file; `error` problems skip the reply."""

    source: str
    message: str  # English, for the command line
    severity: str = "error"  # error (reply skipped) | warning | info
    zh: str = ""  # the same in Chinese, for the site's 数据质量 page
    field: str = ""  # the field it is about, if one: a sidecar setting that field settles it
    public: bool = True  # False: about a reply to be withheld, so printed but on no page

    def __str__(self) -> str:
        # A file name may hold a newline or an escape sequence: printed as is it would forge
        # an `error:` line or recolour the terminal.
        return shown(f"{self.source}: {self.message}")
