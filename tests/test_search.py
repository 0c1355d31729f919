"""Search that costs nothing until used, in Chromium, on the 300-reply site: a hosted page
view downloads no byte of search index, a query downloads Pagefind's; results name the
reply's agency and date; in the offline archive a query typed while the index is still
being loaded is searched once it is ready, with no further key."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import first_key_page

pytest.importorskip("playwright.sync_api", reason="pip install playwright")

# Every file of either search index: Pagefind's script, entry, metadata, WebAssembly,
# index chunks and fragments; Material's index (JSON hosted, script offline).
INDEX_FILE = re.compile(r"/pagefind/|/search/search_index\.js(on)?(\?|$)")
QUERY = "民建省委会"






def _recorded(context):
    """Every request of the context's pages and workers, with its body's size once done."""
    requests, sizes = [], {}
    context.on("request", lambda r: requests.append(r))
    context.on("requestfinished", lambda r: sizes.__setitem__(id(r), r.sizes()["responseBodySize"]))
    return requests, sizes


def _search(page, query):
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    box.press("End")  # Material searches on key events
    page.wait_for_selector(".md-search-result__item", timeout=15_000)


def test_search_page_view_downloads_no_index_until_a_query(browser, served_300):
    base, site = served_300
    viewed = {}
    for rel in ("", "replies/r000/", first_key_page(site, "agencies"), "replies/"):
        context = browser.new_context(locale="zh-CN")  # an empty cache each time
        requests, sizes = _recorded(context)
        page = context.new_page()
        page.goto(f"{base}/{rel}")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)  # the search worker has started and answered
        index = [r.url for r in requests if INDEX_FILE.search(urlsplit(r.url).path)]
        viewed[rel] = (len(requests), sum(sizes.get(id(r), 0) for r in requests), index)
        if rel != "replies/":
            context.close()
    assert all(count > 3 and total > 0 for count, total, _ in viewed.values()), viewed
    assert {rel: index for rel, (_, _, index) in viewed.items()} == {rel: [] for rel in viewed}
    # The same page, searched: Pagefind's files are fetched now, and results shown.
    before = len(requests)
    _search(page, QUERY)
    page.wait_for_load_state("networkidle")
    fetched = [r for r in requests[before:] if INDEX_FILE.search(urlsplit(r.url).path)]
    names = {urlsplit(r.url).path.split("/pagefind/")[-1].split("/")[0] for r in fetched}
    assert {"pagefind.js", "index", "fragment"} <= names, names
    assert any(n.startswith("wasm.") for n in names), names
    assert sum(sizes.get(id(r), 0) for r in fetched) > 0
    assert page.locator(".md-search-result__item").count() >= 1
    context.close()


def _front_matter(docs: Path, reply_id: str) -> dict:
    text = (docs / "replies" / f"{reply_id}.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


def _line(meta: dict) -> str:
    year, month, day = (int(part) for part in str(meta["date"]).split("-"))
    return f"{meta['agency']} · {year}年{month}月{day}日"


def test_search_pagefind_results_show_agency_and_date(browser, served_300):
    base, site = served_300
    docs = site.parent / "docs"
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    _search(page, QUERY)
    items = page.locator(".md-search-result__item")
    checked = 0
    for n in range(min(items.count(), 5)):
        item = items.nth(n)
        href = item.locator(".md-search-result__link").first.get_attribute("href")
        reply = re.search(r"/replies/([^/]+)/", urlsplit(href).path)
        if not reply:
            continue
        paragraphs = item.locator("article > p").all_inner_texts()
        assert paragraphs[0] == _line(_front_matter(docs, reply.group(1))), paragraphs
        assert item.locator("article > p mark").count() >= 1  # the excerpt, marked, follows
        checked += 1
    assert checked >= 3
    assert not errors, errors
    context.close()


def test_search_archive_query_typed_while_index_loads_is_searched(browser, site_300):
    """Material reads the box on keyup only, and once when its worker is ready. In the
    archive the worker builds its index on the page's own thread, so text typed meanwhile
    arrives after it is ready, and, with no key released then (an IME commit, a paste),
    was never searched: the panel said 键入以开始搜索. Here the index is held back, part
    of the query entered before it arrives, the rest after the worker is ready, without a
    key event: the results must become the whole query's."""
    _, archive = site_300
    context = browser.new_context(offline=True, locale="zh-CN")
    page = context.new_page()
    held = []
    page.route("**/search/search_index.js", lambda route: held.append(route))
    page.goto((archive / "index.html").as_uri(), wait_until="domcontentloaded")
    box = page.locator("input.md-search__input")
    box.click()
    page.keyboard.insert_text(QUERY[:2])  # as an IME commits: input, no key
    page.wait_for_timeout(300)
    assert len(held) == 1 and page.locator(".md-search-result__item").count() == 0
    held[0].continue_()
    page.wait_for_selector(".md-search-result__item", timeout=30_000)  # the first part, searched once ready

    def terms() -> set[str]:  # what the results were searched for: Material's ?h=
        return set(page.locator(".md-search-result__item > .md-search-result__link").evaluate_all(
            "els => els.map(e => new URL(e.href).searchParams.get('h'))"))

    first = terms()
    assert first and all(set(h) <= set(QUERY[:2]) for h in first), first
    page.keyboard.insert_text(QUERY[2:])
    # No key: the results become the whole query's, which match words of the rest.
    page.wait_for_function(
        "rest => [...document.querySelectorAll('.md-search-result__item > .md-search-result__link')]"
        ".some(a => [...rest].some(ch => (new URL(a.href).searchParams.get('h') || '').includes(ch)))",
        arg=QUERY[2:], timeout=10_000)
    assert any(set(h) & set(QUERY[2:]) for h in terms())
    assert box.input_value() == QUERY
    context.close()


def test_search_agency_full_name_finds_its_replies(browser, served_300):
    """Every lead agency, searched by its full name, finds one of its own replies among the
    first results: the browser cuts a name like 科学技术厅 into one-character words that
    the index (cut by jieba) does not begin words with; the worker joins them again."""
    import json

    base, site = served_300
    records = json.loads((site / "data" / "replies.json").read_text(encoding="utf-8"))
    agencies = sorted({r["agency"] for r in records if r["agency"]})
    page = browser.new_page()
    missed = {}
    for agency in agencies:
        page.goto(base + "/")
        _search(page, agency)
        page.wait_for_timeout(500)  # the later variants' results
        hrefs = page.eval_on_selector_all(".md-search-result__item > a", "els => els.map(e => e.href)")
        ids = {urlsplit(h).path.strip("/").split("/")[-1] for h in hrefs}
        own = {r["id"] for r in records if r["agency"] == agency}
        if not ids & own:
            missed[agency] = sorted(ids)[:3]
    page.close()
    assert len(agencies) >= 3 and missed == {}
