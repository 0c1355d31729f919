"""Stage 5, index: Replies → groupings by agency, theme, session, proposer and year.

In: every published Reply of the run (all read before anything is written) and the
registries. Out: an `Index` whose keys are `Agency`, `Theme`, `Session`, `Proposer`
objects (equal by slug, so spelling variants of one agency merge) and years, each mapped
to its replies newest first; lookups from a reply's field values to those keys; for
each reply its related replies; each agency's outcome counts; and the commitments of
any list of replies (`Index.commitments_of`), newest first.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
from bisect import bisect_right
from collections import Counter, defaultdict
from array import array
from collections.abc import Sequence
from typing import NamedTuple
from dataclasses import dataclass, field
from datetime import date as Date
from functools import partial

from .model import Agency, Proposer, Reply, Session, Theme
from .registry import AgencyRegistry
from .store import ReplyList
from .text import int_to_cn, slugify

RELATED = 5  # related replies shown per reply
CANDIDATES_PER_KEY = 100  # newest replies of a key considered as related candidates


def _newest_key(reply: Reply) -> tuple:
    return (reply.date is None, -(reply.date.toordinal() if reply.date else 0), reply.id)


def newest_first(replies) -> list[Reply]:
    """Newest first; undated last; ties by id so the order never depends on the disk."""
    return sorted(replies, key=_newest_key)


_LEVEL_SLUGS = {"全国": "national", "省": "province", "市": "city", "州": "prefecture", "县": "county",
                "区": "district", "旗": "banner", "盟": "league"}


def session_place(reply: Reply) -> str:
    """The place part of a session label (`某某县` of 某某县政协十届一次会议, `全国`, or a
    level alone such as `县` when the place was not known)."""
    label = reply.session or ""
    if reply.session_body == "政协":
        return label.split("政协")[0]
    if label.startswith(f"{int_to_cn(reply.session_term or 0)}届全国"):
        return "全国"
    return label.split(f"{int_to_cn(reply.session_term or 0)}届")[0]


@functools.lru_cache(maxsize=4096)  # pinyin is slow, and an archive has few places
def _place_slug(where: str) -> str:
    return _LEVEL_SLUGS.get(where) or slugify(where)


def session_key(reply: Reply) -> Session | None:
    """The session's index key. Its slug holds the place, so that the sessions of two
    counties, or of a county and its province, never share a page."""
    if not reply.session:
        return None
    body = {"政协": "cppcc", "人大": "npc"}.get(reply.session_body or "", "session")
    where = session_place(reply)
    prefix = _place_slug(where) if where else ""
    slug = f"{prefix + '-' if prefix else ''}{body}-{reply.session_term}-{reply.session_meeting}"
    return Session(name=reply.session, slug=slug, place=where, body=reply.session_body or "",
                   term=reply.session_term or 0, meeting=reply.session_meeting or 0)


def proposer_names(reply: Reply) -> list[str]:
    """The proposers a reply is indexed under: each member or deputy of a joint filing
    (`马青、周丽`), or the one party or group."""
    if not reply.proposer:
        return []
    if reply.proposer_type in ("委员", "代表"):
        return [name for name in reply.proposer.split("、") if name]
    return [reply.proposer]


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
    lead: ReplyList
    co: ReplyList
    # Its lead replies by outcome class (办理结果): "A", "B", "C", and "" for none given.
    outcomes: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return len(self.lead) + len(self.co)

    def newest(self, count: int) -> list[int]:
        """The positions (in the index's replies: the smaller, the newer) of its newest
        `count` replies, lead or co-handled; a reply may be in both lists."""
        return heapq.nsmallest(count, set(self.lead.positions) | set(self.co.positions))


@dataclass
class Index:
    """The groupings. Each list of replies is a `ReplyList`: positions in `replies`,
    read back as a page uses them, so the index costs a few bytes per reply."""

    replies: ReplyList  # newest first
    agencies: dict[Agency, AgencyReplies]
    themes: dict[Theme, ReplyList]
    sessions: dict[Session, ReplyList]
    proposers: dict[Proposer, ReplyList]
    years: dict[int, ReplyList]
    agency_by_name: dict[str, Agency]
    theme_by_name: dict[str, Theme]
    proposer_by_name: dict[str, Proposer]
    # For related replies: each key's newest CANDIDATES_PER_KEY replies, as positions in
    # `replies` (so the smaller position is the newer).
    postings: dict[tuple, array] = field(default_factory=dict, repr=False)
    undated: ReplyList | None = None  # the replies without a year, newest first
    # How many commitments each reply has, by position in `replies`: an agency's or a
    # year's commitments are counted and cut into pages without reading a reply.
    commitment_counts: array = field(default_factory=partial(array, "I"), repr=False)
    # `replies` again, read by rank where the rank came from the postings (`related`): the
    # render cache watches `replies` (whose order every rank depends on), not this one.
    ranked: ReplyList | None = field(default=None, repr=False)

    def commitments_of(self, replies: ReplyList) -> CommitmentList:
        """The commitments of `replies` (a list of this index: an agency's lead replies, a
        year's), in their order, each reply's in page order."""
        return CommitmentList(replies, self.commitment_counts)

    def keys_of(self, reply: Reply) -> dict[tuple, int]:
        """The keys two replies can share, weighted: agency and proposer 2, theme 1."""
        keys: dict[tuple, int] = {}
        for name in (reply.agency, *reply.co_agencies):
            if name:
                keys[("agency", self.agency_by_name[name].slug)] = 2
        for name in reply.themes:
            keys[("theme", name)] = 1
        for name in proposer_names(reply):
            keys[("proposer", name)] = 2
        return keys

    def date_range(self) -> tuple[Date | None, Date | None]:
        """The dates of the oldest and the newest dated reply (a few replies read: the
        dated ones come first, newest first)."""
        replies = self.replies
        if not replies or replies[0].date is None:
            return None, None
        low, high = 0, len(replies) - 1  # the last dated one is in low..high
        while low < high:
            middle = (low + high + 1) // 2
            if replies[middle].date is None:
                high = middle - 1
            else:
                low = middle
        return replies[low].date, replies[0].date

    def related(self, reply: Reply) -> list[Reply]:
        """The replies sharing most of its keys (by weight), newest first among equals.

        Computed on demand, so that render workers share the work; candidates come from
        the postings, so the work per reply does not grow with N."""
        scores: Counter = Counter()
        for key, weight in self.keys_of(reply).items():
            for _ in range(weight):
                scores.update(self.postings.get(key, ()))  # counting in C
        # Best score first, then the newest: one integer per candidate, compared in C.
        # One more than shown, for the reply itself is among them when it is a candidate.
        best = heapq.nlargest(RELATED + 1, [(score << 32) - position for position, score in scores.items()])
        ranked = self.replies if self.ranked is None else self.ranked
        found = (ranked[-packed % (1 << 32)] for packed in best)
        return [other for other in found if other.id != reply.id][:RELATED]


def build_index(replies: Sequence[Reply], registry: AgencyRegistry, themes: list[Theme]) -> Index:
    """The index of `replies` (a `ReplyStore` view or a list), read once, in order."""
    positions = partial(array, "I")  # 4 bytes per entry, not 8 for a list's pointer
    agencies: dict[Agency, tuple[array, array]] = defaultdict(lambda: (positions(), positions()))
    by_theme: dict[Theme, array] = defaultdict(positions)
    outcomes: dict[Agency, Counter] = defaultdict(Counter)
    undated, commitment_counts = positions(), positions()
    sessions: dict[Session, array] = defaultdict(positions)
    proposers: dict[str, array] = defaultdict(positions)
    years: dict[int, array] = defaultdict(positions)
    theme_by_name = {t.name: t for t in themes}
    agency_by_name: dict[str, Agency] = {}
    proposer_by_name: dict[str, Proposer] = {}
    proposer_types: dict[str, tuple] = {}  # proposer → (order key, type) of the newest reply
    order_keys = []
    # A store keeps the commitments apart from the replies it reads back: counted there.
    count = getattr(replies, "commitment_count", None) or (lambda position: len(replies[position].commitments))
    for position, reply in enumerate(replies):
        order_keys.append(newest_key := _newest_key(reply))
        for name, role in [(reply.agency, 0)] + [(n, 1) for n in reply.co_agencies]:
            if not name:
                continue
            if name not in agency_by_name:
                agency_by_name[name] = registry.canonical(name)
            agencies[agency_by_name[name]][role].append(position)
        if reply.agency:
            outcomes[agency_by_name[reply.agency]][reply.classification or ""] += 1
        commitment_counts.append(count(position))
        for name in reply.themes:
            if name not in theme_by_name:
                theme_by_name[name] = Theme(name=name, slug=slugify(name))
            by_theme[theme_by_name[name]].append(position)
        session = session_key(reply)
        if session is not None:
            sessions[session].append(position)
        for name in proposer_names(reply):
            seen = proposer_types.get(name)
            if seen is None or newest_key < seen[0]:
                proposer_types[name] = (newest_key, reply.proposer_type or "其他")
            proposers[name].append(position)
        if reply.year:
            years[reply.year].append(position)
        else:
            undated.append(position)
    # Newest first: `rank[p]` is the place of reply p in that order.
    order = sorted(range(len(order_keys)), key=order_keys.__getitem__)
    del order_keys
    rank = array("I", bytes(4 * len(order)))
    for place, position in enumerate(order):
        rank[position] = place
    ordered = ReplyList(replies, order)
    commitment_counts = array("I", (commitment_counts[p] for p in order))
    del order

    def newest(positions: array) -> ReplyList:  # a key's replies, newest first
        return ReplyList(ordered, sorted(rank[p] for p in positions))

    slugs = _proposer_slugs(set(proposers))
    for name in proposers:
        proposer_by_name[name] = Proposer(name=name, slug=slugs[name], type=proposer_types[name][1])
    index = Index(
        replies=ordered,
        agencies={a: AgencyReplies(newest(lead), newest(co), outcomes[a]) for a, (lead, co) in agencies.items()},
        themes={t: newest(p) for t, p in by_theme.items()},
        sessions={s: newest(p) for s, p in sessions.items()},
        proposers={proposer_by_name[n]: newest(p) for n, p in proposers.items()},
        years={y: newest(p) for y, p in years.items()},
        agency_by_name=agency_by_name, theme_by_name=theme_by_name, proposer_by_name=proposer_by_name,
        undated=newest(undated), commitment_counts=commitment_counts, ranked=ordered,
    )
    # Postings, newest first: the newest CANDIDATES_PER_KEY of each key.
    postings: dict[tuple, array] = {}
    for agency, found in index.agencies.items():
        postings[("agency", agency.slug)] = array("I", found.newest(CANDIDATES_PER_KEY))
    for theme, found in index.themes.items():
        postings[("theme", theme.name)] = found.positions[:CANDIDATES_PER_KEY]
    for proposer, found in index.proposers.items():
        postings[("proposer", proposer.name)] = found.positions[:CANDIDATES_PER_KEY]
    index.postings = postings
    return index


class Commitment(NamedTuple):
    """One commitment: its reply, its number on the reply's page (from 1) and its text."""

    reply: Reply
    number: int
    text: str


class CommitmentList(Sequence):
    """The commitments of some replies (a `ReplyList` of an `Index`), in the replies' order
    and each reply's in page order; a slice reads only the replies it covers. Holds 8
    bytes per reply with commitments: where each reply's commitments end in the list."""

    def __init__(self, replies: ReplyList, counts: array):
        self.source = replies.source
        self.positions = array("I", (p for p in replies.positions if counts[p]))
        self.ends = array("I")
        total = 0
        for position in self.positions:
            total += counts[position]
            self.ends.append(total)

    def __len__(self) -> int:
        return self.ends[-1] if self.ends else 0

    def __getitem__(self, n):
        if not isinstance(n, slice):
            found = self[n:n + 1] if n >= 0 else self[len(self) + n:len(self) + n + 1]
            if not found:
                raise IndexError(n)
            return found[0]
        start, stop, step = n.indices(len(self))
        if step != 1:
            return [self[i] for i in range(start, stop, step)]
        out: list[Commitment] = []
        # The first reply whose commitments end past `start`, then on until `stop`.
        at = bisect_right(self.ends, start)
        while at < len(self.positions) and start < stop:
            first = self.ends[at - 1] if at else 0
            reply, texts = self.source[self.positions[at]], self.source.commitments(self.positions[at])
            for offset in range(start - first, min(stop, self.ends[at]) - first):
                out.append(Commitment(reply, offset + 1, texts[offset]))
            start, at = self.ends[at], at + 1
        return out
