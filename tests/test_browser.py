"""Browser tests: Debian's Chromium driven by Playwright against the built sample site
served on 127.0.0.1. Any request leaving 127.0.0.1 is blocked and fails the test.
Screenshots are saved under tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import guarded_page, serve_directory

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def server(built_site):
    work, result = built_site
    base, stop = serve_directory(work / "site")
    yield base, result
    stop()


@pytest.fixture(scope="module")
def material_server(material_site):
    site, result = material_site
    base, stop = serve_directory(site)
    yield base, result
    stop()


@pytest.fixture
def page(browser, server):
    base, _ = server
    with guarded_page(browser, base) as page:
        yield page


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_home_page_totals_charts_newest(page, server):
    base, result = server
    page.goto(base + "/")
    text = page.inner_text("article")
    assert f"{len(result.replies)} 件答复" in text
    charts = page.locator(".chart svg")
    assert charts.count() == 3
    for n in range(3):
        assert charts.nth(n).locator("rect").count() >= 1
    newest = page.locator("article table").first.locator("tbody tr")
    assert newest.count() == len(result.replies)
    shot(page, "home")


def test_agency_page_lists_lead_and_co_replies(page, server):
    base, _ = server
    page.goto(base + "/agencies/jl-science-tech/")
    assert page.inner_text("h1") == "吉林省科学技术厅"
    tables = page.locator("article .reply-list table")  # the outcome counts come first, then the lists
    lead = tables.nth(0).inner_text()
    co = tables.nth(1).inner_text()
    assert "战滨华" in lead and "王乃晶" in lead and "民进省委会" in lead
    assert "徐川" in co and "民建省委会" in co
    tables.nth(0).locator("a").first.click()
    page.wait_for_load_state()
    assert "/replies/" in page.url


def test_reply_page_card_sections_commitments_related(page, server):
    base, _ = server
    page.goto(base + "/replies/002_1b3f1d40111f6f91/")
    card = page.locator(".reply-card")
    for label in ("提出者", "会议", "承办单位", "会办单位", "文号", "答复日期", "主题"):
        assert label in card.inner_text()
    hrefs = card.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    for folder in ("agencies/", "sessions/", "themes/", "proposers/", "years/"):
        assert any(folder in h for h in hrefs), folder
    assert page.locator("article h2").all_inner_texts()[:3] == [
        "一、关于“坚持政策引领，促进融合发展”的建议", "二、关于“优化产业集群，加快成果转化”的建议",
        "三、关于“强化人才培养，提高创新能力”的建议"]
    promised = page.locator(".reply-commitments li a")  # links to the marked paragraphs
    assert promised.count() >= 5
    assert page.locator("p.reply-commitment").first.inner_text().startswith("下一步")
    assert page.locator("p.reply-commitment").count() == promised.count()
    related = page.locator("#related + ul li a")
    assert 3 <= related.count() <= 5
    assert "13006159985" not in page.content()
    shot(page, "reply")
    # The card's agency link leads to the agency page, which links back.
    card.get_by_role("link", name="吉林省工业和信息化厅").click()
    page.wait_for_load_state()
    assert page.inner_text("h1") == "吉林省工业和信息化厅"
    assert page.locator('a[href*="002_1b3f1d40111f6f91"]').count() >= 1


def search(page, base, query):
    page.goto(base + "/")
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    box.press("End")  # Material searches on key events; an IME commit sends them too
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    return page.locator(".md-search-result__item > .md-search-result__link").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("民建省委会", "002_1b3f1d40111f6f91"),
        ("王乃晶", "003_b7eee806dff20c32"),
        ("粤港澳大湾区", "001_efe964a827ed06ef"),
        ("省发改委", "000_efa8fdae100aaa57"),
        ("发展和改革委员会", "000_efa8fdae100aaa57"),
        ("1012", "002_1b3f1d40111f6f91"),
        ("光电信息", "002_1b3f1d40111f6f91"),
        ("黑土地", "001_efe964a827ed06ef"),
    ],
)
def test_search_chinese_query_finds_reply_first(browser, material_server, query, expected):
    """Material's own search (jieba-segmented index, as `extra.search_engine: material`
    builds it): agency short forms and names are found."""
    base, _ = material_server
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    hrefs = search(page, base, query)
    assert expected in hrefs[0], hrefs[:3]
    assert not errors, errors
    context.close()


def test_search_screenshot(page, server):
    base, _ = server
    search(page, base, "民建省委会")
    page.wait_for_timeout(300)
    shot(page, "search")


@pytest.fixture(scope="module")
def pagefind_server(pagefind_site):
    site, result = pagefind_site
    base, stop = serve_directory(site)
    yield base, result
    stop()


@pytest.mark.parametrize("query, expected", [
    ("王乃晶", "003_b7eee806dff20c32"),
    ("粤港澳大湾区", "001_efe964a827ed06ef"),
    ("黑土地", "001_efe964a827ed06ef"),
    ("黑土地保护", "001_efe964a827ed06ef"),  # cut by the browser where the index did not
    ("1012", "002_1b3f1d40111f6f91"),
])
def test_search_pagefind_in_materials_box_finds_and_highlights(browser, pagefind_server, query, expected):
    """Material's search box and result list, answered by Pagefind: the reply is found,
    the match marked as Material marks it, and its link highlights the term on the page."""
    base, _ = pagefind_server
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    hrefs = search(page, base, query)
    assert expected in hrefs[0], hrefs[:3]
    first = page.locator(".md-search-result__item").first
    marks = first.locator("mark[data-md-highlight]").all_inner_texts()
    assert marks and all(mark in query for mark in marks), marks  # Pagefind marks the words it matched
    assert any("/pagefind/" in url for url in fetched)
    page.locator(".md-search-result__item > .md-search-result__link").first.click()
    page.wait_for_load_state()
    assert expected in page.url and "h=" in page.url
    assert not errors, errors
    context.close()


def _cite_expected(page, result, reply_id, url):
    """What the citation block of `reply_id` should read once cite.js has run: its text
    form (fields from the reply's record, the access date the browser's local today)."""
    import json

    from generator.pipeline import load_context

    from conftest import DATA

    record = next(r for r in result.replies if r.id == reply_id).record()
    today = page.evaluate("() => { const d = new Date(); return [d.getFullYear(), d.getMonth() + 1, d.getDate()]; }")
    day = "%04d-%02d-%02d" % tuple(today)
    publisher = load_context(DATA).site.publisher
    number = f": {record['doc_number']}" if record["doc_number"] else ""
    text = (f"{record['agency']}. {record['title']}{number}[EB/OL]. {publisher}, {record['year']}({record['date']})"
            f"[{day}]. {url}.")
    return record, today, day, text, json


CITED = "002_1b3f1d40111f6f91"


@pytest.fixture(scope="module")
def offline_site(built_site, tmp_path_factory):
    """The sample site built as the offline archive is (pages opened from disk)."""
    from generator.site import build_site

    work, _ = built_site
    site = tmp_path_factory.mktemp("offline") / "site"
    build_site(work / "docs", site, strict=True, offline=True)
    return site


@pytest.mark.parametrize("where", ["server", "file"])
def test_reply_citation_filled_and_copied(browser, server, built_site, request, where):
    """The script fills in the page's address and today's date, and each copy button puts
    its form on the clipboard and says so: served on 127.0.0.1 through the Clipboard API;
    opened from disk (the offline archive) without one, by a selection copied with
    execCommand."""
    from conftest import parse_bibtex

    _, result = built_site
    if where == "server":
        base = server[0]
        url = f"{base}/replies/{CITED}/"
    else:
        base = request.getfixturevalue("offline_site").as_uri()
        url = f"{base}/replies/{CITED}.html"
    with guarded_page(browser, base) as page:
        if where == "server":
            page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        else:  # as a browser without the Clipboard API; what a copy puts on the clipboard is caught
            page.add_init_script("""Object.defineProperty(Navigator.prototype, "clipboard", {get: () => undefined});
                document.addEventListener("copy", (event) => { const area = event.target;
                  window.copied = area.value.slice(area.selectionStart, area.selectionEnd); });""")
        page.goto(url)
        record, today, day, text, json = _cite_expected(page, result, CITED, url)
        block = page.locator(".reply-cite")
        assert block.locator('[data-cite-form="text"]').inner_text() == text
        copied = {}
        for name in ("text", "bibtex", "csl"):
            button = block.locator(f'button[data-copy="{name}"]')
            assert button.is_visible()
            button.click()
            page.wait_for_function("() => document.querySelector('.cite-status').textContent.startsWith('已复制')")
            copied[name] = page.evaluate("navigator.clipboard.readText()" if where == "server" else "window.copied")
        assert block.locator(".cite-status").get_attribute("role") == "status"
    assert copied["text"] == text
    kind, key, fields = parse_bibtex(copied["bibtex"])
    assert (kind, key) == ("online", CITED) and fields["url"] == url and fields["urldate"] == day
    assert fields["title"] == record["title"] and fields["author"] == record["agency"]
    assert fields["number"] == record["doc_number"] and fields["date"] == record["date"]
    [item] = json.loads(copied["csl"])
    assert item["URL"] == url and item["accessed"] == {"date-parts": [today]}
    assert item["title"] == record["title"] and item["author"] == [{"literal": record["agency"]}]
