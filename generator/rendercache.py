"""The render cache: which generated files a run need not render again.

In: the run's units of render work — one reply's page and record, one task of the
site's pages (a key's pages, a listing, a feed…), one open-data file — each named by
what work it is; the store and index of the run; what the last run's units read and
wrote (`renders.sqlite3`, beside the extraction cache). Out: for each unit, whether its
files would come out the same (then it is skipped and its files left as they are), and,
after the run, what each unit that ran read and wrote, kept for the next run.

How it knows. A unit reads the run's data through a few doors, and each notes a *fact*
while a unit runs (`recording`):
- the `ReplyStore` (`store.reads`): a reply's metadata (`r`), its commitments (`c`), its
  body's cache key (`b`, which names the body);
- the `Index`, watched (`Facts.watch`): a list of replies (`l`: its ids and dates, in
  order), the commitment counts of its replies (`k`), a lookup in a table of keys (`n`:
  the key found, or none), a whole table (`t`), a key's postings for related replies
  (`p`).
Everything else a unit uses is in its name — what `Facts.describe` makes of the task:
its function, arguments and closure, lists in them counting as facts — or is static: the
code, the templates, the libraries that write the files, the data dir's settings
(`static_digest`). A unit's signature hashes the static digest, its name and the digest
of every fact it read. Rendering is deterministic, so a unit whose facts have the digests
they had reads what it read then, step by step, and writes the same bytes: when its files
are still those the last run left (size, mtime, inode), it is skipped. A fact that is gone
(a reply deleted) has no digest, and its units run; so does a unit whose task holds
something `describe` does not know. Deleting `renders.sqlite3` is always safe; one that
cannot be used is started again, or the run renders everything.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import sqlite3
import sys
import types
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import date as Date
from functools import partial
from pathlib import Path

import yaml

from . import store as store_module
from .index import AgencyReplies, CommitmentList, Index
from .model import Key
from .render import joined
from .store import ReplyList, ReplyStore

PACKAGE = Path(__file__).resolve().parent
DB_NAME = "renders.sqlite3"
SEP = "\x1f"  # between the parts of a fact's name (ids and slugs never hold it)
# The libraries whose versions can change the bytes of a generated file.
LIBRARIES = ("jinja2", "markupsafe", "pyyaml", "pypinyin", "feedgen", "lxml", "python-dateutil", "opencc", "jieba")


class Undescribable(TypeError):
    """A task holds something whose state `describe` cannot tell: it always runs."""


DIGEST = 16  # bytes of every fact's digest (so that digests laid end to end never run together)


def _digest(*parts: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=DIGEST)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))  # no two lists of parts hash alike
        h.update(part)
    return h.digest()


ABSENT = _digest(b"absent")  # a lookup that found nothing: a fact like any other
GONE = b""  # what `RenderCache` keeps for a fact that is gone (no digest is empty)
COMPACT_FROM = 10000  # names in the table of facts before unread ones are counted


def signature(static: str, unit: str, digests: list[bytes]) -> bytes:
    """A unit's signature: its static digest, its name and the digests of the facts it
    read (every digest is DIGEST bytes: laid end to end they cannot run together)."""
    return _digest(static.encode(), unit.encode(), b"".join(digests))


def static_digest(templates: Path, data_dir: Path | None, options: str, site) -> str:
    """Everything every unit depends on that is not a fact: the whole package (its code
    and data: a change anywhere renders everything again, never wrong), the templates, the
    library versions, the data dir's settings, the run's options and its site settings."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{sys.version} {options}".encode())
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(_digest(path.relative_to(PACKAGE).as_posix().encode(), path.read_bytes()))
    for path in sorted(p for p in templates.rglob("*") if p.is_file()):
        h.update(_digest(path.relative_to(templates).as_posix().encode(), path.read_bytes()))
    for library in LIBRARIES:
        try:
            version = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        h.update(f"{library} {version};".encode())
    h.update(f"libyaml {getattr(yaml, '__with_libyaml__', False)};".encode())
    for name in ("agencies.yml", "themes.yml", "site.yml"):
        path = None if data_dir is None else data_dir / name
        h.update(_digest(name.encode(), path.read_bytes() if path is not None and path.is_file() else b""))
    h.update(repr(site).encode())
    for image in site.images():
        h.update(_digest(image.key.encode(), image.data))
    return h.hexdigest()


def reply_unit(reply_id: str) -> str:
    """The name of the unit of a reply's own files (its page and record)."""
    return f"reply{SEP}{reply_id}"


def _note(fact: tuple) -> None:
    reads = store_module.reads
    if reads is not None:
        reads.add(fact)


@contextmanager
def recording() -> Iterator[set]:
    """Note every fact read inside the block into the set it gives (and, when a unit is
    recording around it, into that unit's too: a part of a unit is read by the unit)."""
    before = store_module.reads
    store_module.reads = reads = set()
    try:
        yield reads
    finally:
        store_module.reads = before
        if before is not None:
            before |= reads


@contextmanager
def _quiet() -> Iterator[None]:
    before, store_module.reads = store_module.reads, None
    try:
        yield
    finally:
        store_module.reads = before


def _token(key):
    """A key as a fact names it: index keys are equal by type and slug."""
    return (type(key).__name__, key.slug) if isinstance(key, Key) else key


class WatchedList(ReplyList):
    """A list of replies of the index that notes itself (`l`) whenever it is used: every
    use of a `ReplyList` goes through its positions."""

    def __init__(self, plain: ReplyList, fact: str):
        self.source = plain.source
        self._positions = plain.positions
        self.fact = fact

    @property
    def positions(self):
        _note(("l", self.fact))
        return self._positions


class WatchedMap(Mapping):
    """A table of the index that notes each lookup (`n`, or `p` for the postings) and any
    use of the whole table (`t`)."""

    def __init__(self, table: str, items: dict, kind: str = "n"):
        self.table, self._items, self._kind = table, items, kind

    def _looked_up(self, key) -> None:
        _note((self._kind, self.table, _token(key)))

    def __getitem__(self, key):
        self._looked_up(key)
        return self._items[key]

    def get(self, key, default=None):
        self._looked_up(key)
        return self._items.get(key, default)

    def __contains__(self, key) -> bool:
        self._looked_up(key)
        return key in self._items

    def _whole(self) -> dict:
        _note(("t", self.table))
        return self._items

    def __iter__(self):
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def keys(self):
        return self._whole().keys()

    def items(self):
        return self._whole().items()

    def values(self):
        return self._whole().values()


class WatchedIndex(Index):
    """An index whose lists of commitments note the commitment counts of their replies
    as one fact (`k`), not one per reply: a page of a year's commitments depends on them all
    (where its rows begin), and notes the replies it shows as it reads them."""

    def commitments_of(self, replies: ReplyList) -> CommitmentList:
        if not isinstance(replies, WatchedList):
            return super().commitments_of(replies)
        _note(("l", replies.fact))
        _note(("k", replies.fact))
        with _quiet():
            return CommitmentList(replies, self.commitment_counts)


class WatchedCounts(Sequence):
    """The index's commitment count of each reply, by rank: each count read notes the
    reply's commitments (`c`)."""

    def __init__(self, counts, stored: Sequence[int]):
        self._counts, self._stored = counts, stored  # rank → count, rank → store position

    def __getitem__(self, rank):
        if isinstance(rank, slice):
            return [self[n] for n in range(*rank.indices(len(self._counts)))]
        if rank < 0:
            rank += len(self._counts)
        _note(("c", self._stored[rank]))
        return self._counts[rank]

    def __len__(self) -> int:
        _note(("l", "all"))
        return len(self._counts)


def _store_positions(replies) -> list[int]:
    """The store positions of a list of replies (its positions followed down its sources)."""
    positions = list(replies._positions if isinstance(replies, WatchedList) else replies.positions)
    source = replies.source
    while isinstance(source, ReplyList):
        inner = source._positions if isinstance(source, WatchedList) else source.positions
        positions = [inner[p] for p in positions]
        source = source.source
    if not isinstance(source, ReplyStore):
        raise Undescribable(f"not a list of the store: {type(source).__name__}")
    return positions


# Described anew wherever they stand: cheap, or made afresh for each task (a task's
# arguments, a bound method), so that keeping them would cost more than it saves (a
# short tuple or list too; a long one, the rows of a report, is kept).
_UNSHARED = (partial, types.MethodType, Key, WatchedList)


class Facts:
    """The facts of one run: what a recorded read is called (`names`), what it is worth
    (`digest`, made once per fact and kept), and what a task is (`describe`)."""

    def __init__(self, store: ReplyStore):
        self.store = store
        self._lists: dict[str, WatchedList] = {}
        self._tables: dict[str, dict[str, tuple]] = {}  # table → repr(token) → (key, value)
        self._postings: dict[str, object] = {}  # repr(token) → array of ranks
        self._ranked: list[int] = []  # rank → store position
        self._known: dict[int, str] = {}  # id() of the run's renderer and index → their names
        self._digests: dict[str, bytes | None] = {}
        self._tokens: list[bytes] | None = None  # store position → its id and date (`_ranks_digest`)

    # --- watching -------------------------------------------------------------------

    def list(self, replies: ReplyList, fact: str) -> WatchedList:
        """`replies` watched as the list named `fact`."""
        if fact in self._lists:
            raise ValueError(f"two lists named {fact!r}")
        self._lists[fact] = watched = WatchedList(replies, fact)
        return watched

    def _table(self, table: str, items: dict, kind: str = "n") -> WatchedMap:
        self._tables[table] = {repr(_token(key)): (key, value) for key, value in items.items()}
        return WatchedMap(table, items, kind)

    def known(self, value, name: str) -> None:
        """`value` (the run's renderer, its site settings) is described as `name`: what
        it holds is static (see `static_digest`) or watched."""
        self._known[id(value)] = name

    def watch(self, index: Index) -> WatchedIndex:
        """`index` watched: its lists and tables note what a unit reads of them (the lists
        and tables of `index` are replaced: use the index returned)."""
        index = WatchedIndex(**{f.name: getattr(index, f.name) for f in fields(index)})
        self._ranked = _store_positions(index.ranked if index.ranked is not None else index.replies)
        lists = self.list
        index.agencies = self._table("agencies", {
            agency: AgencyReplies(lists(found.lead, f"agencies{SEP}{agency.slug}{SEP}lead"),
                                  lists(found.co, f"agencies{SEP}{agency.slug}{SEP}co"), found.outcomes)
            for agency, found in index.agencies.items()})
        for table in ("themes", "sessions", "proposers", "years"):
            setattr(index, table, self._table(table, {
                key: lists(found, f"{table}{SEP}{_token(key)!r}") for key, found in getattr(index, table).items()}))
        for table in ("agency_by_name", "theme_by_name", "proposer_by_name"):
            setattr(index, table, self._table(table, getattr(index, table)))
        self._postings = {repr(_token(key)): ranks for key, ranks in index.postings.items()}
        index.postings = WatchedMap("postings", index.postings, kind="p")
        index.undated = lists(index.undated, "undated") if index.undated is not None else None
        index.replies = lists(index.replies, "all")
        index.commitment_counts = WatchedCounts(index.commitment_counts, self._ranked)
        self.known(index, "index")
        return index

    # --- names and digests ----------------------------------------------------------

    def names(self, reads: Iterable[tuple | str]) -> list[str]:
        """The names of recorded reads (or names already), sorted."""
        ids = self.store.id
        out = []
        for fact in reads:
            if isinstance(fact, str):
                out.append(fact)
                continue
            kind = fact[0]
            if kind in ("r", "c", "b"):
                out.append(f"{kind}{SEP}{ids(fact[1])}")
            elif kind in ("n", "p"):
                out.append(f"{kind}{SEP}{fact[1]}{SEP}{fact[2]!r}")
            else:  # l, k, t
                out.append(f"{kind}{SEP}{fact[1]}")
        return sorted(set(out))

    def digest(self, name: str) -> bytes | None:
        """What fact `name` is worth in this run; None if it is gone."""
        try:
            return self._digests[name]
        except KeyError:
            pass
        with _quiet():
            value = self._digests[name] = self._compute(name)
        return value

    def _compute(self, name: str) -> bytes | None:
        kind, _, rest = name.partition(SEP)
        store = self.store
        if kind in ("r", "c", "b"):
            position = store.position(rest)
            if position is None:
                return None
            if kind == "r":
                return store.metadata_digest(position)
            if kind == "c":
                return store.commitments_digest(position)
            return _digest((store.key(position) or "").encode())
        if kind in ("l", "k"):
            replies = self._lists.get(rest)
            if replies is None:
                return None
            positions = _store_positions(replies)
            if kind == "k":  # the commitment counts of the list's replies, in order
                return _digest(array("I", map(store.commitment_count, positions)).tobytes())
            return self._ranks_digest(positions)
        if kind == "p":
            _, _, token = rest.partition(SEP)
            ranks = self._postings.get(token)
            return ABSENT if ranks is None else self._ranks_digest(map(self._ranked.__getitem__, ranks))
        if kind == "n":
            table, _, token = rest.partition(SEP)
            if table not in self._tables:
                return None
            found = self._tables[table].get(token)
            return ABSENT if found is None else _digest(self.describe(found[0]).encode(),
                                                        self.describe(found[1]).encode())
        if kind == "t":
            if rest == "postings":
                return _digest(*(token.encode() + (self.digest(f"p{SEP}postings{SEP}{token}") or b"")
                                 for token in self._postings))
            items = self._tables.get(rest)
            if items is None:
                return None
            return _digest(*(_digest(self.describe(key).encode(), self.describe(value).encode())
                             for key, value in items.values()))
        return None

    def _ranks_digest(self, positions: list[int]) -> bytes:
        """A list of replies by store position: its ids and dates, in order (the dates
        order the candidates of related replies across lists)."""
        if self._tokens is None:  # each reply's, made once
            store = self.store
            self._tokens = [f"{store.id(p)} {store.date_ordinal(p)}\n".encode() for p in range(len(store))]
        return _digest(b"".join(map(self._tokens.__getitem__, positions)))

    def signature(self, static: str, unit: str, names: Iterable[str]) -> bytes | None:
        """The signature of unit `unit` having read the facts `names` (in the order kept);
        None when one of them is gone. The names themselves are kept with the signature, so
        their digests alone are hashed."""
        known, values = self._digests, []
        for name in names:
            value = known.get(name)
            if value is None:
                value = self.digest(name)
                if value is None:
                    return None
            values.append(value)
        return signature(static, unit, values)

    # --- tasks ----------------------------------------------------------------------

    def describe(self, value, facts: set | None = None) -> str:
        """`value` as text, equal for values that make the same work: plain values by
        their repr, dataclasses and the package's plain objects field by field, functions by
        their code's place and closure, the run's renderer and index by name, a watched
        list by its fact (added to `facts`). Raises Undescribable for anything else."""
        found: set = set()
        text = self._describe(value, found, None)
        if facts is not None:
            facts |= found
        return text

    def _describe(self, value, facts: set, memo: dict | None) -> str:
        """`describe`; with `memo` (id → digest and facts), each object described once and
        standing for it in the description of what holds it by the digest of its own (a
        batch of tasks shares its lists, keys and settings; every object described is alive
        as long as the tasks are, so its id is its own)."""
        if value is None or isinstance(value, (bool, int, float, str, bytes, Date)):
            return repr(value)
        if memo is None or isinstance(value, _UNSHARED) or (isinstance(value, (tuple, list)) and len(value) < 32):
            return self._describe_object(value, facts, memo)
        hit = memo.get(id(value))
        if hit is None:
            own: set = set()
            text = self._describe_object(value, own, memo)
            hit = memo[id(value)] = ("#" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest(), frozenset(own))
        facts |= hit[1]
        return hit[0]

    def _describe_object(self, value, facts: set, memo: dict | None) -> str:
        if id(value) in self._known:
            return f"<{self._known[id(value)]}>"
        if isinstance(value, Key):  # frozen, its fields plain values: its repr says all
            return repr(value)
        if isinstance(value, WatchedList):
            facts.add(f"l{SEP}{value.fact}")
            return f"L({value.fact!r})"

        def d(item) -> str:
            return self._describe(item, facts, memo)

        if isinstance(value, (tuple, list)):
            return ("(" if isinstance(value, tuple) else "[") + ",".join(map(d, value)) + ")"
        if type(value) in (dict, Counter, set, frozenset):  # not a defaultdict: its factory is state too
            if isinstance(value, dict):
                inner = ",".join(f"{d(k)}:{d(v)}" for k, v in value.items())
            else:
                inner = ",".join(sorted(map(d, value)))
            return f"{type(value).__name__}{{{inner}}}"
        if isinstance(value, partial):
            return f"partial({d(value.func)};{d(value.args)};{d(value.keywords)})"
        if isinstance(value, types.MethodType):
            return f"{d(value.__self__)}.{value.__func__.__qualname__}"
        if isinstance(value, types.FunctionType):
            code = value.__code__
            try:
                cells = ",".join(d(cell.cell_contents) for cell in value.__closure__ or ())
            except ValueError:  # a cell not yet bound
                raise Undescribable(f"{value.__qualname__}: an empty closure cell") from None
            return (f"{value.__module__}.{value.__qualname__}@{code.co_firstlineno}"
                    f"(({cells});{d(value.__defaults__)};{d(value.__kwdefaults__)})")
        kind = type(value)
        if is_dataclass(value) and not isinstance(value, type):
            return f"{kind.__module__}.{kind.__qualname__}(" + ",".join(
                f"{f.name}={d(getattr(value, f.name))}" for f in fields(value)) + ")"
        if kind.__module__.startswith(__package__ + ".") and hasattr(value, "__dict__") \
                and not any(c.__dict__.get("__slots__") for c in kind.__mro__):  # no state outside vars()
            return f"{kind.__module__}.{kind.__qualname__}({d(vars(value))})"
        raise Undescribable(f"cannot describe a {kind.__module__}.{kind.__qualname__}")

    def unit_names(self, tasks: list) -> list[tuple[str | None, frozenset]]:
        """The name of the unit running each of `tasks` (None: it cannot be cached) and
        the facts its description holds."""
        memo: dict = {}
        out = []
        for task in tasks:
            facts: set = set()
            try:
                text = self._describe_object(task, facts, memo)  # the task itself: not kept in `memo`
            except Undescribable:
                out.append((None, frozenset()))
                continue
            out.append(("task" + SEP + hashlib.blake2b(text.encode(), digest_size=16).hexdigest(), frozenset(facts)))
        return out


class Splice:
    """An open-data file (`render.OpenDataFile`) made again from the file the last run
    wrote: each reply's piece is a part of the unit with its own facts, and a piece whose
    facts have the digests they had is read back from that file (where the last run noted
    it) rather than made again. The old file is used only when it is still as that run left
    it; then the pieces it holds are exactly those the run would make."""

    def __init__(self, cache: RenderCache, name: str, facts: Facts, path: str):
        self.cache, self.name, self.facts, self.path = cache, name, facts, path
        self.old: dict[str, tuple[bytes, int, int, array]] = {}  # id → (signature, offset, length, fact ids)
        self.table: list[str] = []  # this run's pieces, as `RenderCache.save` keeps them
        entry, pieces = cache._entries.get(name), cache._pieces.get(name)
        if entry is not None and pieces and cache._unchanged(entry[2]) is not None:
            for line in pieces.split("\n"):
                reply_id, signature, offset, length, ids = line.split("\t")
                self.old[reply_id] = (bytes.fromhex(signature), int(offset), int(length),
                                      array("I", map(int, ids.split(","))) if ids else array("I"))

    def join(self, file, replies: ReplyList) -> Iterator[str]:
        """The text of `file` for `replies` (in id order), in pieces (`render.joined`)."""
        return joined(file, self._pieces(file, replies))

    def _pieces(self, file, replies: ReplyList) -> Iterator[str]:
        facts, cache = self.facts, self.cache
        handle = None
        if self.old:
            try:
                handle = open(cache._root + self.path, "rb")
            except OSError:
                self.old = {}
        offset = 0  # in the new file, in bytes
        first = True
        try:
            for n, position in enumerate(_store_positions(replies)):
                reply_id = facts.store.id(position)
                part = f"{self.name}{SEP}{reply_id}"
                old = self.old.get(reply_id)
                if old is not None and cache._signature(part, old[3], facts) == old[0]:
                    signature, start, length, ids = old
                    handle.seek(start)
                    data = handle.read(length)
                    piece = data.decode("utf-8")
                    if store_module.reads is not None:  # the unit read them as surely
                        store_module.reads.update(cache._names[i] for i in ids)
                else:
                    with recording() as reads:
                        piece = file.piece(replies, n)
                    names = facts.names(reads)
                    signature = facts.signature(cache.static, part, names) or b""  # b"": never matches
                    ids = cache._numbers_of(names)
                    length = len(piece.encode("utf-8"))
                if piece:
                    offset += len((file.head if first else file.separator).encode("utf-8"))
                    first = False
                self.table.append(f"{reply_id}\t{signature.hex()}\t{offset}\t{length}\t{','.join(map(str, ids))}")
                offset += length
                yield piece
        finally:
            if handle is not None:
                handle.close()
        cache._spliced[self.name] = "\n".join(self.table)


class RenderCache:
    """What each unit of the last run read (its facts, by number in a table of names, and
    its signature) and wrote (its files with their size, mtime and inode), in one SQLite
    file; read whole when opened, written once, when the run's files are in place (`save`)."""

    def __init__(self, root: Path | None, static: str, docs: Path):
        self.static = static
        self.docs = docs.resolve()
        self._root = str(self.docs) + os.sep
        self.path = None if root is None else root / DB_NAME
        self.notices: list[str] = []
        self.facts: Facts | None = None  # the run's (`watch`)
        self._names: list[str] = []  # fact number → name
        self._numbers: dict[str, int] | None = None  # name → number, made when a unit has run
        self._known = 0  # names of the table when `_numbers` was made: those after it are new
        self._values: list = []  # fact number → its digest in this run (made on demand; GONE: none)
        self._entries: dict[str, tuple[bytes, bytes, str]] = {}  # name → (signature, fact numbers, outputs)
        self._ran: dict[str, tuple[bytes, array, list[str]]] = {}  # this run's: name → (signature, facts, files)
        self._kept: set[str] = set()  # units skipped: their entries stand
        self._pieces: dict[str, str] = {}  # an open-data unit's pieces (see `Splice`), as the last run left them
        self._spliced: dict[str, str] = {}  # this run's
        if self.path is not None:
            self._load()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA cache_size=-1024")  # read once, whole: 1 MB of pages is enough
        db.execute("CREATE TABLE IF NOT EXISTS facts (number INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS units (name TEXT PRIMARY KEY, signature BLOB NOT NULL, "
                    "facts BLOB NOT NULL, outputs TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS pieces (name TEXT PRIMARY KEY, pieces TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        return db

    def _load(self) -> None:
        """Read the last run's entries, if they were written for this code and docs dir."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _closing(self._open()) as db:
                meta = dict(db.execute("SELECT name, value FROM meta"))
                if meta.get("static") == self.static and meta.get("docs") == str(self.docs):
                    names = db.execute("SELECT number, name FROM facts ORDER BY number").fetchall()
                    if any(number != n for n, (number, _) in enumerate(names)):
                        raise sqlite3.DatabaseError("the table of facts has gaps")
                    self._names = [name for _, name in names]
                    self._entries = {name: (signature, facts, outputs) for name, signature, facts, outputs
                                     in db.execute("SELECT name, signature, facts, outputs FROM units")}
                    self._pieces = dict(db.execute("SELECT name, pieces FROM pieces"))
        except (sqlite3.DatabaseError, OSError) as exc:
            self._names, self._entries, self._pieces = [], {}, {}
            self._start_again(exc)
        self._values = [None] * len(self._names)

    def _start_again(self, exc: Exception) -> None:
        """A damaged file is removed (nothing in it is worth keeping): the run renders all."""
        self.notices.append(f"the render cache {self.path} could not be read ({exc}); started again")
        for suffix in ("", "-wal", "-shm"):
            try:
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except OSError:
                pass

    # --- the run's side: what its units are and what they read --------------------------

    def watch(self, store: ReplyStore, index: Index, *known) -> WatchedIndex:
        """Start the run's facts: `index` watched (use the index returned), `known` the
        run's objects that hold only what is static or watched (its renderer, its site
        settings), which a task's description names rather than describes."""
        self.facts = Facts(store)
        watched = self.facts.watch(index)
        for number, value in enumerate(known):
            self.facts.known(value, f"{type(value).__name__}{number}")
        return watched

    def names(self, tasks: list) -> list[tuple[str | None, frozenset]]:
        """The unit name of each of `tasks` and the facts it holds (`Facts.unit_names`)."""
        return self.facts.unit_names(tasks)

    def watched(self, replies: ReplyList, fact: str) -> WatchedList:
        """`replies` (the run's published replies, say) watched as the list named `fact`."""
        return self.facts.list(replies, fact)

    def read(self, unit: str, reads: set, declared: frozenset) -> tuple[bytes, bytes | None]:
        """What unit `unit` read (recorded `reads` and the facts its name holds), packed to
        travel from a worker (a run's units read half a million facts, their names repeating
        much), and the signature they make."""
        names = sorted(set(self.facts.names(reads)) | declared)
        return zlib.compress("\n".join(names).encode(), 1), self.facts.signature(self.static, unit, names)

    def _signature(self, unit: str, numbers, facts: Facts) -> bytes | None:
        """The signature of `unit` having read the facts `numbers` (of the table of names),
        as they are in this run; None when one is gone."""
        values, out = self._values, []
        try:
            for number in numbers:
                value = values[number]
                if value is None:
                    value = values[number] = facts.digest(self._names[number]) or GONE
                if value is GONE:
                    return None
                out.append(value)
        except IndexError:  # a number the table does not have: a damaged entry
            return None
        return signature(self.static, unit, out)

    def fresh(self, name: str | None) -> list[str] | None:
        """The files of unit `name` if the last run's are what it would write now; else None."""
        if name is None:
            return None
        entry = self._entries.get(name)
        if entry is None:
            return None
        numbers = array("I")
        numbers.frombytes(entry[1])
        if self._signature(name, numbers, self.facts) != entry[0]:
            return None
        files = self._unchanged(entry[2])
        if files is not None:
            self._kept.add(name)
        return files

    def _unchanged(self, outputs: str) -> list[str] | None:
        """The files of `outputs` (one per line, with the size, mtime and inode the last
        run left them with) if each still has them; else None."""
        files = []
        for line in outputs.split("\n") if outputs else []:
            rel, size, mtime, inode = line.rsplit("\t", 3)
            try:
                stat = os.stat(self._root + rel, follow_symlinks=False)
            except OSError:
                return None
            if (stat.st_size, stat.st_mtime_ns, stat.st_ino) != (int(size), int(mtime), int(inode)):
                return None
            files.append(rel)
        return files

    def splice(self, name: str | None, path: str) -> Splice | None:
        """How unit `name`, the open-data file `path`, reuses the pieces of the last run's."""
        return None if name is None else Splice(self, name, self.facts, path)

    def ran(self, name: str | None, signature: bytes | None, facts: bytes, files: list[str]) -> None:
        """Unit `name` ran, read `facts` (as `read` packed them) and produced `files`."""
        if name is not None and signature is not None:
            names = zlib.decompress(facts).decode()
            self._ran[name] = (signature, self._numbers_of(names.split("\n") if names else []), files)

    def _numbers_of(self, names: Iterable[str]) -> array:
        """The numbers of `names` in the table of names (new names added to it)."""
        if self._numbers is None:
            self._numbers = {name: number for number, name in enumerate(self._names)}
            self._known = len(self._names)
        numbers = array("I")
        for name in names:
            number = self._numbers.get(name)
            if number is None:
                number = self._numbers[name] = len(self._names)
                self._names.append(name)
            numbers.append(number)
        return numbers

    def _mostly_unread(self, rows: list[tuple], pieces: list[tuple]) -> bool:
        """Whether most names of the table are read by no unit kept (replies removed
        and renamed leave theirs behind): then the cache is better started again."""
        if len(self._names) < COMPACT_FROM:
            return False
        read: set[int] = set()
        for blob in [self._entries[name][1] for name in self._kept] + [row[2] for row in rows]:
            numbers = array("I")
            numbers.frombytes(blob)
            read.update(numbers)
        for text in [self._pieces.get(name, "") for name in self._kept] + [text for _, text in pieces]:
            for line in text.split("\n") if text else []:
                numbers = line.rpartition("\t")[2]
                if numbers:
                    read.update(map(int, numbers.split(",")))
        return len(self._names) > 2 * len(read)

    def save(self) -> None:
        """Keep this run's units (their files as they are now in docs/) and forget the units
        that did not come up; call once the run's files are in place."""
        if self.path is None:
            return
        known = self._known if self._numbers is not None else len(self._names)
        rows = []
        for name, (signature, numbers, files) in self._ran.items():
            outputs = []
            try:
                for rel in files:
                    stat = os.stat(self._root + rel, follow_symlinks=False)
                    outputs.append(f"{rel}\t{stat.st_size}\t{stat.st_mtime_ns}\t{stat.st_ino}")
            except OSError:
                continue  # not written after all: the next run renders it
            rows.append((name, signature, numbers.tobytes(), "\n".join(outputs)))
        pieces = [(name, self._spliced[name]) for name in self._ran if name in self._spliced]
        gone = [(name,) for name in self._entries if name not in self._kept and name not in self._ran]
        again = len(self._names) > known and self._mostly_unread(rows, pieces)
        if again:  # the table of names is mostly of facts no unit reads: started again, empty
            rows, pieces, self._names = [], [], []
        try:
            with _closing(self._open()) as db:
                db.execute("BEGIN")
                meta = dict(db.execute("SELECT name, value FROM meta"))
                if again or meta.get("static") != self.static or meta.get("docs") != str(self.docs):
                    for table in ("units", "pieces", "facts"):
                        db.execute(f"DELETE FROM {table}")
                    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                   [("static", self.static), ("docs", str(self.docs))])
                    known = 0
                db.executemany("INSERT INTO facts VALUES (?, ?)",
                               ((number, self._names[number]) for number in range(known, len(self._names))))
                db.executemany("DELETE FROM units WHERE name = ?", gone)
                db.executemany("DELETE FROM pieces WHERE name = ?", gone)
                db.executemany("INSERT OR REPLACE INTO units VALUES (?, ?, ?, ?)", rows)
                db.executemany("INSERT OR REPLACE INTO pieces VALUES (?, ?)", pieces)
                db.execute("COMMIT")
        except (sqlite3.DatabaseError, OSError) as exc:
            self._start_again(exc)


@contextmanager
def _closing(db: sqlite3.Connection):
    try:
        yield db
    finally:
        db.close()
