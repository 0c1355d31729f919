"""The offline archive: unzipped anywhere, opened from file:// with the network off,
pages, links, charts, open data and search all work."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from generator.archive import build_archive
from generator.pipeline import generate

from conftest import DATA, copy_hand_written_docs



@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    work = tmp_path_factory.mktemp("archive")
    docs = work / "docs"
    copy_hand_written_docs(docs)
    result = generate(DATA, docs)
    out = build_archive(docs, len(result.replies), out=work / "out" / "site.zip", strict=True,
                        day=date(2025, 7, 1))
    return out, result


def test_archive_name_has_date_and_count(tmp_path):
    from generator.archive import archive_name

    assert archive_name(5, date(2025, 7, 1)) == "replies-archive-20250701-5"


def test_archive_zip_is_deterministic(archive, tmp_path):
    out, result = archive
    again = build_archive(out.parent.parent / "docs", len(result.replies), out=tmp_path / "site.zip",
                          strict=True, day=date(2025, 7, 1))
    with zipfile.ZipFile(out) as a, zipfile.ZipFile(again) as b:
        names = a.namelist()
        assert names == b.namelist() == sorted(names)
        differ = [n for n in names if a.read(n) != b.read(n) and not n.endswith(("sitemap.xml", "sitemap.xml.gz"))]
        assert differ == []


def test_archive_opens_from_disk_offline(archive, tmp_path, browser):
    out, result = archive
    with zipfile.ZipFile(out) as z:
        z.extractall(tmp_path)
    root = tmp_path / "site"
    assert (root / "index.html").is_file() and (root / "search" / "search_index.js").is_file()
    assert (root / "data" / "replies.json").is_file()
    outside = []
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def route(r):
        if r.request.url.startswith(("file://", "data:", "blob:", "about:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto((root / "index.html").as_uri())
    assert page.locator(".chart svg rect").count() >= 3
    # Links: the 部门 tab, an agency, one of its replies.
    page.get_by_role("link", name="部门").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("agencies/index.html")
    page.locator("article table a", has_text="吉林省科学技术厅").click()
    page.wait_for_load_state()
    assert page.url.endswith("agencies/jl-science-tech/index.html")
    page.locator("article .reply-list table").first.locator("a").first.click()  # a reply it led
    page.wait_for_load_state()
    assert "/replies/" in page.url and page.locator(".reply-card").count() == 1
    # The open data link resolves to the file in the archive.
    data_href = page.locator(".reply-data a").first.get_attribute("href")
    assert (Path(page.url.removeprefix("file://")).parent / data_href).resolve().is_file()
    # Search, with no server and no network.
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("民建省委会")
    box.press("End")
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    first = page.locator(".md-search-result__item > .md-search-result__link").first.get_attribute("href")
    assert "002_1b3f1d40111f6f91" in first
    context.close()
    assert outside == [], outside


def test_archive_one_search_index_no_source_maps(archive):
    """The index once, as the script pages opened from disk load; no source maps, and no
    comment asking for one."""
    out, _ = archive
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert any(n.endswith("/search/search_index.js") for n in names)
        assert not [n for n in names if n.endswith(("search_index.json", ".map"))]
        scripts = [n for n in names if n.endswith((".js", ".css"))]
        assert any("/bundle." in n for n in scripts)
        assert [n for n in scripts if b"sourceMappingURL" in z.read(n)] == []


def test_archive_search_index_opens_each_reply_with_agency_and_date(archive):
    """Material's result list shows a reply's agency and date: the first line of the
    reply's own document in the index (its sections' documents are left alone)."""
    import html
    import json

    out, result = archive
    with zipfile.ZipFile(out) as z:
        script = z.read(next(n for n in z.namelist() if n.endswith("/search/search_index.js"))).decode("utf-8")
    docs = {d["location"]: d["text"].replace("\u200b", "") for d in json.loads(script[script.index("{"):])["docs"]}
    for reply in result.replies:
        line = html.escape(f"{reply.agency} · {reply.date.year}年{reply.date.month}月{reply.date.day}日")
        assert docs[f"replies/{reply.id}.html"].startswith(f"{line}<br/>"), reply.id
        sections = [text for location, text in docs.items() if location.startswith(f"replies/{reply.id}.html#")]
        assert sections and not any(line in text for text in sections)
    assert not any("<br/>" in text[:200] for location, text in docs.items() if not location.startswith("replies/"))


def test_archive_search_results_named_by_label_related_not_indexed(archive):
    """In the archive's index a reply is named as everywhere else (its proposal's title
    when its own is generic), and its 相关答复 list is not indexed: a reply is found by
    its own words."""
    import json

    out, result = archive
    with zipfile.ZipFile(out) as z:
        script = z.read(next(n for n in z.namelist() if n.endswith("/search/search_index.js"))).decode("utf-8")
    docs = json.loads(script[script.index("{"):])["docs"]
    titles = {d["location"]: d["title"].replace("\u200b", "") for d in docs}
    for reply in result.replies:
        assert titles[f"replies/{reply.id}.html"] == reply.label
    assert any(reply.label != reply.title for reply in result.replies)
    assert not [d["location"] for d in docs if "related" in d["location"] or "相关答复" in d["title"]]
