"""The extraction cache: what read → clean → extract → classify made of a source file.

In: a source file's name and bytes. Out: its (Reply, problems), as the stages made them
before, if nothing they depend on has changed: the key hashes the file's name and bytes
with a fingerprint of the code, the registries and the options of the run.

Two uses: a regenerate after one reply changed does the work of one reply, not of all;
and the run keeps only metadata in memory, the reply bodies waiting here (on disk) until
their page is rendered, so memory does not grow with the bodies of the corpus.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SUFFIX = ".pickle"
# Modules of the later stages (index, render, site) and the command line: what an
# extraction result cannot depend on. Every other module counts, new ones included.
NOT_EXTRACTION = frozenset({"__main__.py", "archive.py", "charts.py", "check.py", "cli.py", "index.py",
                            "mkdocs_hooks.py", "pagefind_shards.py", "render.py", "site.py"})


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` (its folder exists) via a temporary file and a rename, so a
    killed run never leaves half a file. The generated docs are written this way too."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fingerprint(data_dir: Path, keep_contacts: bool) -> str:
    """Everything an extraction result depends on besides its own file."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} {keep_contacts}".encode())
    for path in sorted(PACKAGE.glob("*.py")):  # a change of the extraction code invalidates the cache
        if path.name in NOT_EXTRACTION:
            continue
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in ("agencies.yml", "themes.yml"):
        path = data_dir / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()


class MemoryCache:
    """The cache of a run that keeps nothing: results live in memory for the run only."""

    persistent = False

    def __init__(self, fingerprint: str = ""):
        self._fingerprint = fingerprint.encode()
        self._items: dict[str, tuple] = {}

    def key(self, name: str, data: bytes) -> str:
        return hashlib.sha256(self._fingerprint + name.encode() + b"\0" + data).hexdigest()[:40]

    def load(self, key: str):
        return self._items.get(key)

    def store(self, key: str, value: tuple) -> None:
        self._items[key] = value

    def prune(self, used: set[str]) -> int:
        return 0


class DiskCache(MemoryCache):
    """One pickle per source under `root`, written atomically; shared by worker processes."""

    persistent = True

    def __init__(self, root: Path, fingerprint: str):
        super().__init__(fingerprint)
        self.root = root
        self._folders: set[Path] = set()  # made already: one mkdir per folder, not per entry

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / (key + SUFFIX)  # 256 folders: no folder of 100,000 files

    def load(self, key: str):
        try:
            return pickle.loads(self._path(key).read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None  # missing, or written by other code: extract again

    def store(self, key: str, value: tuple) -> None:
        path = self._path(key)
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def prune(self, used: set[str]) -> int:
        """Remove the entries this run did not use (sources changed or gone); how many."""
        removed = 0
        for path in self.root.glob("??/*"):
            if path.name.removesuffix(SUFFIX) not in used:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
