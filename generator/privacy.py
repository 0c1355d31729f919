"""Personal data: contact lines, and phone, ID, bank-card and QQ numbers, WeChat ids and
e-mail addresses as people write them.

Publication rules withhold the contact details of deputies, members and officials. By
default `extract` drops contact blocks, and `redact_all` replaces personal numbers and
addresses in the other blocks and every text field with `REDACTED`. A number is found by
its shape (mobile, landline with area code, 18-digit ID number) or after its label
(电话, QQ, 微信, 身份证, 卡号, 邮箱 …), in any width, spacing, grouping or script, with
invisible characters or a line break inside (see the README's "Personal data"). A site
owner entitled to publish contact details sets `keep_contacts`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator

REDACTED = "［已隐去］"

# A line that is a contact: its label at the start (`（联系人及联系方式：…）`, `承办人：…`).
CONTACT_LINE = re.compile(
    r"^[（(]?\s*(?:联系人|联系电话|联系方式|联系单位|联系地址|联系部门|联 系 人|经办人|承办人|办理人|工作人员|联系)"
)
# A contact's label anywhere in a line outside the letter's body (`签发人：… 联系人：…`).
CONTACT_LABEL = re.compile(
    r"[（(]?\s*(?:联系人|联系电话|联系方式|联系单位|联系部门|经办人|承办人|办理人|工作人员|电话)\s*(?:及电话|及联系方式|和联系人及电话)?\s*[:：]"
)
# A phone number, masked ones too (`1370740****`): on a label line it makes the line a contact.
PHONE_LIKE = re.compile(r"(?<!\d)(?:\d[\d\-－—\s]{5,}\d|1\d{3,8}[*＊xX]{2,8})(?!\d)")

# ---------------------------------------------------------------------------------------
# Personal numbers and addresses as people write them. Matching runs on a copy of the
# text in which every character that only changes how a number looks is folded: any
# Unicode digit → ASCII, full-width letters and ＠．（）→ ASCII, every space → " ", every
# dash → "-", middle dots → ".", line separators → "\n", and invisible format characters
# (zero-width spaces and joiners, BOM, soft hyphen) dropped. The copy keeps a map to the
# text's positions, so what is replaced is always the text itself, from the first digit
# (or letter of an address) to the last.


class _FoldTable(dict):
    """`str.translate` table, filled per character on first sight (a text uses a few
    thousand): lets every Unicode digit, space and dash be folded without listing them."""

    def __missing__(self, code: int):
        ch = chr(code)
        if 0xFF01 <= code <= 0xFF5E:
            out = chr(code - 0xFEE0)
        elif ch in "\n\r\u2028\u2029\x85":
            out = "\n"
        elif ch.isspace():
            out = " "
        elif unicodedata.category(ch) == "Cf" or ch == "\u00ad":
            out = _GONE  # zero-width space/joiners, word joiner, BOM: invisible
        elif ch.isdecimal():
            out = str(unicodedata.decimal(ch))
        elif unicodedata.category(ch) == "Pd" or ch in "\u2212\u2043\ufe63":
            out = "-"
        elif ch in "\u00b7\u2022\u2027\u30fb\uff65\u2024\u2219":
            out = "."
        elif ch in "\ufe6b":
            out = "@"
        elif ch in "〔【［":  # a bracketed area code: 〔0431〕85551234
            out = "("
        elif ch in "〕】］":
            out = ")"
        else:
            out = ch
        self[code] = out
        return out


_GONE = "\x00"  # marks a dropped character in the folded copy (a reply holds no NUL: read.py)
_FOLD = _FoldTable()


def _match_copy(text: str) -> tuple[str, list[int] | None]:
    """The folded copy of `text` (see above) and, when characters were dropped, the
    position in `text` of each character of the copy."""
    folded = text.translate(_FOLD)
    if _GONE not in folded:
        return folded, None
    where = [i for i, ch in enumerate(folded) if ch != _GONE]
    return folded.replace(_GONE, ""), where


# Labels that announce a personal value (folded forms; Latin ones in any case).
_PHONE_LABEL = (r"(?:(?:联系|办公|单位|家庭|住宅|值班|移动|固定)?(?:电\s?话|手\s?机|座\s?机|固\s?话|传\s?真)(?:号码|号)?"
                r"|联系方式|(?<![A-Za-z])(?i:tel|phone|mobile|mob|fax|cell)(?![a-z])\.?(?: ?(?i:no)\.?)?)")
_QQ_LABEL = r"(?<![A-Za-z])(?i:qq)(?:号码|号|群号|群)?"
_WECHAT_LABEL = r"(?:微\s?信(?:号码|号|id|ID)?|(?<![A-Za-z])(?i:wechat|weixin|wx)(?:\s?id)?(?![a-z]))"
_MAIL_LABEL = r"(?:电子邮箱|电子邮件|邮箱|邮件地址|邮件|(?<![A-Za-z])(?i:e-?mail)(?![a-z]))(?:地址)?"
_ID_LABEL = r"(?:(?:居民)?身份证(?:件)?(?:号码|号)?|证件号(?:码)?|公民身份号码)"
_BANK_LABEL = r"(?:银行卡(?:号码|号)?|(?:银行)?卡号|(?:银行|收款|开户|对公)?(?:账|帐)号|开户(?:银行|行)?(?:账号)?)"
# Between a label and its value: spaces, a line break, a note in brackets, a colon.
_AFTER_LABEL = r"[ \n]*(?:\([^()\n]{0,8}\))?[ \n]*(?P<colon>(?:是|为)?[ \n]*[:=]|是|为)?[ \n\-_]*"
# A name or a unit may stand between a label with a colon and the number: 电话：张某、7121542.
_NAME = r"(?:(?<=[:=])[\u4e00-\u9fff()]{1,24}[、, ]*)?"

_LABEL = re.compile(
    rf"(?P<phone>{_PHONE_LABEL})|(?P<qq>{_QQ_LABEL})|(?P<id>{_ID_LABEL})|(?P<bank>{_BANK_LABEL})"
)
_LABEL_VALUE = re.compile(_AFTER_LABEL + _NAME)
# Fewest digits a labelled value has: a local phone number has 7, a QQ number 5.
_MIN_DIGITS = {"phone": 7, "qq": 5, "id": 15, "bank": 12}
_WECHAT = re.compile(rf"(?P<label>{_WECHAT_LABEL}){_AFTER_LABEL}(?P<value>[A-Za-z0-9][A-Za-z0-9_\-]{{4,29}})(?![A-Za-z0-9_\-])")
_MAIL_AT = r"(?:@|#|\((?i:at)\)|\[(?i:at)\]|\{(?i:at)\}| (?i:at) )"
_LOCAL = r"[A-Za-z0-9._%+\-]+[ \n]{0,4}"  # an address's local part, maybe a space or line break before @
# A dot of a domain may be typed as 。 (an input method's full stop), and a line may end after it.
_DOT = r"[ \n]?[.。][ \n]?"
_DOMAIN = rf"[ \n]{{0,4}}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)*"
_EMAIL = re.compile(rf"(?<![A-Za-z0-9._%+\-]){_LOCAL}@{_DOMAIN}{_DOT}[A-Za-z]{{2,}}(?![A-Za-z])")
# After a mail label an address may be disguised: zhangsan#example.com, zhangsan(at)example.com.
_LABELLED_MAIL = re.compile(rf"(?:{_MAIL_LABEL}){_AFTER_LABEL}(?P<value>{_LOCAL}{_MAIL_AT}{_DOMAIN}{_DOT}[A-Za-z]{{2,}})")

# A group of digits: its digits may run on over a line break (a line cut inside a number);
# an ID number's last character may be X. A letter next to it does not make it a code's:
# a number must fill whole groups, which the digits of a code seldom do by chance.
_GROUP = re.compile(r"\d(?:\d| *\n *(?=\d))*(?:(?: *\n *)?[Xx])?")
_SEPARATORS = r" \n\-.()+_/~"  # what people put between the digit groups of one number
_BETWEEN = re.compile(rf"[{_SEPARATORS}]{{1,8}}|[ ]*(?:转|分机|(?i:ext)\.?)[ ]*")  # what may part two groups of one number
_EXTENSION = re.compile(r"[ ]*(?:-|转|分机|(?i:ext)\.?)[ ]*")  # before a landline's extension

_MOBILE = r"1[3-9]\d{9}"
_LANDLINE = r"0(?:10|2\d)\d{7,8}|0[3-9]\d{2}\d{7,8}"
_ID18 = r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]"
# A number that is personal by its shape alone, written with or without the country code.
_SHAPE = re.compile(rf"(?:(?:0086|86)?(?:{_MOBILE})|(?:0086|86)?(?:{_LANDLINE})|{_ID18})")
_SHAPE_86 = re.compile(r"(?:0086|86)(?:10|2\d|[3-9]\d{2})\d{7,8}")  # +86 431 85551234: the 0 dropped
_LANDLINE_RE = re.compile(rf"(?:0086|86)?(?:{_LANDLINE})")

# The labels `_candidate` looks for (see there).
_CANDIDATE_LABEL = re.compile(
    r"电\s?话|手\s?机|座\s?机|固\s?话|传\s?真|联系方式|微\s?信|邮箱|邮件|身份证|证件号|身份号码|卡号|账号|帐号|开户"
    r"|(?i:tel|phone|mobile|mob|fax|cell|qq|wechat|weixin|wx|e-?mail)"
)
# A value followed by one of these counts or dates something: 电话回访1234567人次.
_UNIT = re.compile(r" ?[年月日号元万亿%人户次个件条项家所名倍岁吨亩]")


def _groups(text: str) -> list[re.Match]:
    return list(_GROUP.finditer(text))


def _runs(text: str, groups: list[re.Match]) -> list[list[re.Match]]:
    """Digit groups chained by separators (`0431 8555-1234`)."""
    runs: list[list[re.Match]] = []
    current: list[re.Match] = []
    for g in groups:
        if current and not _BETWEEN.fullmatch(text, current[-1].end(), g.start()):
            runs.append(current)
            current = []
        current.append(g)
    if current:
        runs.append(current)
    return runs


def _digits(groups: list[re.Match]) -> str:
    return "".join(re.sub(r"[ \n]", "", g.group()).upper() for g in groups)


def _shape(text: str, run: list[re.Match], i: int, j: int) -> bool:
    """Is groups i..j-1 of `run` one personal number by its shape?"""
    part = run[i:j]
    digits = _digits(part)
    if not 10 <= len(digits) <= 22:
        return False
    whole = i == 0 and j == len(run)
    sizes = [len(_digits([g])) for g in part]
    if not whole and min(sizes[1:] if digits.startswith(("86", "0086")) and sizes[0] in (2, 4) else sizes) < 3:
        return False  # short groups in a longer run: a row of figures, not a number
    seps = [text[a.end():b.start()] for a, b in zip(part, part[1:])]
    if seps and all(s == "." for s in seps) and len(seps) == 1:
        return False  # one dot: a decimal number (1391.2345678)
    if _SHAPE.fullmatch(digits) or _SHAPE.fullmatch(digits.removesuffix("X")):  # 13912345678X…: not an ID's X
        return True
    # +86 431 8555 1234: the country code written, the area code's 0 dropped.
    plus = text[max(0, part[0].start() - 2):part[0].start()]
    return bool(_SHAPE_86.fullmatch(digits) and ("+" in plus or digits.startswith("0086")) and sizes[0] in (2, 4))


def _shape_spans(text: str, runs: list[list[re.Match]]) -> list[tuple[int, int]]:
    spans = []
    for run in runs:
        i = 0
        while i < len(run):
            for j in range(min(len(run), i + 19), i, -1):  # the longest number first
                if _shape(text, run, i, j):
                    end = run[j - 1].end()
                    # An extension after a landline: 0431-85551234转123, -123.
                    if j < len(run) and len(run[j].group()) <= 4 and _LANDLINE_RE.fullmatch(_digits(run[i:j])) \
                            and _EXTENSION.fullmatch(text, end, run[j].start()):
                        end, j = run[j].end(), j + 1
                    if _UNIT.match(text, end):  # 总投资13912345678元: an amount, a count
                        i = j
                        break
                    start = run[i].start()
                    start -= text[start - 1:start] == "+"  # +86
                    start -= text[start - 1:start] == "(" and ")" in text[start:end]  # (0431)
                    spans.append((start, end))
                    i = j
                    break
            else:
                i += 1
    return spans


# The characters a match of each pattern can begin with. Python's `re` tries a pattern
# that opens with alternatives and look-behinds at every position of a reply (~2 ms); a
# class of characters it scans in C, and then the pattern is tried where one stands.
_STARTS = {
    _LABEL: re.compile(r"[电手座固传联办单家住值移身证公居银卡账帐开收对QqTtPpMmFfCc]"),
    _WECHAT: re.compile(r"[微Ww]"),
    _LABELLED_MAIL: re.compile(r"[电邮Ee]"),
    _CANDIDATE_LABEL: re.compile(r"[电手座固传联微邮身证卡账帐开TtPpMmFfCcQqWwEe]"),
}
_DIGIT_RUN = re.compile(rf"\d[\d{_SEPARATORS}]{{9,}}")  # ten digits with separators lie in one such run
_DIGIT = re.compile(r"\d")


def _candidate(text: str) -> bool:
    """Does the folded copy `text` hold ten digits with separators between them, an @, a
    # or a label? Text without any (most of a reply) holds no personal data `redact` finds."""
    if "@" in text or "#" in text:
        return True
    if any(len(_DIGIT.findall(run.group())) >= 10 for run in _DIGIT_RUN.finditer(text)):
        return True
    return next(_matches(_CANDIDATE_LABEL, text), None) is not None


def _matches(pattern: re.Pattern, text: str) -> Iterator[re.Match]:
    """`pattern.finditer(text)`, the same matches, found faster (see `_STARTS`)."""
    pos = 0
    for start in _STARTS[pattern].finditer(text):
        if start.start() >= pos and (m := pattern.match(text, start.start())):
            yield m
            pos = max(m.end(), m.start() + 1)


def _labelled_spans(text: str) -> list[tuple[int, int]]:
    """The value after each label: the numbers written there, a list of them too
    (`电话：0431-85551234、85551235`); an ID number may end in X."""
    spans = []
    for label in _matches(_LABEL, text):
        kind = label.lastgroup
        start = _LABEL_VALUE.match(text, label.end()).end()
        # Read from the value on: `QQ12345678` is a label and a number, not one code.
        rest = text[start:start + 200]
        groups = _groups(rest)
        n = 0 if groups and groups[0].start() == 0 else None
        while n is not None:
            first = last = n
            while last + 1 < len(groups) and _BETWEEN.fullmatch(rest, groups[last].end(), groups[last + 1].start()):
                last += 1
            while last >= first and _UNIT.match(rest, groups[last].end()):
                last -= 1  # 电话回访1234567人次: a count
            if last < first or len(_digits(groups[first:last + 1])) < _MIN_DIGITS[kind]:
                break
            spans.append((start + groups[first].start(), start + groups[last].end()))
            # Another number after a list mark: 、 , / 或 和 及.
            more = _LIST_MARK.match(rest, groups[last].end())
            n = last + 1 if more and last + 1 < len(groups) and groups[last + 1].start() == more.end() else None
    return spans


_LIST_MARK = re.compile(r"[ ]*(?:\([^()\n]{0,8}\))?[ ]*(?:[、,/;]|或|和|及)[ ]*")  # a note (白天) may come first


def _spans(text: str, known: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Where personal data is in the folded copy `text`: sorted, not overlapping."""
    found = _known_spans(text, known) if known else []
    if not found and not _candidate(text):
        return []
    groups = _groups(text)
    found += _shape_spans(text, _runs(text, groups)) + _labelled_spans(text)
    if "@" in text:
        found += [m.span() for m in _EMAIL.finditer(text)]
    for pattern in (_LABELLED_MAIL, _WECHAT):
        found += [m.span("value") for m in _matches(pattern, text)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _original_spans(text: str, known: Iterable[str] = ()) -> list[tuple[int, int]]:
    """`_spans` of `text`'s folded copy, as positions in `text`."""
    folded, where = _match_copy(text)
    spans = _spans(folded, known)
    if where is None:
        return spans
    return [(where[a], where[b - 1] + 1) for a, b in spans]


def may_have_personal(text: str) -> bool:
    """False only when `redact` would find nothing in `text` (a fast pre-check)."""
    return _candidate(_match_copy(text)[0])


def is_contact(paragraph: str) -> bool:
    """A contact line such as `（联系人及联系方式：薛翔宇，13006159985）`."""
    return bool(CONTACT_LINE.match(paragraph))


def redact(text: str, known: Iterable[str] = ()) -> tuple[str, int]:
    """Replace phone numbers, e-mail addresses, ID-card, bank-card and QQ numbers and
    WeChat ids; also say how many. `known`: values withheld elsewhere in the reply (see
    `redact_all`), replaced wherever they stand, label or not."""
    (text,), (count,) = redact_all([text], known=known)
    return text, count


def redact_all(texts: list[str], found: list[str] | None = None, known: Iterable[str] = ()) -> tuple[list[str], list[int]]:
    """`redact` over texts that follow one another (a reply's paragraphs), and a number
    cut between two of them too (`电话：0431-` / `85551234`): each part is replaced. Also
    how many pieces each text lost (a number over two texts counts in both). `found`
    collects what was withheld (its letters and digits), for `known`: a field cut from a
    paragraph (a title's number) may have lost the label that marked it."""
    joined = "\n".join(texts)
    spans = _original_spans(joined, known)
    if not spans:
        return list(texts), [0] * len(texts)
    if found is not None:
        for a, b in spans:
            found += _keys(joined[a:b])
    out, counts, offset = [], [], 0
    for text in texts:
        end = offset + len(text)
        pieces, last, count = [], 0, 0
        for a, b in spans:
            a, b = max(a, offset) - offset, min(b, end) - offset
            if a < b:
                pieces += [text[last:a], REDACTED]
                last, count = b, count + 1
        pieces.append(text[last:])
        out.append("".join(pieces))
        counts.append(count)
        offset = end + 1
    return out, counts


_MIN_KNOWN = 5  # shorter pieces (an extension) are too common to withhold wherever they stand


def _keys(value: str) -> list[str]:
    """How a withheld value is recognised elsewhere: its letters and digits, folded; for a
    number also its parts a field may keep alone (the local number of `010-20000000`, the
    mobile of `+86 13912345678`): runs of its digit groups and the ends of its digits."""
    folded = _match_copy(value)[0]
    key = re.sub(r"[^0-9A-Za-z]", "", folded).upper()
    keys = {key} if len(key) >= _MIN_KNOWN else set()
    if key.isdigit():
        groups = re.findall(r"\d+", folded)
        keys.update("".join(groups[i:j]) for i in range(len(groups)) for j in range(i + 1, len(groups) + 1))
        keys.update(key[i:] for i in range(len(key)))
        keys = {k for k in keys if len(k) >= _MIN_PART}
    return sorted(keys)


_MIN_PART = 7  # the shortest part of a number withheld alone: a local phone number


def _known_spans(text: str, known: Iterable[str]) -> list[tuple[int, int]]:
    """Where a known value stands in the folded copy `text`, separators or not."""
    pattern = _known_pattern(tuple(sorted(set(known), key=lambda k: (-len(k), k))))
    return [m.span() for m in pattern.finditer(text)]


@functools.lru_cache(maxsize=64)  # a reply's fields and warnings all ask for one set
def _known_pattern(keys: tuple[str, ...]) -> re.Pattern:
    """One pattern for all `keys` (longest first), separators allowed between characters."""
    alternatives = [(r"(?<!\d)" if key[0].isdigit() else r"(?<![0-9A-Za-z])")  # QQ12345678: a label, then the number
                    + r"[ \n\-.()+@_#]*".join(map(re.escape, key)) for key in keys]
    return re.compile("(?:" + "|".join(alternatives) + r")(?![0-9])", re.IGNORECASE)


def redact_fields(values: dict, known: Iterable[str] = ()) -> int:
    """Redact every text field of `values` (field → value: a text or a tuple of texts) in
    place, and there anything withheld elsewhere in the reply too (`known`); how many
    pieces were withheld. `id`, `source` and `source_url` are left: a file name holding
    contact data is renamed before (`public_name`), an address holding any is refused."""
    count = 0
    for name, value in values.items():
        if name in ("id", "source", "source_url"):
            continue
        if isinstance(value, str):
            values[name], n = redact(value, known)
            count += n
        elif isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            texts, counts = redact_all(list(value), known=known)
            values[name] = tuple(texts)
            count += sum(counts)
    return count


def public_name(name: str) -> str:
    """A source file's name as pages may show it: contact data in it withheld (the name
    is the reply's `source`, and its stem the reply's id, so its web address)."""
    return redact(name)[0] if may_have_personal(name) else name
