"""Stage 3, extract: paragraphs → Reply.

In: the cleaned paragraphs of one reply, its source name, the agency registry and the
site's places (`site.yml`). Out: a `Reply` (themes still empty) and the `Problem`s found.

A reply is a letter, often printed inside a web page. It is read the same way whatever
its layout:

1. Every paragraph gets a folded copy to match against (see `text.fold`: full-width
   ASCII as ASCII, traditional characters as simplified); what is published is always
   cut from the paragraph itself. Web-page furniture (breadcrumbs, widgets, footers) is
   recognised line by line (`layout.py`) and dropped.
2. Anchors are chosen among candidates, not found by walking until an unknown line:
   the opening (`…收悉`, `现答复如下`), the addressee just before it, the letter's title
   (the copy closest to the addressee, unless characters were lost from it), and at the
   end the signature block: the last date line and the agency line before it, with the
   contact lines, labels (审核人, 抄送 …) and whatever the page appends set apart.
3. Fields are read from their zones, the letter before the page's metadata table;
   agencies and sessions written without a place (省X厅, 县政协) are resolved against
   the reply's own place (its agency's full name), else the site's. A reply from another
   place is never attributed to the configured one.

A value that is not in the text is None, never guessed.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace

from . import layout as L
from .clean import CLASSIFICATION_LINE, CN_NUM, SECTION_HEAD, SUBSECTION_HEAD, TITLE_END
from .model import Block, BlockKind, Problem, Reply
from .places import LEVELS, NATIONAL, Place, innermost, parse_place, split_places, trailing_place
from .privacy import CONTACT_LABEL, PHONE_LIKE, is_contact, redact, redact_all, redact_fields
from .registry import AgencyRegistry
from .folding import GLOSS, fold, is_traditional
from .text import DATE, FIELD_CLEANERS, RUN_TOGETHER, cn_to_int, date_parts, int_to_cn, run_together_date, to_date


@dataclass(slots=True)
class Para:
    """One paragraph: as published, and folded for matching."""

    text: str
    m: str  # the folded copy (see `text.fold`)
    where: list[int] | None  # position in `text` of each character of `m` (None: the same)

    @classmethod
    def of(cls, text: str, traditional: bool | None = None) -> "Para":
        return cls(text, *fold(text, traditional))

    def cut(self, start: int = 0, end: int | None = None) -> str:
        """The published text of `m[start:end]`."""
        end = len(self.m) if end is None else end
        if self.where is None:
            return self.text[start:end]
        if start >= end:
            return ""
        return GLOSS.sub("", self.text[self.where[start]:self.where[end - 1] + 1])


@dataclass
class Letter:
    """The paragraphs of one reply with their roles: the zones the fields are read from."""

    paras: list[Para]
    # Per paragraph: furniture (dropped), meta, title, letterhead, doc, class, addressee,
    # preamble, opening, body, signer, date, contact, copy, label, trailer (page text
    # after the letter).
    role: list[str]
    opening: int | None = None
    addressee: int | None = None
    body: range = range(0)
    closing: range = range(0)
    title: tuple[int, int] | None = None  # paragraphs start…end (exclusive) of the title
    title_text: str | None = None  # the title as published, trimmed
    title_m: str = ""
    title_extra: list[str] = field(default_factory=list)  # folded bracket groups after the title
    signer: int | None = None
    date: int | None = None
    meta: dict[str, str] = field(default_factory=dict)  # page metadata: label → folded value
    header_titles: list[str] = field(default_factory=list)  # folded, every title-like header line
    header_extras: list[str] = field(default_factory=list)  # what followed them in brackets

    def texts(self, indices) -> list[Para]:
        return [self.paras[i] for i in indices]


OPENING_CUE = re.compile(
    r"收悉|收到|答复如下|函复如下|回复如下|现答复|(?:以下|如下)(?:办理)?(?:答复|回复)(?:意见)?|现将.{0,20}(?:答复|函复|回复)|现就.{0,40}(?:答复|函复|回复)"
    r"|(?:转|交)(?:交|由|至|给)?我(?:们|局|委|厅|办|部|院|室|单位|中心|会|区|县|市|镇)|经认真研究|经研究"
)
_YOU = re.compile(r"您|你|贵|提出|所提|提交|建议|提案|议案")
# Development zones: places that sign replies but have no congress or committee of their own.
ZONE = re.compile(r"(?:开发区|新区|示范区|高新区|园区|试验区|实验区|功能区|合作区|保税区)$")
COURTESY = re.compile(r"^(?:您好|你好|首先|衷心|非常)?.{0,6}(?:感谢|您好|你好)[^。]{0,60}[。!！]?$")
PERSON_WORD = re.compile(r"(?:委员|代表|同志|先生|女士|主席|副主席)(?:们)?$")
ORG_WORD = re.compile(
    r"(?:委员会|省委会|市委会|区委会|县委会|支部|支社|总支|学社|联合会|工商联|界别|小组|联组|党组|民革|民盟|民建|民进|"
    r"农工党|致公党|台盟|九三学社|街道|办事处|局|委|厅|办|政府|中心|公司|社|会|院|所|队|组|团)$"
)
GROUP_WORDS = re.compile(
    r"民革|民盟|民建|民进|农工党|致公党|九三学社|台盟|工商联|无党派|共青团|团省委|团市委|团县委|妇联|科协|侨联|总工会|青联|台联|文联|界别|党派"
    r"|政协|人大|委员组|代表组|代表团|联组|小组"  # a committee or group of members files collectively
)
NAME = r"[\u4e00-\u9fffxX×*＊·•]{1,6}"
NAMES = re.compile(rf"^{NAME}(?:[、,，\s]+{NAME})*$")
CN = CN_NUM
_N = rf"(?:\d{{1,2}}|[{CN}]{{1,3}})"
# The meeting word, or the filing right after the meeting when 会议 was lost (`八届一次委员第094号`).
_MEET = r"(?:全体)?(?:会(?:议|(?=[第\d上期]))|(?=委员|代表|提案|建议|议案|第\s*\d))"
SESSION = re.compile(
    r"(?P<cppcc>(?:中国人民政治协商会议|政协)(?P<place1>[\u4e00-\u9fff]{1,20}?(?:省|自治区|市|自治州|州|县|区|旗|盟))?"
    rf"第?(?P<t1>{_N})届(?P<nat1>全国)?(?:委员会)?第?(?P<m1>{_N})次{_MEET})"
    rf"|(?P<cppcc2>政协第?(?P<t2>{_N})届(?:(?P<nat2>全国)|(?P<place2>[\u4e00-\u9fff]{{1,20}}?(?:省|自治区|市|自治州|州|县|区|旗|盟)))"
    rf"委员会第?(?P<m2>{_N})次{_MEET})"
    rf"|(?P<cppcc3>第?(?P<t3>{_N})届政协第?(?P<m3>{_N})次{_MEET})"
    rf"|(?P<npc>第?(?P<t4>{_N})届(?P<nat4>全国)?(?:人大|人民代表大会)(?:会)?(?:常委会)?第?(?P<m4>{_N})次{_MEET})"
    rf"|(?P<npc2>(?:人大|人民代表大会)第?(?P<t5>{_N})届第?(?P<m5>{_N})次{_MEET})"
    # The body written after the meeting: `市十届三次会议人大第16号`.
    rf"|第?(?P<t6>{_N})届第?(?P<m6>{_N})次(?:全体)?会议(?:(?P<npc3>人大|人民代表大会)|(?P<cppcc4>政协))"
)
# A session written without its body (`十一届一次第111021号`): the filing tells which.
BARE_SESSION = re.compile(rf"(?<![{CN}\d])第?(?P<t>{_N})届第?(?P<m>{_N})次(?:全体)?(?:会议)?(?=第|\d|[:：\s]|上|$)")
NUMBER = re.compile(
    r"(?<![〕】\]\d.A-Za-z])(?:第\s*)?[(（]?\s*(?P<num>(?:[\u4e00-\u9fff](?=\d))?[A-Za-z]{0,4}\d[\dA-Za-z.]*?)\s*[)）]?\s*号"
    r"(?![〕】\]])"
)
_NUMBER_AFTER = re.compile(
    r"^(?:代表|委员|党派团体|集体|界别|重点)?(?:建议|提案|议案|建设|议事原案|案|复|答复|的|《|“|\"|\(|（|\)|）|,|，|已|收悉|协办|[:：])|^$"
)
_NOT_NUMBER_PREFIX = set("第议会届次号年月日的在上提出")
KIND_WORD = re.compile(r"(?P<kind>提案|议案|建议|议事原案)(?:的)?(?:答复|复函|回复|办理|收悉|已收悉|已|协办|,|，|$)")
QUOTED = re.compile(
    r"(?:(?:提出(?:的)?|所提(?:的)?|提交(?:的)?)(?:要求|意见)?|^|:)\s*(?:第?\s*[A-Za-z\u4e00-\u9fff]?\d[\dA-Za-z.]*\s*号)?\s*(?:关于(?:要求)?)?"
    r"(?P<open>[“\"「『])(?P<q>[^“”\"「」『』]{2,200})[”\"」』]\s*(?:的)?(?:第?\s*[A-Za-z]?\d+\s*号)?(?:建议|提案|议案|议事原案)?"
    r"(?:\s*[(（][^)）]{0,16}[)）])?(?=\s*(?:已|收悉|,|，|。|已经|$|现|经|由|交|转|办理))"
)
BOOK = re.compile(r"《(?P<q>(?:[^《》]|《[^《》]*》)+)》")
UNQUOTED = re.compile(
    r"(?:提出(?:的)?|所提(?:的)?|提交(?:的)?)[“\"《]?(?P<q>关于[^。!！?？]{2,200}?(?:的)?(?:建议|提案|议案)|关于[^。!！?？]{2,200}?)"
    r"[”\"》]?(?:意见)?(?:\s*[(（][^)）]{0,20}[)）])?(?=\s*(?:已|收悉|,|，|。|现|办理情况|的办理))"
    # Without 关于 the words before 的建议 are the title: `提出的融文于城…的提案收悉`.
    r"|(?:提出(?:的)?|所提(?:的)?)(?!关于|的)(?P<bare>[^。“”《》]{4,120}?)[。.]?[”\"]?的(?:建议|提案|议案)(?=\s*(?:已|收悉))"
)
PROPOSAL_HEADING = re.compile(r"[^。，,；;:：!！?？\s]{4,60}的(?:建议|提案|议案)")
TITLE_NAMES = re.compile(r"^关于(?!对)(?P<q>[^《》“”]{2,120}?的(?:建议|提案|议案))(?:建议|提案|议案)?(?:的)?(?:答复|复函|回复|办理)")
REVIEW_MARK = re.compile(r"\[[^\[\]\d]{1,8}\d{1,3}\]")  # a Word review comment left in: [曲律师1]
CO_CLAUSE = re.compile(
    r"(?:会同|经会同|经会|经商|商请|协同|会商|联合)(?P<list>[^，,。；;：:]{2,200}?)(?:等?(?:有关|相关)?(?:单位|部门)|等)?"
    r"(?=[，,。；;]|共同|认真|研究|进行|办理|对|就)"
    r"|(?:征求|综合|听取|征询)(?:了)?(?P<list2>[^，,。；;：:]{2,200}?)(?:等(?:单位|部门))?(?:的)?意见"
    r"|经与(?P<list3>[^，,。；;：:]{2,200}?)(?:等(?:单位|部门))?共同(?:研究|办理)"
)
# Who handled it, told in the opening or the sentence after it: `由X牵头，与Y、Z等相关部门共同研究`.
CO_HANDLING = re.compile(
    r"由(?P<lead>[^，,。；;：:]{2,60}?)牵头"
    r"|(?:会同|与|联合)(?P<list>[^，,。；;：:]{2,200}?)(?:等?(?:有关|相关)?(?:单位|部门)|等)?(?:共同|认真)(?:进行)?(?:研究|办理)"
)
THANKS_FOR = re.compile(
    r"感谢(?:您|你|你们|各位代表|各位委员)(?:一直以来)?对(?P<agency>[\u4e00-\u9fff]{2,30}?(?:人民政府|委员会|办公室|办事处|管委会|局|厅|委|中心))"
    r"(?:的)?(?:工作|经济|各项|事业|发展|建设|的关心|的支持)"
)
SUB_REPLY = re.compile(rf"^(?:[(（]\s*[{CN}]{{1,3}}\s*[)）])?\s*")
ANSWER = re.compile(r"^[\u4e00-\u9fff()]{2,24}?(?:答复|回复|办理意见)[:：]")
SELF = re.compile(r"我(?:委|厅|局|办|部|会|院|中心|单位|们)")
CLASS_LINE = CLASSIFICATION_LINE  # the outcome class on a line of its own (clean.py)


# --- anchors ---------------------------------------------------------------------------

def _is_title_line(m: str) -> tuple[bool, str, list[str]]:
    """Is the folded line a reply's title? Returns (yes, the title without what follows
    it, the bracket groups that followed)."""
    cells = [cell.strip(" •·") for cell in m.split("|") if cell.strip(" •·")]
    if len(cells) > 1:  # a table row: the title is one of its cells (词条 | 关于…的答复 |)
        return next((found for found in map(_is_title_line, cells) if found[0]), (False, "", []))
    text = L.META_AFTER.sub("", cells[0] if cells else "")
    text = re.sub(r"^.{0,80}?(?:名称|标题|题目)\s*[:：]\s*", "", text)  # …文件名称: …: the page's label, what precedes it
    text = L.CLASS_AFTER.sub("", text)  # …的答复函 B: the outcome class printed after the title
    extra = []
    while True:
        tail = L.TITLE_TRAILER.search(text)
        if not tail:
            break
        extra.insert(0, tail.group().strip())
        text = text[: tail.start()].rstrip()
    if not (6 <= len(text) <= 160) or "。" in text or text.startswith(("您", "你", "代表", "委员", "建议", "提案", "的", "之")):
        return False, "", []
    head = re.match(r"^(.+?)(?=关于)", text)
    if (head and not text.startswith("对") and not L.agency_only(head.group(1)) and not L.TITLE_HINT.search(head.group(1))
            and "《" not in head.group(1) and not re.search(r"届|号", head.group(1)) and len(text) - head.end() >= 6):
        text = text[head.end():]  # words of the page glued in front: 本网招聘本关于…
    if not TITLE_END.search(text):
        return False, "", []
    if not (L.TITLE_HINT.search(text) or text.startswith(("关于", "对"))):
        return False, "", []
    return True, text, extra


def _whole_title(m: str) -> bool:
    """A title complete on its own line, from its start (关于…, 对…, <agency>关于…): a
    run of title lines does not go on past it."""
    return _is_title_line(m)[0] and bool(re.match(r"^\s*(?:关于|对|.{2,40}?关于)", m))


def _damaged(title: str) -> bool:
    """A title that lost characters: a 届 or 次会议 without its numeral (`第十届…次会议`)."""
    return bool(re.search(rf"(?<![{CN}\d])(?:届|次会议)|第(?=号)|大会次|委员会次", title))


_UNIT_AFTER = re.compile(r"\s*[(（][^()（）]{1,20}[)）]$")  # the member's work unit after the name: 苏某委员(区应急管理局)


def _addressee_shape(m: str, colon_required: bool) -> bool:
    text = m.strip(" |•·")
    text = re.sub(r"^(?:尊敬的?|亲爱的)", "", text)
    colon = text.endswith((":", "："))
    text = _UNIT_AFTER.sub("", text.rstrip(":：").strip())
    if not text or len(text) > 200 or re.search(r"[。!?;；]", text) or L.meta_label(text):
        return False
    if colon_required and not colon:
        return False
    if PERSON_WORD.search(text) or re.search(r"等\s*\d+\s*(?:名|位|人)", text):
        return True
    if not colon:  # a group named without a colon, the opening going on from it: `X委员组` / `你们提出的…`
        return len(text) <= 20 and bool(GROUP_WORDS.search(text) and ORG_WORD.search(text))
    return bool(ORG_WORD.search(text) or (NAMES.match(text) and len(text) <= 60 and not re.search(r"\d", text)))


def _opening(paras: list[Para], role: list[str]) -> int | None:
    """The paragraph acknowledging the proposal: the first with an opening cue that
    addresses the proposer, within the first part of the reply."""
    first_cue = None
    for i, p in enumerate(paras):
        if first_cue is not None and i > len(paras) // 2:
            break
        if role[i] in ("furniture", "meta") or SECTION_HEAD.match(p.m):
            continue
        if _is_title_line(p.m)[0] and not re.search(r"收悉|如下", p.m):
            continue
        if OPENING_CUE.search(p.m):
            if _YOU.search(p.m):
                return i
            first_cue = i if first_cue is None else first_cue
    if first_cue is not None:
        return first_cue
    # No cue at all (`您提出的《…》对于…具有重要意义`): the paragraph that speaks to the
    # proposer right after a salutation.
    for i in range(1, len(paras) - 1):
        if (role[i - 1] not in ("furniture", "meta") and _addressee_shape(paras[i - 1].m, colon_required=True)
                and re.match(r"^(?:您好|你好)?[!！,，。]?\s*(?:您|你|贵)", paras[i].m.strip()) and _YOU.search(paras[i].m[1:])):
            return i
    return None


def _header_roles(letter: Letter, end: int) -> None:
    """Roles of the paragraphs before the addressee/opening: title, letterhead, 文号,
    class, page metadata, furniture."""
    paras, role = letter.paras, letter.role
    for i in range(end):
        if role[i] != "preamble":
            continue
        m = paras[i].m.strip(" |•·")
        if L.DOC_NUMBER_START.match(m):
            role[i] = "doc"
        elif CLASS_LINE.match(m):
            role[i] = "class"
        elif L.agency_only(m):
            role[i] = "letterhead"


def _title(letter: Letter, end: int) -> None:
    """Choose the title among the header's title lines, runs of lines that wrap one, and
    the page's title field: the letter's own copy, closest to the addressee, unless
    characters were lost from it."""
    paras, role = letter.paras, letter.role
    candidates = []  # (undamaged, from the letter, end index, length, start, text, extra)
    for i in range(end):
        if role[i] not in ("preamble", "letterhead"):
            continue
        # A title may wrap over up to four lines: the longest run that makes one.
        for j in range(i + 1, min(end, i + 4) + 1):
            if any(role[k] != "preamble" for k in range(i + 1, j)):
                break
            joined = "".join(paras[k].m.strip(" |•·") for k in range(i, j))
            if j > i + 1 and (not re.search(r"关于|^对", paras[i].m.strip())
                              or (_whole_title(paras[j - 2].m) and not re.match(r"^\s*(?:的|之)", paras[j - 1].m))
                              or re.match(r"^\s*(?:关于|对)", paras[j - 1].m) and _whole_title(paras[j - 1].m)):
                break  # a line that is a whole title by itself starts no continuation
            ok, text, extra = _is_title_line(joined)
            if ok:
                candidates.append((not _damaged(text), True, j, len(text), i, text, extra))
                letter.header_titles.append(text)
                letter.header_extras += extra
    for label in L.TITLE_LABELS:
        value = (letter.meta.get(label) or "").strip("【】[] ")
        if value:
            ok, text, extra = _is_title_line(value)
            if ok:
                candidates.append((not _damaged(text), False, -1, len(text), -1, text, extra))
                letter.header_titles.append(text)
    if not candidates and end and role[end - 1] == "preamble":
        # Headed with the proposal's own title (`筹建…中心的建议`) right above the addressee.
        m = paras[end - 1].m.strip(" |•·")
        if PROPOSAL_HEADING.fullmatch(m):
            candidates.append((True, True, end, len(m), end - 1, m, []))
    if not candidates:
        return
    best = max(candidates, key=lambda c: c[:4])
    _, own, j, _, i, text, extra = best
    letter.title_m, letter.title_extra = text, extra
    if own:
        letter.title = (i, j)
        for k in range(i, j):
            role[k] = "title"
        letter.title_text = _published(letter.texts(range(i, j)), text)
    else:
        letter.title_text = text


def _published(paras: list[Para], folded: str) -> str:
    """The published text of `folded`, a part of the folded `paras` joined (each stripped
    of spaces and bullets, as `_title` joins them)."""
    spans, joined = [], ""
    for p in paras:
        start = len(p.m) - len(p.m.lstrip(" |•·"))
        end = len(p.m.rstrip(" |•·"))
        spans.append((len(joined), p, start))
        joined += p.m[start:end]
    at = joined.find(folded)
    if at < 0:
        return folded
    out, stop = [], at + len(folded)
    for n, (offset, p, start) in enumerate(spans):
        end_offset = spans[n + 1][0] if n + 1 < len(spans) else len(joined)
        lo, hi = max(at, offset), min(stop, end_offset)
        if lo < hi:
            out.append(p.cut(start + lo - offset, start + hi - offset))
    return "".join(out)


def _closing_kind(p: Para, known_furniture: bool | None = None) -> str | None:
    """What a line of the closing zone is: date, signer, contact, copy, label, furniture,
    or None (the letter's text). `known_furniture`: already tested by the caller."""
    m = p.m.strip(" |•·")
    if not m:
        return "furniture"
    if len(m) > 120 and not is_contact(m):  # a paragraph of the letter, not a closing line
        return None
    if known_furniture or (known_furniture is None and L.is_furniture(m)):
        return "furniture"
    if _date_line(m) is not None:
        return "date"
    if L.agency_only(m) or L.agency_only(L.CONTACT_TAIL.sub("", m)):  # <agency> 联系电话：…
        return "signer"
    if is_contact(m) or re.fullmatch(r"[\d\-－—()（）\s、,，;；/]{7,}", m):  # a bare phone number
        return "contact"
    if L.CLOSING_LABEL.match(m) and PHONE_LIKE.search(m):  # 承办负责人：杨毅 1370740****
        return "contact"
    if CONTACT_LABEL.search(m) and PHONE_LIKE.search(m):  # 主管领导姓名:X 联系电话:…: the whole line is one
        return "contact"
    if L.COPY_TO.match(m):
        return "copy"
    if L.CLOSING_LABEL.match(m) or CLASS_LINE.match(m) or L.PUBLIC_NOTE.match(m):
        return "label"
    return None


def _date_line(m: str):
    """(date or None, year or None, agency text before it) when `m` is a date line: a
    date (any form, digits run together, month only) alone, after an agency name, or
    with a seal note; else None."""
    text = L.SEAL_NOTE.sub("", m).strip(" |•·")
    found = None
    for match in DATE.finditer(text):
        if match.end() == len(text.rstrip()):
            found = match
    if found is not None:
        before = text[: found.start()].strip()
        if before and not L.agency_only(before):
            return None
        year, month, day = date_parts(found)
        return to_date(year, month, day), year, before
    year_only = re.search(r"((?:19|20)\d{2})\s*年$", text)  # the page lost the month and day
    if year_only and (not text[:year_only.start()].strip() or L.agency_only(text[:year_only.start()].strip())):
        return None, int(year_only.group(1)), text[:year_only.start()].strip()
    run = RUN_TOGETHER.search(text)
    if run and run.end() == len(text):
        before = text[: run.start()].strip()
        if before and not L.agency_only(before):
            return None
        return run_together_date(run["run"]), int(run["run"][:4]), before
    return None


class _Kinds:
    """`_closing_kind` of each paragraph from `start` on, computed when first asked: the
    search for the closing reads a reply from its end and rarely needs its body."""

    def __init__(self, letter: Letter, start: int):
        self.letter, self.start, self.seen = letter, start, {}

    def __getitem__(self, i: int) -> str | None:
        if i < self.start:
            return None
        if i not in self.seen:
            furniture = self.letter.role[i] == "furniture"
            self.seen[i] = "furniture" if furniture else _closing_kind(self.letter.paras[i], known_furniture=False)
        return self.seen[i]


def _ending(letter: Letter, start: int) -> int:
    """Where the letter's body ends (its closing zone starts); sets signer and date."""
    paras, n = letter.paras, len(letter.paras)
    kinds = _Kinds(letter, start)
    date = next((i for i in range(n - 1, start - 1, -1) if kinds[i] == "date"), None)
    if date is not None:
        letter.date = date
        k = date - 1
        while k >= start and kinds[k] in ("signer", "contact", "label", "furniture"):
            if kinds[k] == "signer" and letter.signer is None:
                letter.signer = k
            k -= 1
        if letter.signer is None and _date_line(paras[date].m.strip(" |•·"))[2]:
            letter.signer = date
        if letter.signer is None and date + 1 < n and kinds[date + 1] == "signer":
            letter.signer = date + 1
        return k + 1
    # No date: the closing starts at the first contact, label or agency line after which
    # nothing but closing lines, furniture and what the page appends follow.
    for c in range(start, n):
        if kinds[c] not in ("contact", "label", "copy", "signer"):
            continue
        trailing, ok = False, True
        for j in range(c + 1, n):
            if kinds[j] is not None:
                trailing = trailing or kinds[j] == "furniture"
                continue
            letter_like = len(paras[j].m) > 40 or re.search(r"[。!?]$", paras[j].m.strip())
            if letter_like and not trailing:
                ok = False
                break
        if ok:
            for s in range(c, n):  # the signing agency: in the closing run, before furniture or 抄送
                if kinds[s] in ("furniture", "copy"):
                    break
                if kinds[s] == "signer":
                    letter.signer = s
                    break
            if letter.signer == c and c > start and kinds[c - 1] == "furniture":
                letter.signer = None  # a site's name after its widgets: not a signature
            return c
    end = n
    while end > start and kinds[end - 1] == "furniture":
        end -= 1
    return end


def _agency_with_place(text: str) -> bool:
    """An agency's full name, beginning with a place (not with a menu's words: 人大…)."""
    places = split_places(text.removeprefix("中共"))[0]
    return bool(places) and not re.search(r"人大|政协|建议|提案", places[0].name) and L.agency_only(text)


def _unglue(paras: list[Para]) -> list[Para]:
    """A page's breadcrumb wrapped into the title that follows it (`首页>…>人大建议关于…的答复`),
    as a PDF of the page gives it, is cut in two where the title starts."""
    out = []
    for p in paras:
        crumb = L.BREADCRUMB.search(p.m)
        if crumb:
            for start in (m.start() for m in re.finditer(r"关于|对", p.m[crumb.end():])):
                at = crumb.end() + start
                if _is_title_line(p.m[at:])[0]:
                    # The title may begin with its agency's name, which begins with a place.
                    at = next((s for s in range(crumb.end(), at) if _agency_with_place(p.m[s:at])), at)
                    head = len(p.cut(0, at))
                    out += [Para.of(p.text[:head]), Para.of(p.text[head:])]
                    break
            else:
                out.append(p)
            continue
        out.append(p)
    return out


def read_letter(paragraphs: list[str]) -> Letter:
    """The paragraphs with their roles and the anchors (see the module docstring)."""
    traditional = None if is_traditional("".join(paragraphs)) else False
    paras = _unglue([Para.of(p, traditional) for p in paragraphs])
    role = ["preamble"] * len(paras)
    letter = Letter(paras, role)
    for i, p in enumerate(paras):
        if L.is_furniture(p.m.strip()):
            role[i] = "furniture"
    opening = _opening(paras, role)
    # Page metadata lines: only before the letter starts and after it.
    meta_end = opening if opening is not None else min(len(paras), 12)
    for i in range(meta_end):
        if role[i] == "preamble" and L.meta_label(paras[i].m.strip(" |•·")):
            role[i] = "meta"
            label = paras[i].m.strip(" |•·")
            if label in L.META_LABELS and i + 1 < meta_end and len(paras[i + 1].m) <= 60:
                role[i + 1] = "meta"  # `• 文号` over its value: the value is the table's too
    addressee = None
    if opening is not None:
        for i in range(opening - 1, max(-1, opening - 4), -1):
            if role[i] == "furniture":
                continue
            # Without a colon, the opening must go on from it: `…代表` / `提出的…`.
            cont = re.match(r"^(?:们)?(?:提出|所提|您|你|在|就|关于|对)", paras[opening].m.strip()) and i == opening - 1
            if role[i] in ("preamble", "meta") and _addressee_shape(paras[i].m, colon_required=not cont):
                addressee = i
                break
            if not COURTESY.match(paras[i].m.strip()):  # 您好！感谢您…: the salutation is before it
                break
        role[opening] = "opening"
    if addressee is not None:
        role[addressee] = "addressee"
    letter.opening, letter.addressee = opening, addressee
    header_end = addressee if addressee is not None else (opening if opening is not None else 0)
    if opening is None:
        # No opening: the header is the run of header-like lines at the top.
        while header_end < len(paras) and (role[header_end] in ("furniture", "meta") or _header_like(paras[header_end].m)):
            header_end += 1
        for i in range(header_end):
            if role[i] == "preamble" and _addressee_shape(paras[i].m, colon_required=True):
                role[i] = "addressee"
                letter.addressee = i
    letter.meta = L.parse_meta([(paras[i].m, role[i]) for i in range(len(paras))], header_end)
    _header_roles(letter, header_end)
    _title(letter, header_end)
    for i in range(header_end):  # a bulleted line before the letter is the page's menu or its table
        if role[i] in ("preamble", "letterhead") and paras[i].m.lstrip().startswith(("•", "·")):
            role[i] = "meta" if role[i] == "letterhead" else "furniture"
    start = (opening + 1) if opening is not None else header_end
    end = _ending(letter, start)
    letter.body = range(start, end)
    letter.closing = range(end, len(paras))
    for i in letter.body:
        # Inside the letter nothing is furniture but a page number: a line of ASCII or of
        # widget-like words there is the reply's text.
        if role[i] == "preamble" or (role[i] == "furniture" and not L.PAGE_NUMBER.match(paras[i].m.strip())):
            role[i] = "body"
    for i in letter.closing:
        if role[i] != "furniture":
            kind = _closing_kind(paras[i]) or "trailer"
            role[i] = {"date": "date", "signer": "signer", "contact": "contact", "copy": "copy"}.get(kind, "label" if kind == "label" else "trailer")
    # The closing's own meta lines (办复类别:B, 信息来源:…) count as metadata too.
    # (Up to the page's widgets: what follows them is the site's footer, its 主办单位 the site's owner.)
    own_lines = list(itertools.takewhile(lambda i: role[i] != "furniture", letter.closing))
    letter.meta.update({k: v for k, v in L.parse_meta([(paras[i].m, "meta") for i in own_lines], len(paras)).items()
                        if k not in letter.meta})
    if not letter.title_m:  # a page may print the title only after the letter
        for i in letter.closing:
            ok, text, extra = _is_title_line(paras[i].m)
            if role[i] == "trailer" and ok and _whole_title(paras[i].m) and not _damaged(text):
                letter.title_m, letter.title_extra = text, extra
                letter.title_text = _published([paras[i]], text)
                break
        else:
            for label in L.TITLE_LABELS:
                ok, text, extra = _is_title_line(letter.meta.get(label, "").strip("【】[] "))
                if ok and not _damaged(text):
                    letter.title_m = letter.title_text = text
                    break
    return letter


def _header_like(m: str) -> bool:
    m = m.strip(" |•·")
    return bool(_is_title_line(m)[0] or L.DOC_NUMBER_START.match(m) or CLASS_LINE.match(m) or L.agency_only(m)
                or _addressee_shape(m, colon_required=True))


# --- places ----------------------------------------------------------------------------

def _own_places(letter: Letter, registry: AgencyRegistry, config: tuple[Place, ...]) -> tuple[Place, ...]:
    """The reply's jurisdiction chain: from the first agency full name it is signed or
    headed with, joined to the site's chain when it lies within it; the site's chain
    when the reply names no place of its own."""
    names = []
    if letter.signer is not None:
        names += L.agencies_in(_signer_text(letter))
        level = re.match(rf"^(?:中共)?([{LEVELS}])", names[0])
        if level and not split_places(names[0].removeprefix("中共"))[0] and innermost(level.group(1), config):
            return config  # signed `县X局`: the site's county, whatever the page's fields say
    for i, r in enumerate(letter.role):
        if r == "letterhead":
            names.append(letter.paras[i].m.strip(" |•·"))
    head = _title_head(letter)
    if head:
        names.append(head)
    for label in L.AGENCY_LABELS:
        if letter.meta.get(label):
            names.append(letter.meta[label])
    for name in names:
        own = split_places(name.removeprefix("中共"))[0]
        if not own or all(ZONE.search(place.name) for place in own):
            continue  # a development zone has no congress of its own: the site's place stands
        if own[0] in config:
            at = config.index(own[0])
            deeper = config[at:at + len(own)] == own  # the site lies within the reply's place
            return config if deeper else config[:at] + own
        local = registry.get(name) is not None or any(a.name.startswith(own[0].name) for a in registry.agencies)
        return config + own if local else own
    return config


def _title_head(letter: Letter) -> str | None:
    """The agency a title begins with (`<agency>关于…`, `<agency>对…`), if it does."""
    head = re.match(r"^(.{2,40}?)(?:关于|对)", letter.title_m)
    return head.group(1) if head and L.agency_only(head.group(1)) else None


def _signer_text(letter: Letter) -> str:
    m = L.CONTACT_TAIL.sub("", letter.paras[letter.signer].m.strip(" |•·"))
    found = _date_line(m)
    return found[2] if found else m


# --- fields ----------------------------------------------------------------------------

def _session(text: str, places: tuple[Place, ...], site: tuple[Place, ...] = (), bare_body: str | None = None) -> dict:
    return _session_written(text, places, site, bare_body)[0]


def _session_written(text: str, places: tuple[Place, ...], site: tuple[Place, ...] = (),
                     bare_body: str | None = None) -> tuple[dict, bool]:
    """Session fields from the first session named in `text`, with its place: named in
    the text, or the place of the level written (县政协 → the reply's county; a county's
    reply naming 市 with no city of its own → the site's city), or the reply's own place
    when no level is written. `bare_body`: the body a session written without one
    (`十一届一次`) belongs to, from the filing; None to require the body. Also: whether
    the place was written (not a level or the reply's own)."""
    match = SESSION.search(text)
    if match:
        g = match.groupdict()
        body = "政协" if (g["cppcc"] or g["cppcc2"] or g["cppcc3"] or g["cppcc4"]) else "人大"
        term = cn_to_int(g["t1"] or g["t2"] or g["t3"] or g["t4"] or g["t5"] or g["t6"])
        meeting = cn_to_int(g["m1"] or g["m2"] or g["m3"] or g["m4"] or g["m5"] or g["m6"])
        national = bool(g["nat1"] or g["nat2"] or g["nat4"])
        named = g["place1"] or g["place2"]
    elif bare_body and (match := BARE_SESSION.search(text)):
        body, term, meeting = bare_body, cn_to_int(match["t"]), cn_to_int(match["m"])
        national, named = False, None
    else:
        return {}, False
    if not term or not meeting:
        return {}, False
    place = parse_place(named) if named else None
    before = text[: match.start()]  # 县政协…, X市第十届人大…: a place or level written before
    level = ""
    if place is None and not national:
        place, level = trailing_place(before)
        if level == NATIONAL:
            national, level = True, ""
    if national:
        where = NATIONAL
    elif place is not None:
        where = place.name
    elif level:
        # A county's own chain may stop at the county (丙县人民政府): its city is the site's.
        below = bool(places) and places[0].level in "县区旗" and places[0] not in site
        found = innermost(level, places, *((site,) if below else ()))
        where = found.name if found else level
    else:
        where = places[-1].name if places else ""
    written = national or place is not None
    if body == "政协":
        label = f"{where}政协{int_to_cn(term)}届{int_to_cn(meeting)}次会议"
    elif where == NATIONAL:
        label = f"{int_to_cn(term)}届全国人大{int_to_cn(meeting)}次会议"
    else:
        label = f"{where}{int_to_cn(term)}届人大{int_to_cn(meeting)}次会议"
    return {"session": label, "session_body": body, "session_term": term, "session_meeting": meeting}, written


def _first_session(texts: list[str], own: tuple[Place, ...], site: tuple[Place, ...], bare_body: str | None = None) -> dict:
    """The session of the first text naming one; its place from a later text naming the
    same session with its place written (`您在镇第二十届…` after `关于某镇第二十届…`)."""
    first = None
    for text in texts:
        session, written = _session_written(text, own, site, bare_body)
        if not session:
            continue
        if written and (first is None or all(first[k] == session[k] for k in ("session_body", "session_term", "session_meeting"))):
            return session
        first = first or session
    return first or {}


def _proposer(who: str, title: str = "") -> tuple[str | None, str | None]:
    """(proposer, type) from a salutation: every person named, joined by 、; the first
    filer of `X等N名代表`; a party or group by its name."""
    who = who.split("|")[-1]  # a table's label cell before it: 释义 | 张三委员
    who = _UNIT_AFTER.sub("", re.sub(r"^(?:尊敬的?|亲爱的)", "", who.strip().rstrip(":：")).strip())
    if re.fullmatch(r"(?:各位)?(?:委员|代表|同志)(?:们)?", who):  # the name is lost: `委员：`
        return None, {"委员": "委员", "代表": "代表"}.get(who.removeprefix("各位")[:2])
    match = re.fullmatch(r"(?P<names>.+?)(?:[(（]?等\s*(?:(?:\d+|[一二三四五六七八九十]+)\s*(?:名|位|人))?[)）]?"
                         r"|(?<!\d)\d+\s*(?:名|位))(?P<type>代表|委员)?(?:们)?", who)  # 余某9名代表: digits only (张三 ends in a numeral)
    if match:
        return _names(match["names"]), match["type"]
    match = re.fullmatch(r"(?P<names>.+?)(?:(?:政协|人大)[\u4e00-\u9fff]{0,12}?)?(?P<type>代表|委员)(?:们)?", who)
    if match and not GROUP_WORDS.search(match["names"]) and (not ORG_WORD.search(match["names"]) or _persons(match["names"])):
        return _names(match["names"]), match["type"]
    if GROUP_WORDS.search(who) or "党派团体" in title:
        return who, "党派团体"
    if ORG_WORD.search(who):
        return who, "其他"
    name = re.sub(r"(?:同志|先生|女士)(?:们)?$", "", who)
    return (_names(name) or None), None


def _persons(text: str) -> bool:
    """Names of people, though one ends like a unit (刘社院, 张建局): two or three
    characters each, none starting with a level (县医院 is a unit)."""
    names = _names(text).split("、")
    return bool(text.strip()) and all(2 <= len(n) <= 3 and n[0] not in "省市州县区镇乡村" for n in names)


def _names(text: str) -> str:
    return "、".join(n for n in re.split(r"[、,，\s]+", text.strip()) if n)


def _proposer_fields(letter: Letter, session_body: str | None) -> tuple[str | None, str | None]:
    who = None
    if letter.addressee is not None:
        who = letter.paras[letter.addressee].m
    elif letter.opening is not None:
        # The salutation glued to the opening: `徐川委员：您在…`, `张三、李四代表提出的…`; or
        # the paragraph before it restating the suggestion (`张三等代表提出的17号建议：…`).
        for i in (letter.opening, letter.opening - 1):
            match = re.match(r"^(?:尊敬的)?([^:,，。《“]{2,60})[:：](?=\s*(?:您|你|贵))"
                             r"|^(?:尊敬的)?([^:,，。《“]{2,160}?(?:代表|委员)(?:们)?)(?=[:：]?\s*(?:您|你)?(?:们)?(?:提出|所提|在))",
                             letter.paras[i].m) if i >= 0 and letter.role[i] != "title" else None
            if match:
                who = match.group(1) or match.group(2)
                break
    name, kind = (None, None)
    for label in ("建议人", "提案人", "提出人", "代表姓名", "委员姓名", "领衔人", "领衔代表"):
        if letter.meta.get(label):
            name = _names(letter.meta[label])
            kind = "代表" if "代表" in label or "建议" in label else "委员" if "委员" in label or "提案" in label else None
            break
    if who is not None:
        first, first_kind = _proposer(who, letter.title_m)
        unit = first_kind == "其他" and first and not GROUP_WORDS.search(first)
        if unit and letter.opening is not None:
            # A co-handler's letter to the lead unit: the member is named in the text.
            named = re.search(r"(?P<n>[\u4e00-\u9fff、]{2,30}?)(?P<t>委员|代表)(?:们)?(?:所)?(?:提出|提交)", letter.paras[letter.opening].m)
            first, first_kind = (_names(named["n"]), named["t"]) if named else (None, None)
        # The page's list of filers is kept when the salutation names only its first (X等代表).
        if first and not (name and name.startswith(first + "、")):
            name, kind = first, first_kind or kind
    if name and not kind:
        kind = {"政协": "委员", "人大": "代表"}.get(session_body or "", "其他")
    return (name or None), (kind if name else None)


def _number(texts: list[str]) -> str | None:
    for text in texts:
        for match in NUMBER.finditer(text):
            num = match["num"]
            if num[0] in _NOT_NUMBER_PREFIX:
                num = num[1:]
            if not re.search(r"\d", num):
                continue
            after = text[match.end():match.end() + 8].lstrip()
            if _NUMBER_AFTER.match(after) or match.group().startswith("第"):
                return num
    return None


def _proposal_title(letter: Letter) -> str | None:
    """The proposal's title, most trusted first: quoted in the opening (《》 or “”), in
    《》 in the reply's title, unquoted in the opening (关于…的建议, or the words before
    的建议), named by the title (关于X的建议的答复), or the page's field."""
    opening = letter.paras[letter.opening] if letter.opening is not None else None
    quoted = unquoted = None
    if opening is not None:
        book, quote, plain = BOOK.search(opening.m), QUOTED.search(opening.m), UNQUOTED.search(opening.m)
        if book and (not quote or book.start() < quote.start()):
            quoted = (book.start("q"), book.end("q"))
        elif quote:
            quoted = (quote.start("q"), quote.end("q"))
        elif plain:
            group = "q" if plain["q"] else "bare"
            unquoted = (plain.start(group), plain.end(group))
    if quoted:
        found = _tidy_title(opening.cut(*quoted))
        if found and not book:  # the core in “”: the title's 《》 may hold the whole (关于X的建议)
            for text in [*letter.title_extra, letter.title_m, *letter.header_titles]:
                whole = BOOK.search(text or "")
                if whole and found in whole.group("q") and len(whole.group("q")) > len(found):
                    return _tidy_title(whole.group("q"))
        return found
    for text in [*letter.title_extra, letter.title_m, *letter.header_titles]:
        book = BOOK.search(text or "")
        if book:
            return _tidy_title(book.group("q"))
    if unquoted:
        return _tidy_title(opening.cut(*unquoted))
    for title in [letter.title_m] + letter.header_titles:
        named = TITLE_NAMES.match(title or "")
        if named and not re.search(r"会议|号", named["q"]):
            return "关于" + named["q"]
    if letter.title_text and PROPOSAL_HEADING.fullmatch(letter.title_m):
        return letter.title_text  # the heading is the proposal's title
    for label in ("建议内容", "提案内容", "建议名称", "提案名称", "案由", "题目"):
        value = letter.meta.get(label)
        if value and len(value) <= 200:
            return _tidy_title(value)
    return None


def _tidy_title(text: str) -> str | None:
    text = REVIEW_MARK.sub("", text)
    text = re.sub(r"^关于(?=关于)", "", text)  # 关于关于X的建议的提案: the inner title
    text = re.sub(r"(?<=的建议)(?:的)?提案$", "", text)  # …的建议提案: the filing word after the title
    # A number note glued to the end when a bracket was lost: `…粮食安全(第25号提案`.
    text = re.sub(r"\s*[(（]\s*第?[A-Za-z\d.]+号[^)）]*$", "", text)
    text = text.strip().strip("“”\"「」『』《》").strip()
    for left, right in ("“”", "《》", "「」", "『』"):  # a quote whose partner the source lost
        if text.count(left) != text.count(right):
            text = text.replace(left, "").replace(right, "")
    return text or None


def _kind(fields: dict, letter: Letter) -> str | None:
    opening = letter.paras[letter.opening].m if letter.opening is not None else ""
    text = BOOK.sub("", letter.title_m + " " + opening)
    text = QUOTED.sub("", text)
    motion = re.search(r"(?:第\s*[A-Za-z\d.]+\s*号|的|您的|你的|该|此)议案|(?<!建)议案(?:收悉|已收悉|的答复|答复|办理)", text)
    motion = motion or (fields.get("proposal_title") or "").endswith("议案")  # 《关于…的议案》
    if motion and re.search(r"(?:转为|转作|作为|改为)(?:代表)?建议", text):
        motion = False  # a motion the presidium made a suggestion is answered as one
    if fields.get("session_body") == "人大":
        return "议案" if motion else "建议"
    if fields.get("session_body") == "政协":
        return "提案"
    if motion:
        return "议案"
    # No session: a member files 提案 and a deputy 建议, whatever the title calls it.
    by_filer = {"委员": "提案", "代表": "建议"}.get(fields.get("proposer_type"))
    if by_filer:
        return by_filer
    match = KIND_WORD.search(text)
    if match is None:
        return None
    return "建议" if match["kind"] in ("建议", "议事原案") else match["kind"]


def _doc_number(letter: Letter) -> str | None:
    for i, r in enumerate(letter.role):
        if r == "doc":
            match = L.DOC_NUMBER_START.match(letter.paras[i].m.strip(" |•·"))
            start = len(letter.paras[i].m) - len(letter.paras[i].m.lstrip(" |•·"))
            return letter.paras[i].cut(start + match.start("doc"), start + match.end("doc"))
    for extra in letter.title_extra + letter.header_extras:
        match = L.DOC_NUMBER.search(extra)
        if match and not L.NUMBER_LABEL.search(extra):
            return match.group("doc")
    for label in ("文号", "发文字号"):
        value = (letter.meta.get(label) or "").strip()
        match = L.DOC_NUMBER.search(value)
        if match:
            return match.group("doc")
        # The page's field in its own form (`2022-92`): a number, not a date or a placeholder.
        if re.fullmatch(r"[\w〔〕\[\]()（）\-－—/.]{1,30}", value) and re.search(r"\d", value) and not DATE.fullmatch(value):
            return value
    for i in letter.closing:
        match = L.DOC_NUMBER_START.match(letter.paras[i].m.strip(" |•·"))
        if match and match.end() == len(letter.paras[i].m.strip(" |•·")):
            return match.group("doc")
    return None


def _classification(letter: Letter) -> str | None:
    """The outcome class: a class line (`A类`, `类别:A`) or a class at the end of the 文号
    line (`…12号(A类)`), before the letter or after it; else the page's field."""
    for i, r in enumerate(letter.role):
        if r in ("class", "doc", "label", "meta", "preamble", "trailer", "letterhead") and (
                i < (letter.opening or 0) or i in letter.closing):
            m = letter.paras[i].m.strip(" |•·")
            match = CLASS_LINE.match(m) or L.CLASS_AT_END.search(m)
            if match and (match["c"] or match.groupdict().get("c2")):
                return match["c"] or match.groupdict().get("c2")
        if r == "title":  # …的答复函 B
            match = L.CLASS_AFTER.search(L.META_AFTER.sub("", letter.paras[i].m.strip()))
            if match:
                return re.search(r"[ABC]", match.group()).group()
    for label in ("办理结果", "办复类别", "类别", "分类", "答复类别", "办理类别"):
        match = CLASS_LINE.match((letter.meta.get(label) or "").strip())
        if match and match["c"]:
            return match["c"]
    return None


def _date(letter: Letter):
    if letter.date is not None:
        return _date_line(letter.paras[letter.date].m.strip(" |•·"))[:2]
    for label in ("答复时间", "答复日期", "办理日期", "成文日期", "发文日期", "发文时间"):
        value = letter.meta.get(label)
        if not value:
            continue
        iso = re.search(r"((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})", value)
        if iso:
            found = to_date(*map(int, iso.groups()))
            if found:
                return found, found.year
        match = DATE.search(value)
        if match:
            year, month, day = date_parts(match)
            return to_date(year, month, day), year
    return None, None


def _agency_text(letter: Letter) -> list[tuple[list[str], bool]]:
    """Candidate texts of the lead agency, most trusted first: the signature (each agency
    of a joint one), the letterhead, the title's head, its bracketed department, the
    page's agency fields."""
    out = []  # (texts, whether a department named without its place is the reply's own)
    if letter.signer is not None:
        out.append((L.agencies_in(_signer_text(letter)), False))
    heads = [letter.paras[i].m.strip(" |•·") for i, r in enumerate(letter.role) if r == "letterhead"]
    if heads:
        out.append(([heads[-1]], False))
    head = _title_head(letter)
    if head:
        out.append(([head], False))
    for extra in letter.title_extra:
        inner = extra.strip("()（）[]【】")
        if L.agency_only(inner):
            out.append(([inner], True))
    for label in L.AGENCY_LABELS:
        value = letter.meta.get(label)
        if value and L.agency_only(value):
            out.append(([value], True))
    for i, r in enumerate(letter.role):  # the page's table as a bulleted list: `• 某市民政局`
        if r == "meta" and letter.paras[i].m.lstrip().startswith(("•", "·")) and L.agency_only(letter.paras[i].m):
            out.append(([letter.paras[i].m.strip(" |•·")], True))
    # Unsigned: the agency thanking the proposer for their interest in its own work.
    for i in list(letter.body)[-2:]:
        thanks = THANKS_FOR.search(letter.paras[i].m)
        if thanks and L.agency_only(thanks["agency"]):
            out.append(([thanks["agency"]], True))
    return out


def _list_pieces(text: str) -> list[str]:
    """The names of a list of agencies: split at 、 and commas, and at 和/及/与 only where
    every part is an agency (文化体育和旅游局 is one)."""
    pieces = []
    for part in re.split(r"[、，,]", text):
        parts = re.split(r"[和及与]", part)
        joined = len(parts) > 1 and all(L.agency_only(p.strip().removesuffix("等")) for p in parts)
        pieces += parts if joined or not L.agency_only(part.strip().removesuffix("等")) else [part]
    return pieces


def _co_agencies(letter: Letter, registry: AgencyRegistry, places: tuple[Place, ...], lead) -> list:
    found = []
    lists = []
    if letter.opening is not None:
        for match in CO_CLAUSE.finditer(letter.paras[letter.opening].m):
            lists.append(match["list"] or match["list2"] or match["list3"])
        told = [letter.paras[letter.opening].m]
        if letter.body:
            told.append(re.split(r"[。;；]", letter.paras[letter.body[0]].m)[0])
        for text in told:
            lists += [match["lead"] or match["list"] for match in CO_HANDLING.finditer(text)]
    for label in ("协办单位", "会办单位", "会办部门", "协办部门"):
        if letter.meta.get(label):
            lists.append(letter.meta[label])
    for text in lists:
        for piece in _list_pieces(text):
            piece = piece.strip().removesuffix("等").removeprefix("了")
            if not piece or SELF.fullmatch(piece) or piece.startswith(("各", "有关", "相关", "其他", "本")):
                continue
            if registry.get(piece) is None and not L.agency_only(piece):
                continue
            found.append(registry.canonical(piece, places))
    for i in letter.body:
        p = letter.paras[i].m
        start = SUB_REPLY.match(p).end()
        head = p[start:]
        answer = ANSWER.match(head)
        if answer or start:
            agency = registry.match_at(head, 0, places)
            if agency and (answer or not SELF.match(head)):
                found.append(agency)
    return found


def _blocks(letter: Letter, keep_contacts: bool, withheld: list[str]) -> tuple[list[Block], list[str], int]:
    """The page blocks in document order, the top-level section headings, and how many
    pieces of personal data were withheld (each also added to `withheld`, see `redact_all`)."""
    blocks: list[Block] = []
    sections = []
    title_done = False
    for i, (p, r) in enumerate(zip(letter.paras, letter.role)):
        if r in ("furniture", "meta"):  # the page's table (索引号, 发布机构 …): its values are in the card
            continue
        if r == "title":
            if not title_done:
                blocks.append(Block(BlockKind.TITLE, "".join(x.text for x in letter.texts(range(*letter.title)))))
                title_done = True
            continue
        tail = _contact_tail(p) if r in ("body", "opening") else None
        if tail:  # a contact run into the letter's last paragraph: `…改进工作。此函 联系人及电话：…`
            kind = BlockKind.OPENING if r == "opening" else BlockKind.PARAGRAPH
            blocks += [Block(kind, p.text[:tail]), Block(BlockKind.CONTACT, p.text[tail:])]
            continue
        if r == "body" and is_contact(p.m):  # a contact line wherever it stands: a page may repeat the letter
            blocks.append(Block(BlockKind.CONTACT, p.text))
            continue
        if r == "body":
            if _is_section(p.m):
                blocks.append(Block(BlockKind.SECTION, p.text))
                sections.append(p.text)
            elif SUBSECTION_HEAD.match(p.m) and len(p.m) <= 40 and not p.m.endswith("。"):
                blocks.append(Block(BlockKind.SUBSECTION, p.text))
            else:
                blocks.append(Block(BlockKind.PARAGRAPH, p.text))
            continue
        kind = {"doc": BlockKind.DOC_NUMBER, "addressee": BlockKind.ADDRESSEE, "opening": BlockKind.OPENING,
                "contact": BlockKind.CONTACT, "copy": BlockKind.COPY_TO, "signer": BlockKind.SIGNATURE,
                "date": BlockKind.SIGNATURE, "label": BlockKind.SIGNATURE, "trailer": BlockKind.SIGNATURE,
                }.get(r, BlockKind.PREAMBLE)
        contact = CONTACT_LABEL.search(p.m) if kind is not BlockKind.CONTACT and r != "opening" else None
        if contact and contact.start() > 0:
            # A contact on the line of something else (`签发人：… 联系人：王勇`): that part is contact.
            head = len(p.cut(0, contact.start()))
            blocks += [Block(kind, p.text[:head].rstrip()), Block(BlockKind.CONTACT, p.text[head:])]
            continue
        blocks.append(Block(BlockKind.CONTACT if contact else kind, p.text))
    redactions = 0
    if not keep_contacts:
        # Contact blocks take part: a number cut between a contact line and the next
        # paragraph (`电话：0431-` / `85551234`) is withheld from both.
        texts, counts = redact_all([b.text for b in blocks], found=withheld)
        kept = []
        for block, text, count in zip(blocks, texts, counts):
            if block.kind is BlockKind.CONTACT:
                redactions += 1  # each contact block withheld
            else:
                kept.append(Block(block.kind, text) if count else block)
                redactions += count
        blocks = kept
        sections = [b.text for b in blocks if b.kind is BlockKind.SECTION]
    return blocks, sections, redactions


_CONTACT_WORDS = re.compile(r"联系|办人|工作人员")  # a cheap test before the label's pattern


def _contact_tail(p: Para) -> int | None:
    """Where a contact starts that runs to the end of a paragraph (its label, then no
    sentence), as published; None when there is none."""
    if not _CONTACT_WORDS.search(p.m):
        return None
    found = None
    for match in CONTACT_LABEL.finditer(p.m):
        found = match
    if found is None or found.start() == 0:
        return None
    rest = p.m[found.start():]
    if len(rest) > 80 or re.search(r"[。!?；;]", rest.rstrip("。!?；; ")):
        return None
    return len(p.cut(0, found.start()))


def _is_section(m: str) -> bool:
    """A top-level heading (`一、基本情况`): numbered 一、, short, not a sentence."""
    if not SECTION_HEAD.match(m):
        return False
    text = m.strip()
    bare = re.sub(r"“[^“”]*”|《[^《》]*》|\"[^\"]*\"", "", text)  # a quoted phrase may hold a full stop
    return len(text) <= 60 and not re.search(r"[。!?;；]", bare)


def extract(paragraphs: list[str], source: str, reply_id: str, registry: AgencyRegistry,
            keep_contacts: bool = False, places: tuple[Place, ...] = ()) -> tuple[Reply | None, list[Problem]]:
    """Build the Reply of one source file from its paragraphs (see the module docstring).
    `places`: the site's jurisdiction chain, outermost first (`site.yml`)."""
    problems: list[Problem] = []

    def warn(message: str, zh: str, field: str = "") -> None:
        problems.append(Problem(source, message, "warning", zh, field))

    letter = read_letter(paragraphs)
    if not letter.body and letter.opening is None:
        return None, [Problem(source, "no reply text: nothing after the heading lines", zh="没有答复正文：标题之后没有内容")]
    own = _own_places(letter, registry, places)
    fields: dict = {"id": reply_id, "source": source}

    opening = letter.paras[letter.opening].m if letter.opening is not None else ""
    header = [letter.paras[i].m for i, r in enumerate(letter.role) if r in ("preamble", "meta") and i < (letter.opening or 0)]
    session_texts = [opening, letter.title_m, *letter.header_titles, letter.meta.get("标题", ""), *header]
    fields.update(_first_session(session_texts, own, places))
    fields["proposer"], fields["proposer_type"] = _proposer_fields(letter, fields.get("session_body"))
    fields["proposal_title"] = _proposal_title(letter)
    fields["proposal_kind"] = _kind(fields, letter)
    bare_body = {"提案": "政协", "建议": "人大", "议案": "人大"}.get(fields["proposal_kind"])
    if "session" not in fields and bare_body:
        fields.update(_first_session(session_texts, own, places, bare_body))
    fields["proposal_number"] = _proposal_number(letter, opening)
    title = letter.title_text
    fields["title"] = title or (f"关于《{fields['proposal_title']}》的答复" if fields.get("proposal_title") else None)
    fields["doc_number"] = _doc_number(letter)
    fields["classification"] = _classification(letter)

    lead = None
    for texts, bare in _agency_text(letter):
        if texts:
            agencies = [registry.canonical(_bare_department(t, own) if bare else t, own) for t in texts]
            lead = agencies[0]
            signed_with = agencies[1:]
            break
    else:
        signed_with = []
    if lead:
        fields["agency"] = lead.name
        if not lead.known:
            warn(f"agency not in the registry: {lead.name}", f"单位不在登记表中：{lead.name}", "agency")
    else:
        warn("no signing agency found", "未找到落款单位", "agency")
    co = []
    for agency in _co_agencies(letter, registry, own, lead) + signed_with:
        if agency != lead and agency.name not in co:
            co.append(agency.name)
            if not agency.known:
                warn(f"agency not in the registry: {agency.name}", f"单位不在登记表中：{agency.name}", "co_agencies")
    fields["co_agencies"] = co

    found, year = _date(letter)
    if letter.date is not None and found is None and year is None:
        warn(f"date not understood: {letter.paras[letter.date].text}", f"日期无法识别：{letter.paras[letter.date].text}", "date")
    fields["date"] = found
    if year is None and fields.get("doc_number"):
        doc_year = re.search(r"〔((?:19|20)\d{2})〕", FIELD_CLEANERS["doc_number"](fields["doc_number"]))
        year = int(doc_year.group(1)) if doc_year else None
    fields["year"] = found.year if found else year
    for name, message, zh in (("date", "no date found", "未找到答复日期"),
                              ("proposer", "no addressee found", "未找到提出者（称谓）"),
                              ("session", "no session found", "未找到会议届次"),
                              ("proposal_title", "no proposal title found", "未找到建议提案题目")):
        if not fields.get(name):
            warn(message, zh, name)

    withheld: list[str] = []
    blocks, sections, redactions = _blocks(letter, keep_contacts, withheld)
    fields["sections"] = sections
    if not letter.body:
        # The answer run into the opening paragraph: the text is all there, its sections are
        # not. A sidecar's `sections` (even `[]`) says an editor has looked.
        warn("no body paragraphs after the opening", "开头之后没有正文段落", "sections")
    values = {}
    for name in Reply.FIELDS:
        if name == "themes":
            continue
        try:
            values[name] = FIELD_CLEANERS[name](fields.get(name))
        except (TypeError, ValueError) as exc:  # read wrong (a year 3024): left out, said
            values[name] = FIELD_CLEANERS[name](None)
            warn(f"{name} not understood: {exc}", f"{name} 无法识别（{exc}）", name)
    if not keep_contacts:
        # Personal data must not reach the card or the open data either: every text field,
        # as normalised (squashing spaces may join a number's groups); file names excepted.
        redactions += redact_fields(values, withheld)
        problems = [_redact_problem(p, withheld) for p in problems]
    if redactions:
        problems.append(Problem(source, f"{redactions} piece(s) of contact data withheld", "info",
                                f"已隐去联系方式等个人信息 {redactions} 处"))
    return Reply(themes=(), blocks=tuple(blocks), redactions=redactions, **values), problems


def _redact_problem(problem: Problem, withheld: list[str]) -> Problem:
    """A warning quotes the text (`date not understood: …`): the 数据质量 page shows it."""
    message, n = redact(problem.message, withheld)
    zh, m = redact(problem.zh, withheld)
    return replace(problem, message=message, zh=zh) if n or m else problem


def _bare_department(text: str, places: tuple[Place, ...]) -> str:
    """A department named without its place (`教育局` in a title's brackets) belongs to
    the reply's own place."""
    if split_places(text.removeprefix("中共"))[0] or re.search(r"[省市州县区旗盟]", text) or not places:
        return text  # a place or a level is written already (昆区农牧局: an abbreviated place)
    if places[-1].level == "国":
        return text
    if text.startswith(("国家", "中国", "全国")) or len(text) > 12:
        return text
    if re.search(r"街道|[镇乡](?:人民政府|政府|办事处)", text):
        return text  # a sub-district or township has a proper name of its own
    return places[-1].name + text


def _proposal_number(letter: Letter, opening: str) -> str | None:
    """The proposal's number: in the title, the opening or another copy of the title
    (`第3034号`, `DH0271号`); given by label (`(编号:B〔2017〕062号)`, the page's `编号:`); or a
    bare number under a session line in a database-style page header."""
    found = _number([letter.title_m, opening, *letter.title_extra, *letter.header_titles])
    if found:
        return found
    values = [m["value"] for m in map(L.NUMBER_LABEL.search, letter.title_extra) if m]
    values += [letter.meta[label].strip("()（） ") for label in ("编号", "建议编号", "提案编号", "建议号", "提案号")
               if letter.meta.get(label)]
    if values:
        return re.sub(r"\s+|号$", "", values[0]) or None
    return _bare_number(letter)


def _bare_number(letter: Letter) -> str | None:
    """A header line holding only a number, right after a line holding only a session:
    the proposal's number in a database-style page header."""
    end = letter.addressee if letter.addressee is not None else (letter.opening or 0)
    paras = letter.paras
    for i in range(1, end):
        previous = paras[i - 1].m.strip()
        session = SESSION.search(previous)
        if re.fullmatch(r"\d{1,5}", paras[i].m.strip()) and session and session.end() == len(previous) and len(previous) <= 30:
            return paras[i].m.strip()
    return None
