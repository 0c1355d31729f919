"""The copy of a text that patterns are matched against, and where it came from.

In: any text. Out: the same text with full-width ASCII (digits, letters, ：（），) as ASCII,
traditional characters as simplified (OpenCC `t2s`) and the pinyin glosses of converted
mirrors (`現(xiàn)`) dropped, plus the position in the input of each character kept.
Cleaning and extraction match this copy so that one pattern reads every form; what is
published is always cut from the text itself.
"""

from __future__ import annotations

import functools
import re

# Full-width ASCII (digits, letters, ：（），) and the ideographic space, as ASCII: the
# forms extraction matches against. Same length, so positions carry over.
_HALF = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
_HALF["\u3000"] = " "
_WIDE = re.compile("[\uff01-\uff5e\u3000]")  # a few such characters a paragraph: sub beats translate


def _half(match: re.Match) -> str:
    return _HALF[match.group()]
# Pinyin glosses that converted mirrors put after rare characters: 現(xiàn).
GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)")


@functools.lru_cache(maxsize=1)
def _converter():
    import opencc  # imported here: only traditional-character text needs it

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _traditional() -> re.Pattern:
    """Characters that the simplified conversion changes: one of them marks a text to convert."""
    convert = _converter().convert
    chars = [chr(c) for c in range(0x4E00, 0xA000) if convert(chr(c)) != chr(c)]
    return re.compile("[" + "".join(chars) + "]")


def is_traditional(text: str) -> bool:
    """Does `text` hold characters that the simplified conversion changes?"""
    return bool(_traditional().search(text))


def fold(text: str, traditional: bool | None = None) -> tuple[str, list[int] | None]:
    """A copy of `text` to match patterns against, and where each of its characters came
    from in `text` (None when at the same position). Full-width ASCII is folded to ASCII;
    traditional characters are converted to simplified (OpenCC) and pinyin glosses
    dropped. What is published is never this copy: values are cut from `text`.
    `traditional=False`: the caller has found no traditional character in a text that
    holds this one, so the per-piece search is skipped."""
    folded = _WIDE.sub(_half, text)
    if traditional is False or not _traditional().search(folded):  # the caller knows: one search per text
        return folded, None
    positions = None
    if GLOSS.search(folded):
        positions, kept = [], []
        last = 0
        for gloss in GLOSS.finditer(folded):
            kept.append(folded[last:gloss.start()])
            positions.extend(range(last, gloss.start()))
            last = gloss.end()
        kept.append(folded[last:])
        positions.extend(range(last, len(folded)))
        folded = "".join(kept)
    converted = _converter().convert(folded)
    if len(converted) != len(folded):  # a phrase changed length: character by character
        convert = _converter().convert
        converted = "".join(c if len(s := convert(c)) != 1 else s for c in folded)
    return converted, positions
