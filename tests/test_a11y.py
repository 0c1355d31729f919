"""Accessibility: axe-core (bundled with axe-playwright-python, nothing downloaded) run
in Chromium on every page type of a built 300-reply site, hosted and in its offline
archive; no serious or critical violation (WCAG 2.1 AA rules among them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import first_key_page

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python")

SERIOUS = ("serious", "critical")




def _violations(page) -> list[str]:
    result = axe_sync.Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
            for v in result.response["violations"] if v["impact"] in SERIOUS]




def _page_types(site: Path) -> list[str]:
    return ["", "replies/", "replies/r000/", "agencies/", first_key_page(site, "agencies"), "themes/", first_key_page(site, "themes"),
            "sessions/", first_key_page(site, "sessions"), "proposers/", first_key_page(site, "proposers"), "years/",
            first_key_page(site, "years"), "about/", "quality/", "404.html", "find/?year=2024",
            "commitments/", "proposers/pinyin/"]


def test_a11y_every_page_type_no_serious_violation(browser, served_300):
    base, site = served_300
    page = browser.new_page()
    found = {}
    for rel in _page_types(site):
        page.goto(f"{base}/{rel}")
        if violations := _violations(page):
            found[rel] = violations
    page.close()
    assert found == {}


def test_a11y_search_open_no_serious_violation(browser, served_300):
    base, _ = served_300
    page = browser.new_page()
    page.goto(base + "/")
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("答复")
    box.press("End")
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    assert _violations(page) == []
    page.close()


def test_a11y_archive_pages_no_serious_violation(browser, site_300):
    _, archive = site_300
    page = browser.new_page()
    found = {}
    for rel in ("index.html", "replies/r000.html", "agencies/index.html", "about.html", "find/index.html"):
        page.goto((archive / rel).as_uri())
        if violations := _violations(page):
            found[rel] = violations
    page.close()
    assert found == {}
