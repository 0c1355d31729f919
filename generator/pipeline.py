"""The whole run: every source read, checked and indexed before anything is written.

In: a data dir (`replies/*.txt`, optional `replies/<stem>.yml` sidecars, `agencies.yml`,
`themes.yml`) and a docs dir. Out: the generated files under docs/, through `write`
(only those whose content changed are rewritten, all or none), and a `RunResult` with
every problem. A bad reply is reported with its file name and skipped; the others go on.
This module orchestrates: it owns no file (the writer owns docs/, the cache its folder).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import multiprocessing
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from pathlib import Path

from .cache import DiskCache, MemoryCache, dumps, fingerprint
from . import render
from .check import report
from .classify import Classifier
from .clean import clean_document
from .config import SiteConfig, load_site_config
from .extract import extract
from .index import Index, build_index
from .model import Problem, Reply
from .privacy import public_name, redact, redact_fields
from .read import ReadError, ReadOptions, read_bytes
from .readers import is_reply_file, max_bytes, read_document
from .registry import AgencyRegistry, RegistryError, load_themes
from .rendercache import RenderCache, Splice, recording, reply_unit, static_digest
from .render import (OPEN_DATA, SITE_SETTINGS, USER_DICT, OpenDataFile, Renderer, jieba_user_dict,
                     open_data_pieces, original_path, reply_commitments, reply_files, reply_id_of_file,
                     reply_record_path)
from .store import ReplyList, ReplyStore
from .sidecar import load_sidecar
from .text import id_from_stem
from .write import DocsLock, HandWritten, Writer, WriteError, describe

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


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
    notices: list[str] = field(default_factory=list)  # about the run, not a reply (a damaged cache…)

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
    data_dir: Path | None = None  # files are read only from inside it
    ocr: bool = False  # scanned PDFs read by Tesseract (`--ocr`)


def load_context(data_dir: Path, keep_contacts: bool = False, ocr: bool = False) -> Context:
    site = load_site_config(data_dir)
    registry = AgencyRegistry.load(data_dir / "agencies.yml", site.places)
    classifier = Classifier(load_themes(data_dir / "themes.yml"))
    return Context(registry, classifier, keep_contacts, site, data_dir, ocr)


def _unreadable(source: str, exc: ReadError) -> Problem:
    return Problem(source, str(exc), zh=f"文件无法读取（{exc}）")


def _stages(data: bytes, source: str, ctx: Context, name: str | None = None) -> tuple[Reply | None, list[Problem]]:
    """read → clean → extract → classify: what the cache keeps of one file. `name`: the
    file's own name, whose ending says its format (`source` may have contact data withheld)."""
    try:
        paragraphs = clean_document(read_document(data, name or source, ReadOptions(ocr=ctx.ocr)))
    except ReadError as exc:
        return None, [_unreadable(source, exc)]
    if not paragraphs:
        return None, [Problem(source, "no text", zh="文件没有文字")]
    reply, problems = extract(paragraphs, source, id_from_stem(Path(source).stem), ctx.registry, ctx.keep_contacts,
                              ctx.site.places)
    if reply is not None:
        reply = ctx.classifier.classify(reply)
    return reply, problems


@functools.lru_cache(maxsize=1)
def commitment_rules() -> str:
    """A digest of the rules that find a reply's commitments (`render.reply_commitments`):
    render code, which the extraction cache's fingerprint leaves out, so a head (`_head`)
    says which rules found its commitments."""
    return hashlib.sha256(Path(render.__file__).read_bytes()).hexdigest()[:16]


def _head(cached: tuple[Reply | None, list[Problem]]) -> tuple:
    """What a run keeps of an extraction (reply, problems) before rendering: the rules
    (`commitment_rules`), the reply without its body, its problems, and the texts of its
    commitments as its page would number them were it published in full (a sidecar may
    say otherwise: applied after)."""
    reply, problems = cached
    if reply is None:
        return commitment_rules(), None, problems, ()
    return (commitment_rules(), replace(reply, blocks=()), problems,
            reply_commitments(replace(reply, publish="full")))


def _process(path: Path, ctx: Context, cache: MemoryCache, body: bool = True, folders: dict | None = None):
    """`process`, with the cache key of the file (None when it could not be read) and what
    the cache is to keep: the stages' result pickled when they ran (the cache did not have
    it), and its head (`_head`) when the cache had none. Without `body`, the reply comes
    without its body and with its commitments, from the head where the cache has one
    (a few KB: the whole entry is ten times that). `folders`: the run's memo of resolved
    folders (`read.read_bytes`). Returns (reply, problems, key, fresh, head)."""
    source = path.name if ctx.keep_contacts else public_name(path.name)
    key = fresh = head = None
    promised: tuple[str, ...] = ()
    try:
        data = read_bytes(path, max_bytes(path.name), root=ctx.data_dir, folders=folders)
    except ReadError as exc:
        reply, problems = None, [_unreadable(source, exc)]
    else:
        key = cache.key(source, data)
        found = None if body else cache.load_head(key)
        if not (isinstance(found, tuple) and len(found) == 4 and found[0] == commitment_rules()):
            cached = cache.load(key)
            if cached is None:
                cached = _stages(data, source, ctx, path.name)
                fresh = dumps(cached)
            reply, problems = cached
            if not body:
                found = _head(cached)
                head = dumps(found)
        if not body:
            _, reply, problems, promised = found
    reply, problems = _with_sidecar(path, source, reply, problems, ctx)
    if not body and reply is not None:
        reply = replace(reply, commitments=promised if reply.publish == "full" else ())
    return reply, problems, key, fresh, head


def _with_sidecar(path: Path, source: str, reply: Reply | None, problems: list[Problem],
                  ctx: Context) -> tuple[Reply | None, list[Problem]]:
    """The reply and problems with its sidecar's overrides, if it has one."""
    sidecar = path.with_suffix(".yml")
    if not os.path.lexists(sidecar):
        return reply, _original_warning(reply, problems, ctx)
    themes = {theme.name for theme in ctx.classifier.themes}
    try:
        overrides = load_sidecar(sidecar, themes, ctx.data_dir)  # read every run: cheap, and not in the cache key
    except ValueError as exc:
        # Whether it asked to withhold the reply cannot be known: so it is named on no page.
        return None, [Problem(source, str(exc), zh=f"附属设置文件有误（{exc}）", public=False)]
    if not ctx.keep_contacts:  # an editor's value as much as an extracted one
        redact_fields(overrides)
        for name in ("id", "source_url"):  # web addresses: never redacted (a link would break), refused
            if redact(overrides.get(name) or "")[1]:
                message = f"sidecar {sidecar.name}: {name}: holds contact data; choose another"
                return None, [Problem(source, message, zh="附属设置文件有误（编号或网址含联系方式）")]
    if overrides.get("publish") == "none":  # nothing about it on a page, its problems included
        problems = [replace(p, public=False) for p in problems]
    if reply is None:
        return None, problems
    settled = [p for p in problems if not (p.field and p.field in overrides)]  # the sidecar gives the value
    reply = replace(reply, **overrides)
    return reply, _original_warning(reply, settled, ctx)


def _original_warning(reply: Reply | None, problems: list[Problem], ctx: Context) -> list[Problem]:
    """With originals published, one whose page withholds contact details publishes them
    all the same: said, so that an editor decides (withhold the original, or the reply)."""
    if reply is None or not reply.redactions or original_path(reply, ctx.site) is None:
        return problems
    return [*problems, Problem(
        reply.source, f"its original is published (site.yml originals: true) with the {reply.redactions} "
        "contact detail(s) its page withholds", severity="warning",
        zh=f"原件随页面公开（originals: true），其中含有页面已隐去的 {reply.redactions} 处联系方式")]


def _process_kept(path: Path, ctx: Context, cache: MemoryCache, folders: dict):
    """`_process` as a run keeps a reply: its metadata and the texts of its commitments,
    all the run keeps of its body, so that the pages listing them need not read it."""
    return _process(path, ctx, cache, body=False, folders=folders)


def process(path: Path, ctx: Context, cache: MemoryCache | None = None) -> tuple[Reply | None, list[Problem]]:
    """One source file → its Reply (or None) and its problems. Never raises for bad input."""
    reply, problems, *_ = _process(path, ctx, cache or MemoryCache())
    return reply, problems


PARALLEL_FROM = 200  # below this many files, worker start-up costs more than it saves
CHUNK = 32  # replies per task sent to a worker


@dataclass
class _Worker:
    """What a worker process keeps between tasks."""

    ctx: Context | None = None
    cache: MemoryCache | None = None
    folder: Path | None = None  # replies/
    folders: dict | None = None  # the run's resolved folders (`read.read_bytes`)
    units: list | None = None  # the rendering work (`_Unit`s), inherited by forked workers
    writer: Writer | None = None
    renders: RenderCache | None = None  # the run's render cache, if it has one


_WORKER = _Worker()


def die_with_parent() -> None:
    """Make a worker process end with the run: a killed run's workers would live on,
    holding memory and the cache open. Linux says so with a signal; elsewhere a worker
    ends when its pool's pipe closes."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the run died before the signal was asked for
        os._exit(1)


def _init_worker(data_dir: Path, keep_contacts: bool, ocr: bool, cache: MemoryCache) -> None:
    die_with_parent()
    _WORKER.ctx = load_context(data_dir, keep_contacts, ocr)  # once per worker, not per reply
    _WORKER.cache = cache
    _WORKER.folder = data_dir / "replies"
    _WORKER.folders = {}


def _process_in_worker(name: str):
    # The reply without its body: that travels pickled in `fresh`, or waits in the cache.
    return _process_kept(_WORKER.folder / name, _WORKER.ctx, _WORKER.cache, _WORKER.folders)


EXTRACTING_HERE = 0.25  # seconds of extraction done here before the rest goes to worker processes


def _processed(names: list[str], data_dir: Path, ctx: Context, cache: MemoryCache, jobs: int):
    """(reply, problems, key, fresh, head) for each file of replies/ named in `names`, in
    that order, on `jobs` processes. Files are read here as long as the cache has them (a
    fraction of a millisecond each: workers would cost more to start and feed than they
    save) and few are extracted; once extracting has taken EXTRACTING_HERE seconds, the
    rest go to the workers."""
    folders: dict = {}
    parallel, extracting = jobs > 1 and len(names) >= PARALLEL_FROM, 0.0
    for number, name in enumerate(names):
        if parallel and extracting >= EXTRACTING_HERE:
            break
        started = time.perf_counter()
        processed = _process_kept(data_dir / "replies" / name, ctx, cache, folders)
        if processed[3] is not None:  # not in the cache: extracted
            extracting += time.perf_counter() - started
        yield processed
    else:
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(data_dir, ctx.keep_contacts, ctx.ocr, cache)) as pool:
        yield from pool.map(_process_in_worker, names[number:], chunksize=CHUNK)


def source_names(data_dir: Path) -> list[str]:
    """The names of the source files, `replies/*.txt` and the other formats read
    (`readers.SUFFIXES`), sorted (names, not paths: a run holds one per reply)."""
    try:
        entries = list(os.scandir(data_dir / "replies"))
    except FileNotFoundError:
        return []
    except OSError as exc:  # a file, a pipe, a loop of links: nothing can be read
        raise RegistryError(f"{data_dir / 'replies'}: not a folder of replies ({exc.strerror or exc})") from None
    return sorted(e.name for e in entries if is_reply_file(e.name))


def _taken(reply: Reply, owner: Reply) -> Problem:
    """The problem of a reply whose id another took first; a withheld one is not named,
    since the problem is shown on the public 数据质量 page."""
    same = "" if owner.id == reply.id else f" (as {owner.id!r}: ids differing only in case are one)"
    zh = (f"编号 {reply.id} 已被 {owner.source} 使用，本件未生成" if owner.publish != "none"
          else "编号已被另一份复文使用，本件未生成")
    return Problem(reply.source, f"id {reply.id!r} is already used by {owner.source}{same}; not written", zh=zh,
                   public=reply.publish != "none")  # a withheld reply refused is named on no page either


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
    # Ids differing only in case are one id: their pages would be one file on Windows and macOS.
    taken: dict[str, int] = {}  # folded id → position, for ids with capitals
    for number, (reply, problems, key, fresh, head) in enumerate(processed, 1):
        result.problems.extend(problems)
        if fresh is not None:
            cache.store(key, fresh)  # here, not in the workers: one process writes the cache
        if head is not None:
            cache.store_head(key, head)
        if progress and (number % 1000 == 0 or number == len(names)):
            progress(f"read {number}/{len(names)} replies")
        if reply is not None:
            folded = reply.id.casefold()
            first = store.position(folded)  # an id that is its own fold is found in the store
            if first is None:
                first = taken.get(folded)
            if first is not None:
                result.problems.append(_taken(reply, store[first]))
                reply = None
        if reply is None:
            if key:
                result.other_keys.append(key)  # kept in the cache all the same
            continue
        if folded != reply.id:
            taken[folded] = len(store)
        position = store.append(reply, key)  # the store keeps no body
        (result.withheld if reply.publish == "none" else result.replies).append(position)
    store.flush()
    cache.flush()  # before render workers are forked: they read the bodies
    result.seconds = time.perf_counter() - started
    return result


def _quality_tasks(result: RunResult, renderer: Renderer) -> list[Callable[[], Iterator[tuple[str, str]]]]:
    """The pages of the quality report, a task each (their rows made here: a task holds
    what its page shows)."""
    # Withheld replies are not even named (nor are files whose problems say they were to
    # be withheld); so an entry's reply is published.
    hidden = {r.source for r in result.withheld} | {p.source for p in result.problems if not p.public}
    entries = [e for e in report(result, everything=False) if e.source not in hidden]
    return renderer.quality_page_tasks(entries, {
        "files": result.sources, "errors": len(result.errors), "warnings": len(result.warnings),
        "missing": sum(1 for e in entries if e.missing)})


def _extra_files(result: RunResult, ctx: Context, renderer: Renderer) -> Iterator[tuple[str, str | bytes | Iterator[str]]]:
    """The generated files that are neither pages of replies, keys or the quality report
    nor open data: the search dictionary, the about page, the site's settings and pictures."""
    # Search: agency names and short forms, themes and proposers stay single tokens.
    agencies = [form for a in ctx.registry.agencies for form in (a.name, *a.aliases)]
    agencies += [a.name for a in result.index.agencies]
    themes = [t.name for t in ctx.classifier.themes] + list(ctx.classifier.keywords)
    yield USER_DICT, jieba_user_dict(agencies + themes + [p.name for p in result.index.proposers])
    yield "about.md", renderer.about()
    yield SITE_SETTINGS, renderer.site_settings()
    for image in ctx.site.images():  # the publisher's logo and icon, named by site.yml
        yield image.path, image.data
    yield from _originals(result, ctx)


def _open_data_file(file: OpenDataFile, replies: ReplyList, splice: Splice | None = None) -> Iterator[tuple[str, Iterator[str]]]:
    """The open-data file `file` of the published `replies`, in pieces; with `splice`,
    reusing the pieces of the last run's file whose replies did not change."""
    yield file.path, (open_data_pieces(file, replies) if splice is None else splice.join(file, replies.by_id()))


def _originals(result: RunResult, ctx: Context) -> Iterator[tuple[str, bytes]]:
    """The original files published beside their pages (site.yml `originals`), read one at
    a time. A reply's `source` is its file's name as pages show it: mapped back."""
    if not ctx.site.originals:
        return
    names = {(name if ctx.keep_contacts else public_name(name)): name for name in source_names(ctx.data_dir)}
    for reply in result.replies:
        path = original_path(reply, ctx.site)
        if path is not None and reply.source in names:
            try:
                name = names[reply.source]
                yield path, read_bytes(ctx.data_dir / "replies" / name, max_bytes(name), root=ctx.data_dir)
            except ReadError:
                continue  # read a moment ago; gone or changed since: its page links nothing new


def _reply_files(result: RunResult, renderer: Renderer, replies: Iterable[Reply]) -> Iterator[tuple[str, str]]:
    """The files of each reply (`render.reply_files`): its page and its own record."""
    for reply in replies:
        yield renderer.reply_path(reply), renderer.reply_page(result.with_body(reply))
        yield reply_record_path(reply.id), renderer.reply_record(reply)


def _reply_files_at(result: RunResult, renderer: Renderer, position: int) -> Iterator[tuple[str, str]]:
    """The files of the reply at `position` in the store (read here, in the worker)."""
    return _reply_files(result, renderer, [result.store[position]])


def _renderer(result: RunResult, ctx: Context, templates: Path) -> Renderer:
    if result.index is None:
        result.index = build_index(result.replies, ctx.registry, ctx.classifier.themes)
    return Renderer(templates, result.index, ctx.site)


def render_all(result: RunResult, ctx: Context, templates: Path = TEMPLATES) -> dict[str, str]:
    """Every generated file in memory, path relative to docs/ → content (for small runs;
    `generate` writes them as they are rendered)."""
    renderer = _renderer(result, ctx, templates)
    replies = result.replies.by_id()
    files = chain(chain.from_iterable(task() for task in _quality_tasks(result, renderer)),
                  _extra_files(result, ctx, renderer),
                  chain.from_iterable(_open_data_file(file, result.replies) for file in OPEN_DATA))
    extra = ((rel, content if isinstance(content, (str, bytes)) else "".join(content)) for rel, content in files)
    return dict(chain(_reply_files(result, renderer, replies), renderer.site_pages().items(), extra))


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
    """Every path a run produced: its other pages (listed) and the files of each published
    reply, its page and its record (derived from the ids, not listed: `render.reply_files`).
    Iterates in a fixed order: the manifest's."""

    pages: set[str]
    order: list[str]  # `pages` in the order produced
    replies: ReplyList  # the published replies, each with its files
    withheld: frozenset[int]  # positions in the store of the replies without any
    refused: frozenset[str] = frozenset()  # generated paths holding a hand-written file

    def __contains__(self, rel: object) -> bool:
        if rel in self.pages:
            return True
        if rel in self.refused:
            return False
        reply_id = reply_id_of_file(rel) if isinstance(rel, str) else None
        return reply_id is not None and self.published(reply_id)

    def published(self, reply_id: str) -> bool:
        position = self.replies.source.position(reply_id)
        return position is not None and position not in self.withheld

    def __len__(self) -> int:
        per_reply = len(reply_files(""))
        return len(self.order) + per_reply * len(self.replies) - sum(1 for rel in self.refused if reply_id_of_file(rel))

    def __iter__(self) -> Iterator[str]:
        yield from self.order
        store = self.replies.source
        files = (rel for p in self.replies.positions for rel in reply_files(store.id(p)))
        yield from (rel for rel in files if rel not in self.refused) if self.refused else files


@dataclass
class _Unit:
    """One piece of render work: `task()` yields its files (path, content). `name`: what
    the render cache knows it by (None: it always runs), `declared`: the facts its name
    holds. `listed`: its paths go into the manifest's list (a reply's files are derived
    from its id)."""

    task: Callable[[], Iterable[tuple[str, str | bytes | Iterable[str]]]]
    name: str | None = None
    declared: frozenset = frozenset()
    listed: bool = True


@dataclass
class _Done:
    """What running a unit gave: the paths staged, produced and refused (hand-written
    files), one per line each, and what it read (`RenderCache.read`) with the signature
    it makes (None: not to be cached)."""

    number: int
    staged: str = ""
    produced: str = ""
    refused: str = ""
    facts: bytes = b""
    signature: bytes | None = None


def _run_unit(number: int, unit: _Unit, writer: Writer, renders: RenderCache | None) -> _Done:
    """Render and stage the files of `unit`, noting what it reads for the render cache."""
    staged, produced, refused = [], [], []
    if renders is None or unit.name is None:
        _stage(writer, unit.task(), staged, produced, refused)
        return _Done(number, "\n".join(staged), "\n".join(produced), "\n".join(refused))
    with recording() as reads:
        _stage(writer, unit.task(), staged, produced, refused)
    names, signature = renders.read(unit.name, reads, unit.declared)
    return _Done(number, "\n".join(staged), "\n".join(produced), "\n".join(refused), names,
                 None if refused else signature)  # a hand-written file in its way: run it each time


def _run_units(numbers: list[int]) -> list[_Done]:
    """Run the units `numbers` of the run's work list (in a worker, or here)."""
    return [_run_unit(n, _WORKER.units[n], _WORKER.writer, _WORKER.renders) for n in numbers]


def _stage(writer: Writer, files: Iterable[tuple[str, str | bytes | Iterable[str]]], staged: list[str],
           produced: list[str] | None, refused: list[str]) -> None:
    """Stage `files` (path, content), adding each path to the lists it belongs to."""
    for rel, content in files:
        if produced is not None:
            produced.append(rel)
        try:
            if writer.write(rel, content):
                staged.append(rel)
        except HandWritten:
            refused.append(rel)


def _lines(text: str) -> list[str]:
    return text.split("\n") if text else []


REPLY_JOB = 256  # reply units per task sent to a render worker
SITE_JOB = 32  # other units per task


def _units(result: RunResult, renderer: Renderer, renders: RenderCache | None) -> list[_Unit]:
    """The render work of the reply pages and the site's pages, in the order of the
    manifest: a unit per published reply, then one per task of `Renderer.site_page_tasks`."""
    store = result.store
    units = [_Unit(partial(_reply_files_at, result, renderer, position), reply_unit(store.id(position)), listed=False)
             for position in result.replies.positions]
    tasks = renderer.site_page_tasks()
    names = renders.names(tasks) if renders is not None else [(None, frozenset())] * len(tasks)
    units += [_Unit(task, name, declared) for task, (name, declared) in zip(tasks, names)]
    return units


def _jobs(numbers: list[int], units: list[_Unit]) -> list[list[int]]:
    """`numbers` cut into the tasks sent to workers: replies by REPLY_JOB, others by SITE_JOB."""
    jobs: list[list[int]] = []
    for number in numbers:
        size = SITE_JOB if units[number].listed else REPLY_JOB
        if not jobs or len(jobs[-1]) >= size or units[jobs[-1][-1]].listed != units[number].listed:
            jobs.append([])
        jobs[-1].append(number)
    return jobs


def _write_pages(result: RunResult, ctx: Context, renderer: Renderer, writer: Writer, jobs: int,
                 progress=None, renders: RenderCache | None = None) -> tuple[PathList, _Owned]:
    """Render and stage every page, reply pages and key pages on `jobs` forked workers
    (which inherit the index), the other files meanwhile here. With the run's render cache
    (`renders`, watching the index), a unit whose files would come out the same is not
    run: its files stand. Returns (paths staged, every path produced); refuses to produce
    one path twice. A hand-written file at a generated path is left alone: a problem, and
    not owned."""
    replies = result.replies
    published = renders.watched(replies, "published") if renders is not None else replies
    # Here, as the workers render: the quality report, the other extra files, the open data.
    tasks = _quality_tasks(result, renderer)
    made = [None] * len(tasks) + list(OPEN_DATA)  # the open-data file each task makes, if one
    tasks += [partial(_open_data_file, file, published) for file in OPEN_DATA]
    names = renders.names(tasks) if renders is not None else [(None, frozenset())] * len(tasks)
    parent = [_Unit(task, name, declared) for task, (name, declared) in zip(tasks, names)]
    units = _units(result, renderer, renders)
    fresh = renders.fresh if renders is not None else lambda name: None
    kept = {n: found for n, unit in enumerate(units) if (found := fresh(unit.name)) is not None}
    kept_here = {n: found for n, unit in enumerate(parent) if (found := fresh(unit.name)) is not None}
    _WORKER.units, _WORKER.writer, _WORKER.renders = units, writer, renders
    work = _jobs([n for n in range(len(units)) if n not in kept], units)
    pool = None
    if jobs > 1 and len(work) > 1 and len(replies) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                   initializer=die_with_parent)
    try:
        pending = [pool.submit(_run_units, job) for job in work] if pool else []
        if progress:
            progress(f"rendering {len(units) + len(parent) - len(kept) - len(kept_here)} of "
                     f"{len(units) + len(parent)} units: reply pages, the index pages and the open data")
        parts = []
        for number, (file, unit) in enumerate(zip(made, parent)):
            if file is not None and file is OPEN_DATA[0]:  # after the quality report, as ever
                extra_staged, extra, extra_refused = [], [], []
                _stage(writer, _extra_files(result, ctx, renderer), extra_staged, extra, extra_refused)
                parts.append(("\n".join(extra_staged), "\n".join(extra), "\n".join(extra_refused)))
            if number in kept_here:
                parts.append(("", "\n".join(kept_here[number]), ""))
                continue
            if renders is not None and file is not None:  # the pieces of replies that did not change: from the last run's
                unit = replace(unit, task=partial(_open_data_file, file, published, renders.splice(unit.name, file.path)))
            done = _run_unit(number, unit, writer, renders)
            if renders is not None:
                renders.ran(unit.name, done.signature, done.facts, _lines(done.produced))
            parts.append((done.staged, done.produced, done.refused))
        finished: dict[int, tuple[str, str, str]] = {}  # unit → paths staged, produced, refused
        for job in (future.result() for future in pending) if pool else map(_run_units, work):
            for done in job:
                unit = units[done.number]
                if renders is not None:
                    renders.ran(unit.name, done.signature, done.facts, _lines(done.produced))
                finished[done.number] = (done.staged, done.produced, done.refused)
    finally:
        if pool:
            pool.shutdown()
        _WORKER.units = _WORKER.writer = _WORKER.renders = None
    listed = []  # the paths produced by listed units, in the units' order
    for number, unit in enumerate(units):
        if number not in finished:
            if unit.listed:
                listed.append("\n".join(kept[number]))
            continue
        staged, produced, refused = finished[number]
        if unit.listed:
            listed.append(produced)
        parts.append((staged, "", refused))
    parts.append(("", "\n".join(p for p in listed if p), ""))
    produced = [rel for _, part, _ in parts for rel in _lines(part)]
    refused = frozenset(rel for _, _, part in parts for rel in _lines(part))
    owned = _Owned(set(produced) - refused, [rel for rel in produced if rel not in refused], replies,
                   frozenset(result.withheld.positions), refused)
    twice = [rel for rel, count in Counter(produced).items() if count > 1]
    twice += [rel for rel in produced if (reply_id := reply_id_of_file(rel)) and owned.published(reply_id)]
    if twice:
        raise ValueError(f"two pages were written to one path: {', '.join(sorted(twice)[:5])}")
    for rel in sorted(refused):
        result.problems.append(Problem(f"docs/{rel}", "exists and was not written by the generator; not "
                                       "overwritten: move it away (the generator makes this page) and run again",
                                       zh="此路径已有手写文件，未覆盖"))
    return PathList(staged for staged, _, _ in parts), owned


def default_cache_dir(docs_dir: Path) -> Path:
    """`.cache/generator` beside the docs dir (the project root for `docs`)."""
    return docs_dir.resolve().parent / ".cache" / "generator"


def generate(data_dir: Path, docs_dir: Path, keep_contacts: bool = False, progress=None,
             jobs: int | None = None, cache_dir: Path | None = None, ocr: bool = False) -> RunResult:
    """Read and index every reply, then write docs/ (see `write`). A registry that cannot
    be used raises RegistryError; a docs dir that cannot be written, WriteError.

    Extraction results are kept in `cache_dir` (default: `default_cache_dir`) so that a
    regenerate redoes only the replies whose file changed."""
    started = time.perf_counter()
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    ctx = load_context(data_dir, keep_contacts, ocr)
    cache = DiskCache(cache_dir or default_cache_dir(docs_dir), fingerprint(data_dir, keep_contacts, ocr))
    result = collect(data_dir, ctx, progress, jobs, cache)
    renderer = _renderer(result, ctx, TEMPLATES)
    with DocsLock(docs_dir, say=progress):
        # The render cache: the units of render work whose files would come out the same are skipped.
        renders = RenderCache(None if cache.unusable else cache.root,
                              static_digest(TEMPLATES, data_dir, f"{keep_contacts} {ocr}", ctx.site), docs_dir)
        renderer.index = result.index = renders.watch(result.store, result.index, renderer, ctx.site)
        writer = Writer(docs_dir)
        try:
            writer.remove_staged()
            result.written, owned = _write_pages(result, ctx, renderer, writer, jobs, progress, renders)
        except OSError as exc:  # nothing replaced yet: docs/ is as the last run left it
            writer.abort()
            raise WriteError(describe(exc, docs_dir)) from None
        except BaseException:
            writer.abort()
            raise
        try:
            writer.commit(result.written)
            result.removed = writer.finish(owned)
        except OSError as exc:
            raise WriteError(describe(exc, docs_dir, staged=False)) from None
        renders.save()  # the files are in place: what they are now is what the next run finds
    cache.prune(result.cache_keys())
    cache.close()
    result.notices += cache.notices + renders.notices
    result.seconds = time.perf_counter() - started
    return result


def default_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
