"""Atom feeds of the newest replies: the site's, and one per agency, theme and proposer.

In: the run's `Index` (its lists are newest first) and the site's `SiteConfig`. Out:
(docs path, XML) pairs, made by `feed_tasks` in independent pieces that render workers
share (there is a feed per proposer: thousands at 100,000 replies):

- `feeds/index.xml`: the whole site;
- `feeds/agencies/<slug>.xml`: replies the agency led or co-handled;
- `feeds/themes/<slug>.xml`, `feeds/proposers/<slug>.xml` (each named proposer of a joint
  filing has the reply, as the index does).

Each feed holds the newest `FEED_SIZE` replies of its scope, newest first: a reader needs
only the new ones, and no feed grows with the archive. An entry is metadata only (the
reply's label, date, `model.reply_summary`, lead agency, themes), so a summary-only reply
shows no body text; withheld replies are in no index, so in no feed.

Nothing depends on the run's time or host: entries are dated by the reply's date, a
feed's `updated` is its newest entry's, and ids are UUIDs of the site's title and the
reply's id (`entry_id`), the same in every feed and every run. Links are relative to
the feed file, pointing at MkDocs' directory URLs (`replies/<id>/`); at build time the
MkDocs hook makes them absolute when `site_url` is set, and points them at the `.html`
files in an offline archive (`mkdocs_hooks.rewrite_feed_links`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from functools import partial

from feedgen.feed import FeedGenerator

from .config import SiteConfig
from .index import Index
from .model import Key, Reply, reply_summary
from .store import ReplyList

FEED_SIZE = 50  # entries per feed: the newest replies of its scope
FEEDS_DIR = "feeds"
SITE_FEED = f"{FEEDS_DIR}/index.xml"
# A reply's date is the date on the letter, in China Standard Time.
DATE_ZONE = timezone(timedelta(hours=8))
# An undated reply lists last, as the oldest (index.newest_first): Atom needs an `updated`,
# so it gets this fixed one (never the run's time) and no `published`.
UNDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The namespace of every id the feeds give (fixed for good: a new one changes every id).
ID_NAMESPACE = uuid.UUID("c6e5def3-b41e-4b59-9e60-6d8a5131cb69")
# What XML 1.0 cannot hold (lxml refuses it) and the C1 controls: nothing a reader sees.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SCOPES = {"agencies": "{name}：主办、会办的答复", "themes": "主题：{name}", "proposers": "{name}（{type}）：答复"}


def xml_text(value) -> str:
    """`value` as text an XML file can hold: control characters dropped, a lone
    surrogate (a file name that was not UTF-8) shown as U+FFFD."""
    return _SURROGATE.sub("\ufffd", _NOT_XML.sub("", "" if value is None else str(value)))


def _uuid(site: SiteConfig, *parts: str) -> str:
    # JSON of the parts (ASCII: a lone surrogate is escaped): no two lists of texts give one name.
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, json.dumps([site.title, *parts]))}"


def entry_id(site: SiteConfig, reply_id: str) -> str:
    """The id of a reply's entry, in every feed and every run: changed only by the site's
    title (site.yml `site_title`, else its place) or the reply's id."""
    return _uuid(site, "reply", reply_id)


def feed_path(key: Key | None) -> str:
    """The docs path of the feed of `key` (an agency, theme or proposer); None: the site's."""
    return SITE_FEED if key is None else f"{FEEDS_DIR}/{key.section}/{key.slug}.xml"


def feed_title(key: Key | None, site: SiteConfig) -> str:
    if key is None:
        return site.title
    scope = _SCOPES[key.section].format(name=key.name, type=getattr(key, "type", ""))
    return f"{scope} - {site.title}"


def feed_link(key: Key | None, site: SiteConfig) -> dict:
    """What a page needs to link a feed: its docs path and its title."""
    return {"path": feed_path(key), "title": xml_text(feed_title(key, site))}


def _stamp(reply: Reply) -> datetime | None:
    return datetime(reply.date.year, reply.date.month, reply.date.day, tzinfo=DATE_ZONE) if reply.date else None


def atom(path: str, key: Key | None, replies: Sequence[Reply], site: SiteConfig) -> str:
    """The Atom feed at docs `path` of `replies` (newest first, at most FEED_SIZE)."""
    up = "../" * path.count("/")  # from the feed's folder to the site's root
    feed = FeedGenerator()
    feed.id(_uuid(site, "feed", path))
    feed.title(xml_text(feed_title(key, site)))
    if key is None:
        feed.subtitle(xml_text(site.public()["description"]))
    feed.language("zh-CN")
    # Atom wants an author per entry or for the feed: the publisher stands for entries without an agency.
    feed.author(name=xml_text(site.publisher or site.title))
    feed.link(href=up + (key.url if key else ""), rel="alternate", type="text/html")
    feed.link(href=path.rpartition("/")[2], rel="self", type="application/atom+xml")
    feed.generator("reply-site-generator")  # not feedgen's default, which names its version
    if site.licence:
        feed.rights(xml_text(site.licence))
    newest = UNDATED
    for reply in replies[:FEED_SIZE]:
        entry = feed.add_entry(order="append")
        entry.id(entry_id(site, reply.id))
        entry.title(xml_text(reply.label))
        entry.link(href=f"{up}replies/{reply.id}/", rel="alternate")  # feedgen 1.0 writes no rel: the default
        stamp = _stamp(reply)
        if stamp:
            entry.published(stamp)
        entry.updated(stamp or UNDATED)  # feedgen's default is the time of the run
        newest = max(newest, stamp or UNDATED)
        entry.summary(xml_text(reply_summary(reply.record())))
        if reply.agency:
            entry.author(name=xml_text(reply.agency))
        for theme in reply.themes:
            entry.category(term=xml_text(theme))
    feed.updated(newest)  # the newest entry's date, never the time of the run
    return feed.atom_str(pretty=True).decode("utf-8")


def agency_replies(index: Index, agency) -> ReplyList:
    """The newest FEED_SIZE replies an agency led or co-handled, newest first."""
    return ReplyList(index.replies, index.agencies[agency].newest(FEED_SIZE))


def _feed(key: Key | None, replies: Sequence[Reply], site: SiteConfig) -> Iterator[tuple[str, str]]:
    path = feed_path(key)
    yield path, atom(path, key, replies, site)


def _agency_feed(index: Index, agency, site: SiteConfig) -> Iterator[tuple[str, str]]:
    return _feed(agency, agency_replies(index, agency), site)  # merged in the worker that writes it


def feed_tasks(index: Index, site: SiteConfig) -> list[Callable[[], Iterator[tuple[str, str]]]]:
    """Every feed, one task each, yielding its (docs path, XML): the site's, then each
    agency's, theme's and proposer's."""
    tasks = [partial(_feed, None, index.replies, site)]
    tasks += [partial(_agency_feed, index, agency, site) for agency in index.agencies]
    tasks += [partial(_feed, key, replies, site) for keys in (index.themes, index.proposers)
              for key, replies in keys.items()]
    return tasks
