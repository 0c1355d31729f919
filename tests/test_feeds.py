"""Atom feeds: valid Atom a feed reader takes, the newest replies of each scope with stable
ids, byte-identical on regeneration, nothing of withheld replies nor of summary-only
bodies; linked from the pages' heads and visibly; links fit for where they are hosted."""

from __future__ import annotations

import html
import posixpath
import re
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest
import yaml
from lxml import etree

from generator.config import SiteConfig, load_site_config
from generator.feeds import FEED_SIZE, SITE_FEED, UNDATED, agency_replies, atom, entry_id, feed_path
from generator.index import newest_first, proposer_names
from generator.mkdocs_hooks import localise_feeds
from generator.model import Reply, reply_summary
from generator.pipeline import collect, generate, render_all

from conftest import DATA, copies_data_dir, copy_hand_written_docs
from test_render import make_reply

ATOM = "http://www.w3.org/2005/Atom"
HOST = "https://example.org/sub/"
COPIES = 130  # more than FEED_SIZE in the site's feed and in the themes most replies share
WITHHELD, HOSTILE, SUMMARY, UNDATED_ID = "r000", "r001", "r002", "r003"
HOSTILE_TITLE = "<script>alert('x')</script> & AT&T ]]> \"引号\""
SIDECARS = {
    WITHHELD: "publish: false\nproposer: 隐去者\nproposer_type: 委员\n",
    SUMMARY: "publish: summary\n",
    UNDATED_ID: "date: null\nproposer: 无日期者\nproposer_type: 代表\n",
}


def parse(xml: bytes | str, path: str):
    """A feed as a reader fetching it from HOST gets it."""
    return feedparser.parse(xml.encode("utf-8") if isinstance(xml, str) else xml, response_headers={
        "content-location": HOST + path, "content-type": "application/atom+xml"})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """COPIES sample replies with the SIDECARS and a hostile proposal title, generated
    twice into two docs dirs: (result, docs, the other docs, the site's config)."""
    work = tmp_path_factory.mktemp("feeds")
    data = copies_data_dir(work / "data", COPIES)
    sidecars = {**SIDECARS, HOSTILE: yaml.safe_dump({"proposal_title": HOSTILE_TITLE}, allow_unicode=True)}
    for stem, text in sidecars.items():
        (data / "replies" / f"{stem}.yml").write_text(text, encoding="utf-8")
    docs = [copy_hand_written_docs(work / name) for name in ("docs", "again")]
    result = generate(data, docs[0], cache_dir=work / "cache")
    generate(data, docs[1], cache_dir=work / "cache-again")
    return result, docs[0], docs[1], load_site_config(data)


def feed_files(docs: Path) -> dict[str, bytes]:
    return {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted((docs / "feeds").rglob("*"))
            if p.is_file()}


def scopes(result) -> dict[str, list[Reply]]:
    """Every feed's path → the replies in its scope, found from the replies' own fields."""
    index, replies = result.index, list(result.replies)
    out = {SITE_FEED: replies}
    for agency in index.agencies:
        out[feed_path(agency)] = [r for r in replies if agency in
                                  {index.agency_by_name[n] for n in (r.agency, *r.co_agencies) if n}]
    for theme in index.themes:
        out[feed_path(theme)] = [r for r in replies if theme.name in r.themes]
    for proposer in index.proposers:
        out[feed_path(proposer)] = [r for r in replies if proposer.name in proposer_names(r)]
    return out


def test_feeds_parse_as_atom_without_error(run):
    result, docs, _, _ = run
    files = feed_files(docs)
    assert set(files) == set(scopes(result))  # one feed per scope, none else
    for path, xml in files.items():
        feed = parse(xml, path)
        assert feed.bozo == 0, (path, feed.get("bozo_exception"))
        assert feed.version == "atom10" and feed.namespaces[""] == ATOM
        assert etree.fromstring(xml).tag == f"{{{ATOM}}}feed"


def test_feeds_hold_the_newest_replies_of_their_scope(run):
    result, docs, _, _ = run
    files = feed_files(docs)
    for path, members in scopes(result).items():
        expected = newest_first(members)[:FEED_SIZE]
        feed = parse(files[path], path)
        assert [e.link for e in feed.entries] == [f"{HOST}replies/{r.id}/" for r in expected], path
        assert [e.title for e in feed.entries] == [r.label for r in expected]
        assert len({e.id for e in feed.entries}) == len(expected)
    assert len(result.replies) > FEED_SIZE and len(parse(files[SITE_FEED], SITE_FEED).entries) == FEED_SIZE


def test_feed_entry_summary_author_and_themes_from_the_record(run):
    result, docs, _, _ = run
    by_id = {r.id: r for r in result.replies}
    feed = parse(feed_files(docs)[SITE_FEED], SITE_FEED)
    for entry in feed.entries:
        reply = by_id[entry.link.rstrip("/").rpartition("/")[2]]
        assert entry.summary == reply_summary(reply.record())
        assert entry.author == reply.agency
        assert [t.term for t in entry.tags] == list(reply.themes)


def test_feed_entry_ids_stable_across_feeds_and_runs(run):
    result, docs, again, _ = run
    ids: dict[str, set[str]] = {}
    for tree in (docs, again):
        for path, xml in feed_files(tree).items():
            for entry in parse(xml, path).entries:
                ids.setdefault(entry.link, set()).add(entry.id)
    assert all(len(found) == 1 for found in ids.values())  # one id per reply, wherever it is listed
    agency = result.index.agency_by_name[result.replies[0].agency]
    in_agency = {e.link: e.id for e in parse(feed_files(docs)[feed_path(agency)], feed_path(agency)).entries}
    in_site = {e.link: e.id for e in parse(feed_files(docs)[SITE_FEED], SITE_FEED).entries}
    shared = in_agency.keys() & in_site.keys()
    assert shared and all(in_agency[link] == in_site[link] for link in shared)
    assert len(set(in_site.values())) == len(in_site)


def test_feed_entry_id_depends_on_site_title_and_reply_id_only():
    one, other = SiteConfig(site_title="甲站"), SiteConfig(site_title="乙站")
    assert entry_id(one, "r1") == entry_id(SiteConfig(site_title="甲站", publisher="别的"), "r1")
    assert len({entry_id(one, "r1"), entry_id(one, "r2"), entry_id(other, "r1")}) == 3
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", entry_id(one, "r1"))


def test_feeds_regenerated_byte_identical(run):
    _, docs, again, _ = run
    assert feed_files(docs) == feed_files(again)


def test_feed_updated_is_its_newest_reply_date(run):
    result, docs, _, _ = run
    files = feed_files(docs)
    for path, members in scopes(result).items():
        feed = parse(files[path], path)
        dated = [r.date for r in members if r.date]
        expected = datetime.combine(max(dated), datetime.min.time(), timezone(timedelta(hours=8))) if dated \
            else UNDATED
        assert datetime.fromisoformat(feed.feed.updated) == expected, path
        assert date.today().isoformat() not in files[path].decode()  # nothing of the run's time


def test_undated_reply_has_fixed_updated_and_no_published(run):
    result, docs, _, _ = run
    proposer = result.index.proposer_by_name["无日期者"]
    feed = parse(feed_files(docs)[feed_path(proposer)], feed_path(proposer))
    [entry] = feed.entries
    assert entry.link.endswith(f"/{UNDATED_ID}/") and "published" not in entry
    assert datetime.fromisoformat(entry.updated) == UNDATED == datetime.fromisoformat(feed.feed.updated)
    site = parse(feed_files(docs)[SITE_FEED], SITE_FEED)
    assert not any(e.link.endswith(f"/{UNDATED_ID}/") for e in site.entries)  # undated: the oldest


def test_withheld_reply_in_no_feed(run):
    result, docs, _, site = run
    assert [r.id for r in result.withheld] == [WITHHELD]
    for path, xml in feed_files(docs).items():
        text = xml.decode("utf-8")
        assert f"/{WITHHELD}/" not in text and "隐去者" not in text, path
        assert entry_id(site, WITHHELD) not in text


def test_summary_only_reply_shows_no_body_text(run):
    result, docs, _, _ = run
    reply = result.with_body(next(r for r in result.replies if r.id == SUMMARY))
    paragraphs = [b.text for b in reply.blocks if b.kind.value == "paragraph" and len(b.text) > 20]
    assert paragraphs
    found = 0
    for path, xml in feed_files(docs).items():
        text = html.unescape(xml.decode("utf-8"))
        found += f"/{SUMMARY}/" in text
        assert not any(p in text for p in paragraphs), path
    assert found >= 2  # the site's feed and its agency's at least


def test_hostile_title_through_the_pipeline_valid(run):
    result, docs, _, _ = run
    assert next(r for r in result.replies if r.id == HOSTILE).label == HOSTILE_TITLE
    found = 0
    for path, xml in feed_files(docs).items():
        feed = parse(xml, path)
        for entry in feed.entries:
            if entry.link.endswith(f"/{HOSTILE}/"):
                found += 1
                assert entry.title == HOSTILE_TITLE and HOSTILE_TITLE in entry.summary
    assert found  # in its proposer's feed at least


@pytest.mark.parametrize("title, shown", [
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("甲 & 乙 &amp; ]]>", "甲 & 乙 &amp; ]]>"),
    ("响\x07铃\x1b[31m红\x00", "响铃[31m红"),
    ("半\ud800个\ufffe", "半\ufffd个"),
])
def test_hostile_text_yields_valid_xml(title, shown):
    site = SiteConfig(site_title=f"站{title}", publisher=title, licence=title)
    reply = make_reply(id="h1", proposal_title=title, agency=f"{title}局", themes=(title,),
                       date=date(2024, 5, 20), proposer=title)
    xml = atom(SITE_FEED, None, [reply], site)
    feed = parse(xml, SITE_FEED)
    assert feed.bozo == 0, feed.get("bozo_exception")
    [entry] = feed.entries
    assert entry.title == shown and entry.author == f"{shown}局" and [t.term for t in entry.tags] == [shown]
    assert feed.feed.title == f"站{shown}"


def test_feed_holds_at_most_feed_size_entries():
    replies = [make_reply(id=f"r{n:04d}", title=f"答复{n}", date=date(2024, 1, 1) + timedelta(days=n))
               for n in range(FEED_SIZE * 2)]
    feed = parse(atom(SITE_FEED, None, newest_first(replies), SiteConfig()), SITE_FEED)
    assert [e.title for e in feed.entries] == [f"答复{n}" for n in range(FEED_SIZE * 2 - 1, FEED_SIZE - 1, -1)]


# --- pages that link the feeds -------------------------------------------------------------

@pytest.fixture(scope="module")
def pages(ctx):
    result = collect(DATA, ctx)
    return result, render_all(result, ctx)


def front_matter(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1]) if text.startswith("---\n") else {}


def link(target: str, page: str) -> str:
    """The relative link from the docs page `page` (a folder's: `x/`) to `target`."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def test_key_pages_link_their_own_feed(pages):
    result, files = pages
    index = result.index
    keys = [*index.agencies, *index.themes, *index.proposers]
    for key in keys:
        page = files[f"{key.section}/{key.slug}/index.md"]
        feed = front_matter(page)["feed"]
        assert feed["path"] == feed_path(key) and feed["path"] in files
        assert parse(files[feed["path"]], feed["path"]).feed.title == feed["title"]
        assert f"[订阅（Atom）]({link(feed_path(key), key.url)})" in page  # the visible link
    for path in ("index.md", "replies/index.md"):  # the site's feed, linked visibly only
        assert "feed" not in front_matter(files[path])
        assert f"[订阅（Atom）]({link(SITE_FEED, path)})" in files[path]
    for reply in result.replies:  # the open-data record is the front matter: nothing added
        assert set(front_matter(files[f"replies/{reply.id}.md"])) == set(Reply.FIELDS)


def test_built_site_links_feeds_from_head_and_page(built_site):
    work, result = built_site
    site = work / "site"
    agency = result.index.agency_by_name[result.replies[0].agency]
    for page, own in [("index.html", None), (f"agencies/{agency.slug}/index.html", feed_path(agency)),
                      (f"replies/{result.replies[0].id}/index.html", None)]:
        text = (site / page).read_text(encoding="utf-8")
        head = text[:text.index("</head>")]
        alternates = re.findall(r'<link rel="([^"]*)" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">',
                                head)
        # A feed reader looks for the `alternate` token; Material fetches a sitemap beside
        # every link whose rel is exactly `alternate` (a 404 on each page view).
        assert all("alternate" in rel.split() and rel != "alternate" for rel, _, _ in alternates)
        targets = [posixpath.normpath(posixpath.join(posixpath.dirname(page), href)) for _, _, href in alternates]
        assert targets == [SITE_FEED] + ([own] if own else []), page
        assert all((site / target).is_file() for target in targets)
        visible = re.findall(r'<a href="([^"]*)">订阅（Atom）</a>', text)
        for href in visible:
            assert (site / posixpath.normpath(posixpath.join(posixpath.dirname(page), href))).is_file()
        assert bool(visible) == (page != f"replies/{result.replies[0].id}/index.html")
    assert parse((site / SITE_FEED).read_bytes(), SITE_FEED).bozo == 0


# --- links made fit for where the site is published -----------------------------------------

def test_feed_links_absolute_with_site_url(run, tmp_path):
    result, docs, _, _ = run
    site = tmp_path / "site"
    shutil.copytree(docs / "feeds", site / "feeds")
    localise_feeds(site, "https://replies.example.gov.cn/sub/", True)
    agency = result.index.agency_by_name[result.replies[0].agency]
    xml = (site / feed_path(agency)).read_text(encoding="utf-8")
    hrefs = re.findall(r'<link href="([^"]*)"', xml)
    assert hrefs and all(h.startswith("https://replies.example.gov.cn/sub/") for h in hrefs)
    feed = feedparser.parse(xml.encode(), response_headers={"content-type": "application/atom+xml"})
    assert feed.bozo == 0 and feed.feed.link == f"https://replies.example.gov.cn/sub/agencies/{agency.slug}/"
    assert feed.entries[0].link == f"https://replies.example.gov.cn/sub/replies/{agency_replies(result.index, agency)[0].id}/"


def test_feed_links_to_html_files_offline(run, tmp_path):
    result, docs, _, _ = run
    site = tmp_path / "site"
    shutil.copytree(docs / "feeds", site / "feeds")
    agency = result.index.agency_by_name[result.replies[0].agency]
    (site / "agencies" / agency.slug).mkdir(parents=True)
    (site / "agencies" / agency.slug / "index.html").write_text("", encoding="utf-8")  # as MkDocs writes it
    before = (site / SITE_FEED).read_text(encoding="utf-8")
    localise_feeds(site, "https://replies.example.gov.cn/", False)
    xml = (site / feed_path(agency)).read_text(encoding="utf-8")
    hrefs = re.findall(r'<link href="([^"]*)"', xml)
    assert f"../../agencies/{agency.slug}/index.html" in hrefs and f"{agency.slug}.xml" in hrefs
    assert all(h.endswith((".html", ".xml")) and not h.startswith("http") for h in hrefs)
    site_feed = (site / SITE_FEED).read_text(encoding="utf-8")
    assert '<link href="../index.html"' in site_feed and site_feed != before
    assert re.findall(r"<id>[^<]*</id>", site_feed) == re.findall(r"<id>[^<]*</id>", before)  # ids kept
