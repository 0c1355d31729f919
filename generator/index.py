"""Stage 5, index: Replies → groupings by agency, theme, session, proposer and year.

In: every published Reply of the run (all read before anything is written) and the
registries. Out: an `Index` whose keys are `Agency`, `Theme`, `Session`, `Proposer`
objects (equal by slug, so spelling variants merge) and years, each mapped to its
replies newest first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import Agency, Proposer, Reply, Session, Theme
from .registry import AgencyRegistry
from .text import slugify


def newest_first(replies) -> list[Reply]:
    """Newest first; undated last; ties by id so the order never depends on the disk."""
    return sorted(replies, key=lambda r: (r.date is None, -(r.date.toordinal() if r.date else 0), r.id))


def session_key(reply: Reply) -> Session | None:
    if not reply.session:
        return None
    body = {"政协": "cppcc", "人大": "npc"}.get(reply.session_body or "", "session")
    level = reply.session.split("政协")[0] if reply.session_body == "政协" else ""
    prefix = "" if level in ("", "省") else slugify(level) + "-"
    slug = f"{prefix}{body}-{reply.session_term}-{reply.session_meeting}"
    return Session(name=reply.session, slug=slug, body=reply.session_body or "",
                   term=reply.session_term or 0, meeting=reply.session_meeting or 0)


def proposer_key(reply: Reply) -> Proposer | None:
    if not reply.proposer:
        return None
    return Proposer(name=reply.proposer, slug=slugify(reply.proposer), type=reply.proposer_type or "其他")


@dataclass
class AgencyReplies:
    lead: list[Reply] = field(default_factory=list)
    co: list[Reply] = field(default_factory=list)


@dataclass
class Index:
    agencies: dict[Agency, AgencyReplies]
    themes: dict[Theme, list[Reply]]
    sessions: dict[Session, list[Reply]]
    proposers: dict[Proposer, list[Reply]]
    years: dict[int, list[Reply]]


def build_index(replies: list[Reply], registry: AgencyRegistry, themes: list[Theme]) -> Index:
    agencies: dict[Agency, AgencyReplies] = defaultdict(AgencyReplies)
    by_theme: dict[Theme, list[Reply]] = defaultdict(list)
    sessions: dict[Session, list[Reply]] = defaultdict(list)
    proposers: dict[Proposer, list[Reply]] = defaultdict(list)
    years: dict[int, list[Reply]] = defaultdict(list)
    theme_by_name = {t.name: t for t in themes}
    for reply in newest_first(replies):
        if reply.agency:
            agencies[registry.canonical(reply.agency)].lead.append(reply)
        for name in reply.co_agencies:
            agencies[registry.canonical(name)].co.append(reply)
        for name in reply.themes:
            theme = theme_by_name.get(name) or Theme(name=name, slug=slugify(name))
            by_theme[theme].append(reply)
        for key, table in ((session_key(reply), sessions), (proposer_key(reply), proposers)):
            if key is not None:
                table[key].append(reply)
        if reply.year:
            years[reply.year].append(reply)
    return Index(dict(agencies), dict(by_theme), dict(sessions), dict(proposers), dict(years))
