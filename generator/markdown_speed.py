"""A shorter path through Python-Markdown's inline patterns, with the same output.

In: nothing (it patches `markdown.treeprocessors.InlineProcessor` while `faster_inline()`
is open). Out: the same HTML as Python-Markdown's own, in less time.

Python-Markdown tries each of its inline patterns (links, emphasis, code, HTML, entities…)
on every run of text, one regular expression after another. Most text in a reply is plain
Chinese prose in which none of them can match: each pattern needs a character the text
does not have (`[` for a link, `*` or `_` for emphasis, `<` for HTML…). This skips a
pattern when its text lacks that character, and a text at once when it lacks them all.
A pattern it does not know (another extension's, or a changed regular expression) is
always tried, so the output cannot change: tests/test_markdown_speed.py compares both
ways on generated text, and tests/test_sitebuild.py compares whole sites with MkDocs'.

Used by the build engine (generator/sitebuild.py) for its own builds only: `mkdocs build`
and `mkdocs serve` stay Python-Markdown's own.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from markdown import inlinepatterns, treeprocessors, util

_Inline = treeprocessors.InlineProcessor
# The private steps this module wraps (None in a Markdown without them: then it does nothing).
_apply = getattr(_Inline, "_InlineProcessor__applyPattern", None)
_handle = getattr(_Inline, "_InlineProcessor__handleInline", None)
_run = _Inline.run

# A text that lacks every string listed for a pattern cannot match it (each regular
# expression needs one of them).
NEEDS: dict[str, tuple[str, ...]] = {
    inlinepatterns.BACKTICK_RE: ("`",),
    inlinepatterns.ESCAPE_RE: ("\\",),
    inlinepatterns.LINK_RE: ("[",),  # REFERENCE_RE is the same expression
    inlinepatterns.IMAGE_LINK_RE: ("![",),  # IMAGE_REFERENCE_RE likewise
    inlinepatterns.AUTOLINK_RE: ("<",),
    inlinepatterns.AUTOMAIL_RE: ("<",),
    inlinepatterns.LINE_BREAK_RE: ("  \n",),
    inlinepatterns.HTML_RE: ("<",),
    inlinepatterns.ENTITY_RE: ("&",),
}
_STOCK_REGEXP = inlinepatterns.Pattern.getCompiledRegExp


def needs(pattern) -> tuple[str, ...] | None:
    """The strings one of which a text must hold for `pattern` to match in it; None when
    not known (the pattern is always tried)."""
    if type(pattern).getCompiledRegExp is not _STOCK_REGEXP:
        return None
    if isinstance(pattern, getattr(inlinepatterns, "DelimiterProcessor", ())):
        # Its expression is the alternation of its delimiters (`*`, `_`).
        return tuple(pattern.tokens) if pattern.tokens else None
    if isinstance(pattern, inlinepatterns.InlineProcessor):
        return NEEDS.get(pattern.pattern)
    return None  # an old-style Pattern: its expression wraps the text around the pattern


def _plan(processor) -> tuple[list, list, re.Pattern | None]:
    """The patterns in order, what each needs, and one expression finding any of those
    (None when some pattern's needs are not known)."""
    patterns = list(processor.inlinePatterns)
    wants = [needs(pattern) for pattern in patterns]
    anything = None
    if patterns and all(want is not None for want in wants):
        anything = re.compile("|".join(re.escape(s) for want in wants for s in want))
    return patterns, wants, anything


def _run_planned(self, tree, ancestors=None):
    # The registry cannot change during a run: plan once per document.
    self._speed_plan = _plan(self)
    try:
        return _run(self, tree, ancestors)
    finally:
        self._speed_plan = None


def _handle_planned(self, data, patternIndex=0):
    """Python-Markdown's `__handleInline`, skipping the patterns that cannot match."""
    plan = getattr(self, "_speed_plan", None)
    if plan is None:
        return _handle(self, data, patternIndex)
    if isinstance(data, util.AtomicString):
        return data
    patterns, wants, anything = plan
    if anything is not None and anything.search(data) is None:
        return data
    start = 0
    count = len(patterns)
    while patternIndex < count:
        want = wants[patternIndex]
        if want is not None:
            for s in want:
                if s in data:
                    break
            else:  # no match possible: what `__applyPattern` returns when none is found
                patternIndex += 1
                start = 0
                continue
        data, matched, start = _apply(self, patterns[patternIndex], data, patternIndex, start)
        if not matched:
            patternIndex += 1
    return data


@contextmanager
def faster_inline():
    """While open, every Markdown conversion in this process (and in processes forked
    from it) takes the shorter path."""
    if _Inline.run is _run_planned or _apply is None or _handle is None:
        yield  # already open (a build within a build), or a Markdown this does not know
        return
    _Inline.run = _run_planned
    _Inline._InlineProcessor__handleInline = _handle_planned
    try:
        yield
    finally:
        _Inline.run = _run
        _Inline._InlineProcessor__handleInline = _handle


__all__ = ["NEEDS", "faster_inline", "needs"]
