"""The extraction cache: what read → clean → extract → classify made of a source file.

In: a source file's name and bytes. Out: its (Reply, problems), as the stages made them
before, if nothing they depend on has changed: the key hashes the file's name and bytes
with a fingerprint of the code, the registries and the options of the run.

Two uses: a regenerate after one reply changed does the work of one reply, not of all;
and the reply bodies wait here (on disk) until their page is rendered, so memory does not
grow with the bodies of the corpus (their metadata waits in the run's `ReplyStore`).
Beside each entry, its *head*: what a run keeps of it before rendering (the reply
without its body, its problems, its commitments; see `pipeline._head`), a few KB that
a regenerate reads instead of the whole entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
DB_NAME = "extractions.sqlite3"
_INHERITED: list = []  # connections a forked process got from its parent (see DiskCache)
# Modules of the later stages (index, render, site) and the command line: what an
# extraction result cannot depend on. Every other module counts, new ones included.
NOT_EXTRACTION = frozenset({"__main__.py", "archive.py", "charts.py", "check.py", "cli.py", "index.py",
                            "mkdocs_hooks.py", "pagefind_shards.py", "render.py", "rendercache.py", "site.py",
                            "store.py"})


def fingerprint(data_dir: Path, keep_contacts: bool, ocr: bool = False) -> str:
    """Everything an extraction result depends on besides its own file."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} {keep_contacts}{' ocr' if ocr else ''}".encode())
    for path in sorted(PACKAGE.rglob("*.py")):  # a change of the extraction code (readers too) invalidates the cache
        if path.name in NOT_EXTRACTION and path.parent == PACKAGE:
            continue
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    for name in ("agencies.yml", "themes.yml", "site.yml"):
        path = data_dir / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()


class MemoryCache:
    """The cache of a run that keeps nothing: results live in memory for the run only.

    Entries are stored pickled (`dumps`), as a worker process sends them, so that a body
    costs its bytes, not its objects, until its page is rendered."""

    def __init__(self, fingerprint: str = ""):
        self._fingerprint = fingerprint.encode()
        self._items: dict[str, bytes] = {}
        self._heads: dict[str, bytes] = {}

    def key(self, name: str, data: bytes) -> str:
        return hashlib.sha256(self._fingerprint + name.encode() + b"\0" + data).hexdigest()[:40]

    def load(self, key: str):
        blob = self._items.get(key)
        return None if blob is None else pickle.loads(blob)

    def store(self, key: str, blob: bytes) -> None:
        """Keep `blob`, a value pickled by `dumps`."""
        self._items[key] = blob

    def load_head(self, key: str):
        blob = self._heads.get(key)
        return None if blob is None else pickle.loads(blob)

    def store_head(self, key: str, blob: bytes) -> None:
        """Keep `blob` (pickled by `dumps`) as the head of entry `key`."""
        self._heads[key] = blob

    def flush(self) -> None:
        """Make every stored entry visible to processes forked from now on."""

    def prune(self, used: Iterable[str]) -> int:
        return 0


def dumps(value) -> bytes:
    """A cache value as the caches keep it."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class DiskCache(MemoryCache):
    """Every entry in one SQLite file under `root`, kept between runs.

    One file, not one per source: creating tens of thousands of small files costs more
    than the extraction it saves on some file systems. Written by one process (the run's
    main process; workers send it their results) and read by any (WAL mode), each process
    on its own connection, since SQLite connections must not cross a fork."""

    COMMIT_EVERY = 500  # entries per transaction: few commits, and little lost if killed

    def __init__(self, root: Path, fingerprint: str):
        super().__init__(fingerprint)
        self.root = root
        self.path = root / DB_NAME
        self._db: sqlite3.Connection | None = None
        self._pid = 0  # the process that opened `_db`
        self._pending = 0
        self._memory = False  # the file cannot be used: entries kept in memory, for this run
        self._restarted = False  # set aside and started again once this run already
        self.notices: list[str] = []  # what went wrong with the cache, for the run's output
        self._start()

    @property
    def unusable(self) -> bool:
        """The file could not be used: the run keeps its entries in memory."""
        return self._memory

    def __getstate__(self):  # sent to a spawned worker: without the connection
        return {**self.__dict__, "_db": None, "_pid": 0}

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        db.execute("PRAGMA page_size=16384")  # for a new file: an entry (~20 KB) in 2 pages, not 5
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # a cache: consistent after a crash is enough
        db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS heads (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        return db

    def _start(self) -> None:
        """Open the file (here, before any worker is forked), or start it again when it is
        not a database or was written for another fingerprint: then every entry is stale,
        and removing them one by one would leave a file twice the size. A cache that
        cannot be opened whatever is done (a read-only disk) leaves the run without one."""
        try:
            self._open_fresh()
        except (sqlite3.DatabaseError, OSError) as exc:
            self._start_again(exc)

    def _start_again(self, exc: Exception) -> None:
        """Set the damaged cache aside and open an empty one; or, if even that fails, go
        on without a cache."""
        self._set_aside(exc)
        try:
            self._open_fresh()
        except (sqlite3.DatabaseError, OSError) as again:
            self._without(f"cannot be used ({again})")

    def _without(self, why: str) -> None:
        """Keep the run's entries in memory from now on (the file is left as it is)."""
        self.notices.append(f"the extraction cache {self.path} {why}; running without it")
        self._close_quietly()
        self._memory = True

    def _open_fresh(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fingerprint = self._fingerprint.decode()
        db = stored = None
        try:
            db = self._open()
            stored = db.execute("SELECT value FROM meta WHERE name = 'fingerprint'").fetchone()
        except sqlite3.DatabaseError:
            if db is not None:
                db.close()
            db = None
        if stored is None or stored[0] != fingerprint:
            if db is not None:
                db.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            db = self._open()
            db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
        self._db, self._pid, self._pending = db, os.getpid(), 0

    def _set_aside(self, exc: Exception) -> None:
        """Move a damaged cache out of the way (as `<name>.damaged`, for a post-mortem;
        the one before is dropped), whatever it is: a damaged file, a folder…"""
        self._close_quietly()
        self._restarted = True
        aside = self.path.with_name(self.path.name + ".damaged")
        try:
            if aside.is_dir() and not aside.is_symlink():
                shutil.rmtree(aside)
            else:
                aside.unlink(missing_ok=True)
            if self.path.exists() or self.path.is_symlink():
                os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except OSError:
            pass  # then opening again fails, and the run goes on without a cache
        self.notices.append(f"the extraction cache {self.path} was damaged ({exc}); "
                            f"set aside as {aside.name} and started again")

    def _recover(self, exc: Exception) -> None:
        """Damage found while writing (main process only): start again, empty, once; a
        file that cannot be written (disk full, read-only) is kept, and the run goes on
        without it."""
        if isinstance(exc, sqlite3.OperationalError) or self._restarted:
            self._without(f"cannot be written ({exc})")
        else:
            self._start_again(exc)

    def _close_quietly(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            try:
                self._db.close()
            except sqlite3.Error:
                pass
        self._db, self._pid = None, 0

    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            if self._db is not None:
                _INHERITED.append(self._db)  # the parent's: neither used nor closed here
            self._db, self._pid, self._pending = self._open(), os.getpid(), 0
        return self._db

    def load(self, key: str):
        return super().load(key) if self._memory else self._load("entries", key)

    def load_head(self, key: str):
        return super().load_head(key) if self._memory else self._load("heads", key)

    def _load(self, table: str, key: str):
        try:
            row = self._connection().execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
            return None if row is None else pickle.loads(row[0])
        except (sqlite3.DatabaseError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                TypeError, ValueError, IndexError):
            return None  # missing, damaged, or written by other code: extract again

    def store(self, key: str, blob: bytes) -> None:
        if self._memory:
            return super().store(key, blob)
        self._store("entries", key, blob)

    def store_head(self, key: str, blob: bytes) -> None:
        if self._memory:
            return super().store_head(key, blob)
        self._store("heads", key, blob)

    def _store(self, table: str, key: str, blob: bytes) -> None:
        try:
            db = self._connection()
            if not db.in_transaction:
                db.execute("BEGIN")
            db.execute(f"INSERT OR REPLACE INTO {table} (key, value) VALUES (?, ?)", (key, blob))
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return (self.store if table == "entries" else self.store_head)(key, blob)
        self._pending += 1
        if self._pending >= self.COMMIT_EVERY:
            self.flush()

    def flush(self) -> None:
        try:
            if self._db is not None and self._pid == os.getpid() and self._db.in_transaction:
                self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
        self._pending = 0

    def close(self) -> None:
        self.flush()
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db, self._pid = None, 0

    def prune(self, used: Iterable[str]) -> int:
        """Remove the entries this run did not use (sources changed or gone); how many."""
        self.flush()
        if self._memory:
            return 0
        try:
            return self._prune(used)
        except sqlite3.DatabaseError as exc:
            self._recover(exc)  # what this run stored is lost with it: the next run extracts again
            return 0

    def _prune(self, used: Iterable[str]) -> int:
        db = self._connection()
        db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
        db.execute("BEGIN")
        db.execute("DELETE FROM used")
        db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((key,) for key in used))
        removed = db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)").rowcount
        db.execute("DELETE FROM heads WHERE key NOT IN (SELECT key FROM entries)")
        db.execute("COMMIT")
        free, pages = (db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("freelist_count", "page_count"))
        if free > pages // 2:  # mostly removed entries: give the space back
            db.execute("VACUUM")
        return removed
