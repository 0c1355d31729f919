"""Pagefind in shards (generator/pagefind_shards.py): the merged index is the one a single
Pagefind run makes, word for word; what cannot be merged is refused."""

import gzip
import json
import shutil
from pathlib import Path

import pytest

from generator.pagefind_shards import (MERGE_CACHE, PagefindError, _move_fragments, _trim_ranges, build_index,
                                       merge_bundles, read_pf, run_pagefind, shards_of)


def decoded(bundle: Path, language: str = "zh"):
    """{word: {(page url, positions, meta positions)}} and the pages' URLs and word counts."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta = read_pf(bundle / f"pagefind.{entry['languages'][language]['hash']}.pf_meta")
    pages = []
    for name, word_count in meta[1]:
        fragment = gzip.decompress((bundle / "fragment" / f"{name}.pf_fragment").read_bytes())
        pages.append((json.loads(fragment[len(b"pagefind_dcd"):])["url"], word_count))
    words = {}
    for _from, _to, name in meta[2]:
        for word, word_pages, variants in read_pf(bundle / "index" / f"{name}.pf_index")[0]:
            number, found = 0, set()
            for page in word_pages:
                number += page[0]
                found.add((pages[number][0], tuple(page[1]), tuple(page[2])))
            words[word] = (frozenset(found), len(variants))
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
