"""Stage 3, extract: paragraphs → Reply.

In: the cleaned paragraphs of one reply, its source name and the agency registry.
Out: a `Reply` (themes still empty) and the list of `Problem`s found on the way.

The reply is read in three zones: the preamble (classification, letterhead, title, doc
number, addressee), the opening paragraph (`…提出的《…》收悉`), the body (sections `一、`,
sub-sections `（一）`, paragraphs) and the closing zone (signing agency, date, contact,
copy-to). A value that is not in the text is None, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .clean import (
    AGENCY_LINE, CLASSIFICATION_LINE, DATE_LINE, DOC_NUMBER_LINE, SECTION_HEAD,
    SUBSECTION_HEAD, CN_NUM, TITLE_END, TITLE_START,
)
from .model import Block, BlockKind, Problem, Reply
from .privacy import is_contact, may_have_personal, redact
from .registry import AgencyRegistry
from .text import FIELD_CLEANERS, clean_date, cn_to_int, int_to_cn

NUM = rf"[{CN_NUM}\d]{{1,3}}"
PLACE = r"(?P<where>[\u4e00-\u9fff]{1,8}?(?:省|市|州|县|区))?"  # 吉林省, 长春市: gives the level
CPPCC_SESSION = re.compile(
    rf"(?P<level>全国|省|市|州|县|区)?政协{PLACE}第?(?P<term>{NUM})届(?:委员会)?第?(?P<meeting>{NUM})次(?:全体)?会议"
)
NPC_SESSION = re.compile(
    rf"(?P<level>省|市|州|县|区)?{PLACE}第?(?P<term>{NUM})届(?P<national>全国)?(?:人大|人民代表大会)第?(?P<meeting>{NUM})次会议"
)
OPENING = re.compile(r"(?:提出的|所提|提交的).{0,80}?《|收悉|答复如下")
PROPOSAL_TITLE = re.compile(r"《((?:[^《》]|《[^《》]*》)+)》")
PROPOSAL_NUMBER = re.compile(
    r"(?<![〕\]】）)\d])(?:第\s*)?([A-Za-z]{0,3}\d{1,6}[A-Za-z]{0,3}\d{0,6})\s*号(?=[\u4e00-\u9fff]{0,6}(?:提案|建议|议案)|[）)])"
)
ADDRESSEE = re.compile(r"^(?:尊敬的)?(?P<who>[^：:，。]{2,40})[：:]$")
GROUP_WORDS = re.compile(
    r"民革|民盟|民建|民进|农工党|致公党|九三学社|台盟|工商联|无党派|共青团|团省委|妇联|科协|侨联|总工会|青联|台联|文联"
)
GROUP_SUFFIX = re.compile(r"(?:委员会|省委会|省委|市委会|支部|界别|小组|联组|组|党|社|联|盟|会)$")
SUB_REPLY = re.compile(rf"^(?:[（(]\s*[{CN_NUM}]{{1,3}}\s*[）)])?\s*")
ANSWER = re.compile(r"^[\u4e00-\u9fff（）()]{2,24}?(?:答复|回复|办理意见)[：:]")
CO_CLAUSE = re.compile(r"(?:会同|经商|商请|征求|协同|会商)(?P<list>[^，。；：]{2,200}?)(?:等(?:单位|部门|有关单位|相关单位|相关部门|有关部门)?)?(?=[，。；]|共同|认真|研究|进行|办理)")
CO_LIST = re.compile(r"^(?:协办单位|会办单位|会办部门|协办部门)[：:](?P<list>.+)$")
TITLE = re.compile(TITLE_START.pattern + r".{2,}" + TITLE_END.pattern)
SELF = re.compile(r"我(?:委|厅|局|办|部|会|院)")


@dataclass
class _Parts:
    preamble: list[str] = field(default_factory=list)
    opening: str | None = None
    body: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)


def _split(paragraphs: list[str], registry: AgencyRegistry) -> _Parts:
    parts = _Parts()
    opening = next(
        (i for i, p in enumerate(paragraphs[:10]) if OPENING.search(p) and not SECTION_HEAD.match(p)), None
    )
    if opening is None:
        # No opening: the preamble is the run of header-like lines at the top.
        opening_at = 0
        while opening_at < len(paragraphs) and _is_header(paragraphs[opening_at]):
            opening_at += 1
        parts.preamble = paragraphs[:opening_at]
        rest = paragraphs[opening_at:]
    else:
        parts.preamble = paragraphs[:opening]
        parts.opening = paragraphs[opening]
        rest = paragraphs[opening + 1 :]
    end = len(rest)
    while end > 0 and _is_closing(rest[end - 1], registry):
        end -= 1
    parts.body, parts.closing = rest[:end], rest[end:]
    return parts


def _is_header(p: str) -> bool:
    return bool(
        CLASSIFICATION_LINE.match(p) or DOC_NUMBER_LINE.match(p) or TITLE.match(p)
        or AGENCY_LINE.match(p) or ADDRESSEE.match(p)
    )


def _is_agency_line(p: str, registry: AgencyRegistry) -> bool:
    """A line that is just an agency's name: by its ending, or known to the registry."""
    return bool((AGENCY_LINE.match(p) and len(p) <= 30) or registry.get(p))


def _is_closing(p: str, registry: AgencyRegistry) -> bool:
    return bool(
        DATE_LINE.match(p) or is_contact(p) or p.startswith(("抄送", "抄报"))
        or _is_agency_line(p, registry) or DOC_NUMBER_LINE.match(p)
    )


def _session(text: str) -> dict:
    """Session fields from the first session named in `text`."""
    found = []
    for body, pattern in (("政协", CPPCC_SESSION), ("人大", NPC_SESSION)):
        match = pattern.search(text)
        if match:
            found.append((match.start(), body, match))
    if not found:
        return {}
    _, body, match = min(found, key=lambda f: f[0])
    term, meeting = cn_to_int(match["term"]), cn_to_int(match["meeting"])
    if not term or not meeting:
        return {}
    level = match["level"] or ""
    if body == "人大" and match["national"]:
        level = "全国"
    if not level and match["where"]:
        level = match["where"][-1]
    if body == "政协":
        label = f"{level}政协{int_to_cn(term)}届{int_to_cn(meeting)}次会议"
    elif level == "全国":
        label = f"{int_to_cn(term)}届全国人大{int_to_cn(meeting)}次会议"
    else:
        label = f"{level}{int_to_cn(term)}届人大{int_to_cn(meeting)}次会议"
    return {"session": label, "session_body": body, "session_term": term, "session_meeting": meeting}


def _proposer(who: str, title: str) -> tuple[str | None, str | None]:
    who = who.strip()
    match = re.fullmatch(rf"(?P<name>.+?)等\s*(?:\d+|[{CN_NUM}]+)\s*(?:名|位|人)(?P<type>代表|委员)?", who)
    if match:  # joint filing: the first filer names it
        name = re.split(r"[、，,]", match["name"])[0]
        return name, match["type"] or "其他"
    match = re.fullmatch(r"(?P<name>.+?)(?P<type>代表|委员)(?:们)?", who)
    if match and not GROUP_WORDS.search(match["name"]):
        return re.split(r"[、，,]", match["name"])[0], match["type"]
    if GROUP_WORDS.search(who) or "党派团体" in title or GROUP_SUFFIX.search(who):
        return who, "党派团体" if GROUP_WORDS.search(who) or "党派团体" in title else "其他"
    name = re.sub(r"(?:同志|先生|女士)$", "", who)
    return name or None, "其他"


def _kind(fields: dict, title: str, opening: str) -> str | None:
    text = title + opening
    if fields.get("session_body") == "人大":
        return "议案" if "议案" in text else "建议"
    if fields.get("session_body") == "政协":
        return "提案"
    for kind in ("提案", "议案", "建议"):
        if re.search(rf"{kind}(?:的)?(?:答复|复函|办理)", title):
            return kind
    return {"委员": "提案", "代表": "建议"}.get(fields.get("proposer_type"))


def _blocks(parts: _Parts, title: str | None, keep_contacts: bool) -> tuple[list[Block], list[str], int]:
    """The page blocks in document order, the top-level section headings, and how many
    pieces of personal data were withheld."""
    blocks: list[Block] = []
    for p in parts.preamble:
        if title and p == title:
            kind = BlockKind.TITLE
        elif DOC_NUMBER_LINE.match(p):
            kind = BlockKind.DOC_NUMBER
        elif ADDRESSEE.match(p):
            kind = BlockKind.ADDRESSEE
        else:
            kind = BlockKind.PREAMBLE
        blocks.append(Block(kind, p))
    if parts.opening:
        blocks.append(Block(BlockKind.OPENING, parts.opening))
    for p in parts.body:
        if SECTION_HEAD.match(p):
            heading, rest = _heading(p)
            blocks.append(Block(BlockKind.SECTION, heading))
            if rest:
                blocks.append(Block(BlockKind.PARAGRAPH, rest))
        elif SUBSECTION_HEAD.match(p) and len(p) <= 40 and not p.endswith("。"):
            blocks.append(Block(BlockKind.SUBSECTION, p))
        else:
            blocks.append(Block(BlockKind.PARAGRAPH, p))
    for p in parts.closing:
        if is_contact(p):
            blocks.append(Block(BlockKind.CONTACT, p))
        elif p.startswith(("抄送", "抄报")):
            blocks.append(Block(BlockKind.COPY_TO, p))
        else:
            blocks.append(Block(BlockKind.SIGNATURE, p))
    redactions = 0
    if not keep_contacts:
        kept = [b for b in blocks if b.kind is not BlockKind.CONTACT]
        redactions, blocks = len(blocks) - len(kept), kept  # each contact block withheld
        # One scan of all the text rules out personal data in most replies.
        if may_have_personal("\n".join(b.text for b in blocks)):
            for n, block in enumerate(blocks):
                text, count = redact(block.text)
                if count:
                    blocks[n] = Block(block.kind, text)
                    redactions += count
    # Headings as published: after redaction.
    sections = [b.text for b in blocks if b.kind is BlockKind.SECTION]
    return blocks, sections, redactions


def _heading(p: str) -> tuple[str, str]:
    """A top-level section paragraph → (heading, text after it in the same paragraph)."""
    if len(p) <= 60:
        return p, ""
    # A long paragraph opening with 一、: its first sentence is the heading.
    match = re.search(r"[。：:！？]", p)
    if match and match.end() <= 60:
        return p[: match.end()], p[match.end() :]
    return p, ""


def _co_agencies(parts: _Parts, registry: AgencyRegistry) -> list:
    found = []
    lists = []
    if parts.opening:
        lists += [m["list"] for m in CO_CLAUSE.finditer(parts.opening)]
    for p in parts.preamble + parts.closing:
        match = CO_LIST.match(p)
        if match:
            lists.append(match["list"])
    for text in lists:
        for piece in re.split(r"[、，,和及与]", text):
            piece = piece.strip().removesuffix("等")
            agency = registry.match_at(piece)
            if agency and not SELF.fullmatch(piece):
                found.append(agency)
    # Agencies that answer in their own part of a joint reply.
    for p in parts.body:
        start = SUB_REPLY.match(p).end()
        head = p[start:]
        answer = ANSWER.match(head)
        if answer or start:
            agency = registry.match_at(head)
            if agency and (answer or not SELF.match(head)):
                found.append(agency)
    return found


def extract(paragraphs: list[str], source: str, reply_id: str, registry: AgencyRegistry,
            keep_contacts: bool = False) -> tuple[Reply | None, list[Problem]]:
    """Build the Reply of one source file from its paragraphs (see the module docstring)."""
    problems: list[Problem] = []

    def warn(message: str, zh: str) -> None:
        problems.append(Problem(source, message, "warning", zh))

    parts = _split(paragraphs, registry)
    if not parts.body and not parts.opening:
        return None, [Problem(source, "no reply text: nothing after the heading lines", zh="没有答复正文：标题之后没有内容")]
    fields: dict = {"id": reply_id, "source": source}

    title = next((p for p in parts.preamble if TITLE.match(p)), None)
    opening = parts.opening or ""
    addressee = next((p for p in parts.preamble if ADDRESSEE.match(p) and not TITLE.match(p)), None)
    if addressee is None:
        # The addressee may open the opening paragraph itself: `徐川委员：您在……`.
        match = re.match(r"^(?:尊敬的)?([^：:，。《]{2,30})[：:](?=您|你|贵)", opening)
        if match:
            addressee = match.group(0)
    if addressee:
        who = ADDRESSEE.match(addressee)
        who = who["who"] if who else addressee.rstrip("：:").removeprefix("尊敬的")
        fields["proposer"], fields["proposer_type"] = _proposer(who, title or "")

    fields.update(_session(title or "") or _session(opening))
    fields["proposal_kind"] = _kind(fields, title or "", opening)
    match = PROPOSAL_TITLE.search(opening)
    if match:
        fields["proposal_title"] = match.group(1)
    for text in (title or "", opening):
        match = PROPOSAL_NUMBER.search(text)
        if match:
            fields["proposal_number"] = match.group(1)
            break
    fields["title"] = title or (f"关于《{fields['proposal_title']}》的答复" if fields.get("proposal_title") else None)
    for p in parts.preamble + parts.closing:
        if DOC_NUMBER_LINE.match(p):
            fields["doc_number"] = p
            break
    for p in parts.preamble:
        match = CLASSIFICATION_LINE.match(p)
        if match:
            letter = re.search(r"[A-Ca-cＡ-Ｃ]", p)
            if letter:
                fields["classification"] = letter.group().upper().translate(str.maketrans("ＡＢＣ", "ABC"))

    # The signing agency is the lead; the letterhead stands in when there is no signature.
    signer = next((p for p in reversed(parts.closing) if _is_agency_line(p, registry) and not DATE_LINE.match(p)), None)
    letterhead = next((p for p in parts.preamble if AGENCY_LINE.match(p) and not ADDRESSEE.match(p)), None)
    lead = registry.canonical(signer or letterhead) if (signer or letterhead) else None
    if lead:
        fields["agency"] = lead.name
        if not lead.known:
            warn(f"agency not in the registry: {lead.name}", f"单位不在登记表中：{lead.name}")
    else:
        warn("no signing agency found", "未找到落款单位")
    co = []
    for agency in _co_agencies(parts, registry):
        if agency != lead and agency.name not in co:
            co.append(agency.name)
            if not agency.known:
                warn(f"agency not in the registry: {agency.name}", f"单位不在登记表中：{agency.name}")
    fields["co_agencies"] = co

    date_line = next((p for p in reversed(parts.closing) if DATE_LINE.match(p)), None)
    if date_line:
        try:
            fields["date"] = clean_date(date_line)
        except ValueError:
            warn(f"date not understood: {date_line}", f"日期无法识别：{date_line}")
    if fields.get("date"):
        fields["year"] = fields["date"].year
    elif fields.get("doc_number"):
        year = re.search(r"〔(\d{4})〕", FIELD_CLEANERS["doc_number"](fields["doc_number"]))
        fields["year"] = int(year.group(1)) if year else None
    for name, message, zh in (("date", "no date found", "未找到答复日期"),
                              ("proposer", "no addressee found", "未找到提出者（称谓）"),
                              ("session", "no session found", "未找到会议届次"),
                              ("proposal_title", "no proposal title found", "未找到建议提案题目")):
        if not fields.get(name):
            warn(message, zh)

    blocks, sections, redactions = _blocks(parts, title, keep_contacts)
    fields["sections"] = sections
    if not parts.body:
        warn("no body paragraphs after the opening", "开头之后没有正文段落")
    if not keep_contacts:  # personal numbers must not reach the open data either
        for name in ("title", "proposal_title", "proposer", "doc_number"):
            if isinstance(fields.get(name), str):
                fields[name], count = redact(fields[name])
                redactions += count
    values = {name: FIELD_CLEANERS[name](fields.get(name)) for name in Reply.FIELDS if name != "themes"}
    if fields.get("classification"):
        values["classification"] = fields["classification"]
    if redactions:
        problems.append(Problem(source, f"{redactions} piece(s) of contact data withheld", "info",
                                f"已隐去联系方式等个人信息 {redactions} 处"))
    return Reply(themes=(), blocks=tuple(blocks), redactions=redactions, **values), problems
