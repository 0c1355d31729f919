"""MkDocs hooks (see `hooks:` in mkdocs.yml), so that a plain `mkdocs build` is right too.

- on_config: refuse to build when jieba cannot be imported (Material's search would then
  index Chinese unsegmented, silently); reset jieba, so that every build segments alike;
  point the search plugin at the generated jieba user dictionary by an absolute path (the
  plugin resolves it against the cwd).
- on_config also takes the site's name, description and publisher from `.site.json`,
  which `generate` writes into the docs dir from the data dir's site.yml.
- on_files: add the project's `docs/assets/` (style sheet, offline search shim) to a docs
  dir that lacks them (`--docs` elsewhere, for another place's data).
- on_page_markdown: escape the front matter `title`. Material prints `page.meta.title` as
  HTML (header, <title>, search index), but a reply's title is text and may hold
  anything, `<script>` included.
- Search engine (`extra.search_engine` in mkdocs.yml: auto | material | pagefind): a
  hosted build gets Pagefind under Material's own search box and result list (see
  `generator/assets/pagefind-worker.js`), an offline archive Material's search (Pagefind
  fetches its chunks, which a page opened from disk may not do). With Pagefind,
  on_page_content marks the searchable pages for Pagefind and takes them out of
  Material's index, on_post_build puts the Pagefind worker in place of Material's and
  runs Pagefind on the marked pages, `extra.pagefind_shard_pages` at a time (see
  `generator/pagefind_shards.py`). Material's index holds every word of every reply and
  is downloaded whole on every page view (about 32 KB a reply); Pagefind's is split in
  chunks, and only a query downloads the ones it needs.
- on_post_page: put `generator/assets/search-page.js` in front of Material's bundle. It
  makes Material search text that lands in the box without a key (an IME commit, a paste,
  text typed while the archive's in-page worker was still building its index); and, with
  Pagefind, it answers Material's page-load request for `search/search_index.json`, which
  is then there only for its configuration, from the script itself: a page view
  downloads nothing of the search until a query.
- on_page_markdown sets aside the blocks of HTML the templates write whole (between
  `render.HTML_OPEN` and `HTML_CLOSE`: listing tables, a reply's card), leaving a comment
  with this run's token; on_page_content puts them back, each `.md` link made a URL by
  MkDocs' own link lookup (its warnings, its anchor checks). Python-Markdown never parses
  them: as Markdown they were most of a build's Markdown time.
- on_page_content fills the URL slots of a reply's 引用本文 block (generator/cite.py)
  with its permanent address when `site_url` is set, so that the citation is whole
  without JavaScript but for the access date (assets/javascripts/cite.js fills the rest).
- Search results name the reply's agency and date: Pagefind metadata on each reply page
  (the worker shows it above the excerpt), the same line at the head of the reply's
  document in Material's index.
- on_post_build: the Atom feeds' links (relative, to directory URLs) made absolute when
  `site_url` is set, and pointed at the `.html` pages in an offline archive.
- on_post_build: in the search index, merge one-character Han tokens into the word
  before them. Material splits a Chinese query against the index vocabulary, never
  testing the query's full length, so with `省` in the vocabulary the query `省发改委`
  becomes `省* 发*` and matches everything; without one-character tokens it stays
  `省发改委*`. The separators are zero-width, so result snippets look the same.
"""

from __future__ import annotations

import html
import json
import logging
import posixpath
import re
import secrets
import shutil
from pathlib import Path
from urllib.parse import urljoin

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import _RelativePathTreeprocessor  # MkDocs' link lookup (mkdocs 1.6)

from generator.cite import fill_url_slots
from generator.feeds import FEEDS_DIR
from generator.pagefind_shards import SHARD_PAGES, PagefindError, build_index
from generator.model import cn_date, reply_label, reply_summary
from generator.render import HTML_CLOSE, HTML_OPEN, SITE_SETTINGS, USER_DICT, reply_id_of_path  # the package is installed (`make .venv`)

_HAN = re.compile(r"[\u3400-\u9fff]")
_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")


def plugin(config, name: str):
    """The configured plugin `name` (search, offline), whichever theme namespace it is in."""
    return next((p for key, p in config.plugins.items() if key.endswith(name)), None)


ENGINES = ("auto", "material", "pagefind")
ASSETS = Path(__file__).resolve().parent / "assets"
PAGEFIND_WORKER = ASSETS / "pagefind-worker.js"
SEARCH_PAGE_JS = "assets/javascripts/search-page.js"  # site-relative; see on_post_page
# The site's own style sheet and scripts: a docs dir of another place's data gets them too.
PROJECT_DOCS = Path(__file__).resolve().parent.parent / "docs"
# Decided per build, in on_files: the engine, the pages Pagefind indexes, and each reply
# page's result line (agency · date) and the title it is named by, by its URL.
_engine = {"name": "material", "pages": {}, "lines": {}, "titles": {}, "sorts": {},
           "bundles": None, "digests": None, "jobs": None}
log = logging.getLogger("mkdocs.hooks.search")


def search_engine(config) -> str:
    """The engine a build uses: the setting; `auto` is Pagefind. Offline archives keep
    Material's search whatever the setting: Pagefind fetches its chunks, which a page
    opened from disk may not do."""
    setting = str((config.extra or {}).get("search_engine") or "auto")
    if setting not in ENGINES:
        raise PluginError(f"extra.search_engine is {setting!r}; expected one of {', '.join(ENGINES)}")
    if offline(config):
        return "material"
    return "pagefind" if setting == "auto" else setting


def offline(config) -> bool:
    """Whether this build is an offline archive's (Material's offline plugin enabled)."""
    archive = plugin(config, "offline")
    return archive is not None and bool(archive.config.get("enabled"))


def permanent_url(page, config) -> str | None:
    """A reply page's address on the hosted site, when `site_url` says where that is: its
    canonical URL; in an offline archive, whose pages are files (`x.html`), the folder
    address the hosted site gives it (mkdocs.yml's `use_directory_urls`)."""
    if not config.site_url:
        return None
    if offline(config):
        return urljoin(config.site_url, page.url.removesuffix(".html") + "/")
    return page.canonical_url


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File

    for path in sorted((PROJECT_DOCS / "assets").rglob("*")):
        uri = path.relative_to(PROJECT_DOCS).as_posix()
        if path.is_file() and files.get_file_from_path(uri) is None:
            files.append(File(uri, str(PROJECT_DOCS), config["site_dir"], config["use_directory_urls"]))
    _engine["name"] = search_engine(config)
    _engine.update(pages={}, lines={}, titles={}, sorts={}, bundles=None, digests=None, jobs=None)
    if _engine["name"] == "pagefind":
        try:
            import pagefind  # noqa: F401  (the package that ships the binary)
        except ImportError:
            raise PluginError("the Pagefind search engine needs `pip install 'pagefind[extended]'`") from None
    return files


def take_page_state(page) -> dict:
    """What this module keeps of `page` for the build's end, taken out of it: the build
    engine (generator/sitebuild.py) carries it from the worker that rendered the page, or
    from its cache, and gives it back with `put_page_state`, in page order."""
    url, dest = page.url, page.file.dest_uri
    return {"indexed": _engine["pages"].pop(dest, None) is not None, "line": _engine["lines"].pop(url, None),
            "title": _engine["titles"].pop(url, None), "sorts": _engine["sorts"].pop(dest, None)}


def put_page_state(page, state: dict) -> None:
    url, dest = page.url, page.file.dest_uri
    if state.get("indexed"):
        _engine["pages"][dest] = True
    for key, where, name in (("line", "lines", url), ("title", "titles", url), ("sorts", "sorts", dest)):
        if state.get(key) is not None:
            _engine[where][name] = state[key]


def use_pagefind_cache(bundles: Path | None, digests: dict[str, str | None], jobs: int | None) -> None:
    """Let Pagefind reuse the bundles in `bundles` of shards whose pages have the same
    output digests (`digests`, by site path), and run `jobs` shards at a time."""
    _engine.update(bundles=bundles, digests=digests, jobs=jobs)


def is_reply(page) -> bool:
    return reply_id_of_path(page.file.src_uri) not in (None, "index")


def result_meta(meta: dict) -> dict[str, str]:
    """What a search result shows of a reply above its text: its agency and date
    (`2024年5月20日`; the front matter's is ISO), those it has, as plain text."""
    found = {"agency": str(meta["agency"]) if meta.get("agency") else "", "date": cn_date(meta.get("date"))}
    return {key: value for key, value in found.items() if value}


def result_line(meta: dict) -> str:
    """`承办单位 · 2024年5月20日`, 承办单位 being the lead agency's name (the worker joins
    Pagefind's metadata alike)."""
    return " · ".join(result_meta(meta).values())


_SORT_MARK = re.compile(r'data-pagefind-sort="([^":]+):([^"]*)"')  # the attribute form, `name:value`


# --- blocks of HTML the templates write whole (render.HTML_OPEN) ----------------------
# Set aside from the Markdown (on_page_markdown) and put back in the page's HTML
# (on_page_content), where a comment holding this run's token stood for each: a page's own
# text cannot name it.
_HTML_BLOCK = re.compile(rf"^{re.escape(HTML_OPEN)}\n(.*?)\n{re.escape(HTML_CLOSE)}$", re.S | re.M)
# A link the template wrote: a value's text cannot hold `<` (render.html_text escapes it).
_HREF = re.compile(r'<a href="([^"]*)"')
_TOKEN = secrets.token_hex(8)
_aside: dict[str, list[str]] = {}  # page (src_uri) -> its blocks, from one event to the next


def _stand_in(number: int) -> str:
    return f"<!-- html {_TOKEN} {number} -->"


def set_aside_html(markdown: str, page) -> str:
    blocks: list[str] = []

    def stand_in(match) -> str:
        blocks.append(match[1])
        return f"\n\n{_stand_in(len(blocks) - 1)}\n\n"

    markdown = _HTML_BLOCK.sub(stand_in, markdown)
    if blocks:
        _aside[page.file.src_uri] = blocks
    else:
        _aside.pop(page.file.src_uri, None)
    return markdown


def _attribute(value: str) -> str:
    """`value` escaped in an attribute as Python-Markdown escapes a link's address."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def put_back_html(html_text: str, page, config, files) -> str:
    """The page's blocks in place of their comments, each `href` made a URL by MkDocs' own
    link lookup: its warnings for a missing target, and the anchors it links to checked
    after the build, as for a link written in Markdown."""
    blocks = _aside.pop(page.file.src_uri, None)
    if not blocks:
        return html_text
    links = _RelativePathTreeprocessor(page.file, files, config)
    # The anchors it links to join the page's own, which MkDocs checks after the build.
    if page.links_to_anchors is None:
        page.links_to_anchors = {}
    links.links_to_anchors = page.links_to_anchors
    urls: dict[str, str] = {}

    def url(match) -> str:
        href = match[1]
        if href not in urls:  # a commitments table links each reply once per commitment
            urls[href] = _attribute(links.path_to_url(html.unescape(href)))
        return f'<a href="{urls[href]}"'

    for number, block in enumerate(blocks):
        stand_in = _stand_in(number)
        if stand_in + "\n\n" in html_text:  # Python-Markdown ends a comment's block with a blank line
            stand_in += "\n"
        elif stand_in not in html_text:
            raise PluginError(f"{page.file.src_uri}: a block of HTML was lost in the Markdown")
        html_text = html_text.replace(stand_in, _HREF.sub(url, block), 1)
    return html_text


def on_page_content(html_text, page, config, files=None, **kwargs):
    html_text = put_back_html(html_text, page, config, files)
    if is_reply(page) and (url := permanent_url(page, config)):
        html_text = fill_url_slots(html_text, url)
    if is_reply(page) and (line := result_line(page.meta)):
        _engine["lines"][page.url] = line
    if is_reply(page) and page.meta.get("title"):
        _engine["titles"][page.url] = html.unescape(str(page.meta["title"]))
    if _engine["name"] != "pagefind":
        return html_text
    search = page.meta.get("search") or {}
    # Pagefind indexes only what is marked; Material's index gets nothing.
    page.meta["search"] = {**search, "exclude": True}
    if search.get("exclude"):
        return html_text
    _engine["pages"][page.file.dest_uri] = True
    # A merge of Pagefind's shards needs the sort values, which its index does not keep.
    if sorts := {name: html.unescape(value) for name, value in _SORT_MARK.findall(html_text)}:
        _engine["sorts"][page.file.dest_uri] = sorts
    meta = ""
    if is_reply(page):
        # Metadata for the result list, not indexed: the card above already holds both.
        # Its title: what names the reply (model.reply_label, set in on_page_markdown,
        # escaped there), not the page's heading, which Pagefind would take.
        shown = {"title": html.unescape(str(page.meta.get("title") or "")), **result_meta(page.meta)}
        meta = "".join(f'<span data-pagefind-meta="{key}" data-pagefind-ignore hidden>{html.escape(value)}</span>\n'
                       for key, value in shown.items() if value)
    return f"<div data-pagefind-body>\n{meta}{html_text}\n</div>"


@event_priority(100)  # before the search plugin reads its configuration
def on_config(config, **kwargs):
    from material.plugins.search import plugin as material_search

    if material_search.jieba is None:
        raise PluginError("jieba cannot be imported: Chinese search would not be segmented (pip install jieba)")
    import jieba

    jieba.setLogLevel(logging.WARNING)  # not its "Building prefix dict…" lines on every build
    # Loading a user dictionary adds to jieba's running totals, so a second build in one
    # process (tests, `serve`) would segment differently: start from the plain dictionary.
    jieba.dt.initialized = False
    search = plugin(config, "search")
    user_dict = Path(config.docs_dir) / USER_DICT
    if search is not None and user_dict.is_file():
        # The search plugin's own on_config runs after this one and loads the dictionary.
        search.config["jieba_dict_user"] = str(user_dict.resolve())
    apply_site_settings(config)
    return config


def apply_site_settings(config) -> None:
    """The site's name, description and footer from the data dir's site.yml, which
    `generate` leaves in the docs dir (SITE_SETTINGS): the header and the browser's title
    name the place and publisher, whatever mkdocs.yml says."""
    path = Path(config.docs_dir) / SITE_SETTINGS
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if settings.get("site_name"):
        config["site_name"] = settings["site_name"]
    if settings.get("description"):
        config["site_description"] = settings["description"]
    footer = [f"发布单位：{settings['publisher']}"] if settings.get("publisher") else []
    if settings.get("licence"):
        footer.append(f"开放数据许可：{settings['licence']}")
    if footer:  # Material prints the copyright as HTML
        config["copyright"] = html.escape("　".join(footer), quote=False)
    for key in ("logo", "favicon"):  # the publisher's pictures, else the project's emblem
        if settings.get(key):
            config.theme[key] = settings[key]


def _han(ch: str) -> bool:
    return bool(_HAN.match(ch))


_PARTS = re.compile(r"([\s\u200b\-]+)")  # mkdocs.yml's search separator; the build passes its own


def merge_lone_han(text: str, parts: re.Pattern = _PARTS) -> str:
    """Leave no one-character Han token where a zero-width separator can be dropped: it
    joins the Han word before it (`建议\u200b的` → `建议的`), else the word after it
    (`省\u200b发改委` → `省发改委`, `省\u200b、` → `省、`), else the word before it
    (`29\u200b号` → `29号`). Visible separators (spaces, hyphens) are never removed."""
    pieces = parts.split(text)  # words at even indices, separators at odd ones
    words, seps = pieces[0::2], pieces[1::2]
    n = 0
    while n < len(words):
        word = words[n]
        if len(word) == 1 and _han(word):
            before = n > 0 and seps[n - 1] == "\u200b" and words[n - 1]
            after = n + 1 < len(words) and seps[n] == "\u200b" and words[n + 1]
            if before and _han(words[n - 1][-1]):
                join_at = n - 1
            elif after:
                join_at = n
            elif before:
                join_at = n - 1
            else:
                n += 1
                continue
            words[join_at:join_at + 2] = [words[join_at] + words[join_at + 1]]
            del seps[join_at]
            n = join_at  # the merged word may need another look
            continue
        n += 1
    out = [words[0]]
    for sep, word in zip(seps, words[1:]):
        out += [sep, word]
    return "".join(out)


def on_page_markdown(markdown, page, **kwargs):
    meta = page.meta
    if is_reply(page) and isinstance(meta.get("title"), str):
        # A reply is named by what it answers (see model.reply_label) in the browser's
        # title, search results and link previews; its page still opens with its own title.
        meta["title"] = reply_label(meta.get("title"), meta.get("proposal_title") or None, meta.get("id") or "")
        meta.setdefault("description", reply_summary(meta))
        if meta.get("agency"):
            meta["head_title"] = html.escape(f"{meta['title']} - {meta['agency']}")
    for key in ("title", "description"):
        if isinstance(meta.get(key), str):
            meta[key] = html.escape(meta[key])
    if "feed" in meta:  # a page's own feed (an agency's, theme's, proposer's): overrides/main.html
        feed = meta["feed"]
        meta["feed"] = {key: html.escape(str(feed.get(key) or "")) for key in ("path", "title")} \
            if isinstance(feed, dict) else None
    return set_aside_html(markdown, page)


def on_page_context(context, page, config, **kwargs):
    # Each page describes itself (search engines, link previews), not the site's one line.
    if not page.meta.get("description") and not page.is_homepage and page.title:
        page.meta["description"] = html.escape(f"{_plain(page.title)} - {config.site_name}")
    return context


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", str(text)))


def _pagefind(site_dir: Path, pages: list[str], shard_pages: int) -> None:
    workers = list((site_dir / "assets" / "javascripts" / "workers").glob("search.*.js"))
    if not workers:
        raise PluginError("Material's search worker is missing: cannot put Pagefind's in its place")
    for worker in workers:
        shutil.copyfile(PAGEFIND_WORKER, worker)
        Path(f"{worker}.map").unlink(missing_ok=True)  # the map of the replaced file
    try:
        shards = build_index(site_dir, pages, shard_pages, progress=log.info, sorts=_engine["sorts"],
                             jobs=_engine["jobs"], bundles=_engine["bundles"], digests=_engine["digests"])
    except PagefindError as exc:
        raise PluginError(str(exc)) from None
    log.info(f"Pagefind indexed {len(pages)} pages in {shards} shard(s)")


def _segmented(text: str) -> str:
    """Han runs cut into words with zero-width spaces, as Material's search plugin does
    (with the same jieba, already given the user dictionary)."""
    import jieba

    return _HAN_RUN.sub(lambda run: "\u200b" + "\u200b".join(jieba.cut(run.group(0))) + "\u200b", text).strip("\u200b")


def on_post_build(config, **kwargs):
    site = Path(config.site_dir)
    localise_feeds(site, config.site_url or "", config.use_directory_urls)
    if _engine["name"] == "pagefind":
        shard_pages = int((config.extra or {}).get("pagefind_shard_pages") or SHARD_PAGES)
        _pagefind(site, list(_engine["pages"]), shard_pages)
    path = site / "search" / "search_index.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    _write_search_page(site, {"config": data["config"], "docs": []}
                       if data is not None and _engine["name"] == "pagefind" else None)
    if data is None:
        return
    for doc in data.get("docs", []):
        # A reply's own document (not its sections') opens with its agency and date. In
        # the same block as the card's text (a line break, no paragraph of its own):
        # Material's result shows the blocks holding a match, and a line alone never would.
        if (line := _engine["lines"].get(doc.get("location"))) and isinstance(doc.get("text"), str):
            doc["text"] = f"{html.escape(_segmented(line))}<br/>{doc['text']}"
        # Named as everywhere else (model.reply_label), not by the page's heading.
        if title := _engine["titles"].get(doc.get("location")):
            doc["title"] = html.escape(_segmented(title))
    # Tokens are what the search splits on: its configured separator.
    separator = (data.get("config") or {}).get("separator")
    parts = re.compile(f"({separator})") if separator else _PARTS
    for doc in data.get("docs", []):
        for field in ("title", "text"):
            if isinstance(doc.get(field), str):
                doc[field] = merge_lone_han(doc[field], parts)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# A link element of a feed (text holds no `<`: XML escapes it) and its address.
_FEED_LINK = re.compile(r'(<link [^>]*?href=")([^"]*)(")')


def rewrite_feed_links(xml: str, feed: str, site_url: str, directory_urls: bool, exists) -> str:
    """The feed at site path `feed` with its links, written relative to it for MkDocs'
    directory URLs (generator/feeds.py), made fit for where it is published: in a site
    without directory URLs (the offline archive) each leads to the page's `.html` file
    (`exists(path)` says whether the site has a file there); else, with `site_url`, each
    is absolute, for readers that do not resolve relative links."""
    folder = posixpath.dirname(feed)

    def local(match: re.Match) -> str:
        href = html.unescape(match[2])
        if not directory_urls and href.endswith("/"):
            target = posixpath.normpath(posixpath.join(folder, href))
            target = "index.html" if target == "." else (
                f"{target}/index.html" if exists(f"{target}/index.html") else f"{target}.html")
            href = posixpath.relpath(target, folder or ".")
        elif directory_urls:
            href = urljoin(urljoin(site_url, feed), href)
        return match[1] + html.escape(href) + match[3]

    return _FEED_LINK.sub(local, xml)


def localise_feeds(site: Path, site_url: str, directory_urls: bool) -> None:
    """Every feed of the built site with `rewrite_feed_links` applied, when there is
    something to rewrite: a hosted site without `site_url` keeps the generated files."""
    feeds = site / FEEDS_DIR
    if not feeds.is_dir() or (directory_urls and not site_url):
        return
    for path in sorted(feeds.rglob("*.xml")):
        xml = path.read_text(encoding="utf-8")
        path.write_text(rewrite_feed_links(xml, path.relative_to(site).as_posix(), site_url, directory_urls,
                                           lambda rel: (site / rel).is_file()), encoding="utf-8")


_INDEX_SLOT = "__SEARCH_INDEX__"


def _write_search_page(site: Path, index: dict | None) -> None:
    """generator/assets/search-page.js into the site, with the index Material's bundle
    is to be given without a request (None: it requests its own)."""
    script = (ASSETS / "search-page.js").read_text(encoding="utf-8")
    if _INDEX_SLOT not in script:
        raise PluginError(f"{ASSETS / 'search-page.js'} has no {_INDEX_SLOT}")
    target = site / SEARCH_PAGE_JS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(script.replace(_INDEX_SLOT, json.dumps(index)), encoding="utf-8")


# Material's bundle, whose page-relative prefix the search page script shares.
_BUNDLE = re.compile(r'<script src="([^"]*)assets/javascripts/bundle\.[0-9a-f]+\.min\.js"></script>')


# Material's search panel is a dialog without a name; a screen reader announces it as
# "dialog" only (axe: aria-dialog-name).
_SEARCH_DIALOG = 'data-md-component="search" role="dialog"'


# A section of the nav with an index page (navigation.indexes) is a <nav> labelled by its
# toggle, which holds only an icon: a landmark without a name, the same as the pager's
# on a listing (axe: landmark-unique). It is named by its title instead.
_SECTION_NAV = re.compile(
    r'(<nav class="md-nav" data-md-level="\d+") aria-labelledby="([\w-]+)_label"'
    r'([^>]*>\s*<label class="md-nav__title" for="\2">)(.*?)(</label>)', re.S)


def name_section_navs(output: str) -> str:
    def named(m: re.Match) -> str:
        title = _plain(m[4]).strip()
        if not title:
            return m[0]
        return f'{m[1]} aria-label="{html.escape(title)}"{m[3]}{m[4]}{m[5]}'
    return _SECTION_NAV.sub(named, output)


def on_post_page(output, page, config, **kwargs):
    output = _BUNDLE.sub(lambda bundle: f'<script src="{bundle.group(1)}{SEARCH_PAGE_JS}"></script>{bundle.group(0)}',
                         output, count=1)
    output = name_section_navs(output)
    return output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG + ' aria-label="搜索"', 1)


# The 404 page is served at any missing address, at any depth. MkDocs makes its links
# absolute from site_url; without one, from the server's root, so a site served under a
# sub-path (example.gov.cn/replies/) got a 404 page without styles or working links.
# Without site_url its links are made relative, and a script finds the site's root — the
# deepest folder of the address whose 404.html exists (a missing one answers 404) — and
# sets it as the page's <base> before anything is loaded; Material's own base follows it.
_FIND_ROOT = """<script>(function(){var p=location.pathname.split("/");p.pop();\
for(var n=Math.min(p.length,12);n>0;n--){var r=p.slice(0,n).join("/")+"/";try{var x=new XMLHttpRequest();\
x.open("HEAD",r+"404.html",false);x.send();if(x.status===200){document.write('<base href="'+encodeURI(r)+'">');return}}\
catch(e){}}document.write('<base href="/">')})()</script>"""
_FOLLOW_ROOT = """<script>(function(){var c=document.getElementById("__config"),o=JSON.parse(c.textContent);\
o.base=document.baseURI;c.textContent=JSON.stringify(o)})()</script>"""


def on_template_context(context, template_name, config, **kwargs):
    if template_name == "404.html" and not config.site_url:
        context["base_url"] = ""  # links relative to the <base> that _FIND_ROOT sets
    return context


def on_post_template(output_content, template_name, config, **kwargs):
    output = on_post_page(output_content, None, config)  # 404.html is a template, not a page
    if template_name == "404.html" and not config.site_url:
        output = output.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + _FIND_ROOT, 1)
        output = _BUNDLE.sub(lambda bundle: _FOLLOW_ROOT + bundle.group(0), output, count=1)
    return output
