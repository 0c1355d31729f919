"""Stage 7, write: generated text → files under docs/, owned and crash-safe.

In: (path relative to docs/, content) pairs from render, then the paths the run produced.
Out: docs/ holding exactly those generated files, beside the hand-written ones, and
`.generated.json`, the manifest of the files the generator owns.

What holds whatever happens to a run (killed at any instant, disk full, docs read-only):
- One run per docs dir: `DocsLock`; a second run waits for the first.
- Staged: a changed file is first written beside its target, as a temporary file; no
  page is replaced before every file of the run is staged, so a run that fails before
  (full disk, read-only docs) leaves docs/ as the last run left it (`abort`).
- Journalled: the paths about to be replaced are appended to `.generated.journal`
  before the first rename; the next run counts them as owned with the manifest's, so a
  page a killed run wrote is removed once its reply is withheld or deleted.
- Owned: a file at a generated path that no run wrote (in neither list) is hand-written:
  refused, never overwritten (one with exactly the generated text is adopted).
Nothing is ever written outside docs/ or through a symlink.
"""

from __future__ import annotations

import errno
import filecmp
import json
import os
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows: runs there are not locked
    fcntl = None

MANIFEST = ".generated.json"  # which files under docs/ the generator owns
JOURNAL = ".generated.journal"  # paths a run is replacing, until its manifest is written
STAGED = ".generated-new"  # suffix of a staged file: `.<name>.generated-new`


class WriteError(OSError):
    """docs/ cannot be written (full, read-only, locked…); the message says why, in one line."""


class HandWritten(ValueError):
    """A generated path holds a file the generator did not write."""


def _file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()  # as open() would make a file, not mkstemp's owner-only 0600


def staged_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{STAGED}")


def _write_file(path: Path, pieces: Iterable[str] | bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # whatever mode a leftover had
        if isinstance(pieces, bytes):  # an image (the publisher's logo)
            with open(fd, "wb", closefd=False) as handle:
                handle.write(pieces)
            return
        with open(fd, "w", encoding="utf-8", newline="", closefd=False) as handle:
            handle.writelines(pieces)
    finally:
        os.close(fd)


def _stage_unless_same(target: Path, pieces: Iterable[str]) -> bool:
    """Stage the text `pieces` for `target` (its folder exists); False, and nothing
    staged, when `target` already holds exactly that text (compared once written: text
    in pieces is never whole in memory)."""
    staged = staged_path(target)
    try:
        _write_file(staged, pieces)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    if target.is_file() and filecmp.cmp(staged, target, shallow=False):
        staged.unlink()
        return False
    return True


def paths_file(path: Path) -> Iterator[str]:
    """The paths listed in a manifest or a journal, one at a time: one JSON string per
    line (as written here); any other JSON list of paths is read whole. Nothing if
    missing or damaged."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
            if first.strip() not in ("[", "") and not first.startswith('"'):
                paths = json.loads(first + handle.read())
                yield from (p for p in paths if isinstance(p, str)) if isinstance(paths, list) else ()
                return
            for line in (first, *handle) if first.startswith('"') else handle:
                line = line.strip().rstrip(",")
                if line.startswith('"'):
                    try:
                        yield json.loads(line)
                    except ValueError:
                        return  # cut short by a crash: what came before counts
    except (OSError, ValueError):
        return


class DocsLock:
    """An exclusive lock on a docs dir for the length of a run (`with DocsLock(docs):`).

    A second run waits for the first (saying so once), up to `timeout` seconds, then
    raises WriteError. The lock is the kernel's (flock on the folder itself): it goes
    with its process, so a killed run never leaves a stale one, nor any file."""

    def __init__(self, docs_dir: Path, timeout: float = 3600.0, say=None):
        self.path = docs_dir
        self.timeout = timeout
        self.say = say
        self._fd: int | None = None

    def __enter__(self) -> DocsLock:
        if fcntl is None:
            return self
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise WriteError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        deadline = time.monotonic() + self.timeout
        said = False
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self._fd)
                    self._fd = None
                    raise WriteError(f"another run is writing {self.path}; wait for it to finish, "
                                     "then run again") from None
                if not said and self.say:
                    self.say(f"waiting for another run writing {self.path} to finish")
                    said = True
                time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


class Writer:
    """Writes generated files under docs/ in two steps: `write` stages the files whose
    content changed (any process may stage), `commit` puts them in place (the run's main
    process, once everything is staged); `finish` removes what the last run owned and
    this one did not, and records what this one owns. `abort` forgets a failed run.
    Hand-written files are never touched."""

    def __init__(self, docs_dir: Path):
        self.docs = docs_dir.resolve()
        self._folders: dict[str, Path | None] = {}  # folder of a path → resolved (None: outside docs/)
        self._made: set[Path] = set()  # folders made, once each
        # What earlier runs wrote: the manifest, and the journal of a run killed before its own.
        self.owned_before = set(paths_file(self.docs / MANIFEST)) | set(paths_file(self.docs / JOURNAL))

    def remove_staged(self) -> None:
        """Staged files of a run that did not commit them: never a page, removed."""
        if not self.docs.is_dir():
            return
        for stale in self.docs.rglob(f".*{STAGED}"):
            if stale.is_file() and not stale.is_symlink():
                stale.unlink()

    def write(self, rel: str, content: str | bytes | Iterable[str]) -> bool:
        """Stage `content` for docs/`rel` unless it is there already; True if staged.
        `content`: the text, its pieces in order (for files too large to hold whole), or
        bytes. Raises HandWritten for a file at `rel` that no run of the generator wrote."""
        target = self._target(rel)
        staged = staged_path(target)
        exists = target.exists()
        foreign = exists and rel not in self.owned_before
        if isinstance(content, (str, bytes)):
            if exists and self._holds(target, content):
                return False
            if foreign:
                raise HandWritten(rel)
            _write_file(staged, content if isinstance(content, bytes) else (content,))
            return True
        if not _stage_unless_same(target, content):
            return False
        if foreign:
            staged.unlink()
            raise HandWritten(rel)
        return True

    @staticmethod
    def _holds(target: Path, content: str | bytes) -> bool:
        try:
            if isinstance(content, bytes):
                return target.read_bytes() == content
            return target.read_text(encoding="utf-8") == content
        except (OSError, UnicodeDecodeError):
            return False

    def _path(self, rel: str) -> Path | None:
        """docs/`rel`, its folder resolved (once per folder); None for a path that would
        lie outside docs/ or names no file."""
        folder, _, name = rel.rpartition("/")
        if not name or name in (".", "..") or "\n" in rel:
            return None
        if folder not in self._folders:
            self._folders[folder] = self._inside(self.docs / folder)
        parent = self._folders[folder]
        return None if parent is None else parent / name

    def _target(self, rel: str) -> Path:
        """docs/`rel`, its folder made; refuses a path outside docs/ (ValueError) and a
        symlink where the file should be (HandWritten: someone put it there)."""
        target = self._path(rel)
        if target is None:
            raise ValueError(f"refusing to write outside {self.docs}: {rel!r}")
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        if target.is_symlink():
            raise HandWritten(rel)
        return target

    def _inside(self, path: Path) -> Path | None:
        """`path` resolved, if it is docs/ or inside it."""
        try:
            resolved = path.resolve()
        except (RuntimeError, OSError):  # a loop of links
            return None
        return resolved if resolved == self.docs or self.docs in resolved.parents else None

    def commit(self, staged: Iterable[str]) -> None:
        """Put the staged files of `staged` (paths relative to docs/) in place, after
        journalling them: from the first rename on, a kill leaves them owned."""
        staged = list(staged)
        if not staged:
            return
        lines = "".join(json.dumps(rel, ensure_ascii=False) + "\n" for rel in staged)
        fd = os.open(self.docs / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            os.write(fd, lines.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        for rel in staged:
            target = self._target(rel)
            os.replace(staged_path(target), target)

    def abort(self) -> None:
        """A run that failed before `commit`: its staged files removed, docs/ as it was."""
        try:
            self.remove_staged()
        except OSError:
            pass  # a read-only docs/ has none to remove

    def finish(self, owned: Collection[str]) -> list[str]:
        """Remove files the last run owned and this one did not; record `owned` (in its
        order) as the manifest, and drop the journal. The manifest is written a path
        at a time: it lists every page."""
        removed = []
        for rel in sorted(self.owned_before):
            if rel in owned:
                continue
            target = self._path(rel)
            # A link put at an owned path is not followed: what it points to is not ours.
            if target is not None and target.is_file() and not target.is_symlink():
                target.unlink()
                removed.append(rel)
        self.docs.mkdir(parents=True, exist_ok=True)
        manifest = self.docs / MANIFEST
        if _stage_unless_same(manifest, chain_lines(owned)):
            try:
                os.replace(staged_path(manifest), manifest)
            finally:
                staged_path(manifest).unlink(missing_ok=True)
        (self.docs / JOURNAL).unlink(missing_ok=True)
        return removed


def chain_lines(paths: Collection[str]) -> Iterator[str]:
    """A JSON list of `paths`, one per line (as `paths_file` reads it)."""
    yield "["
    for number, rel in enumerate(paths):
        yield (",\n " if number else "\n ") + json.dumps(rel, ensure_ascii=False)
    yield "\n]\n" if paths else "]\n"


def describe(exc: OSError, docs_dir: Path, staged: bool = True) -> str:
    """One line for an OSError met writing docs/: while staging (`staged`, nothing was
    replaced yet) or after."""
    reason = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
              errno.EACCES: "permission denied", errno.EDQUOT: "the disk quota is exceeded"}.get(
        exc.errno, exc.strerror or str(exc))
    if staged:
        return f"cannot write {docs_dir}: {reason}; docs/ is left as the last complete run left it"
    return f"cannot write {docs_dir}: {reason}; the next run completes or undoes this one's changes"
