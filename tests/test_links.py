"""Every link and asset of a built site resolves: a crawl of every HTML page, as hosted
(directory URLs) and as the offline archive (`.html` files). `mkdocs build --strict`
checks the Markdown links only; raw HTML in templates and hooks it never sees."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


from conftest import SITE_REPLIES
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


def test_links_hosted_site_every_target_resolves(site_300):
    site, _ = site_300
    assert len(list(site.rglob("*.html"))) > SITE_REPLIES
    assert broken_targets(site, directory_urls=True) == []


def test_links_archive_every_target_resolves(site_300):
    _, archive = site_300
    assert len(list(archive.rglob("*.html"))) > SITE_REPLIES
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
