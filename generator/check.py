"""Data quality: one report per source file, for `python -m generator check` and the
site's 数据质量 page.

In: a `RunResult` (every reply read and checked, nothing written). Out: `Entry`s, one per
source file that has something to report — errors (the reply was skipped: unreadable,
no text, bad sidecar, duplicate id), warnings (unknown agency, no date, no addressee…),
fields that could not be extracted, and how much contact data was withheld.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING

from .model import shown

if TYPE_CHECKING:  # pipeline imports this module; the type is all that is needed here
    from .pipeline import RunResult

# Fields every reply should have; a None here is reported as "not extracted".
EXPECTED = ("title", "proposal_kind", "proposal_title", "session", "proposer", "proposer_type",
            "agency", "date", "doc_number", "proposal_number")
LEVELS = {"error": 0, "warning": 1, "info": 2, "ok": 3}
LEVEL_ZH = {"error": "错误", "warning": "警告", "info": "提示", "ok": "正常"}


@dataclass
class Entry:
    source: str
    level: str = "ok"  # the worst: error | warning | info | ok
    messages: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, English, Chinese)
    missing: list[str] = field(default_factory=list)  # fields not extracted
    reply_id: str | None = None

    @property
    def level_zh(self) -> str:
        return LEVEL_ZH[self.level]


def report(result: RunResult, everything: bool = True) -> list[Entry]:
    """Every source file's entry, worst first, then by file name; without `everything`,
    only the entries with something to report (what the site shows)."""
    entries: dict[str, Entry] = {}
    for problem in result.problems:
        entry = entries.setdefault(problem.source, Entry(problem.source))
        entry.messages.append((problem.severity, problem.message, problem.zh or problem.message))
        if LEVELS[problem.severity] < LEVELS[entry.level]:
            entry.level = problem.severity
    for reply in chain(result.replies, result.withheld):
        missing = [name for name in EXPECTED if getattr(reply, name) in (None, "", ())]
        entry = entries.get(reply.source)
        if entry is None and (missing or everything):  # an archive's worth of "ok": only when asked
            entry = entries[reply.source] = Entry(reply.source)
        if entry is not None:
            entry.reply_id = reply.id
            entry.missing = missing
    return sorted(entries.values(), key=lambda e: (LEVELS[e.level], e.source))


def format_text(entries: list[Entry], result: RunResult, fields: bool = False) -> str:
    """The report as `check` prints it: a line per file (with `fields`, every field read
    from it on the lines below), then a summary."""
    lines = []
    replies = {reply.source: reply for reply in chain(result.replies, result.withheld)}
    if fields:  # every file, not only those with something to report
        listed = {e.source for e in entries}
        entries = sorted(entries + [Entry(s) for s in replies if s not in listed], key=lambda e: (LEVELS[e.level], e.source))
    for entry in entries:
        parts = [f"{severity}: {message}" for severity, message, _ in entry.messages]
        if entry.missing:
            parts.append("not extracted: " + ", ".join(entry.missing))
        lines.append(shown(f"{entry.source}: " + ("; ".join(parts) if parts else "ok")))  # names may hold newlines
        if fields and entry.source in replies:
            for name, value in replies[entry.source].record().items():
                text = "、".join(map(str, value)) if isinstance(value, (list, tuple)) else value
                lines.append(shown(f"    {name}: {'—' if text in (None, '') else text}"))
    checked = result.sources
    lines.append(
        f"checked {checked} files: {len(result.replies) + len(result.withheld)} replies read, "
        f"{len(result.errors)} errors, {len(result.warnings)} warnings, "
        f"{sum(1 for e in entries if e.missing)} with fields not extracted"
    )
    return "\n".join(lines)
