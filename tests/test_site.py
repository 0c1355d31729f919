"""End to end: the real MkDocs (Material) build of the sample corpus, in --strict mode."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys

import pytest

from generator.model import BlockKind
from generator.pipeline import generate

from conftest import DATA, ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Generate and build into a temporary copy of the project's site sources."""
    work = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "mkdocs.yml", work / "mkdocs.yml")
    (work / "generator").mkdir()
    shutil.copy(ROOT / "generator" / "mkdocs_hooks.py", work / "generator" / "mkdocs_hooks.py")
    shutil.copytree(ROOT / "docs", work / "docs", ignore=shutil.ignore_patterns("replies", "data", ".generated.json"))
    result = generate(DATA, work / "docs")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=work,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return work, result


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
        for block in reply.blocks:
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
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("replies", "data", ".generated.json"))
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--strict", "-q", "--data", str(DATA),
         "--docs", str(docs), "--site", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "site built in" in proc.stdout and (tmp_path / "site" / "index.html").is_file()
