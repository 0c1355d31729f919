"""Stage 4, classify: Reply → Reply with its 1-5 best themes.

In: an extracted Reply and the themes of `data/themes.yml`. Out: the same Reply with
`themes` set (unless a sidecar set them).

Scoring rule: each keyword occurrence adds its weight, times 3 in the proposal title,
2 in a section heading and 1 in the rest of the text. A theme is kept when its score is
at least `MIN_SCORE` and at least `RELATIVE` × the best score; the best five are kept,
highest first, ties in file order. A reply no keyword matches gets the fallback theme
(the one with no keywords, 综合).
"""

from __future__ import annotations

import re
from dataclasses import replace

from .model import BlockKind, Reply, Theme

MIN_SCORE = 3
RELATIVE = 0.25
MAX_THEMES = 5


def _trie_pattern(words: list[str]) -> str:
    """A regex matching the longest of `words` at a position, shaped as a trie."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy optional part: the longest keyword wins, a shorter one is the fallback.
        return f"(?:{body})?" if ends else body

    return emit(trie)


class Classifier:
    """Built once per run: one compiled pattern finds every keyword in one pass."""

    def __init__(self, themes: list[tuple[Theme, tuple[tuple[str, int], ...]]]):
        self.themes = [theme for theme, _ in themes]
        self.fallback = next((theme for theme, keywords in themes if not keywords), None)
        self._weights: dict[str, list[tuple[int, int]]] = {}
        for index, (_, keywords) in enumerate(themes):
            for word, weight in keywords:
                self._weights.setdefault(word, []).append((index, weight))
        words = sorted(self._weights, key=len, reverse=True)
        # Overlapping keywords (光电, 光电信息) must all count: match at every position, the
        # longest keyword there; a trie-shaped pattern keeps that fast.
        self._pattern = re.compile("(?=(" + _trie_pattern(words) + "))") if words else None
        # Every keyword matching at a position is a prefix of the longest one matching there.
        self._prefixes = {w: [k for k in words if w.startswith(k)] for w in words}

    @property
    def keywords(self) -> list[str]:
        return sorted(self._weights)

    def _add(self, scores: list[float], text: str, factor: int) -> None:
        if not self._pattern or not text:
            return
        for match in self._pattern.finditer(text):
            for word in self._prefixes[match.group(1)]:
                for index, weight in self._weights[word]:
                    scores[index] += weight * factor

    def scores(self, reply: Reply) -> list[float]:
        scores = [0.0] * len(self.themes)
        self._add(scores, reply.proposal_title or "", 3)
        for block in reply.blocks:
            if block.kind is BlockKind.SECTION:
                self._add(scores, block.text, 2)
            elif block.kind in (BlockKind.PARAGRAPH, BlockKind.SUBSECTION, BlockKind.OPENING):
                self._add(scores, block.text, 1)
        return scores

    def themes_for(self, reply: Reply) -> tuple[str, ...]:
        scores = self.scores(reply)
        best = max(scores, default=0)
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        chosen = [self.themes[i].name for i in ranked[:MAX_THEMES]
                  if scores[i] >= MIN_SCORE and scores[i] >= RELATIVE * best]
        if not chosen and self.fallback:
            chosen = [self.fallback.name]
        return tuple(chosen)

    def classify(self, reply: Reply) -> Reply:
        return replace(reply, themes=self.themes_for(reply))
