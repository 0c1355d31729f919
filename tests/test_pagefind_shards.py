"""Pagefind in shards (generator/pagefind_shards.py): the merged index is the one a single
Pagefind run makes, word for word; what cannot be merged is refused."""

import gzip
import json
import shutil
from pathlib import Path

import pytest

from generator.pagefind_shards import (PagefindError, _move_fragments, _trim_ranges, build_index,
                                       merge_bundles, read_pf, run_pagefind)


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
    assert build_index(one, pages, shard_pages=len(pages)) == 1
    merged, single = decoded(site / "pagefind"), decoded(one / "pagefind")
    assert merged[0] and merged[0] == single[0]
    assert merged[1] == single[1] and merged[2] == single[2] == len(pages)
    assert merged[3][5] == single[3][5]  # the metadata fields
    for reply in result.replies:
        assert any(url.rstrip("/").endswith(reply.id) for url, _ in merged[1])


def test_build_index_counts_shards(tmp_path):
    site = tmp_path / "site"
    pages = []
    for n in range(5):
        pages.append(f"p{n}/index.html")
        (site / f"p{n}").mkdir(parents=True)
        (site / pages[-1]).write_text(f"<html lang='en'><body><main data-pagefind-body><h1>Page {n}</h1>"
                                      f"<p>word{n} kiwi</p></main></body></html>", encoding="utf-8")
    assert build_index(site, pages, shard_pages=2) == 3
    words, urls, count, _ = decoded(site / "pagefind", "en")
    assert count == 5 and [u for u, _ in urls] == [f"/p{n}/" for n in range(5)]
    assert {u for u, _, _ in words["kiwi"][0]} == {f"/p{n}/" for n in range(5)}
    assert {u for u, _, _ in words["word3"][0]} == {"/p3/"}
    assert not any(p.name.startswith(".pagefind-") for p in tmp_path.iterdir())  # work files removed


def test_merge_bundles_refuses_filters(tmp_path):
    """Filters are not merged: an error says so rather than a wrong index."""
    bundles = []
    for n in range(2):
        site = tmp_path / f"site{n}"
        site.mkdir()
        (site / "index.html").write_text(
            f"<html lang='en'><body><main data-pagefind-body><p data-pagefind-filter='kind'>k{n}</p>"
            f"<p>text {n}</p></main></body></html>", encoding="utf-8")
        run_pagefind(site, tmp_path / f"bundle{n}")
        bundles.append(tmp_path / f"bundle{n}")
    with pytest.raises(PagefindError, match="filters"):
        merge_bundles(bundles, tmp_path / "out", jobs=1)


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
