"""Pagefind in shards: the built site's marked pages → `site/pagefind/`, one search index.

In: the site directory and the pages Pagefind should index (relative paths of HTML files
holding `data-pagefind-body`). Out: `site/pagefind/`, an ordinary Pagefind bundle.

Pagefind keeps every word position of every page in memory until it writes its index:
about 1 MB per Chinese reply, 9 GB for 10,000. So Pagefind indexes at most `shard_pages`
pages per run, each run into a bundle of its own, and the bundles are merged here into one:
the page lists are concatenated, each word's postings are joined with page numbers shifted,
and the merged word list is cut into chunks again by Pagefind's own rule. Memory is bounded
by the shard, and the browser sees a single index of ordinary chunks, so what a query
downloads does not grow with the number of shards.

Filters (`data-pagefind-filter`) are merged value by value, page numbers shifted. Sort
orders (`data-pagefind-sort`) cannot be merged from the index alone, which keeps a sort's
page order but not its values: the caller gives the values (`sorts`), and the merged order
is theirs, ties broken by URL.

The merge reads Pagefind's files (gzip of `pagefind_dcd` + CBOR) in the layout of Pagefind
1.5. Anything else (another layout, a sort without its values) is refused with an error
rather than merged wrongly.
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import itertools
import json
import multiprocessing
import operator
import os
import shutil
import subprocess
import sys
import tempfile
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


class PagefindError(RuntimeError):
    """Pagefind failed, or wrote a bundle this module cannot merge."""


def run_pagefind(site: Path, output: Path) -> None:
    """Index `site` with the Pagefind binary of the `pagefind` package, into `output`."""
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site),
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
    shards whose pages did not change; the others are removed from it."""
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
        merge_bundles(paths, out, None, {page_url(page): values for page, values in (sorts or {}).items()},
                      keep=bundles is not None)
        if bundles is not None and bundles.is_dir():
            used = {path.name for path in paths}
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
    # mtime=0: the same index gives the same bytes, so unchanged chunks keep their names.
    return gzip.compress(SIGNATURE + cbor2.dumps(value), compresslevel=6, mtime=0)


def _check_meta(meta, path: Path) -> None:
    shape_ok = (isinstance(meta, list) and len(meta) == 6 and all(isinstance(meta[n], list) for n in (1, 2, 3, 4, 5))
                and all(isinstance(f, list) and len(f) == 2 for f in meta[3])
                and all(isinstance(s, list) and len(s) == 2 for s in meta[4]))
    if not shape_ok:
        raise PagefindError(f"{path}: unknown Pagefind metadata layout; expected Pagefind 1.5")


# --- merging --------------------------------------------------------------------------

def merge_bundles(bundles: list[Path], out: Path, jobs: int | None = None,
                  sorts: Mapping[str, Mapping[str, str]] | None = None, keep: bool = False) -> None:
    """Merge Pagefind bundles of disjoint page sets into one bundle at `out`, on `jobs`
    processes (default: one per core), each merging a range of the word list. `sorts`:
    the sort values of the pages ({page URL: {sort: value}}), needed when they have any.
    `keep`: leave the bundles as they are (their page fragments are linked, not moved)."""
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
    renamed = [_move_fragments(bundle / "fragment", out / "fragment", keep) for bundle in bundles]
    languages = {}
    for language in sorted({lang for e in entries for lang in e.get("languages", {})}):
        having = [i for i, e in enumerate(entries) if language in e.get("languages", {})]
        metas = []
        for i in having:
            path = bundles[i] / f"pagefind.{entries[i]['languages'][language]['hash']}.pf_meta"
            meta = read_pf(path)
            _check_meta(meta, path)
            metas.append((bundles[i], meta, renamed[i]))
        first = entries[having[0]]["languages"][language]
        name, page_count = _merge_language(language, metas, out, jobs, sorts or {})
        languages[language] = {**first, "hash": name, "page_count": page_count}
    entry = {**entries[0], "languages": languages}
    (out / "pagefind-entry.json").write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")),
                                             encoding="utf-8")


def _move_fragments(source: Path, target: Path, keep: bool = False) -> dict[str, str]:
    """Move (`keep`: link) a bundle's page fragments; a name already taken by other
    content is changed. Returns {old name: new name} for the changed ones."""
    renamed = {}
    if not source.is_dir():
        return renamed
    for item in sorted(source.iterdir()):
        destination = target / item.name
        if destination.exists() and destination.read_bytes() != item.read_bytes():
            stem = item.name.removesuffix(".pf_fragment")
            for n in itertools.count(1):
                destination = target / f"{stem}x{n}.pf_fragment"
                if not destination.exists():
                    break
            renamed[stem] = destination.name.removesuffix(".pf_fragment")
        if keep:
            destination.unlink(missing_ok=True)
            _link(item, destination)
        else:
            shutil.move(str(item), str(destination))
    return renamed


def _merge_language(language: str, metas: list, out: Path, jobs: int,
                    sorts: Mapping[str, Mapping[str, str]]) -> tuple[str, int]:
    fields = sorted({field for _, meta, _ in metas for field in meta[5]})
    pages, shards, offset = [], [], 0
    filters: dict[str, dict[str, list[int]]] = {}
    sorted_pages: dict[str, set[int]] = {}  # the pages each shard's sort holds, numbered as merged
    for bundle, meta, renamed in metas:
        field_map = [fields.index(field) for field in meta[5]]
        pages.extend([renamed.get(page[0], page[0]), *page[1:]] for page in meta[1])
        froms = [chunk[0] for chunk in meta[2]]
        names = [chunk[2] for chunk in meta[2]]
        identity = field_map == list(range(len(field_map)))
        shards.append((str(bundle), froms, names, offset, None if identity else field_map))
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
    merged_sorts = _merge_sorts(sorted_pages, pages, out, sorts)
    bounds = _partition(shards, jobs * 4 if jobs > 1 else 1)
    tasks = [(language, shards, lo, hi, str(out)) for lo, hi in itertools.pairwise(bounds)]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_merge_range, tasks))
    else:
        parts = [_merge_range(task) for task in tasks]
    chunks = [chunk for part in parts for chunk in part]  # [from, to, name]
    _trim_ranges(chunks)
    version = metas[0][1][0]
    payload = _encode([version, pages, chunks, merged_filters, merged_sorts, fields])
    name = _write_new(out, language, payload, 10, "pagefind.{}.pf_meta")
    return name, len(pages)


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


def _merge_sorts(sorted_pages: dict[str, set[int]], pages: list, out: Path,
                 sorts: Mapping[str, Mapping[str, str]]) -> list:
    """Each sort's page numbers in the order of its values (then of the URLs), as Pagefind
    orders them: numerically when every value is a number, else as text. The values given
    must be those of exactly the pages that Pagefind sorted."""
    if not sorted_pages:
        return []
    urls = [_fragment_url(out / "fragment" / f"{page[0]}.pf_fragment") for page in pages]
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


def _partition(shards: list, parts: int) -> list:
    """Bounds [None, w1, ..., None] cutting the word space into `parts` ranges of about as
    many index chunks each; None is open-ended."""
    starts = sorted(f for _, froms, _, _, _ in shards for f in froms[1:])
    if parts <= 1 or not starts:
        return [None, None]
    cuts = sorted({starts[len(starts) * i // parts] for i in range(1, parts)})
    return [None, *cuts, None]


def _merge_range(task) -> list:
    """Merge the words in [lo, hi) of every shard; write their chunks; return [from, to, name]s."""
    language, shards, lo, hi, out = task
    streams = [_words(*shard, lo, hi) for shard in shards]
    chunks = []
    for chunk in _chunked(_joined(streams)):
        name = _write_new(Path(out), language, _encode([chunk]), 7, "index/{}.pf_index")
        chunks.append([chunk[0][0], chunk[-1][0], name])
    return chunks


def _write_new(out: Path, language: str, payload: bytes, length: int, pattern: str) -> str:
    """Write `payload` under a name made of its hash; a name taken by other bytes (here or
    by another worker) grows a digit until it is free. Returns the name."""
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


def _words(bundle: str, froms: list, names: list, offset: int, field_map, lo, hi) -> Iterator[tuple]:
    """A shard's words in [lo, hi), in order, as (word, offset, pages, variants); pages are
    Pagefind's own lists, page numbers as differences. A chunk holds the words from its
    `from` up to the next chunk's."""
    for i, name in enumerate(names):
        if hi is not None and froms[i] >= hi:
            break
        if lo is not None and i + 1 < len(froms) and froms[i + 1] <= lo:
            continue
        path = Path(bundle) / "index" / f"{name}.pf_index"
        try:
            for word, word_pages, variants in read_pf(path)[0]:
                if (lo is not None and word < lo) or (hi is not None and word >= hi):
                    continue
                if field_map is not None:
                    for page in itertools.chain(word_pages, *(v for _, v in variants)):
                        page[2] = [-(field_map[-loc - 1] + 1) if loc < 0 else loc for loc in page[2]]
                yield word, offset, word_pages, variants
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise PagefindError(f"{path}: unknown Pagefind index layout ({exc}); expected Pagefind 1.5") from None


def _joined(streams: list[Iterator[tuple]]) -> Iterator[list]:
    """One word list from the shards' sorted lists: a word's pages, shard by shard, as
    [word, pages, [[form, pages], ...]]. Only the first page of each shard's list changes:
    its difference is now from the previous shard's last page. Python compares strings by
    code point, which is Rust's (UTF-8 byte) order."""
    merged = heapq.merge(*streams, key=_first)
    for word, group in itertools.groupby(merged, key=_first):
        pages, last, variants = [], 0, {}
        for _, offset, word_pages, word_variants in group:
            last = _extend(pages, last, offset, word_pages)
            for form, v_pages in word_variants:
                v_list, v_last = variants.get(form, ([], 0))
                variants[form] = (v_list, _extend(v_list, v_last, offset, v_pages))
        yield [word, pages, [[form, v_list] for form, (v_list, _) in variants.items()]]


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


def _chunked(words: Iterator[list]) -> Iterator[list]:
    """Pagefind's chunk_index: a chunk closes once it holds CHUNK_SIZE positions."""
    chunk, size = [], 0
    for word in words:
        size += _size(word[1]) + sum(_size(v) for _, v in word[2]) + len(word[2])
        chunk.append(word)
        if size >= CHUNK_SIZE:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _trim_ranges(chunks: list[list]) -> None:
    """Pagefind's chunk_meta: neighbouring ranges are cut to the shortest telling prefixes."""
    for left, right in itertools.pairwise(chunks):
        a, b = left[1], right[0]
        common = len(os.path.commonprefix((a, b)))
        a_prefix, b_prefix = a[:common + 1], b[:common + 1]
        if a_prefix >= left[0]:
            left[1] = a_prefix
        right[0] = b_prefix
