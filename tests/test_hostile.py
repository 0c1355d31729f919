"""Broken input, hostile input and personal data: one clear line per bad file, hostile text
shown literally and never executed, personal data published nowhere."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from mkdocs.utils.meta import get_data

from generator.pipeline import generate

from conftest import DATA, ROOT, copy_hand_written_docs, seed, serve_directory

HOSTILE = ROOT / "tests" / "fixtures" / "hostile" / "replies"
SECRETS = ["13912345678", "0431-88905432", "85551234", "88905432", "zhangsan@example.com",
           "220102198001011234", "李晓明"]
# Raw tags or live links: escaped text such as `&lt;img onerror=…&gt;` is harmless.
INJECTED = ["<script", "<img", "<iframe", "<svg", "<style", '<a href="javascript', '<a href="http://evil']

BROKEN = [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"  \r\n\r\n \t ", "empty file"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "binary data: contains NUL bytes"),
    ("undecodable.txt", bytes([0x81, 0x30, 0xff, 0xfe, 0x80]) * 50, "cannot decode: not UTF-8, UTF-16 or GB18030 text"),
    ("nul.txt", "答复正文\x00继续".encode("utf-8") * 10, "binary data: contains NUL bytes"),
    ("cut.txt", "关于对省政协十三届三次会议第12号提案的答复\n\n吉交函〔2025〕3号\n".encode("utf-8"),
     "no reply text: nothing after the heading lines"),
    ("huge.txt", (("　　" + "我省高度重视这项工作。" * 40 + "\n\n").encode("utf-8") * 5000)[: 5 * 2**20],
     "too large: 5.0 MB (a reply is at most 2 MB); is it several replies in one file?"),
]


@pytest.fixture
def work(tmp_path):
    """A project copy whose data dir has the samples plus whatever a test adds."""
    shutil.copytree(DATA, tmp_path / "data")
    copy_hand_written_docs(tmp_path / "docs")
    return tmp_path


def test_broken_inputs_one_clear_line_each_others_built(work):
    replies = work / "data" / "replies"
    for name, data, _ in BROKEN:
        (replies / name).write_bytes(data)
    for name in ("名字 有空格.txt", "a..b.txt", "..txt"):
        (replies / name).write_bytes(seed("001").read_bytes())
    before = {p for p in work.rglob("*") if "docs" not in p.parts}
    assert not (work / ".cache").exists()
    result = generate(work / "data", work / "docs")
    errors = sorted(str(p) for p in result.errors)
    assert errors == sorted(f"{name}: {message}" for name, _, message in BROKEN)
    assert len(result.replies) == 5 + 3
    ids = {r.source: r.id for r in result.replies}
    for name in ("名字 有空格.txt", "a..b.txt", "..txt"):
        assert ".." not in ids[name] and "/" not in ids[name] and " " not in ids[name]
        assert (work / "docs" / "replies" / f"{ids[name]}.md").is_file()
    # Nothing written outside docs/ but the extraction cache.
    assert {p for p in work.rglob("*") if "docs" not in p.parts and ".cache" not in p.parts} == before


def test_cli_names_each_broken_file(work):
    for name, data, _ in BROKEN[:3]:
        (work / "data" / "replies" / name).write_bytes(data)
    proc = subprocess.run([sys.executable, "-m", "generator", "generate", "-q", "--data", str(work / "data"),
                           "--docs", str(work / "docs")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    lines = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
    assert lines == [f"error: {name}: {message}" for name, _, message in sorted(BROKEN[:3])]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    """The hostile fixtures (and the samples) generated and built with --strict."""
    work = tmp_path_factory.mktemp("hostile")
    shutil.copytree(DATA, work / "data")
    for path in HOSTILE.iterdir():
        shutil.copy(path, work / "data" / "replies" / path.name)
    copy_hand_written_docs(work / "docs")
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--strict", "-q", "--data", str(work / "data"),
                           "--docs", str(work / "docs"), "--site", str(work / "site")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work


HOSTILE_IDS = sorted(p.stem for p in HOSTILE.glob("*.txt"))


@pytest.mark.parametrize("reply_id", HOSTILE_IDS)
def test_hostile_page_front_matter_valid_and_text_escaped(hostile_site, reply_id):
    page = (hostile_site / "docs" / "replies" / f"{reply_id}.md").read_text(encoding="utf-8")
    body, meta = get_data(page)
    assert meta["id"] == reply_id and meta["source"] == f"{reply_id}.txt"
    for needle in INJECTED:
        assert needle not in body, needle
    html = (hostile_site / "site" / "replies" / reply_id / "index.html").read_text(encoding="utf-8")
    article = html[html.index("<article"): html.index("</article>")]
    for needle in INJECTED:
        assert needle not in article, needle


def test_hostile_values_shown_literally(hostile_site):
    docs = hostile_site / "docs" / "replies"
    _, meta = get_data((docs / "hostile_html.md").read_text(encoding="utf-8"))
    assert meta["proposer"] == "张<script>window.pwned=1</script>三"
    assert meta["proposal_title"] == '关于<img src=x onerror="window.pwned=2">加强网络安全的建议'
    _, meta = get_data((docs / "hostile_sidecar.md").read_text(encoding="utf-8"))
    # Sidecar values are normalised like extracted ones: line breaks and CJK spaces go.
    assert meta["title"] == "关于<script>window.pwned=9</script>的答复--- id: evil"
    assert meta["proposer"] == '{{ 7*7 }} "孙七":委员'
    assert meta["id"] == "hostile_sidecar"
    html = (hostile_site / "site" / "replies" / "hostile_template" / "index.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in html and "{% raw %}" in html and "{{ config }}" in html and "49" not in html.split("<article")[1][:200]
    html = (hostile_site / "site" / "replies" / "hostile_markdown" / "index.html").read_text(encoding="utf-8")
    article = html[html.index("<article"): html.index("</article>")]
    assert "#这一行不是标题" in article and "<li>这一行" not in article and "<blockquote" not in article
    assert 'class="evil"' not in article and "&lt;!--隐藏--&gt;" in article
    assert '{: .evil onclick="window.pwned=8" }' in article


def test_no_personal_data_anywhere_in_site(hostile_site):
    checked = 0
    for path in (hostile_site / "site").rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".csv", ".js", ".xml", ".txt"}:
            content = path.read_text(encoding="utf-8", errors="replace")
            checked += 1
            for secret in SECRETS:
                assert secret not in content, (path, secret)
    assert checked > 50
    data = json.loads((hostile_site / "site" / "data" / "replies.json").read_text(encoding="utf-8"))
    assert any(r["id"] == "personal_data" for r in data)


def test_withheld_reply_absent_from_every_output(work):
    (work / "data" / "replies" / "001_efe964a827ed06ef.yml").write_text("publish: false\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--strict", "-q", "--data", str(work / "data"),
                           "--docs", str(work / "docs"), "--site", str(work / "site")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not (work / "site" / "replies" / "001_efe964a827ed06ef").exists()
    for path in (work / "site").rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".csv", ".js", ".xml"}:
            content = path.read_text(encoding="utf-8", errors="replace")
            assert "001_efe964a827ed06ef" not in content and "战滨华" not in content, path
            assert "粤港澳大湾区科技创新优势" not in content, path
    home = (work / "site" / "index.html").read_text(encoding="utf-8")
    assert "<strong>4</strong> 件答复" in home


def test_browser_no_injected_script_runs(hostile_site, browser):
    """Every hostile page, and search results over them, load without running any payload:
    the payloads all set `window.pwned`."""
    base, stop = serve_directory(hostile_site / "site")
    try:
        context = browser.new_context()
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for reply_id in HOSTILE_IDS:
            page.goto(f"{base}/replies/{reply_id}/")
            assert page.locator("article h1").count() == 1
            assert page.evaluate("typeof window.pwned") == "undefined", reply_id
            assert page.locator("article script, article iframe, article img, article style").count() == 0
        for page_path in ("/", "/proposers/", "/quality/", "/agencies/"):
            page.goto(base + page_path)
            assert page.evaluate("typeof window.pwned") == "undefined", page_path
        # Search results render the hostile text too.
        box = page.locator("input.md-search__input")
        for query in ("网络安全", "模板语法", "不是标题"):
            box.click()
            box.fill(query)
            box.press("End")
            page.wait_for_selector(".md-search-result__item", timeout=10_000)
            page.wait_for_timeout(200)
            assert page.evaluate("typeof window.pwned") == "undefined", query
        assert dialogs == []
        context.close()
    finally:
        stop()
