"""The 检索 page in Chromium (find/, docs/assets/javascripts/find.js): combined filters give
exactly the replies the open data says, on a hosted site (Pagefind's filters, also over an
index merged from shards) and in the offline archive opened from disk (its own rows); the
address holds the filters; the counts agree with the open data."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlparse, parse_qs

import pytest

from generator.model import reply_label

from conftest import ROOT, copy_hand_written_docs, guarded_page, serve_directory

CORPUS = ROOT / "tests" / "corpus"


def records(site: Path) -> list[dict]:
    return json.loads((site / "data" / "replies.json").read_text(encoding="utf-8"))


def slugs(site: Path) -> dict[str, dict[str, str]]:
    """{facet: {name: value}} from the site's find/facets.js."""
    text = (site / "find" / "facets.js").read_text(encoding="utf-8")
    tables = json.loads(text[text.index("=") + 1:-2])["facets"]
    return {t["key"]: {v[1]: v[0] for v in t["values"]} for t in tables}


def matching(site: Path, agency=None, year=None, theme=None, outcome=None, lead=False) -> set[str]:
    """The ids of the replies the open data says a filter gives."""
    out = set()
    for r in records(site):
        agencies = [r["agency"]] if lead else [r["agency"], *r["co_agencies"]]
        if ((agency is None or agency in agencies) and (year is None or r["year"] == year)
                and (theme is None or theme in r["themes"])
                and (outcome is None or (r["classification"] or "none").lower() == outcome)):
            out.add(r["id"])
    return out


def combinations(site: Path, count: int = 3) -> list[tuple[str, int, str]]:
    """(agency, year, theme) triples that some reply has, varied: a co-handling agency
    when there is one, the last of the themes."""
    found = []
    for r in records(site):
        if not (r["year"] and r["themes"] and r["agency"]):
            continue
        triple = (r["co_agencies"][-1] if r["co_agencies"] else r["agency"], r["year"], r["themes"][-1])
        if triple not in found:
            found.append(triple)
    return found[:count]


def shown_ids(page) -> list[str]:
    """Every result of the page's current list (showing more until all are there)."""
    while page.is_visible("#find-more"):
        before = page.locator("#find-results > li").count()
        page.click("#find-more")
        page.wait_for_function(f"document.querySelectorAll('#find-results > li').length > {before}")
    hrefs = page.eval_on_selector_all("#find-results a", "links => links.map(a => a.href)")
    return [re.search(r"/replies/([^/]+?)(?:/|\.html)$", href).group(1) for href in hrefs]


def settled(page, before: str | None = None) -> None:
    """Wait until the list shows a run newer than `before`."""
    page.wait_for_function("([before]) => { const f = document.getElementById('find-form');"
                           " return f.dataset.shown && f.dataset.shown !== before }", arg=[before], timeout=30000)


def open_find(browser, base: str, params: dict):
    url = f"{base}/find/{'index.html' if base.startswith('file:') else ''}"
    return url + (f"?{urlencode(params)}" if params else "")


@pytest.fixture(scope="module")
def hosted(served_300):
    base, site = served_300
    return base, site


@pytest.fixture(scope="module")
def archive_300(site_300):
    _, root = site_300
    return root.as_uri(), root


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory):
    """A site of the annotated real replies of many places (varied agencies, years,
    themes and outcomes), Pagefind's index merged from shards of 50 pages; served."""
    from generator.pipeline import generate
    from generator.site import build_site

    work = tmp_path_factory.mktemp("find-corpus")
    (work / "data" / "replies").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "themes.yml", work / "data" / "themes.yml")
    (work / "data" / "site.yml").write_text("publisher: 测试发布单位\n", encoding="utf-8")
    (work / "data" / "agencies.yml").write_text("agencies: []\n", encoding="utf-8")
    for path in sorted(CORPUS.glob("*/*.txt")):
        shutil.copy(path, work / "data" / "replies" / path.name)
    docs = copy_hand_written_docs(work / "docs")
    generate(work / "data", docs, cache_dir=work / "cache")
    build_site(docs, work / "site", strict=False, extra={"pagefind_shard_pages": 50})
    base, stop = serve_directory(work / "site")
    yield base, work / "site"
    stop()


@pytest.mark.parametrize("where", ["hosted", "archive_300", "corpus_site"])
def test_find_agency_year_theme_gives_the_open_datas_replies(browser, request, where):
    base, site = request.getfixturevalue(where)
    names = slugs(site)
    triples = combinations(site)
    assert triples
    with guarded_page(browser, base) as page:
        for agency, year, theme in triples:
            params = {"agency": names["agency"][agency], "year": year, "theme": names["theme"][theme]}
            page.goto(open_find(browser, base, params))
            settled(page)
            expected = matching(site, agency, year, theme)
            assert expected and sorted(shown_ids(page)) == sorted(expected), (agency, year, theme)
            # Named as in every list (model.reply_label), whichever engine found them.
            titles = page.eval_on_selector_all("#find-results a", "links => links.map(a => a.textContent)")
            by_id = {r["id"]: r for r in records(site)}
            assert titles == [reply_label(by_id[i]["title"], by_id[i]["proposal_title"], i) for i in shown_ids(page)]
            # Each filter narrows: agency alone gives more (or as many), lead-only fewer.
            assert len(expected) <= len(matching(site, agency))
        lead_agency = triples[0][0]
        page.goto(open_find(browser, base, {"agency": names["agency"][lead_agency], "lead": "1"}))
        settled(page)
        assert sorted(shown_ids(page)) == sorted(matching(site, lead_agency, lead=True))


@pytest.mark.parametrize("where", ["hosted", "archive_300"])
def test_find_filters_chosen_on_the_page_are_in_the_address_and_restored(browser, request, where):
    base, site = request.getfixturevalue(where)
    names = slugs(site)
    agency, year, theme = combinations(site)[-1]
    with guarded_page(browser, base) as page:
        page.goto(open_find(browser, base, {}))
        settled(page)
        everything = page.inner_text("#find-status")
        assert str(len(records(site))) in everything
        for field, value in (("agency", names["agency"][agency]), ("year", str(year)), ("theme", names["theme"][theme])):
            before = page.get_attribute("#find-form", "data-shown")
            page.select_option(f"#find-{field}", value)
            settled(page, before)
        shared = page.url
        ids = sorted(shown_ids(page))
        assert ids == sorted(matching(site, agency, year, theme))
        query = parse_qs(urlparse(shared).query)
        assert query == {"agency": [names["agency"][agency]], "year": [str(year)], "theme": [names["theme"][theme]]}
        page.goto(open_find(browser, base, {}))  # somewhere else, then the shared address
        settled(page)
        page.goto(shared)
        settled(page)
        assert page.input_value("#find-agency") == names["agency"][agency]
        assert page.input_value("#find-year") == str(year)
        assert page.input_value("#find-theme") == names["theme"][theme]
        assert sorted(shown_ids(page)) == ids
        before = page.get_attribute("#find-form", "data-shown")
        page.click("#find-form button[type=reset]")
        settled(page, before)
        assert urlparse(page.url).query == "" and str(len(records(site))) in page.inner_text("#find-status")


@pytest.mark.parametrize("where", ["hosted", "archive_300", "corpus_site"])
def test_find_outcome_facet_and_counts_agree_with_the_open_data(browser, request, where):
    base, site = request.getfixturevalue(where)
    data = records(site)
    outcomes = Counter((r["classification"] or "none").lower() for r in data)
    assert len(outcomes) >= 3  # the site has several classes
    with guarded_page(browser, base) as page:
        page.goto(open_find(browser, base, {}))
        settled(page)
        options = page.eval_on_selector_all("#find-outcome option", "os => os.map(o => [o.value, o.text])")
        shown = {value: int(re.search(r"（(\d+)）$", text).group(1)) for value, text in options if value}
        assert shown == outcomes
        assert any("采纳" in text for _, text in options)  # a class is named by its meaning
        for value in outcomes:
            page.goto(open_find(browser, base, {"outcome": value}))
            settled(page)
            assert sorted(shown_ids(page)) == sorted(matching(site, outcome=value))
        # With a year chosen, each agency's count is its replies of that year.
        year = data[0]["year"]
        page.goto(open_find(browser, base, {"year": year}))
        settled(page)
        names = {v: k for k, v in slugs(site)["agency"].items()}
        options = page.eval_on_selector_all("#find-agency option", "os => os.map(o => [o.value, o.text])")
        for value, text in options[1:]:
            count = int(re.search(r"（(\d+)）$", text).group(1))
            assert count == len(matching(site, names[value], year)), text


def test_find_sorts_by_date_both_ways_over_a_merged_index(browser, corpus_site):
    base, site = corpus_site
    dates = {r["id"]: r["date"] or "" for r in records(site)}
    with guarded_page(browser, base) as page:
        for sort, newest_first in (("date", True), ("date-asc", False)):
            page.goto(open_find(browser, base, {"sort": sort}))
            settled(page)
            ids = shown_ids(page)
            assert sorted(ids) == sorted(dates)
            dated = [dates[i] for i in ids if dates[i]]
            assert dated == sorted(dated, reverse=newest_first)


def test_find_query_with_a_filter_finds_within_it(browser, hosted):
    base, site = hosted
    data = records(site)
    agency = data[0]["agency"]
    year = next(r["year"] for r in data if r["agency"] != agency)
    with guarded_page(browser, base) as page:
        page.goto(open_find(browser, base, {"query": agency, "year": year}))
        settled(page)
        ids = set(shown_ids(page))
        by_id = {r["id"]: r for r in data}
        assert ids and all(by_id[i]["year"] == year for i in ids)
        assert page.locator("#find-results mark").count() > 0  # excerpts mark the words found


def test_find_downloads_no_search_index_without_a_query_and_little_with_one(browser, hosted):
    """Pagefind asked for a filter without a query downloads every chunk of its index: the
    page filters by its own postings then; with a query it fetches that query's chunks."""
    base, site = hosted
    chunks = len(list((site / "pagefind" / "index").glob("*.pf_index")))
    data = records(site)
    with guarded_page(browser, base) as page:
        fetched = []
        page.on("requestfinished", lambda r: fetched.append(r.url))
        page.goto(open_find(browser, base, {"year": data[0]["year"]}))
        settled(page)
        assert not [url for url in fetched if "/pagefind/" in url]
        fetched.clear()
        page.goto(open_find(browser, base, {"year": data[0]["year"], "query": data[0]["agency"]}))
        settled(page)
        index = [url for url in fetched if "/pagefind/index/" in url]
        assert index and len(index) < chunks / 2, (len(index), chunks)


def test_find_under_a_sub_path_links_every_result(browser, built_site, tmp_path):
    """Hosted below the server's root (example.gov.cn/replies/), with and without a query:
    every result links to its page there."""
    work, result = built_site
    shutil.copytree(work / "site", tmp_path / "root" / "sub")
    base, stop = serve_directory(tmp_path / "root")
    agency = result.replies[0].agency
    try:
        with guarded_page(browser, base) as page:
            for params in ({}, {"query": agency}):
                page.goto(open_find(browser, f"{base}/sub", params))
                settled(page)
                hrefs = page.eval_on_selector_all("#find-results a", "links => links.map(a => a.href)")
                assert hrefs, params
                for href in hrefs:
                    assert href.startswith(f"{base}/sub/replies/") and page.request.get(href).status == 200, href
    finally:
        stop()
