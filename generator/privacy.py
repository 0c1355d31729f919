"""Personal data: contact lines, phone numbers, e-mail addresses and ID-card numbers.

Publication rules withhold the contact details of deputies, members and officials. By
default `extract` drops contact blocks and `redact` replaces personal numbers and
addresses found anywhere else with `REDACTED`; a site owner entitled to publish them
sets `keep_contacts` (see the README).
"""

from __future__ import annotations

import re

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

PERSONAL = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"  # ID card
    r"|(?:\+?86[- ]?)?1[3-9]\d{9}"  # mobile
    r"|(?:0\d{2,3}[-－—\s]?)\d{7,8}(?:[-－—]\d{1,4})?"  # landline with area code
    r"|[（(]0\d{2,3}[)）][-－—\s]?\d{7,8}"  # landline, area code in brackets
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"  # e-mail
    r")(?![0-9A-Za-z])"
)


# Any number right after a contact label, whatever its form (`电话：88905432`).
LABELLED = re.compile(
    r"(?P<label>(?:联系)?电话|手机(?:号码?)?|联系方式|传真|座机|Tel|TEL|Phone)(?P<sep>[：:\s]*"
    r"(?:[\u4e00-\u9fff（）()]{1,24}[、,，\s]*)?)"  # a name or a unit may come first: 电话：张某、7121542
    r"(?P<number>[+\d][\d\-－—()（）\s]{5,20}\d)"
)


# Every pattern above needs seven digits in a row, an `@` or a label: text without any of
# them (most of a reply) is passed over in one cheap scan.
_CANDIDATE = re.compile(r"\d{7}|@|电话|手机|联系方式|传真|座机|Tel|TEL|Phone")


def may_have_personal(text: str) -> bool:
    """False only when `redact` would find nothing in `text` (a fast pre-check)."""
    return bool(_CANDIDATE.search(text))


def is_contact(paragraph: str) -> bool:
    """A contact line such as `（联系人及联系方式：薛翔宇，13006159985）`."""
    return bool(CONTACT_LINE.match(paragraph))


def redact(text: str) -> tuple[str, int]:
    """Replace phone numbers, e-mail addresses and ID-card numbers; also say how many."""
    text, labelled = LABELLED.subn(lambda m: m["label"] + m["sep"] + REDACTED, text)
    text, numbers = PERSONAL.subn(REDACTED, text)
    return text, labelled + numbers
