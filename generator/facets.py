"""The 检索 page's facets: an Index → each reply's facet values, and the tables the page reads.

In: the `Index` of a run. Out:
- `reply_facets(reply, index)`: the values a reply is filtered by, facet by facet (index-key
  slugs, ASCII: Pagefind 1.5 matches no filter value in Chinese), which the reply page
  carries as Pagefind filters (`data-pagefind-filter`) with its sort value
  (`sort_value`, `data-pagefind-sort`);
- `facet_tables(index)`: every facet's values with their names and counts, in the order
  the page lists them (one pass over the replies; the three scripts below take it);
- `facets_script(index, tables)`: `find/facets.js`, those tables (a few KB; the page's select boxes are filled
  from it, so that the page does not grow with the archive);
- `postings_script(index, tables)`: `find/postings.js`, the reply ids in index order (newest
  first) and, for each value of each facet, the positions of its replies: what the hosted
  page filters and counts by when there is no query (Pagefind, asked for every page of a
  filter without a query, downloads its whole index: 21 MB at 10,000 replies);
- `rows_script(index, tables)`: `find/replies.js`, one row per reply with its facet values,
  which the page filters by itself where Pagefind cannot run (the offline archive opened
  from disk, a build with Material's search). Loaded by nothing else.

The scripts assign a global, so that a page opened from disk (file://, where a script
may not fetch) can load them with a <script> tag.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from .index import Index, session_key
from .model import OUTCOME, Reply, proposal_ref
from .text import slugify

FACETS_SCRIPT = "find/facets.js"
POSTINGS_SCRIPT = "find/postings.js"
ROWS_SCRIPT = "find/replies.js"
NO_OUTCOME = "none"  # the outcome facet's value for a reply that states no class
UNDATED = "0000-00-00"  # sorts last, newest first


@dataclass(frozen=True)
class Facet:
    key: str  # the filter's name (Pagefind) and the URL parameter of the 检索 page
    label: str  # what the page calls it


# In the page's order. `lead` is `agency` restricted to lead agencies (the page's 仅主办).
FACETS = (
    Facet("agency", "承办单位"), Facet("lead", "主办单位"), Facet("theme", "主题"), Facet("session", "会议"),
    Facet("year", "年份"), Facet("kind", "类别"), Facet("ptype", "提出者类别"), Facet("outcome", "办理结果"),
)
PAGE_FILTER = ("page", "reply")  # on every reply page: a filter-only query lists replies, not other pages


@lru_cache(maxsize=64)  # pinyin is slow (30 µs), and a run has a few kinds and proposer types
def _code(name: str) -> str:
    return slugify(name)


def reply_facets(reply: Reply, index: Index) -> dict[str, list[str]]:
    """The facet values of `reply`: {facet key: [value, ...]} (values are slugs or codes)."""
    agencies = [index.agency_by_name[name].slug for name in (reply.agency, *reply.co_agencies) if name]
    session = session_key(reply)
    return {
        "agency": list(dict.fromkeys(agencies)),
        "lead": [index.agency_by_name[reply.agency].slug] if reply.agency else [],
        "theme": [index.theme_by_name[name].slug for name in reply.themes],
        "session": [session.slug] if session is not None else [],
        "year": [str(reply.year)] if reply.year else [],
        "kind": [_code(reply.proposal_kind)] if reply.proposal_kind else [],
        "ptype": [_code(reply.proposer_type)] if reply.proposer_type else [],
        "outcome": [reply.classification.lower() if reply.classification else NO_OUTCOME],
    }


def sort_value(reply: Reply) -> str:
    """The reply's `date` sort value: its date then its id, so that no two replies tie
    and every reply has one (Pagefind leaves a page without a value out of a sorted list)."""
    return f"{reply.date.isoformat() if reply.date else UNDATED} {reply.id}"


def filter_marks(reply: Reply, index: Index) -> list[tuple[str, str]]:
    """(filter, value) pairs for the reply page, PAGE_FILTER first."""
    return [PAGE_FILTER] + [(key, value) for key, values in reply_facets(reply, index).items() for value in values]


def _names(index: Index) -> dict[str, dict[str, str]]:
    """{facet key: {value: name}} for every value a reply of the index has."""
    names: dict[str, dict[str, str]] = {f.key: {} for f in FACETS}
    for agency in index.agencies:
        names["agency"][agency.slug] = names["lead"][agency.slug] = agency.name
    for theme in index.themes:
        names["theme"][theme.slug] = theme.name
    for session in index.sessions:
        names["session"][session.slug] = session.name
    for year in index.years:
        names["year"][str(year)] = f"{year}年"
    names["outcome"] = {letter.lower(): f"{letter}类（{meaning}）" for letter, meaning in OUTCOME.items()}
    names["outcome"][NO_OUTCOME] = "未标注"
    return names


def _counts(index: Index) -> tuple[dict[str, Counter], dict[str, str], dict[str, str]]:
    """Replies per facet value; and the names of the kinds and proposer types found."""
    counts: dict[str, Counter] = {f.key: Counter() for f in FACETS}
    kinds, ptypes = {}, {}
    for reply in index.replies:
        for key, values in reply_facets(reply, index).items():
            counts[key].update(values)
        if reply.proposal_kind:
            kinds[_code(reply.proposal_kind)] = reply.proposal_kind
        if reply.proposer_type:
            ptypes[_code(reply.proposer_type)] = reply.proposer_type
    return counts, kinds, ptypes


def facet_tables(index: Index) -> list[dict]:
    """Every facet with its values as [value, name, replies], in the page's order: the
    years newest first, the sessions as their index pages list them, outcomes A, B, C then
    none, the rest most replies first (ties by name)."""
    counts, kinds, ptypes = _counts(index)
    names = _names(index)
    names["kind"], names["ptype"] = kinds, ptypes
    sessions = sorted(index.sessions, key=lambda s: (s.place, s.body, -s.term, -s.meeting))
    order = {
        "year": lambda values: sorted(values, key=lambda v: -int(v)),
        "session": lambda values: [s.slug for s in sessions if s.slug in values],
        "outcome": lambda values: [v for v in [*(k.lower() for k in OUTCOME), NO_OUTCOME] if v in values],
    }
    tables = []
    for facet in FACETS:
        found = counts[facet.key]
        by_count = lambda values: sorted(values, key=lambda v: (-found[v], names[facet.key].get(v, v)))  # noqa: E731
        values = order.get(facet.key, by_count)(list(found))
        tables.append({"key": facet.key, "label": facet.label,
                       "values": [[v, names[facet.key].get(v, v), found[v]] for v in values]})
    return tables


def _script(name: str, data) -> str:
    # `</` would end a <script> element if the file were ever inlined: written as `<\/`.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f"window.{name}={text};\n"


def facets_script(index: Index, tables: list[dict]) -> str:
    """`find/facets.js`: the facet tables (`facet_tables(index)`) and the number of replies."""
    return _script("REPLY_FACETS", {"total": len(index.replies), "facets": tables})


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return out


def postings_script(index: Index, tables: list[dict]) -> str:
    """`find/postings.js`: {"ids": the reply ids joined by newlines, in index order (newest
    first), "postings": for each facet (FACETS order) and each of its values (the
    facets.js order), the positions of its replies in that order, as base-36 differences
    from the previous one joined by commas (a few bytes a reply and facet)}."""
    positions = [{value[0]: n for n, value in enumerate(table["values"])} for table in tables]
    lists: list[list[list[int]]] = [[[] for _ in table["values"]] for table in tables]
    ids = []
    for number, reply in enumerate(index.replies):
        ids.append(reply.id)
        found = reply_facets(reply, index)
        for n, facet in enumerate(FACETS):
            for value in found[facet.key]:
                lists[n][positions[n][value]].append(number)

    def packed(numbers: list[int]) -> str:
        return ",".join(_base36(b - a) for a, b in zip([0, *numbers], numbers))

    return _script("REPLY_POSTINGS", {"ids": "\n".join(ids), "postings": [[packed(found) for found in facet]
                                                                       for facet in lists]})


def rows_script(index: Index, tables: list[dict]) -> Iterator[str]:
    """`find/replies.js` in pieces: for each reply, newest first, [id, label, reference,
    date, lead agency, proposer, facet values (one list per FACETS entry, as indices into
    that facet's table), text searched by the offline page (label, proposer, agencies, doc
    number)]."""
    positions = [{value[0]: n for n, value in enumerate(table["values"])} for table in tables]
    yield "window.REPLY_ROWS=["
    for number, reply in enumerate(index.replies):
        values = reply_facets(reply, index)
        row = [
            reply.id, reply.label, proposal_ref(reply.proposal_kind, reply.proposal_number),
            reply.date.isoformat() if reply.date else "", reply.agency or "", reply.proposer or "",
            [[positions[n][v] for v in values[facet.key]] for n, facet in enumerate(FACETS)],
            " ".join(dict.fromkeys(filter(None, (reply.label, reply.proposal_title, reply.proposer, reply.agency,
                                                 *reply.co_agencies, reply.doc_number)))),
        ]
        yield ("" if number == 0 else ",\n") + json.dumps(row, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    yield "];\n"
