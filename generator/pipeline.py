"""The whole run: every source read, checked and indexed before anything is written.

In: a data dir (`replies/*.txt`, optional `replies/<stem>.yml` sidecars, `agencies.yml`,
`themes.yml`) and a docs dir. Out: the generated files under docs/ (only those whose
content changed are rewritten, each atomically) and a `RunResult` with every problem.
A bad reply is reported with its file name and skipped; the others go on.
"""

from __future__ import annotations

import filecmp
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from pathlib import Path

from .cache import DiskCache, MemoryCache, dumps, fingerprint
from .check import report
from .classify import Classifier
from .clean import clean
from .config import SiteConfig, load_site_config
from .extract import extract
from .index import Index, build_index
from .model import Problem, Reply
from .read import ReadError, decode, read_bytes
from .registry import AgencyRegistry, load_themes
from .render import (SITE_SETTINGS, USER_DICT, Renderer, jieba_user_dict, open_data_csv_pieces, open_data_json_pieces,
                     reply_id_of_path, reply_page_path)
from .store import ReplyList, ReplyStore
from .sidecar import load_sidecar
from .text import id_from_stem

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
MANIFEST = ".generated.json"  # which files under docs/ the generator owns
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # write_atomic's temporary files


def _file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def write_atomic(path: Path, pieces: Iterable[str], unless_same: bool = False) -> bool:
    """Write the text `pieces` to `path` (its folder exists) via a temporary file and a
    rename, so a killed run never leaves half a file; with `unless_same`, a file already
    holding that text is left as it is. True if `path` was written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)  # as open() would make it, not mkstemp's owner-only 0600
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(pieces)
        if unless_same and path.is_file() and filecmp.cmp(tmp, path, shallow=False):
            os.unlink(tmp)
            return False
        os.replace(tmp, path)
        return True
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class RunResult:
    replies: ReplyList = None  # published (full or summary), read back from `store`
    withheld: ReplyList = None  # publish: false
    problems: list[Problem] = field(default_factory=list)
    written: Sequence[str] = field(default_factory=list)  # paths rewritten, relative to docs/
    removed: list[str] = field(default_factory=list)
    sources: int = 0
    seconds: float = 0.0
    index: Index | None = None
    store: ReplyStore = field(default_factory=ReplyStore, repr=False)  # every reply, metadata only
    cache: MemoryCache = field(default_factory=MemoryCache, repr=False)  # where the bodies are
    other_keys: list[str] = field(default_factory=list, repr=False)  # cache keys of files not in `store`

    def __post_init__(self):
        self.replies = self.store.view() if self.replies is None else self.replies
        self.withheld = self.store.view() if self.withheld is None else self.withheld

    def with_body(self, reply: Reply) -> Reply:
        """`reply` with its body blocks, from the cache."""
        if reply.blocks:
            return reply
        position = self.store.position(reply.id)
        key = None if position is None else self.store.key(position)
        cached = None if key is None else self.cache.load(key)
        if cached is None or cached[0] is None:
            raise RuntimeError(f"{reply.source}: its extraction is missing from the cache")
        return replace(reply, blocks=cached[0].blocks)

    def cache_keys(self) -> Iterator[str]:
        """The cache key of every source file of the run that could be read."""
        return chain(self.store.keys(), self.other_keys)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def summary(self) -> str:
        rate = self.sources / self.seconds if self.seconds else 0.0
        return (
            f"{len(self.replies)} replies written ({len(self.withheld)} withheld), "
            f"{len(self.warnings)} warnings, {len(self.errors)} errors, "
            f"{len(self.written)} files changed, {rate:.0f} replies/s"
        )


@dataclass
class Context:
    """What every reply needs, loaded once per run."""

    registry: AgencyRegistry
    classifier: Classifier
    keep_contacts: bool = False
    site: SiteConfig = field(default_factory=SiteConfig)


def load_context(data_dir: Path, keep_contacts: bool = False) -> Context:
    site = load_site_config(data_dir)
    registry = AgencyRegistry.load(data_dir / "agencies.yml", site.places)
    classifier = Classifier(load_themes(data_dir / "themes.yml"))
    return Context(registry, classifier, keep_contacts, site)


def _unreadable(source: str, exc: ReadError) -> Problem:
    return Problem(source, str(exc), zh=f"文件无法读取（{exc}）")


def _stages(data: bytes, source: str, ctx: Context) -> tuple[Reply | None, list[Problem]]:
    """decode → clean → extract → classify: what the cache keeps of one file."""
    try:
        paragraphs = clean(decode(data))
    except ReadError as exc:
        return None, [_unreadable(source, exc)]
    if not paragraphs:
        return None, [Problem(source, "no text", zh="文件没有文字")]
    reply, problems = extract(paragraphs, source, id_from_stem(Path(source).stem), ctx.registry, ctx.keep_contacts,
                              ctx.site.places)
    if reply is not None:
        reply = ctx.classifier.classify(reply)
    return reply, problems


def _process(path: Path, ctx: Context, cache: MemoryCache) -> tuple[Reply | None, list[Problem], str | None, bytes | None]:
    """`process`, with the cache key of the file (None when it could not be read) and,
    when the stages ran (the cache did not have it), their result pickled for the cache."""
    source = path.name
    try:
        data = read_bytes(path)
    except ReadError as exc:
        return None, [_unreadable(source, exc)], None, None
    key = cache.key(source, data)
    cached = cache.load(key)
    fresh = None
    if cached is None:
        cached = _stages(data, source, ctx)
        fresh = dumps(cached)
    reply, problems = cached
    sidecar = path.with_suffix(".yml")
    if reply is None or not sidecar.exists():
        return reply, problems, key, fresh
    try:
        overrides = load_sidecar(sidecar)  # read every run: cheap, and not in the cache key
    except ValueError as exc:
        return None, [Problem(source, str(exc), zh=f"附属设置文件有误（{exc}）")], key, fresh
    settled = [p for p in problems if not (p.field and p.field in overrides)]  # the sidecar gives the value
    return replace(reply, **overrides), settled, key, fresh


def process(path: Path, ctx: Context, cache: MemoryCache | None = None) -> tuple[Reply | None, list[Problem]]:
    """One source file → its Reply (or None) and its problems. Never raises for bad input."""
    reply, problems, _, _ = _process(path, ctx, cache or MemoryCache())
    return reply, problems


PARALLEL_FROM = 200  # below this many files, worker start-up costs more than it saves
CHUNK = 32  # replies per task sent to a worker


@dataclass
class _Worker:
    """What a worker process keeps between tasks."""

    ctx: Context | None = None
    cache: MemoryCache | None = None
    folder: Path | None = None  # replies/
    tasks: list | None = None  # the rendering work, inherited by forked workers
    reply_tasks: int = 0  # how many of `tasks` render reply pages (they come first)
    writer: Writer | None = None


_WORKER = _Worker()


def _init_worker(data_dir: Path, keep_contacts: bool, cache: MemoryCache) -> None:
    _WORKER.ctx = load_context(data_dir, keep_contacts)  # once per worker, not per reply
    _WORKER.cache = cache
    _WORKER.folder = data_dir / "replies"


def _process_in_worker(name: str):
    reply, problems, key, fresh = _process(_WORKER.folder / name, _WORKER.ctx, _WORKER.cache)
    if reply is not None:
        reply = replace(reply, blocks=())  # the body travels pickled in `fresh`, or waits in the cache
    return reply, problems, key, fresh


def _processed(names: list[str], data_dir: Path, ctx: Context, cache: MemoryCache, jobs: int):
    """(reply, problems, key, fresh) for each file of replies/ named in `names`, in that
    order, on `jobs` processes."""
    if jobs <= 1 or len(names) < PARALLEL_FROM:
        yield from (_process(data_dir / "replies" / name, ctx, cache) for name in names)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(data_dir, ctx.keep_contacts, cache)) as pool:
        yield from pool.map(_process_in_worker, names, chunksize=CHUNK)


def source_names(data_dir: Path) -> list[str]:
    """The names of the source files, `replies/*.txt`, sorted (names, not paths: a run
    holds one per reply)."""
    try:
        entries = list(os.scandir(data_dir / "replies"))
    except FileNotFoundError:
        return []
    return sorted(e.name for e in entries if e.name.endswith(".txt"))


def collect(data_dir: Path, ctx: Context, progress=None, jobs: int | None = None,
            cache: MemoryCache | None = None) -> RunResult:
    """Read, check and classify every reply (on `jobs` processes, default one per core);
    reject duplicate ids. The replies of the result carry metadata only, kept on disk
    (see `ReplyStore`); their bodies are in `cache` (see `RunResult.with_body`). The result
    does not depend on `jobs`."""
    result = RunResult(cache=cache if cache is not None else MemoryCache())
    cache, store = result.cache, result.store
    started = time.perf_counter()
    names = source_names(data_dir)
    result.sources = len(names)
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    processed = _processed(names, data_dir, ctx, cache, jobs)
    for number, (reply, problems, key, fresh) in enumerate(processed, 1):
        result.problems.extend(problems)
        if fresh is not None:
            cache.store(key, fresh)  # here, not in the workers: one process writes the cache
        if progress and (number % 1000 == 0 or number == len(names)):
            progress(f"read {number}/{len(names)} replies")
        if reply is not None and (first := store.position(reply.id)) is not None:
            owner = store[first].source
            result.problems.append(Problem(
                reply.source, f"id {reply.id!r} is already used by {owner}; not written",
                zh=f"编号 {reply.id} 已被 {owner} 使用，本件未生成"))
            reply = None
        if reply is None:
            if key:
                result.other_keys.append(key)  # kept in the cache all the same
            continue
        position = store.append(reply, key)  # the store keeps no body
        (result.withheld if reply.publish == "none" else result.replies).append(position)
    store.flush()
    cache.flush()  # before render workers are forked: they read the bodies
    result.seconds = time.perf_counter() - started
    return result


def _extra_files(result: RunResult, ctx: Context, renderer: Renderer) -> Iterator[tuple[str, str | Iterator[str]]]:
    """The generated files that are not pages of replies or keys: the quality report,
    the search dictionary and the open data (in pieces: it grows with the archive)."""
    withheld = {r.source for r in result.withheld}
    # Withheld replies are not even named; so an entry's reply is published.
    entries = [e for e in report(result, everything=False) if e.source not in withheld]
    yield from renderer.quality_pages(entries, {
        "files": result.sources, "errors": len(result.errors), "warnings": len(result.warnings),
        "missing": sum(1 for e in entries if e.missing)})
    # Search: agency names and short forms, themes and proposers stay single tokens.
    agencies = [form for a in ctx.registry.agencies for form in (a.name, *a.aliases)]
    agencies += [a.name for a in result.index.agencies]
    themes = [t.name for t in ctx.classifier.themes] + list(ctx.classifier.keywords)
    yield USER_DICT, jieba_user_dict(agencies + themes + [p.name for p in result.index.proposers])
    yield "about.md", renderer.about()
    yield SITE_SETTINGS, renderer.site_settings()
    # Open data is metadata only, so summary-only replies are in it too; withheld ones are not.
    yield "data/replies.json", open_data_json_pieces(result.replies)
    yield "data/replies.csv", open_data_csv_pieces(result.replies)


def _reply_files(result: RunResult, renderer: Renderer, replies: Iterable[Reply]) -> Iterator[tuple[str, str]]:
    for reply in replies:
        yield renderer.reply_path(reply), renderer.reply_page(result.with_body(reply))


def _reply_chunk(result: RunResult, renderer: Renderer, start: int) -> Iterator[tuple[str, str]]:
    """The pages of the published replies start…start+CHUNK (read here, in the worker)."""
    return _reply_files(result, renderer, result.replies[start:start + CHUNK])


def _renderer(result: RunResult, ctx: Context, templates: Path) -> Renderer:
    if result.index is None:
        result.index = build_index(result.replies, ctx.registry, ctx.classifier.themes)
    return Renderer(templates, result.index, ctx.site)


def render_all(result: RunResult, ctx: Context, templates: Path = TEMPLATES) -> dict[str, str]:
    """Every generated file in memory, path relative to docs/ → content (for small runs;
    `generate` writes them as they are rendered)."""
    renderer = _renderer(result, ctx, templates)
    replies = result.replies.by_id()
    extra = ((rel, content if isinstance(content, str) else "".join(content))
             for rel, content in _extra_files(result, ctx, renderer))
    return dict(chain(_reply_files(result, renderer, replies), renderer.site_pages().items(), extra))


class Writer:
    """Writes generated files under docs/: only those whose content changed, each
    atomically, never outside docs/; then removes what the last run wrote and this one
    did not (the manifest). Hand-written files (not in the manifest) are never touched."""

    def __init__(self, docs_dir: Path):
        self.docs = docs_dir.resolve()
        self._folders: dict[str, Path] = {}  # folder of a path → resolved, made: once each

    def remove_temporary(self) -> None:
        """Temporary files of a run killed before its rename: never a page, removed."""
        for stale in self.docs.rglob(".*.tmp"):
            if TEMP_NAME.match(stale.name) and stale.is_file():
                stale.unlink()

    def write(self, rel: str, content: str | Iterable[str]) -> bool:
        """Write `content` to docs/`rel` unless it is there already; True if written.
        `content`: the text, or its pieces in order (for files too large to hold whole)."""
        target = self._target(rel)
        if not isinstance(content, str):  # compared once written: it is never whole here
            return write_atomic(target, content, unless_same=True)
        try:
            if target.read_text(encoding="utf-8") == content:
                return False
        except (OSError, UnicodeDecodeError):
            pass
        return write_atomic(target, (content,))

    def _target(self, rel: str) -> Path:
        """docs/`rel`, its folder made; refuses a path outside docs/ or a symlink."""
        folder, _, name = rel.rpartition("/")
        parent = self._folders.get(folder)
        if parent is None:
            parent = (self.docs / folder).resolve()
            if parent != self.docs and self.docs not in parent.parents:
                raise ValueError(f"refusing to write outside {self.docs}: {rel}")
            parent.mkdir(parents=True, exist_ok=True)
            self._folders[folder] = parent
        target = parent / name
        if not name or name in (".", "..") or target.is_symlink():
            raise ValueError(f"refusing to write outside {self.docs}: {rel}")
        return target

    def finish(self, owned: Collection[str]) -> list[str]:
        """Remove files the last run owned and this one did not; record `owned` (in its
        order). The manifest is read and written a path at a time: it lists every page."""
        manifest_path = self.docs / MANIFEST
        removed = []
        for rel in _manifest_paths(manifest_path):
            if rel in owned:
                continue
            target = (self.docs / rel).resolve()
            if self.docs in target.parents and target.is_file():
                target.unlink()
                removed.append(rel)
        pieces = chain(["["], ((",\n " if n else "\n ") + json.dumps(rel, ensure_ascii=False)
                               for n, rel in enumerate(owned)), ["\n]\n" if owned else "]\n"])
        self.docs.mkdir(parents=True, exist_ok=True)
        write_atomic(manifest_path, pieces, unless_same=True)
        return removed


def _manifest_paths(path: Path) -> Iterator[str]:
    """The paths of a manifest, one at a time: it holds one per line (as `finish` writes
    it); any other JSON list of paths is read whole. Nothing if missing or damaged."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
            if first.strip() != "[":
                text = first + handle.read()
                paths = json.loads(text)
                yield from (p for p in paths if isinstance(p, str)) if isinstance(paths, list) else ()
                return
            for line in handle:
                line = line.strip().rstrip(",")
                if line.startswith('"'):
                    yield json.loads(line)
    except (OSError, ValueError):
        return


class PathList(Sequence):
    """Paths relative to docs/, kept as one string per batch of paths: a run writes one
    page per reply, and a Python string per path would be 70 bytes of each reply."""

    def __init__(self, batches: Iterable[str] = ()):
        self._batches: list[str] = []
        self._count = 0
        for batch in batches:
            self.add(batch)

    def add(self, batch: str) -> None:
        """Add the paths of `batch`, one per line."""
        if batch:
            self._batches.append(batch)
            self._count += batch.count("\n") + 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        for batch in self._batches:
            yield from batch.split("\n")

    def __getitem__(self, n):
        return list(self)[n]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, PathList)) and list(self) == list(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"PathList({list(self)!r})"


@dataclass
class _Owned:
    """Every path a run produced: its other pages (listed) and the page of each published
    reply (derived from the ids, not listed). Iterates in a fixed order: the manifest's."""

    pages: set[str]
    order: list[str]  # `pages` in the order produced
    replies: ReplyList  # the published replies, each with a page
    withheld: frozenset[int]  # positions in the store of the replies without one

    def __contains__(self, rel: object) -> bool:
        if rel in self.pages:
            return True
        reply_id = reply_id_of_path(rel) if isinstance(rel, str) else None
        return reply_id is not None and self.published(reply_id)

    def published(self, reply_id: str) -> bool:
        position = self.replies.source.position(reply_id)
        return position is not None and position not in self.withheld

    def __len__(self) -> int:
        return len(self.order) + len(self.replies)

    def __iter__(self) -> Iterator[str]:
        yield from self.order
        store = self.replies.source
        yield from (reply_page_path(store.id(p)) for p in self.replies.positions)


def _write_chunk(bounds: tuple[int, int]) -> tuple[str, str]:
    """Render and write a slice of the run's work list (reply chunks, then site tasks);
    returns the paths written and the paths produced by site tasks, one per line."""
    written, produced = [], []
    for number in range(*bounds):
        listed = number >= _WORKER.reply_tasks  # a reply page's path is its id's: not listed
        for rel, content in _WORKER.tasks[number]():
            if listed:
                produced.append(rel)
            if _WORKER.writer.write(rel, content):
                written.append(rel)
    return "\n".join(written), "\n".join(produced)


def _write_pages(result: RunResult, ctx: Context, renderer: Renderer, writer: Writer, jobs: int,
                 progress=None) -> tuple[PathList, _Owned]:
    """Render and write every page, reply pages and key pages on `jobs` forked workers
    (which inherit the index), the other files meanwhile here. Returns (paths written,
    every path produced); refuses to produce one path twice."""
    replies = result.replies
    tasks = [partial(_reply_chunk, result, renderer, n) for n in range(0, len(replies), CHUNK)]
    _WORKER.reply_tasks = len(tasks)
    tasks += renderer.site_page_tasks()
    _WORKER.tasks, _WORKER.writer = tasks, writer
    chunks = [(n, min(n + CHUNK, len(tasks))) for n in range(0, len(tasks), CHUNK)]
    pool = None
    if jobs > 1 and len(replies) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))
    try:
        pending = [pool.submit(_write_chunk, chunk) for chunk in chunks] if pool else []
        if progress:
            progress(f"rendering {len(replies)} reply pages and the index pages")
        extra_written, extra = [], []
        for rel, content in _extra_files(result, ctx, renderer):
            extra.append(rel)
            if writer.write(rel, content):
                extra_written.append(rel)
        parts = [("\n".join(extra_written), "\n".join(extra))]
        parts += [future.result() for future in pending] if pool else [_write_chunk(c) for c in chunks]
    finally:
        if pool:
            pool.shutdown()
        _WORKER.tasks = _WORKER.writer = None
    produced = [rel for _, part in parts if part for rel in part.split("\n")]
    owned = _Owned(set(produced), produced, replies, frozenset(result.withheld.positions))
    twice = [rel for rel, count in Counter(produced).items() if count > 1]
    twice += [rel for rel in produced if (reply_id := reply_id_of_path(rel)) and owned.published(reply_id)]
    if twice:
        raise ValueError(f"two pages were written to one path: {', '.join(sorted(twice)[:5])}")
    return PathList(written for written, _ in parts), owned


def default_cache_dir(docs_dir: Path) -> Path:
    """`.cache/generator` beside the docs dir (the project root for `docs`)."""
    return docs_dir.resolve().parent / ".cache" / "generator"


def generate(data_dir: Path, docs_dir: Path, keep_contacts: bool = False, progress=None,
             jobs: int | None = None, cache_dir: Path | None = None) -> RunResult:
    """Read and index every reply, then write docs/. Registry errors raise RegistryError.

    Extraction results are kept in `cache_dir` (default: `default_cache_dir`) so that a
    regenerate redoes only the replies whose file changed."""
    started = time.perf_counter()
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    ctx = load_context(data_dir, keep_contacts)
    cache = DiskCache(cache_dir or default_cache_dir(docs_dir), fingerprint(data_dir, keep_contacts))
    result = collect(data_dir, ctx, progress, jobs, cache)
    renderer = _renderer(result, ctx, TEMPLATES)
    writer = Writer(docs_dir)
    writer.remove_temporary()
    result.written, owned = _write_pages(result, ctx, renderer, writer, jobs, progress)
    result.removed = writer.finish(owned)
    cache.prune(result.cache_keys())
    cache.close()
    result.seconds = time.perf_counter() - started
    return result


def default_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
