"""Stage 2, clean: PDF-extracted text → the paragraphs the author wrote.

In: the decoded text of one reply (LF line ends). Out: a list of paragraphs, each one
line of text with extraction spaces removed and words, numbers and dates cut at line ends
rejoined. Page numbers (`— 3 —`, `- 3 -`, `第 3 页`) and blank or space-only lines are
dropped, invisible zero-width spaces and BOMs removed; every other non-space character of
the input is kept, in order.

Where a paragraph ends is decided per gap between two lines from several signals scored
together (sentence-final punctuation, indentation, line length against the document's
usual width, trailing spaces, blank lines in single-spaced files, heading patterns),
because each single signal is missing or misleading in some files. Each signal is only
used when the document shows that it carries information (e.g. indentation counts only if
some but not all lines are indented).
"""

from __future__ import annotations

import functools
import re
import statistics
from dataclasses import dataclass

from .folding import fold, is_traditional

CN_NUM = "一二三四五六七八九十"
SPACES = " \t\u3000\u00a0\u2002\u2003\u2009\u200b\ufeff"

# Page furniture: official page numbers and their usual variants.
PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~～_·•]{1,3}\s*\d{1,4}\s*[-—–－~～_·•]{1,3}"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*[/／]\s*\d{1,4})$"
)

# Heading patterns, each at the start of a paragraph.
SECTION_HEAD = re.compile(rf"^[{CN_NUM}]{{1,3}}\s*[、，．.]")
SUBSECTION_HEAD = re.compile(rf"^[（(]\s*[{CN_NUM}]{{1,3}}\s*[）)]")
NUMBERED_HEAD = re.compile(r"^(?:\d{1,2}\s*[.．、](?!\d)|[（(]\s*\d{1,2}\s*[）)])")
# Typical paragraph starters of these documents: enumerations, next steps, sub-replies.
PARAGRAPH_START = re.compile(rf"^(?:[{CN_NUM}]是|下一步|同时[，,]|此外[，,]|另外[，,]|最后[，,])")
# An agency answering in its own part of a joint reply: `省工信厅答复：`.
ANSWER_START = re.compile(r"^[\u4e00-\u9fff（）()]{2,24}?(?:答复|回复)[：:]")

# Lines that always stand alone (never joined to a neighbour).
DOC_NUMBER_LINE = re.compile(
    r"^(?:文号[：:]\s*)?[\u4e00-\u9fff]{1,16}\s*[〔【\[（(［]\s*\d{4}\s*[〕】\]）)］]\s*第?\s*\d{1,5}\s*号"
    r"(?:\s*[（(]?\s*[A-CＡ-Ｃ]\s*类\s*[）)]?)?$"  # the outcome class may follow: …12号(A类)
)
# The outcome class on a line of its own: `A类`, `(A)类`, `A类)`, `分类：A`, `办理结果：(A类)`.
CLASSIFICATION_LINE = re.compile(
    r"^(?:(?:分类|类别|办理结果|办复类别|答复类别|办理类别|结果类别|办理类型|结果)\s*[：:]?\s*)?"
    r"[（(【\[〔]?\s*(?P<c>[A-CＡ-Ｃ])\s*[）)】\]〕]?\s*类?\s*[）)】\]〕]?$|^分类[：:].{1,6}$"
)
DATE_CN = "〇零○ＯO一二三四五六七八九十"  # O: a Latin letter typed for 〇
DATE_LINE = re.compile(
    rf"^(?:\d{{4}}|[{DATE_CN}]{{4}})\s*年\s*(?:\d{{1,2}}|[{DATE_CN}]{{1,3}})\s*月\s*(?:\d{{1,2}}|[{DATE_CN}]{{1,3}})\s*日$"
)
DATE_PREFIX = re.compile(
    rf"^(?:\d{{4}}|[{DATE_CN}]{{4}})\s*年(?:\s*(?:\d{{1,2}}|[{DATE_CN}]{{1,3}})\s*月?)?$"
)
DATE_SUFFIX = re.compile(rf"^(?:(?:\d{{1,2}}|[{DATE_CN}]{{1,3}})\s*月)?\s*(?:\d{{1,2}}|[{DATE_CN}]{{1,3}})\s*日$|^\d{{1,2}}\s*月\s*\d{{1,2}}\s*日$|^月\s*\d{{1,2}}\s*日$")
# How the name of a body that answers proposals ends.
AGENCY_SUFFIX = (r"(?:厅|委员会|委|局|办公室|办|人民政府|政府|法院|检察院|部|署|中心|总会|联合会|协会|工会|红十字会|商会"
                 r"|学会|联合社|总队|支队|大队|分局|海关|分行|银行|公司|集团|办事处|街道|管委会|管理委员会|研究院|研究所|院|站|所|馆)")
AGENCY_LINE = re.compile(rf"^[\u4e00-\u9fff（）()]{{2,30}}{AGENCY_SUFFIX}$")
ADDRESSEE_LINE = re.compile(
    r"^(?:尊敬的)?[^，。：:；]{1,60}?(?:委员|代表|同志|先生|女士|省委会|市委会|委员会|学社|联合会|工商联)(?:们)?[：:]$"
)
# A reply's own title: 关于……的答复, <省>X厅关于……的答复, 对……第N号提案的答复.
TITLE_START = re.compile(
    r"^(?:[\u4e00-\u9fff（）]{2,25}?(?:厅|委员会|委|局|办公室|办|政府|院|部|中心)关于|关于|对[^，。：]{0,30}?(?:会议|提案|建议|议案))"
)
_LABEL_START = re.compile(r"^[\u4e00-\u9fff]{2,6}\s*[:：]")  # 发布日期: …, 来源: …
OPENING_END = re.compile(r"(?:答复|回复|函复|报告|说明)如下\s*[:：。.]?$")
L_TITLE_HINT = re.compile(r"建议|提案|议案|会议|代表|委员")  # words of a reply's title
TITLE_END = re.compile(
    r"(?:答复|答复函|复函|回复|回函|的函|复文|答复意见|办理意见|办理情况|办理情况的报告|办理单|协办意见|会办意见)(?:摘要)?$"
)
BREADCRUMB = re.compile(r"首页\s*(?:>|＞|》|»|/|／|→|>>)(?:.*(?:>|＞|》|»|→))?")  # 首页 > 政务公开 > …
BLOCK_START = re.compile(r"^[（(]?\s*(?:联系人|联系电话|联系方式|联 系 人|抄送|抄报|附件)")

SENTENCE_END = set("。！？；：!?;:…")
CLOSERS = set("”’」』）)】》〕]\"'")
_CLOSER_CHARS = "".join(sorted(CLOSERS))
NO_BREAK_END = set("，、（(《“‘「『【〔[—-/+")
NO_BREAK_START = set("，。、；：！？）)》」』”’】〕]%‰·.,;:")


_FURNITURE_START = set("-—–－~～_·•第0123456789")  # how a page-number line can begin


def is_page_furniture(line: str) -> bool:
    """True for a page-number line such as `— 3 —`, `- 3 -` or `第 3 页`."""
    return bool(PAGE_NUMBER.match(line.strip(SPACES)))


def char_width(ch: str) -> float:
    """Printed width in CJK character units: ASCII 0.5, everything else 1 (in Chinese type
    even the `ambiguous` quotes and dashes “”—… are full width)."""
    return 0.5 if ch < "\x80" else 1.0


def text_width(text: str) -> float:
    """Printed width of `text` (see `char_width`), in C-speed passes."""
    if text.isascii():
        return 0.5 * len(text)
    ascii_count = len(text.encode("ascii", "ignore"))
    return len(text) - 0.5 * ascii_count


def _is_latin(ch: str) -> bool:
    """Printable ASCII: a space between two such characters is real (`Windows 10`, `{{ x }}`)."""
    return ch.isascii() and ch.isprintable() and not ch.isspace()


_SPACE_RUN = re.compile(f"[{SPACES}]+")
_HAS_SPACE = re.compile(f"[{SPACES}]").search
# A whole run of spaces (possessive, from its first space) that is not between two
# printable ASCII characters: PDF extraction put it there. The runs left are real.
_EXTRACTION_RUN = re.compile(f"(?<![{SPACES}])(?:(?<![!-~])[{SPACES}]++|[{SPACES}]++(?![!-~]))")


def _squash(text: str) -> tuple[str, int]:
    """`squash_spaces(text)` and the number of space runs it removed."""
    text, removed = _EXTRACTION_RUN.subn("", text)
    return (_SPACE_RUN.sub(" ", text) if _HAS_SPACE(text) else text), removed


def squash_spaces(text: str) -> str:
    """Remove the spaces PDF extraction puts where fonts switch.

    A space survives (as one ASCII space) only between two printable ASCII characters, as
    in `Windows 10`; next to a CJK character or full-width punctuation it goes.
    """
    return _squash(text)[0] if _HAS_SPACE(text) else text


@dataclass(slots=True)
class _Line:
    text: str  # content without leading/trailing spaces
    indent: float  # leading white space, in character units
    trailing: bool  # had trailing white space
    gap: int  # blank lines before it
    width: float  # printed width of the content, inner spaces not counted
    standalone: bool = False  # a line that is always a paragraph of its own (set from the layout)
    squashed: str = ""  # the content with extraction spaces removed
    m: str = ""  # `squashed` folded for matching (see folding.py): ASCII digits, simplified


_SPACE_SET = frozenset(SPACES)


# A web page whose table cells lost their line breaks runs a whole letter into one line:
# `X财复字〔2022〕4号 签发人:… 尊敬的…代表: 您提出的… X县财政局 2022年7月1日`. Such a
# line is cut at a gap of spaces where what follows can only start a line: a salutation,
# a closing label, an agency signing with its date; or after a 文号 or a salutation.
_DATE_AT_END = (r"(?:(?:19|20)\d{2}|[〇零○ＯO0一二三四五六七八九]{4})\s*年"
                r"(?:\s*(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*月(?:\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*日)?)?\s*[|｜]?\s*$")
_CUT_BEFORE = re.compile(
    r"\s+(?=(?:尊敬的?|亲爱的)?[^\s:：,，。;；!！?？]{1,60}?(?:代表|委员|同志)(?:们)?\s*[:：])"
    r"|\s+(?=(?:签发人|领导签发|签批领导|联系\S{0,10}?|抄\s*送|抄\s*报|审核人)\s*[:：])"
    rf"|\s+(?=[\u4e00-\u9fff]{{2,30}}(?:局|委员会|委|厅|办公室|政府|中心|办事处)\s+{_DATE_AT_END})"
)
_CUT_AFTER = re.compile(r"^(?:[\u4e00-\u9fffA-Za-z]{1,16}\s*[〔【\[(（［]\s*(?:19|20)\d{2}\s*[〕】\])）］]\s*\d{1,5}\s*号)\s+"
                        r"|(?:代表|委员|同志)(?:们)?\s*[:：]\s+(?=[您你])")
# A date closing a segment after the letter's last sentence: `…支持！ 2022年7月1日`.
# Or after a phone number: `联系电话:3221671 2021年7月15日`.
_DATE_CLOSING = re.compile(r"(?<=[。!！?？\d])\s+(?=(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[|｜]?\s*$)")


_SHORT_FIELD = re.compile(r"(?:^|\s)[\u4e00-\u9fff]{1,10}[:：]\s*[\u4e00-\u9fff·\s]{1,8}$")
_CJK_GAP = re.compile(r"[\u4e00-\u9fff\d：:。！!？?）)]\s+[\u4e00-\u9fff（(\d]")


def _pieces(content: str, traditional: bool | None = None) -> list[str]:
    """`content` (a stripped line) cut where a collapsed web page ran several lines into
    one (see _CUT_BEFORE); the line itself when nothing marks such a place."""
    if len(content) < 40 or not _CJK_GAP.search(content):  # every cut is at a gap between words
        return [content]
    folded, where = (content, None) if traditional is False else fold(content, traditional)
    back = (lambda n: n) if where is None else (lambda n: where[n] if n < len(where) else len(content))
    cuts = {back(m.end()) for m in _CUT_AFTER.finditer(folded)}
    for m in _CUT_BEFORE.finditer(folded):
        # `姓名:X   联系电话:…` is one record: a contact label after a short labelled field stays on its line.
        if m.start() > 0 and not (folded.startswith("联系", m.end()) and _SHORT_FIELD.search(folded, 0, m.start())):
            cuts.add(back(m.end()))
    if not cuts:
        return [content]
    pieces, last = [], 0
    for cut in sorted(cuts) + [len(content)]:
        piece = content[last:cut].strip(SPACES)
        folded_piece, where = (piece, None) if traditional is False else fold(piece, traditional)
        date = _DATE_CLOSING.search(folded_piece) if piece and where is None else None
        pieces += [piece[:date.start()].strip(SPACES), piece[date.end():]] if date else [piece]
        last = cut
    return [piece for piece in pieces if piece]


# Invisible characters: never a gap on the page, so never a space (`a\u200b00000` is one word).
_INVISIBLE = str.maketrans("", "", "\u200b\ufeff")


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    gap = 0
    if "\u200b" in text or "\ufeff" in text:
        text = text.translate(_INVISIBLE)
    traditional = None if is_traditional(text) else False
    for raw in text.split("\n"):
        content = raw.strip(SPACES)
        if not content:
            gap += 1
            continue
        if content[0] in _FURNITURE_START and is_page_furniture(content):
            # A page break: behaves like blank lines, not like a paragraph end.
            continue
        if raw[0] in _SPACE_SET:
            lead = raw[: len(raw) - len(raw.lstrip(SPACES))]
            wide, tabs = lead.count("\u3000"), lead.count("\t")
            indent = wide + 2.0 * tabs + 0.5 * (len(lead) - wide - tabs)
        else:
            indent = 0.0
        pieces = _pieces(content, traditional)
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            out.append(_line(piece, indent if number == 0 else 0.0, last and raw[-1] in _SPACE_SET, gap, traditional))
            gap = 0
    return out


def _line(content: str, indent: float, trailing: bool, gap: int, traditional: bool | None = None) -> _Line:
    # A run of inner spaces was a visible gap in the PDF: half a character.
    if _HAS_SPACE(content):
        # Each removed run counts half a character; a kept one is its ASCII space.
        squashed, removed = _squash(content)
        width = text_width(squashed) + 0.5 * removed
        parts = content.split()
        if len(parts) > 1 and all(AGENCY_LINE.match(part) for part in parts):
            squashed = " ".join(parts)  # agencies signing together: the spaces part their names
    else:
        width = len(content) - 0.5 * len(content.encode("ascii", "ignore"))  # text_width
        squashed = content
    # The cleaner's patterns take full-width and ASCII forms alike: only a traditional text
    # needs its copy for matching.
    return _Line(content, indent, trailing, gap, width, False, squashed,
                 squashed if traditional is False else fold(squashed, traditional)[0])


@dataclass
class _Layout:
    """What this document's layout tells: which signals carry information."""

    width: float  # usual width of a full line
    base_indent: float
    uses_indent: bool
    uses_trailing: bool
    trailing_weight: int  # 2 where trailing spaces nearly always end a paragraph, else 1
    uses_blank: bool
    wrapped: bool  # lines were wrapped at a fixed width (else: one paragraph per line)


def _layout(lines: list[_Line]) -> _Layout:
    n = len(lines)
    widths = sorted(line.width for line in lines)
    width = widths[min(n - 1, int(n * 0.75))] if n else 0.0
    near_full = sum(1 for w in widths if width - 3 <= w <= width + 1)
    wrapped = n >= 4 and near_full >= 0.4 * n and width >= 10
    if not wrapped and n >= 4:
        # A short reply has few full lines; they are still the widest ones, and cut
        # mid-sentence: two such lines of one width at the top make a wrapped text.
        top = _full_width(lines)
        if top:
            wrapped, width = True, top
    indents = [round(line.indent) for line in lines]
    base = statistics.mode(indents) if indents else 0
    indented = sum(1 for line in lines if line.indent >= base + 0.9)
    trailing = sum(1 for line in lines if line.trailing)
    # How reliably a trailing space marks a paragraph end: the line ends a sentence or is short.
    ends = sum(1 for line in lines if line.trailing and (_ends_sentence(line.text) or line.width < width - 2))
    gaps = [line.gap for line in lines[1:]]
    blank_gaps = sum(1 for g in gaps if g)
    return _Layout(
        width=width,
        base_indent=base,
        uses_indent=0.04 * n <= indented <= 0.6 * n,
        uses_trailing=0.04 * n <= trailing <= 0.85 * n,
        trailing_weight=2 if trailing and ends >= 0.9 * trailing else 1,
        uses_blank=bool(gaps) and statistics.median(gaps) == 0 and blank_gaps <= 0.5 * len(gaps),
        wrapped=wrapped,
    )


def _full_width(lines: list[_Line]) -> float | None:
    """The width lines were cut at, when the widest lines share one (within 3
    characters), at least two of them end mid-sentence, and hardly any line is wider (a
    web page's paragraph is one line, far wider than the rest); else None."""
    widths = sorted((line.width for line in lines if line.width >= 10), reverse=True)
    for skipped, top in enumerate(widths[:3]):  # the widest line may be a footer's run of ASCII
        bucket = [line for line in lines if top - 3 <= line.width <= top]
        cut = sum(1 for line in bucket if not _ends_sentence(line.text))
        wider = sum(1 for line in lines if line.width > top + 3)
        far = any(line.width > 1.5 * top for line in lines)  # a whole paragraph on one line
        enough = len(bucket) >= 3 or (len(bucket) == 2 and cut == 2 and top >= 20)  # a short reply: two cut lines
        if enough and cut >= 2 and not far and wider <= max(skipped, len(lines) // 20):
            return top
    return None


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip(_CLOSER_CHARS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


# What may follow a title on its line: a bracketed 文号, number, agency or proposal title.
TRAILING_GROUP = r"(?:\[[^\[\]]*\]|【[^【】]*】|\([^()]*\)|（[^（）]*）|《[^《》]*》)"
_TRAILING_GROUPS = re.compile(rf"(?:\s*{TRAILING_GROUP}|(?:\s+|(?<=[\u4e00-\u9fff]))[A-C]类?)+$")


_TITLE_LAST = frozenset("复函见况单文要)）]】》ABC类")  # how a title, or what may follow it, ends


def _ends_title(m: str) -> bool:
    """Does the (folded) line end a title, maybe followed by bracketed matter (a 文号, the
    proposal's title: `…的答复(关于…的建议)`)?"""
    if m[-1:] not in _TITLE_LAST:
        return False
    return bool(TITLE_END.search(m) or TITLE_END.search(_TRAILING_GROUPS.sub("", m)))


def _is_heading(paragraph: str) -> bool:
    return bool(
        SECTION_HEAD.match(paragraph) or SUBSECTION_HEAD.match(paragraph) or NUMBERED_HEAD.match(paragraph)
    )


# The last characters a standalone line (the patterns below) can end with, and the start
# of the one pattern that ends with anything: a cheap test that rules out most lines.
_STANDALONE_LAST = frozenset("号日：:厅会委局室办府院部署心社队关行司团处道所站馆类ABCabcＡＢＣ)）】]〕")
_STANDALONE_FIRST = "分类"


def _may_stand_alone(text: str) -> bool:
    """False for a line no standalone pattern can match (tested against the patterns)."""
    return text.rstrip()[-1:] in _STANDALONE_LAST or text.startswith(_STANDALONE_FIRST)


def _standalone(line: _Line, layout: _Layout) -> bool:
    text = line.m.strip(" |•·")  # a table's bars around a date or a name
    return _may_stand_alone(text) and bool(
        DOC_NUMBER_LINE.match(text)
        or CLASSIFICATION_LINE.match(text)
        or DATE_LINE.match(text)
        or (ADDRESSEE_LINE.match(text) and line.width <= max(layout.width * 0.8, 12))
        or (AGENCY_LINE.match(text) and line.width <= max(layout.width * 0.8, 12))
    )


@functools.lru_cache(maxsize=512)
def _start_flags(start: str) -> tuple[bool, bool, bool]:
    """(section or sub-section heading, `1.` heading, title) for a paragraph's beginning;
    cached, since every line of a paragraph asks about the same beginning."""
    return (bool(SECTION_HEAD.match(start) or SUBSECTION_HEAD.match(start)),
            bool(NUMBERED_HEAD.match(start)), bool(TITLE_START.match(start)))


def _breaks(prev: _Line, nxt: _Line, start: str, count: int, layout: _Layout) -> bool:
    """Does the paragraph end between `prev` and `nxt`? `start` is the beginning of the
    paragraph so far (its first lines, squashed): patterns need no more than that."""
    joined = start
    head = nxt.m
    # A date cut over two lines (`2024 年` / `5月 20日`) is one line.
    if len(joined) <= 16 and DATE_PREFIX.match(joined) and DATE_SUFFIX.match(head):
        return False
    if nxt.standalone and prev.text[-1] in "、，,":  # a long salutation's first line: 张三、李四、
        return False
    if (nxt.standalone and layout.wrapped and ADDRESSEE_LINE.match(head) and "、" in prev.text
            and prev.width >= layout.width - 2 and not _ends_sentence(prev.text)):
        return False  # a salutation of many names, wrapped inside a name: 陈留根、…、邓 / 立高、…代表：
    if prev.standalone or nxt.standalone or BLOCK_START.match(head):
        return True
    if "首页" in prev.m and BREADCRUMB.search(prev.m) and not prev.m.rstrip().endswith((">", "＞", "》", "»", "/", "／", "→")):
        return True  # a web page's breadcrumb is a line of its own
    heading, numbered, title = _start_flags(joined)
    # The reply's own title, which may wrap: it starts 关于 and ends with 答复/复函/函.
    if count < 4 and title and len(joined) < 80:
        if TITLE_START.match(head) or _LABEL_START.match(head):
            return True  # another title, or a page's `发布日期:` line, starts: this title is whole
        return _ends_title(joined)  # the title so far: its last line may be one character (函)
    if not layout.wrapped:
        return True
    if prev.text[-1] in NO_BREAK_END or head[0] in NO_BREAK_START:
        return False
    full = layout.width - (1.0 if layout.uses_indent and prev.indent >= layout.base_indent + 0.9 else 0.0)
    short = prev.width < full - 2.0
    score = 2 if _ends_sentence(prev.text) else -1
    score += 2 if short else -1
    if prev.width < 0.7 * full:
        score += 3  # far from the margin: a line that ends, not one the layout cut
    if layout.uses_indent:
        score += 3 if nxt.indent >= layout.base_indent + 0.9 else -2
    elif nxt.indent >= layout.base_indent + 4:
        score += 3  # centred or right-aligned line
    if layout.uses_trailing:
        score += layout.trailing_weight * (1 if prev.trailing else -1)
    if layout.uses_blank and nxt.gap:
        score += 2
    # A title ends a paragraph; a line that is a whole title (关于…的答复) is one.
    if _ends_title(prev.m) and L_TITLE_HINT.search(prev.m):
        score += 2
    if OPENING_END.search(prev.m):  # 现答复如下： ends the opening paragraph
        score += 2
    if TITLE_START.match(head) and TITLE_END.search(head):
        score += 6
    if score + 6 < 2:  # the heading bonuses below (at most 4 + 2) cannot make it a break
        return False
    length = len(joined)
    if length <= 60 and heading:
        # A short heading ends here; a full line may still be the first line of a long one.
        score += 4 if short else 1 if length <= 40 else 0
    elif short and length <= 60 and numbered:
        score += 2  # `1.` more often starts an ordinary paragraph than a heading
    if _is_heading(head) or ANSWER_START.match(head):
        score += 2
    elif PARAGRAPH_START.match(head):
        score += 1
    return score >= 2


def clean_paragraphs(paragraphs) -> list[str]:
    """The paragraphs a format knows (a Word file's, a web page's, a PDF's joined by its
    geometry), cleaned as `clean` cleans each of its own: invisible characters and
    extraction spaces removed, page-number lines dropped; no paragraph joined or cut."""
    out = []
    for paragraph in paragraphs:
        content = paragraph.translate(_INVISIBLE).replace("\n", " ").strip(SPACES)
        if not content or (content[0] in _FURNITURE_START and is_page_furniture(content)):
            continue
        out.append(_line(content, 0.0, False, 0).squashed)
    return out


def clean_document(document) -> list[str]:
    """A reader's `Document` → paragraphs: its text by `clean`, else its paragraphs by
    `clean_paragraphs`."""
    return clean(document.text) if document.text is not None else clean_paragraphs(document.paragraphs)


def clean(text: str) -> list[str]:
    """Turn PDF-extracted reply text into its paragraphs (see the module docstring)."""
    lines = _lines(text)
    if not lines:
        return []
    layout = _layout(lines)
    for line in lines:
        line.standalone = _standalone(line, layout)
    paragraphs: list[str] = []
    # Lines are stripped, so squashing each line squashes the paragraph they make.
    current = [lines[0].squashed]
    start = lines[0].m  # the paragraph's first ~100 characters, folded, for the patterns
    for prev, nxt in zip(lines, lines[1:]):
        if _breaks(prev, nxt, start, len(paragraphs), layout):
            paragraphs.append("".join(current))
            current, start = [nxt.squashed], nxt.m
        else:
            # Keep a space only where both sides are Latin and the line ended with one.
            if prev.trailing and _is_latin(prev.text[-1]) and _is_latin(nxt.text[0]):
                current.append(" ")
            current.append(nxt.squashed)
            if len(start) < 100:
                start += nxt.m
    paragraphs.append("".join(current))
    return paragraphs
