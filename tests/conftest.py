"""Shared test fixtures: paths, the sample corpus and the run context (loaded once)."""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.clean import clean
from generator.pipeline import load_context
from generator.read import read_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEEDS = sorted((DATA / "replies").glob("*.txt"))
SEED_IDS = [p.stem[:3] for p in SEEDS]


@pytest.fixture(scope="session")
def ctx():
    return load_context(DATA)


@pytest.fixture(scope="session")
def seed_paragraphs():
    """stem → cleaned paragraphs of each sample reply."""
    return {p.stem: clean(read_text(p)) for p in SEEDS}


def seed(prefix: str) -> Path:
    return next(p for p in SEEDS if p.name.startswith(prefix))


def copy_hand_written_docs(target: Path) -> Path:
    """The hand-written part of docs/ (assets/), without anything generated."""
    shutil.copytree(ROOT / "docs", target, ignore=lambda folder, names: [
        n for n in names if Path(folder) == ROOT / "docs" and n != "assets"])
    return target


def copies_data_dir(target: Path, count: int, order=sorted) -> Path:
    """A data dir with the registries and `count` copies of the samples (r000.txt …),
    the files created in the order `order` gives."""
    (target / "replies").mkdir(parents=True)
    for registry in ("agencies.yml", "themes.yml", "site.yml"):
        (target / registry).write_bytes((DATA / registry).read_bytes())
    names = [f"r{n:03d}.txt" for n in range(count)]
    for name in order(names):
        (target / "replies" / name).write_bytes(SEEDS[int(name[1:-4]) % len(SEEDS)].read_bytes())
    return target


@pytest.fixture
def data_dir(tmp_path):
    """A copy of the data dir (registries and sample replies) that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The sample corpus generated and built with the real `mkdocs build --strict`, in a
    temporary copy of the site sources (hosted: Pagefind's search). Returns (work dir,
    generate result)."""
    import subprocess
    import sys

    from generator.pipeline import generate

    work = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "mkdocs.yml", work / "mkdocs.yml")
    shutil.copytree(ROOT / "overrides", work / "overrides")
    (work / "generator").mkdir()
    shutil.copy(ROOT / "generator" / "mkdocs_hooks.py", work / "generator" / "mkdocs_hooks.py")
    shutil.copytree(ROOT / "generator" / "assets", work / "generator" / "assets")  # the hook's scripts
    copy_hand_written_docs(work / "docs")
    result = generate(DATA, work / "docs")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=work,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return work, result


SITE_REPLIES = 300


@pytest.fixture(scope="session")
def site_300(tmp_path_factory):
    """A 300-reply site built as hosted and as the offline archive (unzipped)."""
    import zipfile
    from datetime import date

    from generator.archive import build_archive
    from generator.pipeline import generate
    from generator.site import build_site

    work = tmp_path_factory.mktemp("site300")
    data = copies_data_dir(work / "data", SITE_REPLIES)
    for n in range(0, SITE_REPLIES, 3):  # outcome classes (the samples state none): A, B, C and none
        if letter := "ABC "[n // 3 % 4].strip():
            (data / "replies" / f"r{n:03d}.yml").write_text(f"classification: {letter}\n", encoding="utf-8")
    docs = copy_hand_written_docs(work / "docs")
    result = generate(data, docs, cache_dir=work / "cache")
    build_site(docs, work / "site", strict=True)
    archive = build_archive(docs, len(result.replies), out=work / "out" / "site.zip", strict=True,
                            day=date(2025, 7, 1))
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(work / "archive")
    root = next(p for p in (work / "archive").iterdir() if p.is_dir())
    return work / "site", root


@pytest.fixture(scope="session")
def material_site(built_site, tmp_path_factory):
    """The sample corpus built as hosted with Material's own search (jieba-segmented
    index), as `extra.search_engine: material` gives. Returns (site dir, generate result)."""
    from generator.site import build_site

    work, result = built_site
    site = tmp_path_factory.mktemp("material") / "site"
    build_site(work / "docs", site, strict=True, search="material")
    return site, result


@pytest.fixture(scope="session")
def pagefind_site(tmp_path_factory):
    """The sample corpus built with the Pagefind search engine, indexed two pages at a
    time so that the index is a merged one, as on a large site. Returns (site dir,
    generate result)."""
    from generator.pipeline import generate
    from generator.site import build_site

    work = tmp_path_factory.mktemp("pagefind")
    copy_hand_written_docs(work / "docs")
    result = generate(DATA, work / "docs")
    build_site(work / "docs", work / "site", strict=True, search="pagefind",
               extra={"pagefind_shard_pages": 2})
    return work / "site", result


# --- Browser tests: Debian's Chromium through Playwright, pages served on 127.0.0.1 ----

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    assert CHROMIUM.exists(), "Debian's chromium is needed: apt-get install chromium"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def first_key_page(site: Path, section: str) -> str:
    """The URL path of the first key page of `section` of a built site (an agency, a theme …)."""
    folder = next(p for p in sorted((site / section).iterdir()) if (p / "index.html").is_file() and p.name != "page")
    return f"{section}/{folder.name}/"


DESKTOP = {"width": 1280, "height": 900}


@contextmanager
def guarded_page(browser, base: str, viewport=DESKTOP):
    """A page that may fetch only from `base` (and data: URLs); fails the test on a
    request elsewhere or a script error."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    outside, errors = [], []

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not errors, f"script errors: {errors}"


@pytest.fixture(scope="session")
def served_300(site_300):
    """The 300-reply hosted site served on 127.0.0.1: (base URL, site dir)."""
    site, _ = site_300
    base, stop = serve_directory(site)
    yield base, site
    stop()


def serve_directory(root: Path):
    """Serve `root` on 127.0.0.1 (a free port) in a thread; returns (base URL, stop)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}", httpd.shutdown


# --- Citations: BibTeX read as BibTeX reads it -----------------------------------------

# The LaTeX commands a BibTeX value may hold for a character LaTeX treats specially.
LATEX_CHARACTERS = {r"\textbackslash{}": "\\", r"\textbraceleft{}": "{", r"\textbraceright{}": "}", r"\%": "%",
                    r"\&": "&", r"\$": "$", r"\#": "#", r"\_": "_", r"\^{}": "^", r"\~{}": "~"}
_LATEX_COMMAND = "|".join(map(re.escape, LATEX_CHARACTERS))


def parse_bibtex(text: str) -> tuple[str, str, dict[str, str]]:
    """(type, key, fields) of one BibTeX entry `@type{key,\\n  name = {value},…\\n}`. A
    value runs to its matching brace, a backslash escaping none (as BibTeX counts); it
    may hold no character LaTeX treats specially but as one of LATEX_CHARACTERS' commands
    (a URL aside), which are decoded. An author's double braces are taken off."""
    head = re.match(r"@(\w+)\{([^,{}\s]+),\n", text)
    assert head, text
    fields, at = {}, head.end()
    while True:
        field = re.compile(r"  (\w+) = \{").match(text, at)
        assert field, text[at:]
        depth, end = 1, field.end()
        while depth:
            assert end < len(text), f"unbalanced braces: {text[field.start():]}"
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        name, value = field[1], text[field.end():end - 1]
        if name == "author":
            assert value.startswith("{") and value.endswith("}"), value
            value = value[1:-1]
        if name != "url":
            assert not re.search(r"[\\{}%&$#_^~]", re.sub(_LATEX_COMMAND, "", value)), value
            value = re.sub(_LATEX_COMMAND, lambda m: LATEX_CHARACTERS[m[0]], value)
        fields[name] = value
        if text[end:] == "\n}":
            return head[1], head[2], fields
        assert text[end:end + 2] == ",\n", text[end:]
        at = end + 2
