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

from collections import Counter
from dataclasses import replace

import ahocorasick_rs

from .model import BlockKind, Reply, Theme

MIN_SCORE = 3
RELATIVE = 0.25
MAX_THEMES = 5
BODY_KINDS = (BlockKind.PARAGRAPH, BlockKind.SUBSECTION, BlockKind.OPENING)


class Classifier:
    """Built once per run: one compiled pattern finds every keyword in one pass."""

    def __init__(self, themes: list[tuple[Theme, tuple[tuple[str, int], ...]]]):
        self.themes = [theme for theme, _ in themes]
        self.fallback = next((theme for theme, keywords in themes if not keywords), None)
        self._weights: dict[str, list[tuple[int, int]]] = {}
        for index, (_, keywords) in enumerate(themes):
            for word, weight in keywords:
                self._weights.setdefault(word, []).append((index, weight))
        # Aho-Corasick finds every occurrence of every keyword in one pass, overlapping ones
        # (光电, 光电信息) included, as the scoring rule wants.
        self._words = list(self._weights)
        self._entries = [tuple(self._weights[w]) for w in self._words]
        self._automaton = ahocorasick_rs.AhoCorasick(self._words) if self._words else None

    @property
    def keywords(self) -> list[str]:
        return sorted(self._weights)

    def _add(self, scores: list[float], texts: list[str], factor: int) -> None:
        if self._automaton is None or not texts:
            return
        # One pass over all texts of one weight; no keyword holds the separator, so no
        # match spans two texts.
        matches = self._automaton.find_matches_as_indexes("\x00".join(texts), overlapping=True)
        for word, count in Counter(word for word, _, _ in matches).items():
            for index, weight in self._entries[word]:
                scores[index] += weight * factor * count

    def scores(self, reply: Reply) -> list[float]:
        scores = [0.0] * len(self.themes)
        headings = [b.text for b in reply.blocks if b.kind is BlockKind.SECTION]
        body = [b.text for b in reply.blocks if b.kind in BODY_KINDS]
        self._add(scores, [reply.proposal_title] if reply.proposal_title else [], 3)
        self._add(scores, headings, 2)
        self._add(scores, body, 1)
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
