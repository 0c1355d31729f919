"""Small text helpers shared by the stages: Chinese numerals, slugs, pinyin order, ids, doc numbers, dates.

The table `FIELD_CLEANERS` maps each Reply field to the one function that normalises its
value, whether the value was extracted from the text or set by a sidecar file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date as Date
from datetime import datetime

from .clean import squash_spaces
from .folding import fold

_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "0": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(text: str) -> int | None:
    """`十三` → 13, `二〇二五` → 2025, `13` → 13; None when it is not a number."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(ch in _DIGITS for ch in text):  # digit by digit, as in years: 二〇二五
        return int("".join(str(_DIGITS[ch]) for ch in text))
    if "十" in text and text.count("十") == 1:
        tens, _, ones = text.partition("十")
        if (tens and tens not in _DIGITS) or (ones and ones not in _DIGITS):
            return None
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    return None


def int_to_cn(number: int) -> str:
    """13 → 十三, 2 → 二, 20 → 二十 (0 < number < 100)."""
    names = "零一二三四五六七八九"
    if number < 10:
        return names[number]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else names[tens]) + "十" + (names[ones] if ones else "")


_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


def slugify(name: str, prefix: str = "") -> str:
    """A URL slug from any name: pinyin for Chinese, lower-case ASCII words otherwise."""
    from pypinyin import lazy_pinyin  # imported here: only unknown names need it

    words = lazy_pinyin(name, errors=lambda chars: [c for c in chars])
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(words).lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)[:60].strip("-")
    if not slug:
        slug = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    return prefix + slug


# Surnames pypinyin reads as ordinary words (单 dan, 曾 ceng, 解 jie): their reading as a
# surname, numbered tones. pypinyin has no surname mode; compound surnames it reads right
# from its phrases (尉迟, 欧阳), except 单于, kept here so that 单 does not override it.
SURNAME_READINGS = {
    "单于": "chan2 yu2", "单": "shan4", "曾": "zeng1", "解": "xie4", "仇": "qiu2", "区": "ou1", "查": "zha1",
    "朴": "piao2", "盖": "ge3", "乐": "yue4", "覃": "qin2", "缪": "miao4", "翟": "zhai2", "秘": "bi4",
    "繁": "po2", "种": "chong2", "重": "chong2", "召": "shao4", "员": "yun4", "贠": "yun4", "阚": "kan4",
    "能": "nai4", "句": "gou1", "都": "du1", "六": "lu4", "薄": "bo2", "藏": "zang4", "祭": "zhai4",
    "隗": "wei3", "乜": "nie4", "折": "she2", "佴": "nai4", "粘": "nian2", "卜": "bu3", "角": "jue2",
    "黑": "he4", "颉": "xie2",
}


def pinyin_key(name: str, surname: bool = False) -> tuple[tuple[str, int, str], ...]:
    """A name's place in pinyin order, as a dictionary sorts: character by character, by
    syllable, then tone, then the character itself (so that all the 张 come before the
    章 of the same reading). With `surname`, its first one or two characters are read as a
    surname (`SURNAME_READINGS`). A character without pinyin stands for itself, lower-cased
    (a Latin name sorts among the pinyin of its letter)."""
    from pypinyin import Style, lazy_pinyin

    readings = lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True, errors=list)
    if len(readings) != len(name):  # one reading per character, or each character alone
        readings = [lazy_pinyin(ch, style=Style.TONE3, neutral_tone_with_five=True, errors=list)[0] for ch in name]
    if surname:
        for prefix in (name[:2], name[:1]):
            if prefix in SURNAME_READINGS:
                readings[:len(prefix)] = SURNAME_READINGS[prefix].split()
                break
    key = []
    for reading, ch in zip(readings, name):
        syllable = reading.rstrip("012345") if reading != ch else reading
        # NFKC: a full-width Ｊ files under J.
        key.append((unicodedata.normalize("NFKC", syllable).lower(), int(reading[len(syllable):] or 0), ch))
    return tuple(key)


def pinyin_initial(key: tuple) -> str:
    """The letter a name is filed under in a pinyin index (`pinyin_key`'s first letter),
    or `#` for a name opening with anything else (a digit, a bracket)."""
    letter = key[0][0][:1].upper() if key else ""
    return letter if "A" <= letter <= "Z" else "#"


RESERVED_IDS = {"index"}  # replies/index.md is the list of all replies


def id_from_stem(stem: str) -> str:
    """The reply id for a source file: its stem when URL-safe, else a slug of it."""
    if _SAFE_ID.match(stem) and stem.casefold() not in RESERVED_IDS:  # Index.md is index.md on some disks
        return stem
    base = slugify(stem)[:40].strip("-") or "reply"
    # The hash keeps two stems that slugify alike apart.
    return f"{base}-{hashlib.sha1(stem.encode('utf-8')).hexdigest()[:8]}"


def clean_id(value) -> str:
    value = str(value).strip()
    if not _SAFE_ID.match(value):
        raise ValueError(f"id {value!r} is not URL-safe (letters, digits, _ and -, at most 100)")
    if value.casefold() in RESERVED_IDS:
        raise ValueError(f"id {value!r} is reserved for the listing page")
    return value


_BRACKETS = str.maketrans({"【": "〔", "[": "〔", "［": "〔", "(": "〔", "（": "〔",
                           "】": "〕", "]": "〕", "］": "〕", ")": "〕", "）": "〕"})


def clean_doc_number(value) -> str | None:
    """`吉科发人才【2023】91 号` → `吉科发人才〔2023〕91号`."""
    text = clean_text(value)  # a list or a mapping is refused, not written out
    if text is None:
        return None
    text = re.sub(r"[\s:：]+", "", text).translate(_BRACKETS)
    return text.removeprefix("文号：").removeprefix("文号:") or None


_CN_DIGIT = "〇零○ＯO〇0一二三四五六七八九"  # O: a Latin letter typed for 〇
_CN_SMALL = "一二三四五六七八九十"
# A date in any of the forms replies use: 2024年6月18日, 2024.6.18, 2024/6/18, 2024-06-18,
# 二〇二四年六月十八日, with spaces anywhere (digits already folded to ASCII, see `fold`).
DATE = re.compile(
    rf"(?P<y>(?:19|20)\d{{2}}|[{_CN_DIGIT}]{{4}})\s*年\s*(?P<m>\d{{1,2}}|[{_CN_SMALL}]{{1,2}})\s*月"
    rf"(?:\s*(?P<d>\d{{1,2}}|[{_CN_SMALL}]{{1,3}})\s*[日号])?"
    r"|(?P<y2>(?:19|20)\d{2})\s*(?P<sep>[.\-/])\s*(?P<m2>\d{1,2})\s*(?P=sep)\s*(?P<d2>\d{1,2})(?!\d)\s*日?"
)
# Digits run together where the page lost 年/月/日 (2022711, 2020年929, 20246月14): read
# only when one split is a date.
RUN_TOGETHER = re.compile(r"(?<!\d)(?P<run>(?:19|20)\d{2}(?:\s?|年)(?:\d{1,2}月\d{1,2}日?|\d{2,4}))(?!\d)")


def run_together_date(run: str) -> Date | None:
    """`2022711` → 2022-07-11 when only one split of the digits after the year is a valid
    date; None when none or several are (`2019111`: 1-11 or 11-1)."""
    run = run.replace(" ", "").replace("年", "").removesuffix("日")
    year, rest = int(run[:4]), run[4:]
    if "月" in rest:  # the month is marked: no guessing
        month, day = rest.split("月")
        try:
            return Date(year, int(month), int(day))
        except ValueError:
            return None
    found = set()
    for cut in range(1, len(rest)):
        month, day = rest[:cut], rest[cut:]
        if len(month) > 2 or len(day) > 2 or month.startswith("0") and len(month) == 1:
            continue
        if day.startswith("0") and len(month) == 1:  # 1月08日 is not how a date is written
            continue
        try:
            found.add(Date(year, int(month), int(day)))
        except ValueError:
            continue
    return found.pop() if len(found) == 1 else None


def date_parts(match: re.Match) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) of a `DATE` match; day None for a month-only date; None parts
    when a numeral is not a number."""
    if match["y2"]:
        return int(match["y2"]), int(match["m2"]), int(match["d2"])
    day = cn_to_int(match["d"]) if match["d"] else None
    return cn_to_int(match["y"]), cn_to_int(match["m"]), day


def to_date(year, month, day) -> Date | None:
    try:
        return Date(year, month, day) if None not in (year, month, day) else None
    except (TypeError, ValueError):
        return None


def clean_date(value) -> Date | None:
    """A date from ISO text, a date object, or any written form `DATE` knows
    (`2024 年 5月 20日`, `二〇二五年六月五日`, `2024.6.18`)."""
    if isinstance(value, datetime):  # YAML's `2024-01-01T10:00:00Z`: the day is what counts
        return value.date()
    if value is None or isinstance(value, Date):
        return value
    text = fold(re.sub(r"\s+", "", str(value)))[0]
    match = DATE.fullmatch(text)
    found = to_date(*date_parts(match)) if match else None
    if found is None:
        raise ValueError(f"not a date: {value!r}")
    return found


# Control characters have no place in a value: line breaks of any kind become `\n`, the
# others (ESC, NUL, DEL, C1 …) go; they would act on a terminal or corrupt a page. A lone
# surrogate (YAML's "\\ud800") is no character: no page could even be written with it.
_BREAKS = re.compile("\r\n?|[\v\f\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def plain_characters(text: str) -> str:
    """`text` with every line break as `\\n` and no control character but tab and line
    feed; ValueError for a lone surrogate."""
    if found := _SURROGATE.search(text):
        raise ValueError(f"contains a lone surrogate (U+{ord(found.group()):04X}), which is not a character")
    return _CONTROLS.sub("", _BREAKS.sub("\n", text))


def clean_text(value) -> str | None:
    """One line of text: line breaks and tabs made spaces, control characters and
    extraction spaces removed. A number or a date is taken as it is written; a list, a
    mapping, a yes/no or a lone surrogate is refused with ValueError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Date)):
        raise ValueError(f"expected text, not {value_kind(value)}")
    text = value.isoformat() if isinstance(value, Date) else str(value)
    text = squash_spaces(plain_characters(text).replace("\n", " ").replace("\t", " ")).strip()
    return text or None


def value_kind(value) -> str:
    """How a YAML value is named in a message: `a list`, `a mapping`, `yes/no`."""
    if isinstance(value, bool):
        return "yes/no"
    return {list: "a list", tuple: "a list", dict: "a mapping"}.get(type(value), f"a {type(value).__name__}")


def clean_text_list(value) -> tuple[str, ...]:
    """A list of texts, or one text as a list of one; nested lists and mappings refused."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        if isinstance(value, dict):
            raise ValueError("expected a list of text, not a mapping")
        value = [value]
    return tuple(t for t in (clean_text(v) for v in value) if t)


def clean_int(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return value
    number = cn_to_int(str(value))
    if number is None:
        raise ValueError(f"not a number: {value!r}")
    return number


def _one_of(*choices):
    def check(value):
        if value is None:
            return None
        value = str(value).strip()
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return check


def _in_range(clean, low: int, high: int):
    """`clean`, and the number it gives must lie in low…high (a year, a term)."""
    def check(value):
        number = clean(value)
        if number is not None and not low <= number <= high:
            raise ValueError(f"{number} is not between {low} and {high}")
        return number

    return check


def clean_publish(value) -> str:
    """Sidecar `publish`: true/full, false/none, or summary."""
    if value is True or value in ("true", "full", "yes"):
        return "full"
    if value is False or value in ("false", "none", "no"):
        return "none"
    if value == "summary":
        return "summary"
    raise ValueError(f"publish must be true, false or summary, not {value!r}")


# One place where every field's value is normalised: field → function.
def clean_url(value) -> str | None:
    """Sidecar `source_url`: an http(s) address, as written."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an address, not {value_kind(value)}")
    value = value.strip()
    if not re.fullmatch(r"https?://[^\s<>\"']{1,2000}", value):
        raise ValueError("expected an http:// or https:// address")
    return value


FIELD_CLEANERS = {
    "id": clean_id,
    "source": str,
    "title": clean_text,
    "proposal_kind": _one_of("提案", "建议", "议案"),
    "proposal_number": clean_text,
    "proposal_title": clean_text,
    "session": clean_text,
    "session_body": _one_of("政协", "人大"),
    "session_term": _in_range(clean_int, 1, 99),
    "session_meeting": _in_range(clean_int, 1, 99),
    "proposer": clean_text,
    "proposer_type": _one_of("委员", "代表", "党派团体", "其他"),
    "doc_number": clean_doc_number,
    "agency": clean_text,
    "co_agencies": clean_text_list,
    "date": clean_date,
    "year": _in_range(clean_int, 1949, 2199),
    "themes": clean_text_list,
    "sections": clean_text_list,
    "classification": _one_of("A", "B", "C"),
    "publish": clean_publish,
    "source_url": clean_url,
}
