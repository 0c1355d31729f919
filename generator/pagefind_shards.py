"""Pagefind in shards: the built site's marked pages → `site/pagefind/`, one search index.

In: the site directory and the pages Pagefind should index (relative paths of HTML files
holding `data-pagefind-body`). Out: `site/pagefind/`, an ordinary Pagefind bundle.

Pagefind keeps every word position of every page in memory until it writes its index:
about 1 MB per Chinese reply, 9 GB for 10,000. So Pagefind indexes at most `shard_pages`
pages per run, each run into a bundle of its own, and the bundles are merged here into one:
the page lists are concatenated, each word's postings are joined with page numbers shifted,
and the merged word list is cut into chunks again, of at least Pagefind's size. Memory is
bounded by the shard, and the browser sees a single index of ordinary chunks, so what a
query downloads does not grow with the number of shards.

The merge copies bytes rather than decoding and encoding again. A bundle is decoded once
into a word table kept beside it (`_make_table`: where each word's page list lies, its
first and last page, a digest): a word's merged postings are its shards' page lists as
they are, but for the first page number of each. Chunks end at words their hashes pick
(`_chunked`), not at a running count, and a chunk is gzip of pieces deflated one by one
(`_pieces`; each with the piece before as its dictionary, all one deflate stream). Worker
processes merge a range of words each, read from the tables as they go, so memory does not
grow with the index, and the chunks are the same bytes whatever the number of workers.
A shard whose pages changed changes the pieces holding its changed page lists (and the
pieces after those) and no others: with a cache of the last merge (`build_index` keeps
one beside the bundles), a merge compresses only those again and takes the rest from it,
the same bytes as a merge without it.

Filters (`data-pagefind-filter`) are merged value by value, page numbers shifted. Sort
orders (`data-pagefind-sort`) cannot be merged from the index alone, which keeps a sort's
page order but not its values: the caller gives the values (`sorts`), and the merged order
is theirs, ties broken by URL.

The merge reads Pagefind's files (gzip of `pagefind_dcd` + CBOR) in the layout of Pagefind
1.5. Anything else (another layout, a sort without its values) is refused with an error
rather than merged wrongly.
"""

from __future__ import annotations

import functools
import gc
import gzip
import hashlib
import io
import heapq
import itertools
import json
import multiprocessing
import operator
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import cbor2

SHARD_PAGES = 250  # pages per Pagefind run (about 300 MB of memory for Chinese replies)
BUNDLE_FORMAT = "pagefind-1.5 1"  # in a kept bundle's name: another Pagefind, other bundles
CHUNK_SIZE = 20000  # Pagefind's default index_chunk_size: positions per index chunk
SIGNATURE = b"pagefind_dcd"
BUNDLE = "pagefind"
# Merged chunks end where their words say (see `_chunked`): from CHUNK_MIN positions, as
# Pagefind's (which end at the first word reaching it), about CHUNK_MEAN more on average,
# CHUNK_MAX at most (unless one word is more).
CHUNK_MIN, CHUNK_MEAN, CHUNK_MAX = CHUNK_SIZE, CHUNK_SIZE // 4, CHUNK_SIZE * 2
# A chunk's pieces, compressed one by one (see `_pieces`): bytes, likewise. Each has the
# piece before as its dictionary, so the chunks are within 1% of a gzip in one go.
PIECE_MIN, PIECE_MEAN, PIECE_MAX = 8 << 10, 8 << 10, 32 << 10
LEVEL = 6  # zlib's compression level, as gzip's default
WINDOW = 32 << 10  # deflate's window: the most of a dictionary used
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time: as gzip.compress(mtime=0)
GZIP_END = b"\x03\x00"  # an empty last block, after the pieces' sync flushes
BOUNDARY = CHUNK_SIZE * 128  # positions, on average, between words ending a chunk whatever its size
TABLES = "words"  # in a bundle: its word tables, one per language (see `_make_table`)
TABLE_FORMAT = "words 3"
MERGE_CACHE = "merged"  # in `build_index`'s bundle folder: the last merge's chunks
MERGE_FORMAT = "merge 1"
STATE = "state.json"  # in the merge cache: what its chunks are made of


class PagefindError(RuntimeError):
    """Pagefind failed, or wrote a bundle this module cannot merge."""


@functools.cache
def _pagefind_binary() -> str:
    """The Pagefind binary that `python -m pagefind` runs (the extended one when installed,
    or PAGEFIND_BINARY_PATH), found once: a run started through Python costs a third more."""
    from pagefind.service import get_executable  # the package's own search for its binary
    found = get_executable()
    if found is None:
        raise PagefindError("Pagefind's binary was not found: pip install 'pagefind[extended]'")
    return str(found)


def run_pagefind(site: Path, output: Path) -> None:
    """Index `site` with the Pagefind binary of the `pagefind` package, into `output`."""
    done = subprocess.run([_pagefind_binary(), "--site", str(site),
                           "--output-path", str(output), "--quiet"], capture_output=True, text=True)
    if done.returncode:
        raise PagefindError(f"Pagefind failed: {(done.stderr or done.stdout).strip()[-2000:]}")


def shards_of(pages: list[str], shard_pages: int) -> list[list[str]]:
    """The sorted `pages` cut into shards of about `shard_pages` (from half to one and a
    half times that). Where a shard ends is said by its last page's path (its digest), not
    by a count, so a page added or removed changes its own shard only: the other shards
    keep their pages, and their bundles can be reused (see `build_index`)."""
    if shard_pages < 1:
        raise ValueError("shard_pages must be at least 1")
    low, high = max(1, shard_pages // 2), max(1, shard_pages * 3 // 2)
    period = max(1, shard_pages - low)
    shards: list[list[str]] = [[]]
    for page in pages:
        shards[-1].append(page)
        size = len(shards[-1])
        ends = size >= low and int.from_bytes(hashlib.blake2b(page.encode(), digest_size=8).digest(), "big") % period == 0
        if size >= high or ends:
            shards.append([])
    return [shard for shard in shards if shard] or [[]]


def build_index(site_dir: Path, pages: Iterable[str], shard_pages: int = SHARD_PAGES,
                run: Callable[[Path, Path], None] = run_pagefind,
                progress: Callable[[str], None] | None = None, jobs: int | None = None,
                sorts: Mapping[str, Mapping[str, str]] | None = None,
                bundles: Path | None = None, digests: Mapping[str, str | None] | None = None) -> int:
    """Write `site_dir/pagefind/` for `pages` (paths relative to `site_dir`); returns the
    number of shards (`shards_of`), indexed `jobs` at a time. Each shard is a directory of
    hard links (copies where links fail) to its pages, so Pagefind sees only them and gives
    them their URLs on the site. `sorts`: each page's `data-pagefind-sort` values ({page:
    {sort: value}}), which a merge of several shards needs (see the module's docstring).
    `bundles`: a folder keeping each shard's bundle, named by its pages and their contents
    (`digests`: {page: digest of its HTML}), so that a later build reuses the bundles of
    shards whose pages did not change (the others are removed from it), and the merge's
    cache (`MERGE_CACHE`), so that it compresses again only the chunk pieces that changed."""
    pages = sorted(set(pages))
    jobs = max(1, jobs or 1)
    out = site_dir / BUNDLE
    work = Path(tempfile.mkdtemp(prefix=".pagefind-", dir=site_dir.parent))
    try:
        shards = shards_of(pages, shard_pages)
        keys = [_shard_key(shard, digests) if bundles is not None else None for shard in shards]
        paths = [bundles / key if key else work / f"bundle{n}" for n, key in enumerate(keys)]
        todo = [n for n, path in enumerate(paths) if not (path / "pagefind-entry.json").is_file()]
        if progress:
            progress(f"Pagefind: {len(todo)} of {len(shards)} shard(s) to index, {sum(map(len, shards))} pages")

        def index(n: int) -> None:
            stage = work / f"site{n}"
            for page in shards[n]:
                _link(site_dir / page, stage / page)
            stage.mkdir(parents=True, exist_ok=True)
            target = paths[n] if keys[n] is None else work / f"new{n}"
            run(stage, target)
            shutil.rmtree(stage)
            if keys[n] is not None:
                paths[n].parent.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(paths[n], ignore_errors=True)
                os.replace(target, paths[n])

        if jobs > 1 and len(todo) > 1:
            with ThreadPoolExecutor(jobs) as pool:  # each runs the Pagefind binary
                list(pool.map(index, todo))
        else:
            for n in todo:
                index(n)
        if out.exists():
            shutil.rmtree(out)
        # One bundle is "merged" too: Pagefind writes a filter's values in no fixed order
        # (so the same pages gave other file names on each build); the merge sorts them.
        merge_bundles(paths, out, jobs, {page_url(page): values for page, values in (sorts or {}).items()},
                      keep=bundles is not None, cache=bundles / MERGE_CACHE if bundles is not None else None)
        if bundles is not None and bundles.is_dir():
            used = {path.name for path in paths} | {MERGE_CACHE}
            for old in bundles.iterdir():
                if old.name not in used:
                    shutil.rmtree(old, ignore_errors=True)
        return len(shards)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _shard_key(shard: list[str], digests: Mapping[str, str | None] | None) -> str | None:
    """The name of a shard's bundle: its pages and their contents (None when a digest is
    missing: the bundle is not kept)."""
    if digests is None or any(digests.get(page) is None for page in shard):
        return None
    h = hashlib.blake2b(f"{BUNDLE_FORMAT}\n".encode(), digest_size=16)
    for page in shard:
        h.update(f"{page}\t{digests[page]}\n".encode())
    return h.hexdigest()


def page_url(page: str) -> str:
    """The URL Pagefind gives the page at `page` (site-relative path): `/a/` for
    `a/index.html`, else `/a/b.html`."""
    return "/" + (page[:-len("index.html")] if page == "index.html" or page.endswith("/index.html") else page)


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(source, target)


# --- reading and writing Pagefind's files ---------------------------------------------

def read_pf(path: Path):
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise PagefindError(f"{path}: not a Pagefind index file")
    return cbor2.loads(data[len(SIGNATURE):])


def _encode(value) -> bytes:
    # mtime=0: the same metadata and filters give the same bytes, so they keep their names.
    return gzip.compress(SIGNATURE + cbor2.dumps(value), compresslevel=6, mtime=0)


def _check_meta(meta, path: Path) -> None:
    shape_ok = (isinstance(meta, list) and len(meta) == 6 and all(isinstance(meta[n], list) for n in (1, 2, 3, 4, 5))
                and all(isinstance(f, list) and len(f) == 2 for f in meta[3])
                and all(isinstance(s, list) and len(s) == 2 for s in meta[4]))
    if not shape_ok:
        raise PagefindError(f"{path}: unknown Pagefind metadata layout; expected Pagefind 1.5")


# --- word tables: where each word's postings lie in a bundle's index chunks -------------

def _read_head(data: bytes, pos: int) -> tuple[int, int, int]:
    """The CBOR item head at `pos`: (major type, argument, position after it)."""
    byte = data[pos]
    extra = byte & 31
    if extra < 24:
        return byte >> 5, extra, pos + 1
    if extra > 27:
        raise ValueError(f"CBOR head {byte:#x} at {pos}")
    size = 1 << (extra - 24)
    return byte >> 5, int.from_bytes(data[pos + 1:pos + 1 + size], "big"), pos + 1 + size


def _cbor_head(major: int, value: int) -> bytes:
    """The shortest CBOR head, as Pagefind (serde) and cbor2 write it."""
    if value < 24:
        return bytes((major << 5 | value,))
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes((major << 5 | extra,)) + value.to_bytes(size, "big")
    raise ValueError(f"{value} does not fit a CBOR head")


def _table_path(bundle: Path, meta_hash: str) -> Path:
    return bundle / TABLES / f"{meta_hash}.jsonl"


def _table_header(path: Path) -> dict | None:
    """A word table's first line, None when there is none of this format."""
    try:
        with open(path, encoding="utf-8") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError):
        return None
    return header if isinstance(header, dict) and header.get("format") == TABLE_FORMAT else None


def _without_gc(function):
    """`function` run with Python's cycle collector off: merging makes millions of small
    lists and tuples, none in a cycle, and each collection would walk them all."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
    return run


@_without_gc
def _make_table(task) -> None:
    """Write a bundle's word table (one language): a header line ({format, the pages'
    URLs, where the other lines start after it}), then a line per index chunk, in order, of its words' rows [word, start, end,
    pages, first page, last page, size, variants or 0, digest]. The word's page list lies
    at [start, end) of the chunk's decompressed bytes (its items, without the list's
    head); pages are numbered in the shard; the size is Pagefind's (positions and pages);
    the digest is that of the page list's bytes, what a merge knows it by. Decoding is the
    costly part of a merge: a bundle is decoded once, its table kept beside it."""
    bundle, meta_hash = Path(task[0]), task[1]
    path = bundle / f"pagefind.{meta_hash}.pf_meta"
    meta = read_pf(path)
    _check_meta(meta, path)
    lines = []
    for _, _, name in meta[2]:
        path = bundle / "index" / f"{name}.pf_index"
        try:
            rows = _table_rows(zlib.decompress(path.read_bytes(), 31))
        except (ValueError, TypeError, IndexError, KeyError, zlib.error, cbor2.CBORDecodeError) as exc:
            raise PagefindError(f"{path}: unknown Pagefind index layout ({exc}); expected Pagefind 1.5") from None
        lines.append(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
    urls = [_fragment_url(bundle / "fragment" / f"{page[0]}.pf_fragment") for page in meta[1]]
    places = list(itertools.accumulate(map(len, lines), initial=0))[:-1]
    header = {"format": TABLE_FORMAT, "urls": urls, "lines": places}
    target = _table_path(bundle, meta_hash)
    target.parent.mkdir(exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
                          + b"".join(lines))
    os.replace(temporary, target)


def _table_rows(raw: bytes) -> list[list]:
    """The rows of one index chunk (see `_make_table`)."""
    if not raw.startswith(SIGNATURE):
        raise ValueError("no Pagefind signature")
    stream, view = io.BytesIO(raw), memoryview(raw)
    decoder = cbor2.CBORDecoder(stream)
    major, count, pos = _read_head(raw, len(SIGNATURE))
    if (major, count) != (4, 1):
        raise ValueError("not a chunk of one word list")
    major, count, pos = _read_head(raw, pos)
    if major != 4:
        raise ValueError("no word list")
    rows = []
    for _ in range(count):
        major, length, pos = _read_head(raw, pos)
        if (major, length) != (4, 3):
            raise ValueError("a word is not [word, pages, variants]")
        major, length, pos = _read_head(raw, pos)
        if major != 3:
            raise ValueError("a word is not text")
        word = raw[pos:pos + length].decode("utf-8")
        stream.seek(pos + length)
        major, count_pages, start = _read_head(raw, pos + length)
        pages = decoder.decode()
        end = stream.tell()
        variants = decoder.decode()
        pos = stream.tell()
        if major != 4 or not isinstance(pages, list) or not isinstance(variants, list):
            raise ValueError("a word's pages or variants are not lists")
        first = pages[0][0] if pages else 0
        # The first page's number is rewritten in a merge: it must be where it is looked for.
        if pages and raw[start:start + 1 + len(_cbor_head(0, first))] != b"\x83" + _cbor_head(0, first):
            raise ValueError("a page is not [number, positions, meta positions]")
        size = _size(pages) + sum(_size(v) for _, v in variants)
        rows.append([word, start, end, count_pages, first, sum(map(_first, pages)), size, variants or 0,
                     hashlib.blake2b(view[start:end], digest_size=12).hexdigest()])
    if pos != len(raw):
        raise ValueError("bytes after the word list")
    return rows


def _table_rows_of(path: str, shard: int, froms: list[str], low: str | None) -> Iterator[tuple]:
    """A word table's rows as (word, shard, chunk number, row), in order, from the word
    `low` on (`froms`: each index chunk's first word), read a line at a time: the file is
    not held open, a merge reads hundreds of tables side by side."""
    with open(path, "rb") as handle:
        places = json.loads(handle.readline())["lines"]
        base = handle.tell()
    for chunk, place in enumerate(places):
        if low is not None and chunk + 1 < len(froms) and froms[chunk + 1] <= low:
            continue  # all its words are before `low`
        with open(path, "rb") as handle:
            handle.seek(base + place)
            line = handle.readline()
        for row in json.loads(line):
            if low is None or row[0] >= low:
                yield row[0], shard, chunk, row


# --- merging --------------------------------------------------------------------------

def merge_bundles(bundles: list[Path], out: Path, jobs: int | None = None,
                  sorts: Mapping[str, Mapping[str, str]] | None = None, keep: bool = False,
                  cache: Path | None = None) -> None:
    """Merge Pagefind bundles of disjoint page sets into one bundle at `out`, on `jobs`
    processes (default: one per core). `sorts`: the sort values of the pages ({page URL:
    {sort: value}}), needed when they have any. `keep`: leave the bundles as they are
    (their page fragments are linked, not moved). `cache`: a folder keeping the merged
    index chunks and what they were made of, so that the next merge writes again only the
    pieces of chunks that changed (the same bytes as a merge without it)."""
    jobs = jobs or os.cpu_count() or 1
    entries = [json.loads((b / "pagefind-entry.json").read_text(encoding="utf-8")) for b in bundles]
    versions = {e.get("version") for e in entries}
    if len(versions) != 1:
        raise PagefindError(f"shards were built by different Pagefind versions: {sorted(map(str, versions))}")
    out.mkdir(parents=True)
    (out / "index").mkdir()
    (out / "fragment").mkdir()
    (out / "filter").mkdir()
    for bundle in bundles:  # the scripts, styles and WebAssembly: the same in every bundle
        for item in bundle.iterdir():
            if item.is_file() and item.suffix != ".pf_meta" and item.name != "pagefind-entry.json":
                if not (out / item.name).exists():
                    shutil.copyfile(item, out / item.name)
    languages_of = sorted({lang for e in entries for lang in e.get("languages", {})})
    wanted = [(str(b), e["languages"][lang]["hash"]) for b, e in zip(bundles, entries) for lang in languages_of
              if lang in e.get("languages", {})]
    pool, linker = _Pool(jobs), ThreadPoolExecutor(1)
    try:
        # Tables before fragments: a table holds its pages' URLs, read from the fragments.
        pool.map(_make_table, [task for task in wanted if _table_header(_table_path(Path(task[0]), task[1])) is None])
        # The fragments are linked meanwhile (system calls: the thread mostly waits on them).
        moving = linker.submit(lambda: [_move_fragments(bundle / "fragment", out / "fragment", keep)
                                        for bundle in bundles])
        languages, saved = {}, {}
        for language in languages_of:
            having = [i for i, e in enumerate(entries) if language in e.get("languages", {})]
            shards = []
            for i in having:
                meta_hash = entries[i]["languages"][language]["hash"]
                path = bundles[i] / f"pagefind.{meta_hash}.pf_meta"
                meta = read_pf(path)
                _check_meta(meta, path)
                shards.append((bundles[i], meta, i, _table_path(bundles[i], meta_hash)))
            first = entries[having[0]]["languages"][language]
            name, page_count, saved[language] = _merge_language(language, shards, out, pool, sorts or {}, cache,
                                                                moving)
            languages[language] = {**first, "hash": name, "page_count": page_count}
        moving.result()  # with no language, still done
    finally:
        pool.close()
        linker.shutdown()
    entry = {**entries[0], "languages": languages}
    (out / "pagefind-entry.json").write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")),
                                             encoding="utf-8")
    if cache is not None:
        _save_state(cache, out, saved)


class _Pool:
    """`jobs` forked worker processes (none for one job: the work is done here)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) if jobs > 1 else None
        if self.executor is not None:
            # Forked now, before this process starts a thread: a child forked while another
            # thread holds a lock would wait for it forever.
            self.executor.submit(int).result()

    def map(self, function, tasks: list) -> list:
        if self.executor is not None and len(tasks) > 1:
            return list(self.executor.map(function, tasks))
        return [function(task) for task in tasks]

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(cancel_futures=True)


def _move_fragments(source: Path, target: Path, keep: bool = False) -> dict[str, str]:
    """Move (`keep`: link) a bundle's page fragments; a name already taken by other
    content is changed. Returns {old name: new name} for the changed ones."""
    renamed = {}
    if not source.is_dir():
        return renamed
    source, target = str(source), str(target)  # paths as text: fragments are many
    for name in sorted(os.listdir(source)):
        item = os.path.join(source, name)
        if _place(item, os.path.join(target, name), keep):
            continue
        if Path(target, name).read_bytes() == Path(item).read_bytes():
            if not keep:
                os.unlink(item)
            continue
        stem = name.removesuffix(".pf_fragment")
        for n in itertools.count(1):
            if _place(item, os.path.join(target, f"{stem}x{n}.pf_fragment"), keep):
                renamed[stem] = f"{stem}x{n}"
                break
    return renamed


def _place(item: str, destination: str, keep: bool) -> bool:
    """Link `item` at `destination` (a copy where links fail), then remove it unless
    `keep`; False, and nothing done, when the name is taken."""
    try:
        os.link(item, destination)  # one system call
    except FileExistsError:
        return False
    except OSError:  # another file system, or links not allowed
        if os.path.exists(destination):
            return False
        shutil.copyfile(item, destination)
    if not keep:
        os.unlink(item)
    return True


def _merge_language(language: str, shards: list, out: Path, pool: _Pool, sorts: Mapping[str, Mapping[str, str]],
                    cache: Path | None, moving) -> tuple[str, int, list]:
    """Write one language's index chunks, filters and metadata; returns the metadata's
    name, the number of pages and what the cache keeps of the chunks. `shards`: (bundle,
    metadata, bundle number, word table); `moving`: the fragments' renames, by bundle
    number, once they are linked."""
    fields = sorted({field for _, meta, _, _ in shards for field in meta[5]})
    urls, offsets, field_maps = [], [], []
    filters: dict[str, dict[str, list[int]]] = {}
    sorted_pages: dict[str, set[int]] = {}  # the pages each shard's sort holds, numbered as merged
    offset = 0
    for s, (bundle, meta, _, table) in enumerate(shards):
        header = _table_header(table)
        if header is None or len(header["urls"]) != len(meta[1]):
            raise PagefindError(f"{table}: no word table of this bundle")
        field_map = [fields.index(field) for field in meta[5]]
        field_map = None if field_map == list(range(len(field_map))) else field_map
        urls.extend(header["urls"])
        offsets.append(offset)
        field_maps.append(field_map)
        for filter_name, name in meta[3]:
            path = Path(bundle) / "filter" / f"{name}.pf_filter"
            stored = read_pf(path)
            if not (isinstance(stored, list) and len(stored) == 2 and stored[0] == filter_name):
                raise PagefindError(f"{path}: unknown Pagefind filter layout; expected Pagefind 1.5")
            values = filters.setdefault(filter_name, {})
            for value, value_pages in stored[1]:  # page numbers, not differences
                values.setdefault(value, []).extend(page + offset for page in value_pages)
        for sort_name, order in meta[4]:
            sorted_pages.setdefault(sort_name, set()).update(page + offset for page in order)
        offset += len(meta[1])
    merged_filters = []
    for filter_name in sorted(filters):
        payload = _encode([filter_name, [[value, filters[filter_name][value]] for value in sorted(filters[filter_name])]])
        merged_filters.append([filter_name, _write_new(out, language, payload, 7, "filter/{}.pf_filter")])
    merged_sorts = _merge_sorts(sorted_pages, urls, sorts)
    chunks = _write_chunks(language, shards, field_maps, offsets, out, pool, cache)
    renamed = moving.result()
    pages = [[renamed[i].get(page[0], page[0]), *page[1:]] for _, meta, i, _ in shards for page in meta[1]]
    version = shards[0][1][0]
    payload = _encode([version, pages, [chunk[:3] for chunk in chunks], merged_filters, merged_sorts, fields])
    name = _write_new(out, language, payload, 10, "pagefind.{}.pf_meta")
    return name, len(pages), [[key, chunk_name, digest, infos] for _, _, chunk_name, key, digest, infos, _ in chunks]


def _fragment_url(path: Path) -> str:
    """The URL a page fragment is of: the first member of its JSON, read from the first
    bytes only (a fragment holds the page's whole text)."""
    start = zlib.decompressobj(wbits=31).decompress(path.read_bytes(), 4096)
    if not start.startswith(SIGNATURE + b'{"url":'):
        raise PagefindError(f"{path}: unknown Pagefind fragment layout; expected Pagefind 1.5")
    text = start[len(SIGNATURE):].decode("utf-8", "ignore")
    try:
        return json.JSONDecoder().raw_decode(text, len('{"url":'))[0]
    except ValueError:
        raise PagefindError(f"{path}: a page URL longer than this module reads") from None


def _merge_sorts(sorted_pages: dict[str, set[int]], urls: list[str],
                 sorts: Mapping[str, Mapping[str, str]]) -> list:
    """Each sort's page numbers in the order of its values (then of the URLs), as Pagefind
    orders them: numerically when every value is a number, else as text. The values given
    must be those of exactly the pages that Pagefind sorted."""
    merged = []
    for name in sorted(sorted_pages):
        having = [(sorts[url][name], url, number) for number, url in enumerate(urls)
                  if name in sorts.get(url, {})]
        if {number for _, _, number in having} != sorted_pages[name]:
            raise PagefindError(f"sort {name!r}: the values given are not those of the pages Pagefind sorted; "
                                "cannot merge it across shards")
        try:
            keyed = [(float(value), url, number) for value, url, number in having]
        except ValueError:
            keyed = having
        merged.append([name, [number for _, _, number in sorted(keyed)]])
    return merged


def _write_new(out: Path, language: str, payload: bytes, length: int, pattern: str) -> str:
    """Write `payload` under a name made of its hash; a name taken by other bytes grows a
    digit until it is free. Returns the name."""
    digest = hashlib.sha1(payload).hexdigest()
    for end in range(length, len(digest) + 1):
        name = f"{language}_{digest[:end]}"
        path = out / pattern.format(name)
        try:
            with open(path, "xb") as handle:
                handle.write(payload)
            return name
        except FileExistsError:
            if path.read_bytes() == payload:
                return name
    raise PagefindError(f"no free file name for a chunk in {out}")


# --- the merged word list, cut into chunks and pieces -------------------------------------

def _merged_words(streams: list[Iterator[tuple]], offsets: list[int], field_maps: list) -> Iterator[tuple]:
    """The shards' word tables as one word list: (word, size, page count, segments, its
    variants as CBOR, the word in UTF-8, its hash). A segment is a shard's page list:
    (shard, chunk, start, end, first page, its number as merged, page count, what its bytes
    are made of, their length).
    Only its first page number changes: it becomes the difference from the previous
    shard's last page. Python compares strings by code point, which is Rust's (UTF-8
    byte) order."""
    renumbered = [json.dumps(field_map) for field_map in field_maps]
    for word, group in itertools.groupby(heapq.merge(*streams), key=_first):
        total = last = size = 0
        segments, variants = [], {}
        for _, s, chunk, (_, start, end, count, first, shard_last, shard_size, shard_variants, digest) in group:
            size += shard_size
            if count:
                delta = first + offsets[s] - last
                # Known by its bytes' digest (wherever they lie), its new first number and
                # how its fields are renumbered.
                segments.append((s, chunk, start, end, first, delta, count, f"S{digest},{delta},{renumbered[s]};",
                                 end - start - _uint_size(first) + _uint_size(delta)))
                last = offsets[s] + shard_last
                total += count
            for form, v_pages in shard_variants or ():
                if field_maps[s] is not None:
                    _map_fields(v_pages, field_maps[s])
                v_list, v_last = variants.get(form, ([], 0))
                variants[form] = (v_list, _extend(v_list, v_last, offsets[s], v_pages))
        tail = cbor2.dumps([[form, v_list] for form, (v_list, _) in variants.items()]) if variants else b"\x80"
        encoded = word.encode()
        yield word, size + len(variants), total, segments, tail, encoded, _hash64(encoded)


def _map_fields(pages: list, field_map: list[int]) -> None:
    """Renumber the fields of meta positions (negative: the field's number, from -1)."""
    for page in pages:
        page[2] = [-(field_map[-loc - 1] + 1) if loc < 0 else loc for loc in page[2]]


def _extend(pages: list, last: int, offset: int, more: list) -> int:
    """Append a shard's page list (differences, numbered from 0 in its shard) to `pages`,
    whose last page is `last`; returns the new last page number."""
    if not more:
        return last
    first = more[0][0] + offset
    more[0][0] = first - last
    pages.extend(more)
    return first + sum(map(_first, more[1:]))


_first = operator.itemgetter(0)  # a stream item's word; a page's number
_locs, _meta_locs = operator.itemgetter(1), operator.itemgetter(2)  # a page's positions


def _size(pages: list) -> int:
    return sum(map(len, map(_locs, pages))) + sum(map(len, map(_meta_locs, pages))) + len(pages)


def _uint_size(value: int) -> int:
    """len(_cbor_head(0, value)), quicker."""
    return 1 if value < 24 else 2 if value < 256 else 3 if value < 65536 else 5 if value < 1 << 32 else 9


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _mix(value: int) -> int:
    """A 64-bit number scrambled (splitmix64's finisher): a fresh hash of a hash and a count."""
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
    value = (value ^ (value >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def _cuts(hash64: int, size: int, mean: int) -> bool:
    """True with a chance of size / mean, said by `hash64`: a cut after something of this
    size, so that what follows a minimum is `mean` long on average whatever its items' sizes."""
    return (hash64 >> 32) * mean < size << 32


def _boundary(word: tuple) -> bool:
    """Whether a word ends the chunk before it, whatever that chunk's size: said by its
    hash (other bits than `_chunked` uses) with a chance of its size / BOUNDARY, so that
    there is one in BOUNDARY positions, few enough to change chunk sizes little."""
    return (word[6] & 0xFFFFFFFF) * BOUNDARY < word[1] << 32


def _chunked(words: Iterator[tuple]) -> Iterator[list]:
    """The word list cut into index chunks at content-defined places: a chunk ends after a
    word once it holds CHUNK_MIN positions and the word's hash says so (a chance growing
    with the word's size), or once it holds CHUNK_MAX. Where chunks end depends on the
    words near there only, so a word whose postings changed changes its own chunk (and
    seldom the next one), not every chunk after it as a running count would. Sizes are
    Pagefind's (positions and pages). A chunk also ends before a boundary word (see
    `_boundary`): ranges of words from one to the next are cut alike wherever they are
    merged, so workers can merge a range each."""
    chunk, size = [], 0
    for word in words:
        if chunk and _boundary(word):
            yield chunk
            chunk, size = [], 0
        chunk.append(word)
        size += word[1]
        if size >= CHUNK_MAX or (size >= CHUNK_MIN and _cuts(word[6], word[1], CHUNK_MEAN)):
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _pieces(chunk: list) -> list[tuple]:
    """A chunk's bytes as pieces, each compressed on its own (its dictionary: the piece
    before): [(content key, atoms, length)]. An atom is bytes or a segment (see
    `_merged_words`); the key names what the piece's bytes are made of. Pieces end after a
    segment or a word, content-defined as chunks are (PIECE_MIN to PIECE_MAX bytes), so
    that a changed segment changes its piece and the next one only."""
    pieces = []
    head = SIGNATURE + b"\x81" + _cbor_head(4, len(chunk))
    atoms, length, names = [head], len(head), [f"C{len(chunk)};"]

    def cut() -> None:
        nonlocal atoms, length, names
        pieces.append((hashlib.blake2b("".join(names).encode(), digest_size=16).digest(), atoms, length))
        atoms, length, names = [], 0, []

    for word, _, total, segments, tail, encoded, word_hash in chunk:
        head = b"\x83" + _cbor_head(3, len(encoded)) + encoded + _cbor_head(4, total)
        atoms.append(head)
        length += len(head)
        names.append(f"W{len(encoded)},{total};{word}")
        for segment in segments:
            atoms.append(segment)
            length += segment[8]
            names.append(segment[7])
            if length >= PIECE_MAX or (length >= PIECE_MIN
                                       and _cuts(_mix(word_hash + segment[0] + 1), segment[8], PIECE_MEAN)):
                cut()
        atoms.append(tail)
        length += len(tail)
        names.append(f"T{tail.hex()};")
        if length >= PIECE_MAX or (length >= PIECE_MIN and _cuts(_mix(word_hash), len(tail), PIECE_MEAN)):
            cut()
    if atoms:
        cut()
    return pieces


def _write_chunks(language: str, shards: list, field_maps: list, offsets: list[int], out: Path, pool: _Pool,
                  cache: Path | None) -> list[list]:
    """Write the merged word list's chunks to `out/index`, a range of words per task;
    returns per chunk [from, to, name, key, digest, pieces, name in the cache or None]."""
    work = out / ".chunks"
    work.mkdir()
    bundles = [(str(bundle), [chunk[2] for chunk in meta[2]], [chunk[0] for chunk in meta[2]], field_map, offset,
                str(table)) for (bundle, meta, _, table), field_map, offset in zip(shards, field_maps, offsets)]
    # Any bounds would do (chunks start at boundary words whatever the ranges): these give
    # each range about as many of the shards' index chunks.
    starts = sorted(chunk[0] for _, meta, _, _ in shards for chunk in meta[2][1:])
    parts = pool.jobs * 4 if pool.jobs > 1 else 1
    bounds = [None, *sorted({starts[len(starts) * n // parts] for n in range(1, parts)} if starts else ()), None]
    state = (str(cache), os.getpid(), time.monotonic_ns()) if cache is not None else None
    tasks = [(language, bundles, low, high, state, str(work)) for low, high in itertools.pairwise(bounds)]
    chunks = [chunk for part in pool.map(_merge_range, tasks) for chunk in part]
    for chunk, name in zip(chunks, _short_names([chunk[4] for chunk in chunks])):
        chunk[2] = f"{language}_{name}"
        target = out / "index" / f"{chunk[2]}.pf_index"
        if chunk[6] is not None:
            _link(cache / "index" / f"{chunk[6]}.pf_index", target)
        else:
            os.replace(work / chunk[4], target)
    shutil.rmtree(work)
    _trim_ranges(chunks)
    return chunks


def _short_names(digests: list[str]) -> list[str]:
    """Each digest's shortest prefix of at least 7 digits that no other digest shares: the
    names depend on the set of chunks only, not on the order they were written in."""
    lengths = dict.fromkeys(digests, 7)
    for a, b in itertools.pairwise(sorted(set(digests))):
        common = len(os.path.commonprefix((a, b))) + 1
        lengths[a], lengths[b] = max(lengths[a], common), max(lengths[b], common)
    return [digest[:lengths[digest]] for digest in digests]


def _in_range(words: Iterator[tuple], low: str | None, high: str | None) -> Iterator[tuple]:
    """The words of the range from the first boundary word at or after `low` to the first
    at or after `high` (see `_chunked`): ranges cut anywhere give every chunk to one of them."""
    started = low is None
    for word in words:
        boundary = _boundary(word)
        if high is not None and boundary and word[0] >= high:
            return
        started = started or boundary
        if started:
            yield word


@_without_gc
def _merge_range(task) -> list[list]:
    """Merge, cut and write the chunks of a range of the word list (see `_in_range`) into
    the work folder, named by their SHA-1; chunks the cache has are left there. Returns
    their rows (see `_write_chunks`)."""
    language, bundles, low, high, state, work = task
    old_chunks, old_pieces = _cached(state, language)
    streams = [_table_rows_of(table, s, froms, low) for s, (_, _, froms, _, _, table) in enumerate(bundles)]
    words = _merged_words(streams, [bundle[4] for bundle in bundles], [bundle[3] for bundle in bundles])
    raws: dict[int, dict[int, memoryview]] = {}
    rows = []
    for chunk in _chunked(_in_range(words, low, high)):
        pieces = _pieces(chunk)
        keys, before = [], b""
        for content, _, _ in pieces:
            # A piece's bytes: its content's, and its dictionary's (the piece before).
            keys.append(hashlib.blake2b(b"P" + content + before if before else b"F" + content,
                                        digest_size=16).hexdigest())
            before = content
        key = hashlib.blake2b("".join(keys).encode(), digest_size=16).hexdigest()
        if key in old_chunks:  # the cache's chunk, the same bytes
            _, name, digest, infos = old_chunks[key]
            rows.append([chunk[0][0], chunk[-1][0], None, key, digest, infos, name])
            continue
        payload, infos = _chunk_file([(k, atoms, old_pieces.get(k)) for k, (_, atoms, _) in zip(keys, pieces)],
                                     bundles, raws, state)
        digest = hashlib.sha1(payload).hexdigest()
        with open(Path(work) / digest, "wb") as handle:
            handle.write(payload)
        rows.append([chunk[0][0], chunk[-1][0], None, key, digest, infos, None])
    return rows


def _chunk_file(pieces: list, bundles: list, raws: dict, state) -> tuple[bytes, list]:
    """A chunk's file and [key, compressed size, size, CRC] of its pieces: gzip of the
    pieces, each deflated on its own (or taken from the cache) and ended by a sync flush,
    so that they join into one deflate stream."""

    def raw(s: int, chunk: int) -> memoryview:
        held = raws.setdefault(s, {})
        if chunk not in held:
            if len(held) >= 2:  # words come in order: a shard's older chunks are done with
                held.pop(min(held))
            held[chunk] = memoryview(zlib.decompress(
                (Path(bundles[s][0]) / "index" / f"{bundles[s][1][chunk]}.pf_index").read_bytes(), 31))
        return held[chunk]

    def made(atoms: list) -> bytes:
        parts = []
        for atom in atoms:
            if isinstance(atom, bytes):
                parts.append(atom)
                continue
            s, chunk, start, end, first, delta, count = atom[:7]
            data, field_map = raw(s, chunk), bundles[s][3]
            if field_map is None:
                parts.append(b"\x83" + _cbor_head(0, delta))
                parts.append(data[start + 1 + _uint_size(first):end])
            else:
                head = _cbor_head(4, count)
                pages = cbor2.loads(head + bytes(data[start:end]))
                _map_fields(pages, field_map)
                pages[0][0] = delta
                parts.append(cbor2.dumps(pages)[len(head):])
        return b"".join(parts)

    compressed, infos, files = [], [], {}
    crc = total = 0
    before = None  # the bytes of the piece before, once made
    for n, (key, atoms, cached) in enumerate(pieces):
        if cached is not None:
            name, place, size, raw_size, piece_crc = cached
            if name not in files:
                files[name] = (Path(state[0]) / "index" / f"{name}.pf_index").read_bytes()
            data = files[name][place:place + size]
            before = None
        else:
            if n and before is None:
                before = made(pieces[n - 1][1])
            piece = made(atoms)
            compressor = (zlib.compressobj(LEVEL, zlib.DEFLATED, -15, zdict=before[-WINDOW:]) if n
                          else zlib.compressobj(LEVEL, zlib.DEFLATED, -15))
            data = compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH)
            raw_size, piece_crc = len(piece), zlib.crc32(piece)
            before = piece
        crc = _crc_joined(crc, piece_crc, raw_size) if n else piece_crc
        total += raw_size
        compressed.append(data)
        infos.append([key, len(data), raw_size, piece_crc])
    return b"".join([GZIP_HEADER, *compressed, GZIP_END, struct.pack("<II", crc, total & 0xFFFFFFFF)]), infos


def _crc_joined(crc: int, more: int, length: int) -> int:
    """The CRC-32 of two byte strings joined, from theirs and the second's length: the CRC
    is affine in its start value, and so is that of `length` zero bytes, alike."""
    zeros = bytes(length)
    return zlib.crc32(zeros, crc) ^ zlib.crc32(zeros) ^ more


def _trim_ranges(chunks: list[list]) -> None:
    """Pagefind's chunk_meta: neighbouring ranges are cut to the shortest telling prefixes."""
    for left, right in itertools.pairwise(chunks):
        a, b = left[1], right[0]
        common = len(os.path.commonprefix((a, b)))
        a_prefix, b_prefix = a[:common + 1], b[:common + 1]
        if a_prefix >= left[0]:
            left[1] = a_prefix
        right[0] = b_prefix


# --- the merge cache ---------------------------------------------------------------------

def _merge_format() -> str:
    """What the cache's pieces depend on besides their content: this layout, the chunking
    and zlib's compressor (another zlib may compress alike bytes otherwise)."""
    return (f"{MERGE_FORMAT} {TABLE_FORMAT} zlib {zlib.ZLIB_RUNTIME_VERSION} level {LEVEL} "
            f"chunks {CHUNK_MIN}/{CHUNK_MEAN}/{CHUNK_MAX}/{BOUNDARY} pieces {PIECE_MIN}/{PIECE_MEAN}/{PIECE_MAX}")


@functools.lru_cache(maxsize=8)
def _cached(state, language: str) -> tuple[dict, dict]:
    """The cache's chunks of a language, by key, and where each piece of theirs lies
    ({key: (chunk name, place, size, size decompressed, CRC)}); read once per merge and
    process (`state`: the cache's folder and what tells merges apart)."""
    chunks = {row[0]: row for row in _load_state(Path(state[0])).get(language, {}).get("chunks", [])} if state else {}
    pieces = {}
    for _, name, _, infos in chunks.values():
        place = len(GZIP_HEADER)
        for key, size, raw_size, crc in infos:
            pieces[key] = (name, place, size, raw_size, crc)
            place += size
    return chunks, pieces


def _load_state(cache: Path | None) -> dict:
    """{language: {"chunks": [[key, name, digest, pieces]]}} of the cache's chunks whose
    files are there; {} without a cache, or with one of another format."""
    if cache is None:
        return {}
    try:
        state = json.loads((cache / STATE).read_text(encoding="utf-8"))
        present = set(os.listdir(cache / "index"))
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict) or state.get("format") != _merge_format():
        return {}
    return {language: {"chunks": [row for row in kept["chunks"] if f"{row[1]}.pf_index" in present]}
            for language, kept in state.get("languages", {}).items()}


def _save_state(cache: Path, out: Path, saved: dict) -> None:
    """Make the cache the chunks just written: their files (links to `out`'s, copies where
    links fail) and what they are made of."""
    kept = {f"{name}.pf_index": digest for rows in _load_state(cache).values() for _, name, digest, _ in rows["chunks"]}
    (cache / STATE).unlink(missing_ok=True)  # no state while its files change
    index = cache / "index"
    index.mkdir(parents=True, exist_ok=True)
    wanted = {f"{name}.pf_index": digest for rows in saved.values() for _, name, digest, _ in rows}
    for name in os.listdir(index):
        if kept.get(name) is None or kept[name] != wanted.get(name):
            (index / name).unlink()
    for name in wanted:
        if not (index / name).exists():
            _link(out / "index" / name, index / name)
    state = {"format": _merge_format(), "languages": {language: {"chunks": rows} for language, rows in saved.items()}}
    temporary = cache / f"{STATE}.tmp"
    temporary.write_text(json.dumps(state, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(temporary, cache / STATE)
