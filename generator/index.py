"""Stage 5, index: Replies → groupings by agency, theme, session, proposer and year.

In: every published Reply of the run (all read before anything is written) and the
registries. Out: an `Index` whose keys are `Agency`, `Theme`, `Session`, `Proposer`
objects (equal by slug, so spelling variants of one agency merge) and years, each mapped
to its replies newest first; lookups from a reply's field values to those keys; and for
each reply its related replies.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .model import Agency, Proposer, Reply, Session, Theme
from .registry import AgencyRegistry
from .text import slugify

RELATED = 5  # related replies shown per reply
CANDIDATES_PER_KEY = 200  # newest replies of a key considered as related candidates


def newest_first(replies) -> list[Reply]:
    """Newest first; undated last; ties by id so the order never depends on the disk."""
    return sorted(replies, key=lambda r: (r.date is None, -(r.date.toordinal() if r.date else 0), r.id))


def session_key(reply: Reply) -> Session | None:
    if not reply.session:
        return None
    body = {"政协": "cppcc", "人大": "npc"}.get(reply.session_body or "", "session")
    # Provincial sessions have no prefix; others are told apart by level.
    prefix = {"全": "national-", "市": "city-", "州": "prefecture-", "县": "county-", "区": "district-"}.get(reply.session[0], "")
    slug = f"{prefix}{body}-{reply.session_term}-{reply.session_meeting}"
    return Session(name=reply.session, slug=slug, body=reply.session_body or "",
                   term=reply.session_term or 0, meeting=reply.session_meeting or 0)


def _proposer_slugs(names: set[str]) -> dict[str, str]:
    """Pinyin slugs; names that share one (王芳/汪芳) all get a short hash to stay apart."""
    by_slug: dict[str, list[str]] = defaultdict(list)
    for name in sorted(names):
        by_slug[slugify(name)].append(name)
    out = {}
    for slug, group in by_slug.items():
        for name in group:
            out[name] = slug if len(group) == 1 else f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"
    return out


@dataclass
class AgencyReplies:
    lead: list[Reply] = field(default_factory=list)
    co: list[Reply] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.lead) + len(self.co)


@dataclass
class Index:
    replies: list[Reply]  # newest first
    agencies: dict[Agency, AgencyReplies]
    themes: dict[Theme, list[Reply]]
    sessions: dict[Session, list[Reply]]
    proposers: dict[Proposer, list[Reply]]
    years: dict[int, list[Reply]]
    agency_by_name: dict[str, Agency]
    theme_by_name: dict[str, Theme]
    proposer_by_name: dict[str, Proposer]
    # For related replies: each key's newest CANDIDATES_PER_KEY replies, as positions in
    # `replies` (so the smaller position is the newer).
    postings: dict[tuple, list[int]] = field(default_factory=dict, repr=False)
    position: dict[str, int] = field(default_factory=dict, repr=False)

    def keys_of(self, reply: Reply) -> dict[tuple, int]:
        """The keys two replies can share, weighted: agency and proposer 2, theme 1."""
        keys: dict[tuple, int] = {}
        for name in (reply.agency, *reply.co_agencies):
            if name:
                keys[("agency", self.agency_by_name[name].slug)] = 2
        for name in reply.themes:
            keys[("theme", name)] = 1
        if reply.proposer:
            keys[("proposer", reply.proposer)] = 2
        return keys

    def related(self, reply: Reply) -> list[Reply]:
        """The replies sharing most of its keys (by weight), newest first among equals.

        Computed on demand, so that render workers share the work; candidates come from
        the postings, so the work per reply does not grow with N."""
        scores: Counter = Counter()
        for key, weight in self.keys_of(reply).items():
            for _ in range(weight):
                scores.update(self.postings.get(key, ()))  # counting in C
        scores.pop(self.position[reply.id], None)
        # Best score first, then the newest: one integer per candidate, compared in C.
        best = heapq.nlargest(RELATED, [(score << 32) - position for position, score in scores.items()])
        return [self.replies[-packed % (1 << 32)] for packed in best]


def build_index(replies: list[Reply], registry: AgencyRegistry, themes: list[Theme]) -> Index:
    ordered = newest_first(replies)
    agencies: dict[Agency, AgencyReplies] = defaultdict(AgencyReplies)
    by_theme: dict[Theme, list[Reply]] = defaultdict(list)
    sessions: dict[Session, list[Reply]] = defaultdict(list)
    proposers: dict[Proposer, list[Reply]] = defaultdict(list)
    years: dict[int, list[Reply]] = defaultdict(list)
    theme_by_name = {t.name: t for t in themes}
    agency_by_name: dict[str, Agency] = {}
    proposer_slugs = _proposer_slugs({r.proposer for r in ordered if r.proposer})
    proposer_by_name: dict[str, Proposer] = {}
    for reply in ordered:
        for name, role in [(reply.agency, "lead")] + [(n, "co") for n in reply.co_agencies]:
            if not name:
                continue
            if name not in agency_by_name:
                agency_by_name[name] = registry.canonical(name)
            getattr(agencies[agency_by_name[name]], role).append(reply)
        for name in reply.themes:
            if name not in theme_by_name:
                theme_by_name[name] = Theme(name=name, slug=slugify(name))
            by_theme[theme_by_name[name]].append(reply)
        session = session_key(reply)
        if session is not None:
            sessions[session].append(reply)
        if reply.proposer:
            if reply.proposer not in proposer_by_name:
                proposer_by_name[reply.proposer] = Proposer(
                    name=reply.proposer, slug=proposer_slugs[reply.proposer], type=reply.proposer_type or "其他")
            proposers[proposer_by_name[reply.proposer]].append(reply)
        if reply.year:
            years[reply.year].append(reply)
    index = Index(
        replies=ordered, agencies=dict(agencies), themes=dict(by_theme), sessions=dict(sessions),
        proposers=dict(proposers), years=dict(years), agency_by_name=agency_by_name,
        theme_by_name=theme_by_name, proposer_by_name=proposer_by_name,
        position={reply.id: n for n, reply in enumerate(ordered)},
    )
    postings: dict[tuple, list[int]] = defaultdict(list)
    for position, reply in enumerate(ordered):  # newest first, so postings are too
        for key in index.keys_of(reply):
            if len(postings[key]) < CANDIDATES_PER_KEY:
                postings[key].append(position)
    index.postings = dict(postings)
    return index
