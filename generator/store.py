"""Where a run keeps its replies between extract and render: on disk, not in memory.

In: each Reply of the run (metadata, without its body) and the cache key of its
extraction, appended once by the run's main process. Out: a `ReplyStore`, a sequence of
those replies read back on demand, and `ReplyList`s, views of some of them in a chosen
order (an agency's replies, newest first…), which is what the index holds.

An archive of 100,000 replies has some 100 MB of metadata; held as Python objects it
would be three times that. Here each reply is pickled into one temporary file and
memory holds 16 bytes per reply (offsets, commitment count), an id → position table and
the index's positions (4 bytes per entry): reading a reply back costs a few microseconds.
A reply's commitments (the texts of a few paragraphs, three times its metadata) follow
it in the file and are read only when asked for (`commitments`), not with the reply.

For the render cache (`rendercache`), the store also keeps per reply a digest of its
metadata and one of its commitments (16 bytes each, made from the pickles written
anyway) and its date, and says what was read: while `reads` is a set, each read adds
(kind, position) to it — "r" the metadata, "c" the commitments, "b" the body's cache key.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields

from .model import Reply

# Every field but the body, which waits in the extraction cache, and the commitments,
# kept apart. (The last two fields: the others are Reply's first arguments, in order.)
STORED = tuple(f.name for f in fields(Reply) if f.name not in ("commitments", "blocks"))
BUFFER = 1 << 20  # bytes written at once
DIGEST = 16  # bytes of each digest (blake2b)

# What the running unit of render work read (see the module's docstring); None: not recording.
reads: set | None = None


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=DIGEST).digest()


class ReplyStore(Sequence):
    """The replies of a run, in the order appended; `store[n]` reads reply n back.

    Ids are unique (`append` refuses a second), so `position(id)` finds a reply. The
    file is read with `os.pread`, so processes forked after the last `append` share it."""

    def __init__(self):
        self._file = tempfile.TemporaryFile(prefix="generator-replies-")
        self._fd = self._file.fileno()
        self._ends = array("Q", [0])  # reply n is bytes _ends[n]:_ends[n + 1]
        self._sizes = array("I")  # of which its metadata are the first _sizes[n], then its key, its commitments
        self._key_sizes = array("H")  # the bytes of reply n's cache key (UTF-8; 0: none), after its metadata
        self._counts = array("I")  # how many commitments reply n has
        self._digests = bytearray()  # reply n's metadata digest, then its commitments' (2*DIGEST bytes)
        self._dates = array("i")  # reply n's date as an ordinal, 0 when undated
        self._buffer = bytearray()
        self._written = 0  # bytes of the file already written (the buffer follows)
        self._positions: dict[str, int] = {}
        self._ids: list[str] = []  # position → id, the strings shared with `_positions`

    def append(self, reply: Reply, key: str | None = None) -> int:
        """Keep `reply` (its body is not kept) and `key`, where its extraction is in the
        cache; its position. Raises KeyError if its id is taken."""
        if reply.id in self._positions:
            raise KeyError(reply.id)
        blob = pickle.dumps(tuple(getattr(reply, name) for name in STORED), pickle.HIGHEST_PROTOCOL)
        packed = b"" if key is None else key.encode()
        if key is not None and not packed:
            raise ValueError("an empty cache key")
        promised = pickle.dumps(reply.commitments, pickle.HIGHEST_PROTOCOL) if reply.commitments else b""
        self._buffer += blob + packed + promised
        self._ends.append(self._ends[-1] + len(blob) + len(packed) + len(promised))
        self._sizes.append(len(blob))
        self._key_sizes.append(len(packed))
        self._counts.append(len(reply.commitments))
        self._digests += digest(blob) + digest(promised)
        self._dates.append(reply.date.toordinal() if reply.date else 0)
        if len(self._buffer) >= BUFFER:
            self.flush()
        position = len(self._ids)
        self._positions[reply.id] = position
        self._ids.append(reply.id)
        return position

    def flush(self) -> None:
        """Write out what `append` buffered (done before reading it back, and before
        processes are forked, so that they never write)."""
        if self._buffer:
            os.pwrite(self._fd, self._buffer, self._written)
            self._written += len(self._buffer)
            self._buffer.clear()

    def _at(self, position: int) -> int:
        """`position` from 0 (a negative one counts from the end), checked."""
        if position < 0:
            position += len(self._ids)
        if not 0 <= position < len(self._ids):
            raise IndexError(position)
        return position

    def _bytes(self, position: int, part: int) -> bytes:
        """Part 0 (metadata), 1 (cache key) or 2 (commitments) of reply `position`."""
        start, end = self._ends[position], self._ends[position + 1]
        if end > self._written:
            self.flush()
        bounds = (start, start + self._sizes[position], start + self._sizes[position] + self._key_sizes[position], end)
        start, end = bounds[part], bounds[part + 1]
        return os.pread(self._fd, end - start, start) if end > start else b""

    def _read(self, position: int, commitments: bool = False):
        """The metadata of reply `position` (from 0, checked), or its commitments."""
        data = self._bytes(position, 2 if commitments else 0)
        return pickle.loads(data) if data else ()

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[n] for n in range(*position.indices(len(self)))]
        position = self._at(position)
        if reads is not None:
            reads.add(("r", position))
        return Reply(*self._read(position))

    def __iter__(self) -> Iterator[Reply]:
        return (self[n] for n in range(len(self)))

    def position(self, reply_id: str) -> int | None:
        """The position of the reply with this id, or None."""
        return self._positions.get(reply_id)

    def id(self, position: int) -> str:
        return self._ids[position]

    def commitments(self, position: int) -> tuple[str, ...]:
        """The commitments of reply `position` (not read with the reply)."""
        position = self._at(position)
        if reads is not None:
            reads.add(("c", position))
        return self._read(position, commitments=True) if self._counts[position] else ()

    def commitment_count(self, position: int) -> int:
        position = self._at(position)
        if reads is not None:
            reads.add(("c", position))
        return self._counts[position]

    def key(self, position: int) -> str | None:
        """The cache key of the extraction of reply `position`."""
        position = self._at(position)
        if reads is not None:
            reads.add(("b", position))
        return self._key(position)

    def _key(self, position: int) -> str | None:
        return self._bytes(position, 1).decode() if self._key_sizes[position] else None

    def keys(self) -> Iterator[str]:
        """The cache keys of every reply, in order."""
        return (key for n in range(len(self)) if (key := self._key(n)) is not None)

    def metadata_digest(self, position: int) -> bytes:
        """A digest of reply `position`'s metadata: equal digests, equal metadata."""
        return bytes(self._digests[2 * DIGEST * position:2 * DIGEST * position + DIGEST])

    def commitments_digest(self, position: int) -> bytes:
        return bytes(self._digests[2 * DIGEST * position + DIGEST:2 * DIGEST * (position + 1)])

    def date_ordinal(self, position: int) -> int:
        """Reply `position`'s date as an ordinal, 0 when it has none (read without the reply)."""
        return self._dates[position]

    def view(self, positions: Iterable[int] = ()) -> ReplyList:
        return ReplyList(self, positions)

    def close(self) -> None:
        self._file.close()


class ReplyList(Sequence):
    """Some replies of a sequence (a `ReplyStore`, or any list of replies), by position,
    in a given order; read back as they are used. `append` adds a position."""

    def __init__(self, source: Sequence, positions: Iterable[int] = ()):
        self.source = source
        self.positions = array("I", positions)

    def append(self, position: int) -> None:
        self.positions.append(position)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [self.source[p] for p in self.positions[n]]
        return self.source[self.positions[n]]

    def commitments(self, n: int) -> tuple[str, ...]:
        """The commitments of reply n: a store's read apart from the reply, a list's on it."""
        source, position = self.source, self.positions[n]
        return source.commitments(position) if isinstance(source, (ReplyStore, ReplyList)) else \
            source[position].commitments

    def commitment_count(self, n: int) -> int:
        source, position = self.source, self.positions[n]
        return source.commitment_count(position) if isinstance(source, (ReplyStore, ReplyList)) else \
            len(source[position].commitments)

    def __iter__(self) -> Iterator[Reply]:
        return (self.source[p] for p in self.positions)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReplyList):
            return list(self) == list(other)
        return isinstance(other, list) and list(self) == other

    __hash__ = None  # mutable, like a list

    def __add__(self, other: Iterable) -> list:  # as a list would: the replies, read
        return [*self, *other]

    def __radd__(self, other: Iterable) -> list:
        return [*other, *self]

    def by_id(self) -> ReplyList:
        """The same replies in the order of their ids (as the open data lists them)."""
        source = self.source
        if isinstance(source, ReplyStore):  # ids in memory: no reply is read to sort
            order = sorted(self.positions, key=source.id)
        else:
            order = sorted(self.positions, key=lambda p: source[p].id)
        return ReplyList(source, order)

    def __repr__(self) -> str:
        return f"ReplyList({len(self)} replies)"
