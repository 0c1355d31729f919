"""Stage 7's engine: MkDocs' build, its pages rendered on every core and, with a build
cache, only the pages that changed.

In: a loaded MkDocs config (`site.build_site` loads it). Out: the site dir, byte for byte
what `mkdocs build` writes (tests/test_sitebuild.py compares the trees).

This is MkDocs 1.6's `build` (mkdocs/commands/build.py, whose private steps it calls; the
version is pinned), with two changes:

- **Pages on every core.** The parent loads the config, files and nav and populates the
  nav's pages (their titles are in every page); then forked workers each populate and
  render a share of the other pages, one at a time (so no more than one page's HTML is
  held), and return per page what the build needs of it afterwards (`PageRecord`): its
  log lines, its anchors, Material's search entries, the project hooks' state. The parent
  replays them in page order, as MkDocs would have made them, then validates the anchors
  and runs `on_post_build` (Pagefind, on every core too).
- **Only what changed** (with `cache_dir`): a page is rendered again when its source, a
  file its links looked up (there or not), or its output in the site dir changed; any
  change to the code, theme, config or nav (`buildcache.fingerprint`) makes a full build.
  The site dir keeps the pages and static files still right and loses everything else;
  Pagefind re-indexes only the shards holding a changed page.

Its Markdown conversions take a shorter path through the inline patterns, with the same
output (generator/markdown_speed.py), and a page outside the nav reuses the nav and tabs
another page with the same links had (generator/nav_memo.py).

The engine knows what per-page state Material's search plugin and the project's hooks
keep. A config with any other plugin is built by MkDocs' own `build`, whole and on one core.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs import utils
from mkdocs.commands import build as mkdocs
from mkdocs.exceptions import Abort, BuildError
from mkdocs.structure.files import File, Files, InclusionLevel, get_files, set_exclusions
from mkdocs.structure.nav import get_navigation
from mkdocs.structure.pages import Page

from .buildcache import BuildCache, PageRecord, StaticRecord, file_digest, fingerprint, stat_key
from .markdown_speed import faster_inline
from .nav_memo import memoize_nav
from .mkdocs_hooks import plugin
from .pipeline import die_with_parent

log = logging.getLogger("mkdocs.sitebuild")
KNOWN_PLUGINS = ("search", "offline", "mkdocs_hooks.py")  # by the last part of their name
CHUNK = 40  # pages per task given to a worker
PARALLEL_FROM = 60  # fewer pages to render than this: rendered here, no workers


@dataclass
class BuildStats:
    pages: int = 0  # documentation pages in the site
    rendered: int = 0  # of them, rendered by this build (the rest were still right)
    full: bool = True  # whether the site dir was emptied first
    notice: str = ""  # why the build was full, when a cache was given
    seconds: dict = field(default_factory=dict)  # set-up, render, post_build (Pagefind…), total


def supported(config) -> str | None:
    """None when this engine can build `config`; else the plugin it does not know."""
    for name in config.plugins:
        if name.rsplit("/", 1)[-1] not in KNOWN_PLUGINS:
            return name
    return None


def _search(config):
    """Material's search plugin, whose index keeps its entries in a list (`entries`)."""
    found = plugin(config, "search")
    if found is None or not getattr(found.config, "enabled", True) or not hasattr(found, "search_index"):
        return None
    return found if isinstance(getattr(found.search_index, "entries", None), list) else None


# The build's state, inherited by the forked workers (set before the pool starts).
_RUN: dict = {}
_LOOKED: list[dict[str, None] | None] = [None]  # the page being rendered: the files its links looked up


class _Capture(logging.Handler):
    """Keeps the log records of the page being rendered, for its record (and the parent)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.levelno, record.getMessage()))


def _record_lookups(files: Files) -> None:
    """Make `files.get_file_from_path` note what each page looks up (its links' targets)."""
    lookup = Files.get_file_from_path

    def looked(path: str):
        found = lookup(files, path)
        if _LOOKED[0] is not None:
            _LOOKED[0][sys.intern(os.path.normpath(path).replace(os.sep, "/"))] = None
        return found

    files.get_file_from_path = looked


def _nav_shape(items) -> list:
    return [[type(item).__name__, str(item.title or ""), getattr(item, "url", None),
             _nav_shape(getattr(item, "children", None) or [])] for item in items]


def _start_page(logger: logging.Logger) -> tuple[_Capture, list]:
    capture = _Capture()
    saved = logger.handlers[:]
    logger.handlers = [capture]  # the worker's lines go to the parent, not to its stderr
    logger.propagate = False
    _LOOKED[0] = {}
    return capture, saved


def _end_page(logger: logging.Logger, saved: list) -> None:
    logger.handlers = saved
    logger.propagate = True
    _LOOKED[0] = None


def _fingerprint(config, nav, hooks) -> str:
    """`buildcache.fingerprint`. Material's search dictionary (jieba's user dictionary, in
    the docs dir) changes whenever a name is added; the pages depend on it only when their
    text goes into Material's index."""
    search = plugin(config, "search")
    user_dict = Path(str(search.config.get("jieba_dict_user") or "")) if search is not None else None
    engine = hooks.search_engine(config) if hooks is not None and hasattr(hooks, "search_engine") else "material"
    extra = {}
    if engine != "pagefind" and user_dict and user_dict.is_file():
        extra["search_dictionary"] = file_digest(user_dict)
    return fingerprint(config, _nav_shape(nav), extra)


def _render(index: int, populated: bool = False, keep: bool = False) -> PageRecord:
    """Populate (unless `populated`) and build doc page number `index`; its record. The
    page's effects on the search plugin and the hooks are taken into the record."""
    run = _RUN
    file: File = run["doc_files"][index]
    page = file.page
    config, files = run["config"], run["files"]
    logger = logging.getLogger("mkdocs")
    capture, saved = _start_page(logger)
    search, hooks = run["search"], run["hooks"]
    entries = len(search.search_index.entries) if search else 0
    try:
        if not populated:
            mkdocs._populate_page(page, config, files)
        mkdocs._build_page(page, config, run["doc_files"], run["nav"], run["env"])
        looked = tuple(_LOOKED[0] or ())
    finally:
        _end_page(logger, saved)
    found: list = []
    if search:
        found = search.search_index.entries[entries:]
        del search.search_index.entries[entries:]
    source = file.abs_src_path
    out_stat = stat_key(file.abs_dest_path)
    record = PageRecord(
        source_stat=stat_key(source) if source else None,
        source_digest=file_digest(source) if source else None,
        deps=looked,
        output_stat=out_stat,
        output_digest=file_digest(file.abs_dest_path) if out_stat else None,
        logs=tuple(capture.lines),
        anchors=tuple(sorted(page.present_anchor_ids)) if page.present_anchor_ids is not None else None,
        links_to_anchors={target.src_uri: dict(links) for target, links in (page.links_to_anchors or {}).items()}
        or None,
        search=tuple(found),
        hooks=hooks.take_page_state(page) if hooks is not None and hasattr(hooks, "take_page_state") else None,
    )
    if not keep:  # memory: a worker holds one page's text at a time
        page.markdown = page.content = None
        page.toc = []
    return record


def _render_chunk(indices: list[int]) -> list[tuple[int, PageRecord]]:
    return [(index, _render(index)) for index in indices]


def _still(path: str, stat: tuple[int, int] | None, digest: str | None) -> tuple[int, int] | None:
    """`path`'s stat now, when it holds the bytes recorded (the same stat, else the same
    digest: touched, restored from a CI cache or copied, with new times); else None."""
    now = stat_key(path)
    if now is None or (now != stat and file_digest(path) != digest):
        return None
    return now


def _reusable(record: PageRecord | None, file: File, moved: set[str]) -> bool:
    """Whether `file`'s page in the site dir is still what rendering it would give.
    `moved`: the paths pages looked up that were found then and are not now, or the reverse."""
    if record is None or record.output_stat is None or file.abs_src_path is None:
        return False
    source = _still(file.abs_src_path, record.source_stat, record.source_digest)
    if source is None or (moved and not moved.isdisjoint(record.deps)):
        return False
    out = _still(file.abs_dest_path, record.output_stat, record.output_digest)
    if out is None:
        return False
    record.source_stat, record.output_stat = source, out
    return True


def _static_reusable(record: StaticRecord | None, file: File) -> bool:
    if record is None or file.abs_src_path is None or record.copied_stat != record.final_stat:
        return False  # a copy on_post_build rewrote is copied again, then rewritten again
    source = _still(file.abs_src_path, record.source_stat, record.source_digest)
    copy = _still(file.abs_dest_path, record.final_stat, record.source_digest) if source else None
    if copy is None:
        return False
    record.source_stat, record.final_stat, record.copied_stat = source, copy, copy
    return True


def _clear(site_dir: Path, keep: set[str]) -> None:
    """Remove from the site dir every file not in `keep` (paths relative to it), and the
    folders left empty. (Strings, not Paths: a site has tens of thousands of files.)"""

    def clear(folder: str, prefix: str) -> bool:  # whether the folder is left empty
        empty = True
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if not prefix and entry.name.startswith("."):  # hidden: left, as MkDocs does
                    empty = False
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if clear(entry.path, rel + "/"):
                        os.rmdir(entry.path)
                    else:
                        empty = False
                elif rel in keep:
                    empty = False
                else:
                    os.unlink(entry.path)
        return empty

    if site_dir.is_dir():
        clear(str(site_dir), "")


def build(config, *, jobs: int = 1, cache_dir: Path | None = None, progress=None) -> BuildStats:
    """Build the site of `config` (see the module's docstring). `jobs`: processes rendering
    pages; `cache_dir`: the build cache's folder (None: a full build, no cache kept)."""
    if unknown := supported(config):
        log.info(f"plugin {unknown!r}: built by MkDocs alone, on one core, in full")
        mkdocs.build(config)
        return BuildStats(notice=f"plugin {unknown} not known to the engine")
    with faster_inline():  # Python-Markdown's output, sooner (see generator/markdown_speed.py)
        return _build(config, jobs=jobs, cache_dir=cache_dir, progress=progress)


def _build(config, *, jobs: int, cache_dir: Path | None, progress) -> BuildStats:
    say = progress or log.info
    logger = logging.getLogger("mkdocs")
    counter = utils.CountHandler()
    counter.setLevel(logging.WARNING)
    if config.strict:
        logger.addHandler(counter)
    stats = BuildStats()
    cache = None
    try:
        start = time.monotonic()
        config = config.plugins.on_config(config)
        config.plugins.on_pre_build(config=config)
        files = get_files(config)
        env = config.theme.get_env()
        files.add_files_from_theme(env, config)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)
        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
        for file in doc_files:
            if file.page is None and file.inclusion.is_not_in_nav():
                Page(None, file, config)
        lookup = files.get_file_from_path
        _record_lookups(files)
        hooks, search = plugin(config, "mkdocs_hooks.py"), _search(config)
        if search is None and plugin(config, "search") is not None:
            # A search plugin whose entries this engine cannot carry: one process, no cache.
            jobs, cache_dir = 1, None
        _RUN.update(config=config, files=files, doc_files=doc_files, nav=nav, env=env, search=search, hooks=hooks)
        position = {id(file): n for n, file in enumerate(doc_files)}
        # The nav's pages first, here: every page shows their titles.
        nav_pages = sorted(position[id(page.file)] for page in nav.pages if id(page.file) in position)
        records: dict[int, PageRecord] = {}
        for index in nav_pages:
            mkdocs._populate_page(doc_files[index].page, config, files)
        env = _RUN["env"] = config.plugins.on_env(env, config=config, files=files)
        memoize_nav(env, nav, config)  # the same HTML, sooner (see generator/nav_memo.py)
        site_dir = Path(config.site_dir)
        if cache_dir is not None:
            cache = BuildCache.open(Path(cache_dir), _fingerprint(config, nav, hooks))
            stats.notice = cache.notice
        old_pages = cache.pages if cache else {}
        moved = {path for path, there in (cache.targets if cache else {}).items() if (lookup(path) is not None) != there}
        reuse = {n for n, file in enumerate(doc_files)
                 if n not in nav_pages and _reusable(old_pages.get(file.src_uri), file, moved)}
        static = [file for file in files if not file.is_documentation_page() and file.inclusion.is_included()]
        old_static = cache.static if cache else {}
        static_kept = {file.dest_uri for file in static if _static_reusable(old_static.get(file.dest_uri), file)}
        stats.full = not reuse and not static_kept
        if cache:
            cache.forget()  # until this build succeeds
        old_site = None
        if stats.full:
            log.info("Cleaning site directory")
            old_site = _set_aside(site_dir)
        else:
            _clear(site_dir, {doc_files[n].dest_uri for n in reuse} | static_kept)
        log.info(f"Building documentation to directory: {config.site_dir}")
        copied: dict[str, StaticRecord] = {}

        def copy_static() -> None:
            """The static files (the open data, feeds, assets), and the old site deleted:
            disk work, done while the workers render (the pages need neither)."""
            for file in static:
                if file.dest_uri in static_kept:
                    copied[file.dest_uri] = old_static[file.dest_uri]
                    continue
                file.copy_file()
                st = stat_key(file.abs_dest_path)
                source = file.abs_src_path
                copied[file.dest_uri] = StaticRecord(stat_key(source) if source else None,
                                                     file_digest(source) if source and cache else None, st, st)
            if old_site is not None:
                shutil.rmtree(old_site, ignore_errors=True)
        for template in config.theme.static_templates:
            mkdocs._build_theme_template(template, env, files, config, nav)
        for template in config.extra_templates:
            mkdocs._build_extra_template(template, files, config, nav)
        for index in nav_pages:
            records[index] = _render(index, populated=True, keep=True)
        todo = [n for n in range(len(doc_files)) if n not in reuse and n not in records]
        stats.pages, stats.rendered = len(doc_files), len(todo) + len(nav_pages)
        say(f"rendering {len(todo) + len(nav_pages)} of {len(doc_files)} pages"
            + (f" on {jobs} processes" if jobs > 1 and len(todo) >= PARALLEL_FROM else ""))
        rendering = time.monotonic()
        records.update(_render_all(todo, jobs, say, copy_static))
        stats.seconds["render"] = round(time.monotonic() - rendering, 1)
        stats.seconds["setup"] = round(rendering - start, 1)
        for n in reuse:
            records[n] = old_pages[doc_files[n].src_uri]
        # Anchors are checked against the pages links point into: only theirs are needed.
        targets = {uri for record in records.values() for uri in (record.links_to_anchors or ())}
        # Replayed in page order, as one process would have made them.
        for n, file in enumerate(doc_files):
            record = records[n]
            for name, level, message in record.logs:
                logging.getLogger(name).log(level, message)
            if search and record.search:
                search.search_index.entries.extend(record.search)
            if hooks is not None and record.hooks is not None:
                hooks.put_page_state(file.page, record.hooks)
            if file.src_uri in targets:
                file.page.present_anchor_ids = set(record.anchors) if record.anchors is not None else None
            file.page.links_to_anchors = {target: links for uri, links in (record.links_to_anchors or {}).items()
                                          if (target := lookup(uri)) is not None}
        if hooks is not None and hasattr(hooks, "use_pagefind_cache"):
            hooks.use_pagefind_cache(cache.pagefind_bundles if cache else None,
                                     {file.dest_uri: records[n].output_digest for n, file in enumerate(doc_files)},
                                     jobs)
        log_level = config.validation.links.anchors
        for file in doc_files:
            file.page.validate_anchor_links(files=files, log_level=log_level)
        post = time.monotonic()
        config.plugins.on_post_build(config=config)
        stats.seconds["post_build"] = round(time.monotonic() - post, 1)  # Pagefind, the search index
        if cache:  # saved before a strict failure too: the next build replays its warnings
            for key, record in copied.items():
                record.final_stat = stat_key(site_dir / key)
            looked = {path for record in records.values() for path in record.deps}
            cache.save({file.src_uri: records[n] for n, file in enumerate(doc_files)}, copied,
                       {path: lookup(path) is not None for path in sorted(looked)})
        if counts := counter.get_counts():
            msg = ", ".join(f"{v} {k.lower()}s" for k, v in counts)
            raise Abort(f"Aborted with {msg} in strict mode!")
        stats.seconds["total"] = round(time.monotonic() - start, 1)
        say(f"site built in {stats.seconds['total']} s: {stats.rendered} of {stats.pages} pages rendered "
            f"({stats.seconds['render']} s), set-up {stats.seconds['setup']} s, "
            f"after the pages (Pagefind…) {stats.seconds['post_build']} s")
        return stats
    except Exception as e:
        config.plugins.on_build_error(error=e)
        if isinstance(e, BuildError):
            log.error(str(e))
            raise Abort("Aborted with a BuildError!")
        raise
    finally:
        logger.removeHandler(counter)
        _RUN.clear()


def _set_aside(site_dir: Path) -> Path | None:
    """Empty the site dir at once: its contents moved into a folder beside it (a rename),
    to be deleted later (returned; None when there was nothing)."""
    # Hidden entries stay, as MkDocs leaves them (a deployment's `.git`, `.nojekyll`).
    entries = [e for e in site_dir.iterdir() if not e.name.startswith(".")] if site_dir.is_dir() else []
    if not entries:
        site_dir.mkdir(parents=True, exist_ok=True)
        return None
    trash = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}-old-", dir=site_dir.parent))
    for entry in entries:
        os.rename(entry, trash / entry.name)
    return trash


def _render_all(todo: list[int], jobs: int, say, meanwhile) -> dict[int, PageRecord]:
    """Render the pages `todo` (on `jobs` forked workers), calling `meanwhile()` in a
    thread of this process while they work (before, without workers)."""
    if jobs <= 1 or len(todo) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        meanwhile()
        return {n: _render(n) for n in todo}
    chunks = [todo[n:n + CHUNK] for n in range(0, len(todo), CHUNK)]
    done: dict[int, PageRecord] = {}
    step = max(1, len(chunks) // 10)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=die_with_parent) as pool:
        results = pool.map(_render_chunk, chunks)  # the workers are forked here, before the thread
        helper = ThreadPoolExecutor(1)
        side = helper.submit(meanwhile)
        for count, part in enumerate(results, 1):
            for index, record in part:
                # Shared, not one copy per page: pages link to the same few hundred index pages.
                record.deps = tuple(map(sys.intern, record.deps))
                record.anchors = tuple(map(sys.intern, record.anchors)) if record.anchors else record.anchors
                done[index] = record
            if count % step == 0 and count < len(chunks):
                say(f"rendered {len(done)} of {len(todo)} pages")
        side.result()  # its errors are the build's
        helper.shutdown()
    return done


__all__ = ["BuildStats", "build", "supported"]
