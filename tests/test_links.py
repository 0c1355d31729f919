"""Every link and asset of a built site resolves: a crawl of every HTML page, as hosted
(directory URLs) and as the offline archive (`.html` files). `mkdocs build --strict`
checks the Markdown links only; raw HTML in templates and hooks it never sees."""

from __future__ import annotations

import posixpath
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from conftest import copies_data_dir, copy_hand_written_docs
from generator.archive import build_archive
from generator.pipeline import generate
from generator.site import build_site

REPLIES = 300
EXTERNAL = ("http:", "https:", "mailto:", "tel:", "data:", "blob:")
LINKING = {("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("source", "src"),
           ("iframe", "src"), ("use", "href"), ("image", "href")}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            if (tag, name) in LINKING and value is not None:
                self.links.append(value)
            if (tag, name) == ("use", "xlink:href") and value:
                self.links.append(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def _target(site: Path, base: str, href: str) -> tuple[Path | None, str]:
    """The file `href` on the page at URL path `base` points to (None: outside the
    site), and its fragment."""
    url = urlsplit(urljoin("http://site" + base, href))
    path = posixpath.normpath(unquote(url.path))
    if not path.startswith("/") or path.startswith("/.."):
        return None, url.fragment
    file = site / path.lstrip("/")
    if url.path.endswith("/") or file.is_dir():
        file = file / "index.html"
    return file, url.fragment


def broken_targets(site: Path, directory_urls: bool) -> list[str]:
    """Every href/src of every HTML page under `site` that does not resolve to a file of
    the site, or whose #fragment is no id of its page; as `page -> link (why)`."""
    pages = {p: None for p in sorted(site.rglob("*.html"))}
    broken = []
    for path in pages:
        rel = path.relative_to(site).as_posix()
        base = "/" + (rel[: -len("index.html")] if directory_urls and rel.endswith("index.html") else rel)
        for href in _parse(path).links:
            if not href or href.startswith(EXTERNAL) or href.startswith("javascript:"):
                if href.startswith("javascript:"):
                    broken.append(f"{rel} -> {href} (a script link)")
                continue
            target, fragment = _target(site, base, href)
            if target is None or not target.is_file():
                broken.append(f"{rel} -> {href} (no such file)")
                continue
            if fragment and target.suffix == ".html":
                if pages.get(target) is None:
                    pages[target] = _parse(target)
                if unquote(fragment) not in pages[target].ids:
                    broken.append(f"{rel} -> {href} (no #{fragment} there)")
    return broken


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """A 300-reply site built as hosted and as the offline archive (unzipped)."""
    work = tmp_path_factory.mktemp("links")
    data = copies_data_dir(work / "data", REPLIES)
    docs = copy_hand_written_docs(work / "docs")
    result = generate(data, docs, cache_dir=work / "cache")
    build_site(docs, work / "site", strict=True)
    archive = build_archive(docs, len(result.replies), out=work / "out" / "site.zip", strict=True,
                            day=date(2025, 7, 1))
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(work / "archive")
    root = next(p for p in (work / "archive").iterdir() if p.is_dir())
    return work / "site", root


def test_links_hosted_site_every_target_resolves(sites):
    site, _ = sites
    assert len(list(site.rglob("*.html"))) > REPLIES
    assert broken_targets(site, directory_urls=True) == []


def test_links_archive_every_target_resolves(sites):
    _, archive = sites
    assert len(list(archive.rglob("*.html"))) > REPLIES
    assert broken_targets(archive, directory_urls=False) == []


def test_links_crawler_finds_broken_links(tmp_path):
    """The crawl can fail: a missing file, a missing anchor, and a link written relative to
    the Markdown file, which directory URLs put one folder deeper."""
    for rel, html in {
        "a/index.html": '<p id="here"><a href="../b/">b</a><a href="#here">ok</a><a href="../b/#nowhere">x</a>'
                        '<link href="missing.css"></p>',
        "b/index.html": '<h1 id="top">b</h1>',
        "replies/x/index.html": '<a href="../data/replies.json">JSON</a><a href="../../data/replies.json">ok</a>',
        "data/replies.json": "[]",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(html, encoding="utf-8")
    assert broken_targets(tmp_path, directory_urls=True) == [
        "a/index.html -> ../b/#nowhere (no #nowhere there)", "a/index.html -> missing.css (no such file)",
        "replies/x/index.html -> ../data/replies.json (no such file)"]


def test_links_pagefind_site_every_target_resolves(pagefind_site):
    """A large site's search engine (Pagefind) brings its own assets: they resolve too."""
    site, _ = pagefind_site
    assert broken_targets(site, directory_urls=True) == []
