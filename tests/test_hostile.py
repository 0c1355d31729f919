"""Broken input, hostile input and personal data: one clear line per bad file, hostile text
shown literally and never executed, personal data published nowhere."""

from __future__ import annotations

import json
import re
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


def _visible_text(html: str) -> str:
    """The text a reader sees of an HTML fragment: tags dropped, references resolved."""
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def test_hostile_block_marks_shown_literally(hostile_site):
    """Admonition, details and tab marks at the start of a paragraph are text, and a
    leading `=` is shown without a backslash."""
    html = (hostile_site / "site" / "replies" / "hostile_blocks" / "index.html").read_text(encoding="utf-8")
    article = html[html.index("<article"): html.index("</article>")]
    text = _visible_text(article)
    assert "admonition" not in article and "tabbed" not in article
    # The only collapsible blocks are the citation's own BibTeX and CSL-JSON.
    assert re.findall(r"<details[^>]*>", article) == ['<details class="cite-form">'] * 2
    for shown in ('!!! danger "这一段不是警告框"', "??? note", "???+ note", '=== "这一段不是标签页"',
                  "=这一段以等号开头"):
        assert shown in text, shown
    assert "\\=" not in text and "\\?" not in text and "\\!" not in text


def _generate_cli(data, docs):
    return subprocess.run([sys.executable, "-m", "generator", "generate", "-q", "--data", str(data), "--docs", str(docs)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [*{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}]\n" for a, b in zip("abcdefgh", "bcdefghi"))

# (file, its text, what the one error line says after `error: <file>: `)
BAD_REGISTRIES = [
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: '..'\n", "agency 1 (某局): slug '..' must be lowercase"),
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: ../guide\n", "agency 1 (某局): slug '../guide' must be"),
    ("agencies.yml", 'agencies:\n- name: 某局\n  slug: "a\\nb"\n', "agency 1 (某局): slug 'a\\nb' must be"),
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: 'javascript:alert(1)'\n", "agency 1 (某局): slug 'javascript:alert(1)' must"),
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: ''\n", "agency 1 (某局): slug '' must be"),
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: Mou\n", "agency 1 (某局): slug 'Mou' must be"),
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: 12\n", "agency 1 (某局): slug 12 must be"),
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: [a]\n", "agency 1 (某局): slug ['a'] must be"),
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: index\n", "agency 1 (某局): slug 'index' is reserved"),
    ("agencies.yml", "agencies:\n- name: 某局\n  slug: assets\n", "agency 1 (某局): slug 'assets' is reserved"),
    ("agencies.yml", "agencies:\n- name: 甲局\n  slug: a\n- name: 乙局\n  slug: a\n",
     "agency 2 (乙局): slug 'a' is already used by agency 1 (甲局)"),
    ("agencies.yml", "agencies:\n- name: 甲局\n  slug: a\n  aliases: [局]\n- name: 乙局\n  slug: b\n  aliases: [局]\n",
     "agency 2 (乙局): '局' is already a name or alias of agency 1 (甲局)"),
    ("agencies.yml", "agencies:\n- name: [甲局, 乙局]\n  slug: a\n", "agency 1: name: expected text, not a list"),
    ("agencies.yml", "agencies:\n- name: 甲局\n  slug: a\n  aliases: 局\n", "agency 1 (甲局): aliases: expected a list"),
    ("agencies.yml", "agencies:\n- name: 甲局\n  slug: a\n  aliases: [[局]]\n",
     "agency 1 (甲局): aliases 1: expected text, not a list"),
    ("agencies.yml", 'agencies:\n- name: "甲\\ud800局"\n  slug: a\n', "agency 1: name: contains a lone surrogate"),
    ("agencies.yml", "agencies:\n- 甲局\n", "agency 1: expected a mapping with a name and a slug"),
    ("agencies.yml", "- name: 甲局\n  slug: a\n", "expected a mapping with a list under 'agencies'"),
    ("agencies.yml", "agencies:\n- &x {name: 甲局, slug: a}\n- *x\n", "not valid YAML: YAML anchors (&x) are not allowed"),
    ("agencies.yml", "agencies:\n- name: 甲局\n  slug: a\n  aliases: *x\n", "not valid YAML: YAML aliases (*x) are not allowed"),
    ("agencies.yml", BILLION_LAUGHS, "not valid YAML: YAML anchors (&a) are not allowed"),
    ("agencies.yml", b"agencies:\n- name: \xff\xfe\n", "cannot read: not UTF-8"),
    ("agencies.yml", "agencies: [" * 5000, "not valid YAML"),
    ("themes.yml", "themes:\n- name: 交通\n  slug: t\n  keywords:\n  - {word: 公路, weight: abc}\n",
     "theme 1 (交通): keyword 1: weight 'abc' must be a number"),
    ("themes.yml", "themes:\n- name: 交通\n  slug: t\n- name: 水利\n  slug: t\n",
     "theme 2 (水利): slug 't' is already used by theme 1 (交通)"),
    ("themes.yml", "themes:\n- name: 交通\n  slug: page\n", "theme 1 (交通): slug 'page' is reserved"),
    ("themes.yml", "themes:\n- name: 交通\n  slug: t\n  keywords: {公路: 2}\n", "theme 1 (交通): keywords: expected a list"),
    ("themes.yml", "themes:\n- name: 交通\n  slug: t\n  keywords: [[公路]]\n",
     "theme 1 (交通): keyword 1: word: expected text, not a list"),
    ("themes.yml", "themes:\n- name: {a: 1}\n  slug: t\n", "theme 1: name: expected text, not a mapping"),
    ("themes.yml", BILLION_LAUGHS, "not valid YAML: YAML anchors (&a) are not allowed"),
    ("site.yml", "place: &p 吉林省\npublisher: *p\n", "not valid YAML: YAML anchors (&p) are not allowed"),
    ("site.yml", "place: 吉林省\npublisher: [a, b]\n", "publisher: expected text, not a list"),
    ("site.yml", "place: 吉林省\nabout: \"a\\ud800\"\n", "about: contains a lone surrogate"),
    ("agencies.yml", "agencies:\n- name: 甲局\n  slug: " + "a" * 5000 + "\n", "agency 1 (甲局): slug"),
    ("agencies.yml", "agencies:\n- name: 甲局\n  name: 乙局\n  slug: a\n", "not valid YAML: the key 'name' is given twice"),
    ("site.yml", "place: 吉林省\nplace: 长春市\n", "not valid YAML: the key 'place' is given twice"),
]


@pytest.mark.parametrize("name, text, message", BAD_REGISTRIES)
def test_cli_bad_registry_one_error_line_exit_2(tmp_path, name, text, message):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    proc = _generate_cli(data, tmp_path / "docs")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {name}: {message}"), proc.stderr
    assert not (tmp_path / "docs").exists()


def test_registry_weights_as_numbers(tmp_path):
    from generator.registry import load_themes

    path = tmp_path / "themes.yml"
    path.write_text("themes:\n- name: 交通\n  slug: t\n  keywords: [{word: 公路, weight: 2.5}, 桥梁]\n", encoding="utf-8")
    assert load_themes(path)[0][1] == (("公路", 2.5), ("桥梁", 1))


STEM = "001_efe964a827ed06ef"
BAD_SIDECARS = [
    (b'title: "\\ud800"\n', "title: contains a lone surrogate (U+D800)"),
    (b"title: \xff\xfe\xed\xa0\x80\n", "cannot read: not UTF-8 (byte 7)"),
    (b"title: [a, b]\n", "title: expected text, not a list"),
    (b"proposer: {name: a}\n", "proposer: expected text, not a mapping"),
    (b"doc_number: [a]\n", "doc_number: expected text, not a list"),
    (b"themes: [[a]]\n", "themes: expected text, not a list"),
    (b"co_agencies: {a: 1}\n", "co_agencies: expected a list of text, not a mapping"),
    (b"title: yes\n", "title: expected text, not yes/no"),
    (b"title: &t x\nproposer: *t\n", "not valid YAML: YAML anchors (&t) are not allowed"),
    (BILLION_LAUGHS.replace("a:", "title:", 1).encode(), "not valid YAML: YAML anchors (&a) are not allowed"),
    (b"title: " + "长".encode() * 30000 + b"\n", "too large: more than 64 KB"),
    ("themes: [不存在的主题]\n".encode(), "themes: 不存在的主题 not in themes.yml"),
    (b"date: 2024-13-45\n", "not valid YAML: month must be in 1..12"),
    (b"year: 99999999999999999999\n", "year: 99999999999999999999 is not between 1949 and 2199"),
    (b"session_term: -1\n", "session_term: -1 is not between 1 and 99"),
    (b"title: a\ntitle: b\n", "not valid YAML: the key 'title' is given twice"),
]


@pytest.mark.parametrize("text, message", BAD_SIDECARS)
def test_sidecar_bad_value_fails_that_reply_only(data_dir, tmp_path, text, message):
    (data_dir / "replies" / f"{STEM}.yml").write_bytes(text)
    result = generate(data_dir, tmp_path / "docs")
    assert len(result.errors) == 1 and str(result.errors[0]).startswith(f"{STEM}.txt: sidecar {STEM}.yml: {message}")
    assert len(result.replies) == 4 and not (tmp_path / "docs" / "replies" / f"{STEM}.md").exists()
    assert not (tmp_path / "docs" / "themes" / "bu-cun-zai-de-zhu-ti").exists()


def test_sidecar_number_taken_as_text_and_known_theme_kept(data_dir, tmp_path):
    from generator.sidecar import load_sidecar

    path = data_dir / "replies" / f"{STEM}.yml"
    path.write_text("proposal_number: 12\ntitle: \"a\\tb\\x1b[31mc\"\nthemes: [交通]\n", encoding="utf-8")
    assert load_sidecar(path) == {"proposal_number": "12", "title": "a b[31mc", "themes": ("交通",)}
    assert load_sidecar(path, themes={"交通"})["themes"] == ("交通",)
    with pytest.raises(ValueError, match="themes: 交通 not in themes.yml"):
        load_sidecar(path, themes=set())


@pytest.mark.parametrize("name", ["a\nerror: forged.txt", "b\x1b[2K\rerror: forged.txt", "c\u2028error: forged.txt"])
def test_cli_file_name_control_characters_escaped(work, name):
    (work / "data" / "replies" / name).write_bytes(b"")
    proc = _generate_cli(work / "data", work / "docs")
    assert proc.returncode == 1
    assert not [line for line in proc.stderr.splitlines() if line.startswith("error: forged")]
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr
    escaped = name.translate({10: "\\n", 13: "\\r", 27: "\\x1b", 0x2028: "\\u2028"})
    assert [line for line in proc.stderr.splitlines() if line.startswith("error: ")] == [f"error: {escaped}: empty file"]


def test_cli_file_name_not_utf8_fails_that_file_only(work):
    import os

    replies = os.fsencode(work / "data" / "replies")
    with open(os.path.join(replies, b"\xff\xfe.txt"), "wb") as handle:
        handle.write(seed("001").read_bytes())
    proc = _generate_cli(work / "data", work / "docs")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("error: ")] == [
        "error: \\udcff\\udcfe.txt: file name is not UTF-8: rename the file"]
    assert "5 replies written" in proc.stdout


def test_sidecar_timestamp_taken_as_its_day(data_dir, tmp_path):
    (data_dir / "replies" / f"{STEM}.yml").write_text("date: 2024-01-01T10:00:00Z\n", encoding="utf-8")
    result = generate(data_dir, tmp_path / "docs", jobs=1)
    reply = next(r for r in result.replies if r.source == f"{STEM}.txt")
    assert not result.errors and reply.date.isoformat() == "2024-01-01" and reply.year == 2024
