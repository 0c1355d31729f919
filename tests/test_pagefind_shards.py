"""Pagefind in shards (generator/pagefind_shards.py): the merged index is the one a single
Pagefind run makes, word for word; what cannot be merged is refused."""

import gzip
import hashlib
import itertools
import json
import random
import shutil
from pathlib import Path

import pytest

import generator.pagefind_shards as pagefind_shards
from generator.pagefind_shards import (MERGE_CACHE, PagefindError, _chunked, _move_fragments, _pieces, _trim_ranges,
                                       build_index,
                                       merge_bundles, read_pf, run_pagefind, shards_of)


def decoded(bundle: Path, language: str = "zh"):
    """{word: ({(page url, positions, meta positions)}, {(variant, its postings)})}, the
    pages' URLs and word counts, the page count and the metadata."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta = read_pf(bundle / f"pagefind.{entry['languages'][language]['hash']}.pf_meta")
    pages = []
    for name, word_count in meta[1]:
        fragment = gzip.decompress((bundle / "fragment" / f"{name}.pf_fragment").read_bytes())
        pages.append((json.loads(fragment[len(b"pagefind_dcd"):])["url"], word_count))
    def postings(word_pages):
        number, found = 0, set()
        for page in word_pages:
            number += page[0]
            found.add((pages[number][0], tuple(page[1]), tuple(page[2])))
        return frozenset(found)

    words = {}
    for _from, _to, name in meta[2]:
        for word, word_pages, variants in read_pf(bundle / "index" / f"{name}.pf_index")[0]:
            words[word] = (postings(word_pages), frozenset((form, postings(v)) for form, v in variants))
    return words, sorted(pages), entry["languages"][language]["page_count"], meta


def marked_pages(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                  if "pagefind" not in p.parts and "data-pagefind-body" in p.read_text(encoding="utf-8"))


def test_build_index_shards_equal_one_run(pagefind_site, tmp_path):
    """The sample site's index was built two pages at a time; one run over the same pages
    gives the same words on the same pages at the same positions."""
    site, result = pagefind_site
    pages = marked_pages(site)
    assert len(pages) > 2 * 2  # three shards at least
    one = tmp_path / "site"
    for page in pages:
        (one / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site / page, one / page)
    run_pagefind(one, tmp_path / "bundle")  # Pagefind's own index, not a merge of one shard
    merged, single = decoded(site / "pagefind"), decoded(tmp_path / "bundle")
    assert merged[0] and merged[0] == single[0]
    assert merged[1] == single[1] and merged[2] == single[2] == len(pages)
    assert merged[3][5] == single[3][5]  # the metadata fields
    for reply in result.replies:
        assert any(url.rstrip("/").endswith(reply.id) for url, _ in merged[1])


def test_build_index_same_bytes_every_run(tmp_path):
    """Pagefind writes a filter's values in no fixed order; the index written is the same
    bytes on every run."""
    trees = []
    for n in range(2):
        pages, sorts = filtered_site(tmp_path / f"site{n}", 9)
        build_index(tmp_path / f"site{n}", pages, shard_pages=9, sorts=sorts)
        bundle = tmp_path / f"site{n}" / "pagefind"
        trees.append({p.relative_to(bundle): p.read_bytes() for p in bundle.rglob("*") if p.is_file()})
    assert trees[0] == trees[1]


def test_build_index_counts_shards(tmp_path):
    site = tmp_path / "site"
    pages = []
    for n in range(5):
        pages.append(f"p{n}/index.html")
        (site / f"p{n}").mkdir(parents=True)
        (site / pages[-1]).write_text(f"<html lang='en'><body><main data-pagefind-body><h1>Page {n}</h1>"
                                      f"<p>word{n} kiwi</p></main></body></html>", encoding="utf-8")
    assert build_index(site, pages, shard_pages=2) == len(shards_of(pages, 2)) > 1
    words, urls, count, _ = decoded(site / "pagefind", "en")
    assert count == 5 and [u for u, _ in urls] == [f"/p{n}/" for n in range(5)]
    assert {u for u, _, _ in words["kiwi"][0]} == {f"/p{n}/" for n in range(5)}
    assert {u for u, _, _ in words["word3"][0]} == {"/p3/"}
    assert not any(p.name.startswith(".pagefind-") for p in tmp_path.iterdir())  # work files removed


def filters_and_sorts(bundle: Path, language: str = "en") -> tuple[dict, dict]:
    """{filter: {value: {page URL}}} and {sort: [page URL, ...]} of a bundle."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta = read_pf(bundle / f"pagefind.{entry['languages'][language]['hash']}.pf_meta")
    urls = [json.loads(gzip.decompress((bundle / "fragment" / f"{name}.pf_fragment").read_bytes())
                       [len(b"pagefind_dcd"):])["url"] for name, _ in meta[1]]
    filters = {}
    for name, file in meta[3]:
        stored_name, values = read_pf(bundle / "filter" / f"{file}.pf_filter")
        assert stored_name == name
        filters[name] = {value: {urls[n] for n in pages} for value, pages in values}
    return filters, {name: [urls[n] for n in order] for name, order in meta[4]}


def filtered_site(root: Path, count: int) -> tuple[list[str], dict]:
    """`count` pages with two filters (one with several values on a page) and a date sort
    that some pages lack and some share; returns their paths and sort values."""
    pages, sorts = [], {}
    for n in range(count):
        page = f"p{n}/index.html"
        (root / f"p{n}").mkdir(parents=True)
        marks = f'<span data-pagefind-filter="kind:k{n % 3}"></span><span data-pagefind-filter="tag:all"></span>'
        marks += f'<span data-pagefind-filter="tag:t{n % 2}"></span>'
        if n % 4 != 1:
            day = f"2024-0{1 + n % 3}-01 p{n}"
            marks += f'<span data-pagefind-sort="date:{day}"></span>'
            sorts[page] = {"date": day}
        (root / page).write_text(f"<html lang='en'><body><main data-pagefind-body>{marks}<h1>Page {n}</h1>"
                                 f"<p>word{n} kiwi</p></main></body></html>", encoding="utf-8")
        pages.append(page)
    return pages, sorts


def test_build_index_merges_filters_and_sorts_as_one_run(tmp_path):
    one, shards = tmp_path / "one", tmp_path / "shards"
    pages, sorts = filtered_site(one, 7)
    filtered_site(shards, 7)
    run_pagefind(one, tmp_path / "bundle")  # Pagefind's own index
    assert build_index(shards, pages, shard_pages=2, sorts=sorts) == len(shards_of(pages, 2)) > 2
    merged, single = filters_and_sorts(shards / "pagefind"), filters_and_sorts(tmp_path / "bundle")
    assert merged == single
    assert build_index(one, pages, shard_pages=2 * len(pages), sorts=sorts) == 1  # one shard: the same index
    assert filters_and_sorts(one / "pagefind") == single
    assert merged[0]["kind"]["k1"] == {"/p1/", "/p4/"} and len(merged[0]["tag"]["all"]) == 7
    assert merged[1]["date"][0] == "/p0/" and "/p1/" not in merged[1]["date"]  # p1 has no date


@pytest.mark.parametrize("given", [None, "one missing"])
def test_build_index_refuses_a_sort_without_its_values(tmp_path, given):
    """Sort orders keep no values: without them (or with some missing) a merge would be
    wrong, so it is refused."""
    pages, sorts = filtered_site(tmp_path / "site", 4)
    if given:
        sorts.pop(pages[0])
    with pytest.raises(PagefindError, match="sort 'date'"):
        build_index(tmp_path / "site", pages, shard_pages=2, sorts=sorts if given else None)


def test_move_fragments_renames_only_a_name_taken_by_other_content(tmp_path):
    first, second, target = tmp_path / "a", tmp_path / "b", tmp_path / "out"
    for directory in (first, second, target):
        directory.mkdir()
    (first / "zh_1234567.pf_fragment").write_bytes(b"one")
    (first / "zh_same.pf_fragment").write_bytes(b"same")
    (second / "zh_1234567.pf_fragment").write_bytes(b"two")
    (second / "zh_same.pf_fragment").write_bytes(b"same")
    assert _move_fragments(first, target) == {}
    renamed = _move_fragments(second, target)
    assert list(renamed) == ["zh_1234567"]
    assert (target / f"{renamed['zh_1234567']}.pf_fragment").read_bytes() == b"two"
    assert (target / "zh_1234567.pf_fragment").read_bytes() == b"one"


@pytest.mark.parametrize("ranges, expected", [
    # Pagefind's own examples (chunk_meta, get_prefixes)
    ([["apple", "apple"], ["apricot", "banana"], ["peach", "peach"]],
     [["apple", "apple"], ["apr", "b"], ["p", "peach"]]),
    ([["c", "cataraman"], ["yacht", "z"]], [["c", "c"], ["y", "z"]]),
    ([["乡村", "乡村振兴"], ["乡镇", "人"]], [["乡村", "乡村"], ["乡镇", "人"]]),
])
def test_trim_ranges_like_pagefind(ranges, expected):
    chunks = [[a, b, "name"] for a, b in ranges]
    _trim_ranges(chunks)
    assert [c[:2] for c in chunks] == expected


@pytest.mark.parametrize("size", [1, 2, 7, 50, 250])
def test_shards_of_sizes_and_order(size):
    pages = sorted(f"replies/r{n:05d}/index.html" for n in range(1200))
    shards = shards_of(pages, size)
    assert [page for shard in shards for page in shard] == pages  # a partition, in order
    assert all(len(shard) <= max(1, size * 3 // 2) for shard in shards)
    assert all(len(shard) >= max(1, size // 2) for shard in shards[:-1])


@pytest.mark.parametrize("change", ["add", "remove"])
def test_shards_of_a_change_moves_one_shard(change):
    """A page added or removed changes the shard it is in; the others keep their pages
    (so their Pagefind bundles are reused)."""
    pages = sorted(f"replies/r{n:05d}/index.html" for n in range(0, 4000, 2))
    other = sorted(pages + ["replies/r01001/index.html"]) if change == "add" else \
        [p for p in pages if p != "replies/r01000/index.html"]
    before, after = shards_of(pages, 100), shards_of(other, 100)
    changed = [s for s in after if s not in before]
    assert 1 <= len(changed) <= 2 and len(after) - len(changed) >= len(before) - 2


def test_build_index_reuses_kept_bundles(tmp_path):
    """With a bundle folder, a second build indexes only the shards whose pages changed,
    and gives the same bytes as a build from nothing."""
    site = tmp_path / "site"
    pages = []
    for n in range(12):
        pages.append(f"p{n:02d}/index.html")
        (site / f"p{n:02d}").mkdir(parents=True)
        (site / pages[-1]).write_text(f"<html lang='en'><body><main data-pagefind-body><h1>Page {n}</h1>"
                                      f"<p>word{n} kiwi</p></main></body></html>", encoding="utf-8")
    runs = []

    def counted(stage, out):
        runs.append(len(list(stage.rglob("*.html"))))
        run_pagefind(stage, out)

    digests = {page: str(n) for n, page in enumerate(pages)}
    bundles = tmp_path / "bundles"
    shards = build_index(site, pages, shard_pages=4, run=counted, bundles=bundles, digests=digests)
    kept = lambda: [p for p in bundles.iterdir() if p.name != MERGE_CACHE]  # the bundles, not the merge's cache
    assert len(runs) == shards == len(kept()) > 2
    (site / pages[5]).write_text("<html lang='en'><body><main data-pagefind-body><h1>Page 5</h1>"
                                 "<p>zebra kiwi</p></main></body></html>", encoding="utf-8")
    runs.clear()
    build_index(site, pages, shard_pages=4, run=counted, bundles=bundles, digests={**digests, pages[5]: "new"})
    holding = next(s for s in shards_of(pages, 4) if pages[5] in s)
    assert runs == [len(holding)]  # only the changed page's shard
    assert len(kept()) == shards  # its old bundle removed
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("pagefind"))
    build_index(fresh, pages, shard_pages=4)
    tree = lambda root: {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert tree(site / "pagefind") == tree(fresh / "pagefind")
    assert "zebra" in decoded(site / "pagefind", "en")[0]


def tree(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_build_index_merges_variants_and_fields_as_one_run(tmp_path):
    """Words with diacritics (Pagefind's variants, some with no page of their own) and a
    metadata field that only some shards have (its number differs between shards): the
    merged index is the single run's, word for word."""
    one, shards = tmp_path / "one", tmp_path / "shards"
    texts = ["Café crème, the cafe", "A cafe and a résumé", "Naïve resume", "Crème brûlée", "The café", "Cafe"]
    pages = []
    for n, text in enumerate(texts):
        pages.append(f"p{n}/index.html")
        author = '<span data-pagefind-meta="author:Anne Smith"></span>' if n == 4 else ""
        for root in (one, shards):
            (root / f"p{n}").mkdir(parents=True)
            (root / pages[-1]).write_text(f"<html lang='en'><body><main data-pagefind-body>{author}<h1>Page {n}</h1>"
                                          f"<p>{text}</p></main></body></html>", encoding="utf-8")
    run_pagefind(one, tmp_path / "bundle")
    assert build_index(shards, pages, shard_pages=2) > 2
    merged, single = decoded(shards / "pagefind", "en"), decoded(tmp_path / "bundle", "en")
    assert merged[0] == single[0] and merged[3][5] == single[3][5] == ["author", "title"]
    assert merged[0]["creme"][0] == frozenset() and merged[0]["creme"][1]  # variants only
    assert len(merged[0]["cafe"][1]) == 1


VOCABULARY = ("apple river stone cloud maple harbor lantern meadow copper violet thunder orchard "
              "pebble willow canyon ember falcon glacier hollow island jasper kettle lagoon marble "
              "nectar oyster prairie quartz raven saddle timber umber valley walnut yonder zephyr "
              "café crème naïve résumé façade").split()


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks and pieces small enough that a small site has many of each."""
    for name, value in {"CHUNK_MIN": 40, "CHUNK_MEAN": 20, "CHUNK_MAX": 100,
                        "PIECE_MIN": 64, "PIECE_MEAN": 48, "PIECE_MAX": 256}.items():
        monkeypatch.setattr(pagefind_shards, name, value)


def write_page(site: Path, page: str, words: list[str]) -> None:
    (site / page).parent.mkdir(parents=True, exist_ok=True)
    (site / page).write_text(f"<html lang='en'><body><main data-pagefind-body><h1>{words[0]}</h1>"
                             f"<p>{' '.join(words[1:])}</p></main></body></html>", encoding="utf-8")


def page_digests(site: Path, pages: list[str]) -> dict[str, str]:
    return {page: hashlib.sha1((site / page).read_bytes()).hexdigest() for page in pages}


def cached_pieces(bundles: Path) -> set[str]:
    state = json.loads((bundles / MERGE_CACHE / "state.json").read_text(encoding="utf-8"))
    return {piece[0] for language in state["languages"].values() for chunk in language["chunks"] for piece in chunk[3]}


@pytest.mark.parametrize("change, jobs", [("text", 1), ("text", 2), ("gains a word", 1), ("loses a word", 1),
                                          ("page added", 1), ("page removed", 2)])
def test_build_index_merge_with_its_cache_equals_a_merge_without(tmp_path, small_chunks, change, jobs):
    """A build after a change merges with the last merge's cache (pieces of chunks it made
    are taken from it) and writes the same bytes as a build from nothing: a page's words
    moved (every page list of the page changed), a word new to the site, a word gone from
    it, a page added or removed (the pages after it renumbered)."""
    rng = random.Random(7)
    site, bundles = tmp_path / "site", tmp_path / "bundles"
    # Each page has a word of its own ("quaab" …: Pagefind would cut digits off).
    texts = {f"p{n:02d}/index.html": rng.sample(VOCABULARY, 14) + ["qua" + chr(97 + n // 26) + chr(97 + n % 26)]
             for n in range(40)}
    for page, words in texts.items():
        write_page(site, page, words)
    pages = sorted(texts)
    build_index(site, pages, shard_pages=6, bundles=bundles, digests=page_digests(site, pages), jobs=jobs)
    before = cached_pieces(bundles)
    edited = "p17/index.html"
    if change == "text":
        write_page(site, edited, texts[edited][::-1])
    elif change == "gains a word":
        write_page(site, edited, texts[edited] + ["zebra"])
    elif change == "loses a word":
        write_page(site, edited, texts[edited][:-1])  # its own word
    elif change == "page added":
        write_page(site, "p17a/index.html", rng.sample(VOCABULARY, 14))
        pages = sorted(pages + ["p17a/index.html"])
    else:
        (site / edited).unlink()
        pages.remove(edited)
    shards = build_index(site, pages, shard_pages=6, bundles=bundles, digests=page_digests(site, pages), jobs=jobs)
    after = cached_pieces(bundles)
    assert shards > 4 and len(after) > 20  # many chunks and pieces
    assert before & after and after - before  # some pieces taken from the cache, some made anew
    if change not in ("page added", "page removed"):
        assert len(after - before) < len(after) / 2
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("pagefind"))
    build_index(fresh, pages, shard_pages=6, jobs=jobs)
    assert tree(site / "pagefind") == tree(fresh / "pagefind")
    words = decoded(site / "pagefind", "en")[0]
    assert ("zebra" in words) == (change == "gains a word")
    assert ("quaar" in words) == (change not in ("loses a word", "page removed"))


def test_merge_cache_of_another_format_or_missing_files_is_not_used(tmp_path, small_chunks):
    """A cache whose state is unreadable or of another format, or whose chunk files are
    gone, is not used (for those chunks): the index is the same bytes."""
    rng = random.Random(3)
    site, bundles = tmp_path / "site", tmp_path / "bundles"
    pages = [f"p{n:02d}/index.html" for n in range(20)]
    for page in pages:
        write_page(site, page, rng.sample(VOCABULARY, 12))
    build_index(site, pages, shard_pages=6, bundles=bundles, digests=page_digests(site, pages))
    expected = tree(site / "pagefind")
    index = bundles / MERGE_CACHE / "index"
    for name in sorted(index.iterdir())[::2]:
        name.unlink()
    build_index(site, pages, shard_pages=6, bundles=bundles, digests=page_digests(site, pages))
    assert tree(site / "pagefind") == expected
    state = bundles / MERGE_CACHE / "state.json"
    state.write_text(state.read_text(encoding="utf-8").replace('"merge ', '"other '), encoding="utf-8")
    build_index(site, pages, shard_pages=6, bundles=bundles, digests=page_digests(site, pages))
    assert tree(site / "pagefind") == expected
    state.write_text("{", encoding="utf-8")
    build_index(site, pages, shard_pages=6, bundles=bundles, digests=page_digests(site, pages))
    assert tree(site / "pagefind") == expected


def fake_words(sizes: list[int]) -> list[tuple]:
    """Words as `_merged_words` gives them, of these sizes (no page lists)."""
    words = []
    for n, size in enumerate(sizes):
        encoded = f"w{n:06d}".encode()
        words.append((encoded.decode(), size, 0, [], b"\x80", encoded, pagefind_shards._hash64(encoded)))
    return words


def test_chunks_end_where_their_words_say():
    """Chunks hold CHUNK_MIN positions at least (as Pagefind's) and end past it at words
    their hashes pick, CHUNK_MAX at most unless one word is more, or before a boundary
    word; a word whose size changed moves the ends of its chunk and the next few only."""
    rng = random.Random(11)
    sizes = [rng.choice([1, 2, 3, 5, 8, 20, 60, 300, 2000, 30000]) for _ in range(20000)]
    chunks = list(_chunked(iter(fake_words(sizes))))
    assert len(chunks) > 100
    boundary = pagefind_shards._boundary
    assert [word[0] for chunk in chunks for word in chunk[1:] if boundary(word)] == []  # each starts a chunk
    for chunk, after in itertools.pairwise(chunks):
        total = sum(word[1] for word in chunk)
        assert total - chunk[-1][1] < pagefind_shards.CHUNK_MAX
        assert total >= pagefind_shards.CHUNK_MIN or boundary(after[0])
    small = [sum(word[1] for word in chunk) for chunk, after in itertools.pairwise(_chunked(iter(fake_words(
        [rng.choice([1, 2, 3, 5, 8, 20, 60]) for _ in range(200000)])))) if not boundary(after[0])]
    assert len(small) > 50  # about CHUNK_MEAN past the minimum on average
    assert pagefind_shards.CHUNK_MIN + pagefind_shards.CHUNK_MEAN / 2 < sum(small) / len(small) \
        < pagefind_shards.CHUNK_MIN + pagefind_shards.CHUNK_MEAN * 3 / 2
    ends = {chunk[-1][0] for chunk in chunks}
    for n in range(1000, 20000, 4000):
        changed = sizes[:n] + [sizes[n] + 7] + sizes[n + 1:]
        moved = ends ^ {chunk[-1][0] for chunk in _chunked(iter(fake_words(changed)))}
        after = sorted(end for end in ends if end >= f"w{n:06d}")
        assert all(after[0] <= end <= after[4] for end in moved), (n, moved)  # within the next few chunks


def test_pieces_end_where_their_page_lists_say():
    """A chunk's pieces hold PIECE_MIN bytes at least, PIECE_MAX at most unless one page
    list is more, and ends past the minimum are picked by the page lists' hashes."""
    rng = random.Random(13)
    sizes = [rng.choice([5, 40, 300, 2000, 9000, 50000]) for _ in range(3000)]
    chunk = []
    for n, (word, size, _, _, tail, encoded, word_hash) in enumerate(fake_words([1] * 300)):
        segments = [(s, 0, 0, size, 0, 0, 1, f"S{n},{s};", size) for s, size in enumerate(sizes[n * 10:n * 10 + 10])]
        chunk.append((word, 1, len(segments), segments, tail, encoded, word_hash))
    pieces = _pieces(chunk)
    assert len(pieces) > 50 and len({key for key, _, _ in pieces}) == len(pieces)
    for key, atoms, length in pieces[:-1]:
        last = atoms[-1] if isinstance(atoms[-1], bytes) else None
        last_size = len(last) if last is not None else atoms[-1][8]
        assert length >= pagefind_shards.PIECE_MIN and length - last_size < pagefind_shards.PIECE_MAX
    segments = [atom for _, atoms, _ in pieces for atom in atoms if not isinstance(atom, bytes)]
    assert segments == [segment for word in chunk for segment in word[3]]  # all, in order, once


def test_build_index_same_bytes_whatever_the_jobs(tmp_path, small_chunks, monkeypatch):
    """Workers merge a range of words each, from boundary word to boundary word: the
    index is the same bytes on one process and on several."""
    monkeypatch.setattr(pagefind_shards, "BOUNDARY", 50)  # many ranges
    pages = [f"p{n:02d}/index.html" for n in range(30)]
    trees = []
    for jobs in (1, 2, 3):
        site = tmp_path / f"site{jobs}"
        for page in pages:
            write_page(site, page, random.Random(page).sample(VOCABULARY, 12))
        build_index(site, pages, shard_pages=5, jobs=jobs)
        trees.append(tree(site / "pagefind"))
    assert len([name for name in trees[0] if name.parts[0] == "index"]) > 10
    assert trees[0] == trees[1] == trees[2]
