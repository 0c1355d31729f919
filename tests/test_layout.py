"""Layout in the browser: lists as cards on phones with nothing scrolling sideways, the
commitments read once (links atop, text in the body), the print style sheet, the charts'
numbers as tables for assistive technology, unique landmark names, the keyboard path,
and screenshots of each page type on desktop and phone (tests/artifacts/, git-ignored,
to look at). Debian's Chromium through Playwright; pages served on 127.0.0.1, any other
request blocked and failing the test."""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import DESKTOP, first_key_page, guarded_page, serve_directory
from generator.charts import bar_chart
from generator.render import EXCERPT_CHARS, commitment_excerpt

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 390, "height": 844}




def _first_reply(site: Path) -> str:
    return f"replies/{next(p.name for p in sorted((site / 'replies').iterdir()) if p.name != 'page' and p.is_dir())}/"


def page_types(site: Path) -> list[str]:
    """One page of every type, a second page of a long listing among them."""
    rels = ["", "replies/", _first_reply(site), "agencies/", first_key_page(site, "agencies"), "themes/",
            first_key_page(site, "themes"), "sessions/", first_key_page(site, "sessions"), "proposers/",
            first_key_page(site, "proposers"), "years/", first_key_page(site, "years"), "about/", "404.html",
            "find/?year=2024", "commitments/", "proposers/pinyin/"]
    if (site / "replies" / "page" / "2" / "index.html").is_file():
        rels.append("replies/page/2/")
    return rels


@pytest.fixture(scope="module")
def small(built_site):
    """The sample site served: (base URL, site dir, generate result)."""
    work, result = built_site
    base, stop = serve_directory(work / "site")
    yield base, work / "site", result
    stop()


# --- Phones: cards, nothing wider than the screen -------------------------------------

SIDEWAYS = """() => {
  const wide = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) wide.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
  for (const box of document.querySelectorAll('.md-content *')) {
    const style = getComputedStyle(box);
    if (['auto', 'scroll'].includes(style.overflowX) && box.scrollWidth > box.clientWidth + 1)
      wide.push(`${box.tagName}.${box.className} ${box.scrollWidth} > ${box.clientWidth}`);
  }
  return wide;
}"""

CARDS = """() => [...document.querySelectorAll('.reply-list tbody tr')].map(row => {
  const [date, title, proposer, agency] = [...row.cells].map(c => c.getBoundingClientRect());
  return {display: getComputedStyle(row).display, titleAbove: title.bottom <= Math.min(date.top, proposer.top, agency.top) + 1,
          titleWide: title.width >= row.getBoundingClientRect().width * 0.8};
})"""


def test_phone_every_page_type_nothing_scrolls_sideways(browser, served_300):
    base, site = served_300
    found = {}
    with guarded_page(browser, base, PHONE) as page:
        for rel in page_types(site):
            page.goto(f"{base}/{rel}")
            if wide := page.evaluate(SIDEWAYS):
                found[rel] = wide
    assert found == {}


def test_phone_reply_lists_are_cards_titlefirst_key_page(browser, served_300):
    base, site = served_300
    with guarded_page(browser, base, PHONE) as page:
        for rel in ("", "replies/", first_key_page(site, "agencies"), first_key_page(site, "themes"), first_key_page(site, "years")):
            page.goto(f"{base}/{rel}")
            cards = page.evaluate(CARDS)
            assert cards, rel
            assert all(c["display"] == "flex" and c["titleAbove"] and c["titleWide"] for c in cards), (rel, cards[:2])


def test_desktop_reply_lists_stay_tables(browser, served_300):
    base, _ = served_300
    with guarded_page(browser, base, DESKTOP) as page:
        page.goto(f"{base}/replies/")
        cards = page.evaluate(CARDS)
        assert cards and all(c["display"] == "table-row" and not c["titleAbove"] for c in cards)


# --- Commitments: links atop, the text once in the body --------------------------------

def test_commitment_excerpt_drops_lead_and_stays_short():
    text = "下一步，" + "甲单位将继续推进某项工作" + "，" + "乙" * 80 + "。"
    excerpt = commitment_excerpt(text)
    assert excerpt == "甲单位将继续推进某项工作…"
    assert len(commitment_excerpt("下一步，" + "丙" * 200)) == EXCERPT_CHARS
    assert commitment_excerpt("一是加强领导。") == "一是加强领导"  # whole: no "…"
    assert commitment_excerpt("1.持续优化学科建设相关工作，推进另一项") == "持续优化学科建设相关工作…"  # the list numbers it
    assert commitment_excerpt("（二）完善某某机制建设工作体系，推进另一项") == "完善某某机制建设工作体系…"


def _commitment_pages(site: Path) -> list[str]:
    return [f"replies/{p.parent.name}/" for p in sorted((site / "replies").glob("*/index.html"))
            if 'class="reply-commitment"' in p.read_text(encoding="utf-8")]


def test_reply_commitments_block_links_each_marked_paragraph(browser, small):
    base, site, _ = small
    pages = _commitment_pages(site)
    assert pages
    with guarded_page(browser, base) as page:
        for rel in pages:
            page.goto(f"{base}/{rel}")
            marked = page.locator("p.reply-commitment")
            ids = marked.evaluate_all("els => els.map(e => e.id)")
            links = page.locator(".reply-commitments li a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
            assert links == [f"#{i}" for i in ids] and all(ids), rel
            block = page.inner_text(".reply-commitments")
            for text in marked.all_inner_texts():
                assert text.strip() not in block  # the text is in the body only
            page.locator(".reply-commitments li a").last.click()
            assert page.evaluate("location.hash") == f"#{ids[-1]}"
            assert marked.last.is_visible()


# --- Print ----------------------------------------------------------------------------

CHROME = (".md-header", ".md-tabs", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-search", ".md-footer",
          ".md-top", ".reply-commitments")


def test_print_reply_hides_chrome_shows_source_and_commitments_once(browser, small):
    base, site, result = small
    rel = _commitment_pages(site)[0]
    reply = next(r for r in result.replies if r.id in rel)
    with guarded_page(browser, base) as page:
        page.goto(f"{base}/{rel}")
        assert not page.locator(".reply-source").is_visible()  # on paper only
        page.emulate_media(media="print")
        for chrome in CHROME:
            shown = [page.locator(chrome).nth(n).is_visible() for n in range(page.locator(chrome).count())]
            assert not any(shown), chrome
        source = page.locator(".reply-source")
        assert source.is_visible()
        line = source.inner_text()
        assert reply.agency in line and f"{reply.date.year}年{reply.date.month}月{reply.date.day}日" in line
        assert f"{base}/{rel}" in line
        printed = page.inner_text("body")
        for text in page.locator("p.reply-commitment").all_inner_texts():
            assert printed.count(text.strip()) == 1, text[:20]
        assert page.pdf()[:4] == b"%PDF"


def test_print_line_and_commitments_block_kept_out_of_search_index(small):
    """Both repeat what the page says elsewhere; in the index they opened every result."""
    _, site, _ = small
    texts = [d["text"] for d in json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]]
    page = (site / _commitment_pages(site)[0] / "index.html").read_text(encoding="utf-8")
    line = re.search(r'<p class="print-only reply-source"[^>]*>([^<]+)<', page)[1]
    intro = re.search(r'class="[^"]*reply-commitments"[^>]*>\s*<p class="admonition-title">[^<]*</p>\s*<p>([^<]+)</p>', page)[1]
    assert line and intro
    assert not any(line in text or intro in text for text in texts)


def test_print_address_is_canonical_url_when_known(browser, small):
    base, _, _ = small
    with guarded_page(browser, base) as page:
        page.goto(f"{base}/about/?h=x#top")
        page.emulate_media(media="print")
        assert page.inner_text(".print-permalink") == f"本页地址：{base}/about/"  # no query, no anchor
        page.evaluate("""() => { const link = document.createElement('link');
            link.rel = 'canonical'; link.href = 'https://example.org/site/about/';
            document.head.append(link); window.dispatchEvent(new Event('beforeprint')); }""")
        assert page.inner_text(".print-url") == "https://example.org/site/about/"


# --- Charts: the numbers as tables ----------------------------------------------------

class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def test_bar_chart_table_holds_every_bar_svg_hidden():
    items = [("<甲>", 3), ("乙" * 20, 12), ("丙", 0)]
    chart = bar_chart("标题", items, "c", ("名称", "件数"))
    table = chart[chart.index("<table"):]
    cells = _Cells()
    cells.feed(table)
    assert cells.rows == [["名称", "件数"], ["<甲>", "3"], ["乙" * 20, "12"], ["丙", "0"]]  # labels whole, unescaped
    assert 'aria-hidden="true"' in chart[:chart.index("<table")]
    assert bar_chart("标题", [], "c") == ""


def test_home_charts_numbers_reach_assistive_technology(browser, small):
    base, _, result = small
    counts = {"chart-sessions": Counter(r.session for r in result.replies if r.session),
              "chart-agencies": Counter(r.agency for r in result.replies if r.agency),
              "chart-themes": Counter(t for r in result.replies for t in r.themes)}
    with guarded_page(browser, base) as page:
        page.goto(base + "/")
        for chart_id, expected in counts.items():
            chart = page.locator(f"#{chart_id}")
            assert chart.locator("svg").get_attribute("aria-hidden") == "true"
            caption = chart.locator("caption").inner_text()
            table = page.get_by_role("table", name=caption)  # found through the accessibility tree
            rows = table.get_by_role("row").all()[1:]
            shown = {row.get_by_role("rowheader").inner_text(): int(row.get_by_role("cell").inner_text()) for row in rows}
            assert shown and all(expected[label] == value for label, value in shown.items()), (chart_id, shown)
            assert len(shown) == chart.locator("rect").count()
            assert table.evaluate("t => t.parentElement.getBoundingClientRect().width") <= 1  # visually hidden


# --- Landmarks ------------------------------------------------------------------------

LANDMARK_RULES = ["landmark-unique", "landmark-no-duplicate-main", "landmark-one-main", "landmark-no-duplicate-banner",
                  "landmark-no-duplicate-contentinfo", "landmark-main-is-top-level", "landmark-banner-is-top-level",
                  "landmark-contentinfo-is-top-level", "landmark-complementary-is-top-level", "region"]


# A tablet shows the table of contents and the drawer's nav, a desktop the nav as a sidebar;
# a phone shows fewer landmarks than either.
@pytest.mark.parametrize("viewport", [{"width": 1000, "height": 800}, DESKTOP], ids=["tablet", "desktop"])
def test_landmarks_unique_names_every_page_type(browser, served_300, viewport):
    """Every landmark rule of axe-core (moderate ones such as landmark-unique included) on
    every page type: a list's pager and the nav's sections were unnamed navs alike."""
    axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python")
    base, site = served_300
    found = {}
    with guarded_page(browser, base, viewport) as page:
        for rel in page_types(site):
            page.goto(f"{base}/{rel}")
            result = axe_sync.Axe().run(page, options={"runOnly": LANDMARK_RULES})
            violations = [f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in result.response["violations"]]
            # Every nav named, shown or not: one unnamed nav is no duplicate for axe until a second comes.
            violations += [f"unnamed nav: {html}" for html in page.evaluate(UNNAMED_NAVS)]
            if violations:
                found[rel] = violations
    assert found == {}


UNNAMED_NAVS = """() => [...document.querySelectorAll('nav')].filter(nav => {
  const by = nav.getAttribute('aria-labelledby');
  const name = nav.getAttribute('aria-label') || (by ? by.split(' ').map(id => document.getElementById(id)?.textContent || '').join('') : '');
  return !name.trim();
}).map(nav => nav.outerHTML.slice(0, 120))"""


def test_name_section_navs_names_a_nav_by_its_title():
    from generator.mkdocs_hooks import name_section_navs

    material = ('<nav class="md-nav" data-md-level="1" aria-labelledby="__nav_3_label" aria-expanded="false">\n'
                '  <label class="md-nav__title" for="__nav_3">\n    <span class="md-nav__icon md-icon"></span>\n'
                '    甲 &amp; 乙\n  </label>')
    named = name_section_navs(material)
    assert 'aria-label="甲 &amp; 乙"' in named and "aria-labelledby" not in named
    assert named.endswith(material[material.index(' aria-expanded'):])
    untitled = material.replace("甲 &amp; 乙", "")
    assert name_section_navs(untitled) == untitled  # nothing better than what Material wrote


# --- Keyboard -------------------------------------------------------------------------

FOCUSED = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  // The ring against what lies around it (the first opaque background among the
  // ancestors): a ring of at least 3:1 (WCAG 1.4.11), 1.5 px or wider.
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let around = parseFloat(s.outlineOffset) < 0 ? e : e.parentElement;  // a ring drawn inside lies on e
  while (around && (rgb(getComputedStyle(around).backgroundColor)[3] === 0 ||
                    getComputedStyle(around).backgroundColor === 'transparent')) around = around.parentElement;
  const bg = around ? rgb(getComputedStyle(around).backgroundColor) : [255, 255, 255];
  const [a, b] = [lum(rgb(s.outlineColor)), lum(bg)].sort((x, y) => y - x);
  const contrast = (a + 0.05) / (b + 0.05);
  return {tag: e.tagName, cls: String(e.className), href: e.getAttribute('href') || '',
          inList: !!e.closest('.reply-list'), inTabs: !!e.closest('.md-tabs'), contrast: Math.round(contrast * 10) / 10,
          ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1.5 && contrast >= 3};
}"""


def test_keyboard_skip_link_first_then_search_tabs_list_with_visible_focus(browser, small):
    base, _, _ = small
    with guarded_page(browser, base) as page:
        page.goto(f"{base}/replies/")
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUSED)
        assert "md-skip" in first["cls"] and first["ring"], first
        page.wait_for_function("getComputedStyle(document.activeElement).opacity === '1'", timeout=2_000)  # shown
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == first["href"]
        page.goto(f"{base}/replies/")
        reached, unringed = set(), []
        for _ in range(80):  # on through the list and the footer, back to the page's start
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused["tag"] == "BODY":
                break
            if not focused["ring"]:
                page.wait_for_timeout(300)  # the search box turns white as it opens
                if not (focused := page.evaluate(FOCUSED))["ring"]:
                    unringed.append(focused)
            if "md-search__input" in focused["cls"]:
                reached.add("search")
            if focused["inTabs"]:
                reached.add("tabs")
            if focused["inList"]:
                reached.add("list")
        assert reached == {"search", "tabs", "list"}
        assert unringed == []


ON_SCREEN = """() => { const r = document.activeElement.getBoundingClientRect();
  return r.right > 0 && r.left < innerWidth && r.width > 0; }"""


def test_keyboard_phone_drawer_opens_by_keyboard_closed_takes_no_focus(browser, small):
    """On a phone the nav drawer, closed, sat off screen in the Tab order, and its menu
    button (a label) took no focus."""
    base, _, _ = small
    with guarded_page(browser, base, PHONE) as page:
        page.goto(f"{base}/replies/")
        off_screen = []
        for _ in range(12):
            page.keyboard.press("Tab")
            if "md-search__" not in page.evaluate(FOCUSED)["cls"] and not page.evaluate(ON_SCREEN):
                off_screen.append(page.evaluate(FOCUSED))  # the search opens on focus; it is on screen then
        assert off_screen == []
        page.goto(f"{base}/replies/")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        button = page.evaluate(FOCUSED)
        assert button["tag"] == "LABEL" and "md-header__button" in button["cls"] and button["ring"]
        page.keyboard.press("Enter")
        # Once the drawer has slid in, focus is on a link in it that is seen (not covered).
        page.wait_for_function("document.activeElement.closest('.md-sidebar--primary') !== null", timeout=2_000)
        assert page.evaluate(ON_SCREEN)
        assert page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect();
            return e.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)); }""")
        page.keyboard.press("Escape")
        assert page.evaluate(FOCUSED)["cls"] == button["cls"]
        assert page.evaluate("document.getElementById('__drawer').checked") is False


# --- Screenshots ----------------------------------------------------------------------

def test_screenshots_desktop_and_phone_every_page_type(browser, small):
    """Saved in tests/artifacts/ to be looked at; on a phone the lists are cards."""
    base, site, _ = small
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {"home": "", "reply": _commitment_pages(site)[0], "agency": first_key_page(site, "agencies"),
             "agencies": "agencies/", "404": "404.html", "find": "find/?year=2024"}
    for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        with guarded_page(browser, base, viewport) as page:
            for name, rel in pages.items():
                page.goto(f"{base}/{rel}")
                if name == "find":
                    page.wait_for_selector("#find-results > li")
                if device == "phone" and page.locator(".reply-list").count():
                    assert page.evaluate(CARDS)[0]["display"] == "flex"
                page.wait_for_timeout(400)  # the tabs fade in
                page.screenshot(path=str(ARTIFACTS / f"{name}-{device}.png"), full_page=name != "reply")
            page.goto(base + "/")
            if device == "phone":
                page.locator('label.md-header__button[for="__search"]').click()
            box = page.locator("input.md-search__input")
            box.click()
            query = page.locator(".reply-list td").nth(3).inner_text()  # the first reply's agency
            box.fill(query)
            box.press("End")
            page.wait_for_selector(".md-search-result__item", timeout=10_000)
            page.wait_for_timeout(300)
            page.screenshot(path=str(ARTIFACTS / f"search-{device}.png"))
    assert len(list(ARTIFACTS.glob("*-desktop.png"))) >= 7 and len(list(ARTIFACTS.glob("*-phone.png"))) >= 7
