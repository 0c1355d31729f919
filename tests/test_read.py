import codecs
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, ROOT
from generator.read import ReadError, decode, read_bytes

TEXT = "  您在省政协十三届二次会议上提出的《关于……的建议》收悉，\n\n现答复如下：   \n吉林省科学技术厅\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: t.encode("gb18030"),
        lambda t: t.encode("gbk"),
        lambda t: t.encode("utf-16"),
        lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
        lambda t: t.replace("\n", "\r\n").encode("utf-8"),
        lambda t: t.replace("\n", "\r\n").encode("gb18030"),
        lambda t: t.replace("\n", "\r").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16", "utf16-be", "crlf", "crlf-gb18030", "cr"],
)
def test_decode_encodings_give_same_text(encode):
    assert decode(encode(TEXT)) == TEXT


def test_decode_utf16_without_bom_mostly_ascii():
    text = "Reply 2024 答复 " * 20
    assert decode(text.encode("utf-16-le")) == text


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty file"),
        (b"  \n\r\n\t ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary data"),
        (b"\xff\xfe\xff" + b"\x00\xd8" * 3, "not valid UTF-16"),
        (bytes([0x81, 0x30, 0xff, 0xfe, 0x80]) * 5, "cannot decode"),
        ("答复\x00正文".encode("utf-8"), "binary data: contains NUL"),
    ],
    ids=["empty", "blank", "png", "bad-utf16", "undecodable", "nul"],
)
def test_decode_bad_input_raises_clear_error(data, message):
    with pytest.raises(ReadError, match=message):
        decode(data)


def _special_files(data: Path) -> dict[str, str]:
    """Reply files that are not regular files inside the data dir → the error each gets."""
    replies = data / "replies"
    outside = data.parent / "secret.txt"
    outside.write_text("您在省政协十三届二次会议上提出的建议收悉。机器上的秘密文件\n", encoding="utf-8")
    (replies / "link_out.txt").symlink_to(outside)
    (replies / "link_passwd.txt").symlink_to("/etc/passwd")
    (replies / "link_zero.txt").symlink_to("/dev/zero")
    os.mkfifo(replies / "pipe.txt")
    (replies / "folder.txt").mkdir()
    return {"link_out.txt": "outside the data dir", "link_passwd.txt": "outside the data dir",
            "link_zero.txt": "outside the data dir", "pipe.txt": "a named pipe, not a file",
            "folder.txt": "a folder, not a file"}


def test_read_bytes_only_regular_files_inside_root(tmp_path):
    data = tmp_path / "data"
    (data / "replies").mkdir(parents=True)
    expected = _special_files(data)
    for name, message in expected.items():
        with pytest.raises(ReadError, match=message):
            read_bytes(data / "replies" / name, root=data)
    (data / "elsewhere.txt").write_bytes(b"inside")
    (data / "replies" / "link_in.txt").symlink_to(data / "elsewhere.txt")
    assert read_bytes(data / "replies" / "link_in.txt", root=data) == b"inside"  # a link within is fine


def test_read_bytes_reads_at_most_one_byte_past_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 5000)
    real_read, asked = os.read, []
    monkeypatch.setattr(os, "read", lambda fd, n: asked.append(n) or real_read(fd, n))
    monkeypatch.setattr(os, "fstat", lambda fd: type("S", (), {"st_mode": 0o100644, "st_size": 0})())  # a size that lies
    with pytest.raises(ReadError, match="too large"):
        read_bytes(path, max_bytes=1000)
    assert sum(asked) <= 1001


def test_generate_special_files_refused_each_others_built(tmp_path):
    """A pipe would hang the run, links would publish the machine's files: one error each."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    expected = _special_files(data)
    docs = tmp_path / "docs"
    proc = subprocess.run([sys.executable, "-m", "generator", "generate", "-q", "-j", "1", "--data", str(data),
                           "--docs", str(docs)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 1 and len(errors) == len(expected)
    for name, message in expected.items():
        assert any(line.startswith(f"error: {name}: ") and message in line for line in errors), name
    assert len(list((docs / "replies").glob("*.md"))) == 6  # the five samples and the list
    published = "".join(p.read_text(encoding="utf-8") for p in docs.rglob("*") if p.is_file())
    assert "root:" not in published and "机器上的秘密文件" not in published


def test_generate_loops_of_links_one_error_each(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    replies = data / "replies"
    (replies / "loop1.txt").symlink_to("loop2.txt")
    (replies / "loop2.txt").symlink_to("loop1.txt")
    sample = sorted(replies.glob("0*.txt"))[0]
    (replies / "lp.yml").symlink_to(sample.with_suffix(".yml").name)
    sample.with_suffix(".yml").symlink_to("lp.yml")
    from generator.pipeline import generate

    result = generate(data, tmp_path / "docs", jobs=1)
    assert sorted(p.source for p in result.errors) == sorted(["loop1.txt", "loop2.txt", sample.name])
    assert all("loop of symbolic links" in p.message for p in result.errors) and len(result.replies) == 4


@pytest.mark.parametrize("make", ["file", "fifo", "loop"])
def test_cli_replies_not_a_folder_exit_2(tmp_path, make):
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("replies"))
    {"file": lambda p: p.write_text("x"), "fifo": os.mkfifo, "loop": lambda p: p.symlink_to("replies")}[make](data / "replies")
    proc = subprocess.run([sys.executable, "-m", "generator", "generate", "-q", "--data", str(data),
                           "--docs", str(tmp_path / "docs")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and "not a folder of replies" in proc.stderr


@pytest.mark.parametrize("name", ["agencies.yml", "themes.yml", "site.yml"])
@pytest.mark.parametrize("link", ["outside", "loop"])
def test_cli_registry_link_out_or_loop_exit_2(tmp_path, name, link):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    if link == "outside":
        (tmp_path / name).write_bytes((data / name).read_bytes())
        (data / name).unlink()
        (data / name).symlink_to(tmp_path / name)
    else:
        (data / name).unlink()
        (data / name).symlink_to(name)
    proc = subprocess.run([sys.executable, "-m", "generator", "check", "--data", str(data)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.startswith(f"error: {name}")


# --- Other formats: the five samples as PDF, Word and CMS web page (tests/formats.py) ---

from html import escape as html_escape  # noqa: E402

from generator.clean import clean, clean_document  # noqa: E402
from generator.read import read_text  # noqa: E402
from generator.readers import read_document  # noqa: E402

FORMATS = ("pdf", "docx", "html")


@pytest.fixture(scope="session")
def sample_forms(browser, ctx, tmp_path_factory):
    """Each sample reply as PDF, Word file and web page, made from its text, in a data
    dir of their own (`<stem>.pdf` …). Returns (folder, {stem: (txt Reply, paragraphs)})."""
    from formats import make_docx, make_html, make_pdf

    from generator.pipeline import process
    from conftest import SEEDS

    data = tmp_path_factory.mktemp("forms")
    for registry in ("agencies.yml", "themes.yml", "site.yml"):
        shutil.copy(DATA / registry, data / registry)
    folder = data / "replies"
    folder.mkdir()
    expected = {}
    for number, path in enumerate(SEEDS):
        paragraphs = clean_document(read_document(path.read_bytes(), path.name))
        reply, _ = process(path, ctx)
        expected[path.stem] = (reply, paragraphs)
        (folder / f"{path.stem}.pdf").write_bytes(make_pdf(browser, paragraphs, letterhead=f"{reply.agency}文件"))
        (folder / f"{path.stem}.docx").write_bytes(make_docx(paragraphs, letterhead=reply.agency))
        (folder / f"{path.stem}.html").write_bytes(make_html(  # some pages in GBK, as older CMSs serve them
            paragraphs, agency=reply.agency, date=reply.date.isoformat(), doc_number=reply.doc_number or "",
            encoding="gbk" if number % 2 else "utf-8"))
    return folder, expected


@pytest.mark.parametrize("kind", FORMATS)
def test_readers_samples_give_the_paragraphs_of_their_text(sample_forms, kind):
    """Read back, each form gives the paragraphs of the text it was made from: PDF
    letterhead and page numbers dropped, lines joined by their geometry, Word's header
    and footer unread, the web page's chrome dropped (its metadata fields come first)."""
    folder, expected = sample_forms
    for stem, (_, paragraphs) in expected.items():
        got = clean_document(read_document((folder / f"{stem}.{kind}").read_bytes(), f"{stem}.{kind}"))
        if kind == "html":
            meta = [p for p in got if re.match(r"^(?:索引号|主题分类|发布机构|成文日期|文号|发布日期|发布时间|来源)：", p)]
            assert got[:len(meta)] == meta and len(meta) >= 4
            got = got[len(meta):]
        assert got == paragraphs, (stem, kind)


@pytest.mark.parametrize("kind", FORMATS)
def test_readers_samples_give_the_fields_and_body_of_their_text(sample_forms, kind):
    from generator.pipeline import load_context, process

    folder, expected = sample_forms
    ctx = load_context(folder.parent)
    for stem, (reply, _) in expected.items():
        got, problems = process(folder / f"{stem}.{kind}", ctx)
        assert got is not None, problems
        record, want = got.record(), reply.record()
        assert {k: v for k, v in record.items() if k != "source"} == {k: v for k, v in want.items() if k != "source"}
        assert got.blocks == reply.blocks, (stem, kind)
        assert record["source"] == f"{stem}.{kind}"


def _scanned_pdf(browser) -> bytes:
    """A PDF of one page holding only an image, as a scanner makes."""
    import base64
    import zlib
    import struct

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\x00" + bytes([(x * y) % 256 for x in range(64)]) for y in range(64))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    page = browser.new_page()
    page.set_content(f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" style="width:500px">')
    data = page.pdf(format="A4")
    page.close()
    return data


def _encrypted_pdf() -> bytes:
    import io

    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    pdf.drawString(100, 700, "reply")
    pdf.save()
    return out.getvalue()


def test_readers_bad_files_one_clear_error_each_others_built(browser, tmp_path):
    """A scanned PDF, an encrypted PDF, a damaged PDF, a damaged .docx, an old .doc and a
    password-protected .docx: one error each, naming the file and the reason; the sample
    replies beside them are built."""
    from generator.pipeline import generate

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    bad = {
        "scan.pdf": (_scanned_pdf(browser), "no text layer: scanned images; OCR it first"),
        "locked.pdf": (_encrypted_pdf(), "encrypted PDF"),
        "broken.pdf": (b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF", "damaged PDF"),
        "cut.docx": (b"PK\x03\x04" + os.urandom(200), "damaged .docx"),
        "old.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "save it as .docx or PDF"),
        "locked.docx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "password-protected"),
        "empty.html": (b"<html><body><nav>\xe9\xa6\x96\xe9\xa1\xb5</nav></body></html>", "no running text"),
    }
    for name, (content, _) in bad.items():
        (data / "replies" / name).write_bytes(content)
    (data / "replies" / "~$open.docx").write_bytes(b"lock")  # Word's lock file: not a reply
    result = generate(data, tmp_path / "docs")
    errors = {p.source: p.message for p in result.problems if p.severity == "error"}
    assert set(errors) == set(bad)
    for name, (_, reason) in bad.items():
        assert reason in errors[name], (name, errors[name])
    assert len(result.replies) == len(list((DATA / "replies").glob("*.txt")))


def test_readers_mixed_formats_build_one_site(sample_forms, tmp_path):
    """A data dir holding text, PDF, Word and web page replies builds one strict site."""
    from generator.site import build_site
    from generator.pipeline import generate
    from conftest import copy_hand_written_docs

    folder, expected = sample_forms
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    stems = sorted(expected)
    for path in (data / "replies").glob("*.txt"):
        path.unlink()
    for n, stem in enumerate(stems):  # each reply in one format, the first as text
        kind = ("txt", *FORMATS, "pdf")[n]
        source = DATA / "replies" / f"{stem}.txt" if kind == "txt" else folder / f"{stem}.{kind}"
        shutil.copy(source, data / "replies" / f"{stem}.{kind}")
    docs = copy_hand_written_docs(tmp_path / "docs")
    result = generate(data, docs)
    assert not result.errors and len(result.replies) == len(stems)
    build_site(docs, tmp_path / "site", strict=True)
    for stem in stems:
        assert (tmp_path / "site" / "replies" / stem / "index.html").is_file()


def test_originals_published_only_when_set_and_only_for_full_replies(sample_forms, tmp_path):
    """site.yml `originals: true` publishes PDF and Word originals beside their pages,
    linked from the card (原件下载); never by default, never for a withheld or summary-only
    reply; a web page is linked to the publisher's copy (sidecar source_url), not copied.
    An original whose page withholds contact details is warned of."""
    from generator.pipeline import generate

    folder, expected = sample_forms
    data = tmp_path / "data"
    shutil.copytree(folder.parent, data)
    for path in (data / "replies").glob("*.html"):
        path.unlink()
    stems = sorted(expected)
    for stem in stems[2:]:
        (data / "replies" / f"{stem}.docx").unlink()
    for stem in stems[:2]:
        (data / "replies" / f"{stem}.pdf").unlink()
    (data / "replies" / f"{stems[3]}.yml").write_text("publish: false\n", encoding="utf-8")
    (data / "replies" / f"{stems[1]}.yml").write_text("publish: summary\n", encoding="utf-8")
    (data / "replies" / f"{stems[4]}.yml").write_text(
        "source_url: https://example.gov.cn/art/2024/5/20/art_1(2).html\n", encoding="utf-8")
    docs = tmp_path / "docs"
    generate(data, docs)
    assert not (docs / "originals").exists() and "原件下载" not in (docs / "replies" / f"{stems[0]}.md").read_text()
    with open(data / "site.yml", "a", encoding="utf-8") as f:
        f.write("originals: true\n")
    result = generate(data, docs)
    assert not result.errors
    published = sorted(p.name for p in (docs / "originals").iterdir())
    assert published == sorted([f"{stems[0]}.docx", f"{stems[2]}.pdf", f"{stems[4]}.pdf"])
    assert (docs / "originals" / f"{stems[4]}.pdf").read_bytes() == (data / "replies" / f"{stems[4]}.pdf").read_bytes()
    page = (docs / "replies" / f"{stems[0]}.md").read_text(encoding="utf-8")
    assert f'<a href="../originals/{stems[0]}.docx">原件下载（DOCX）</a>' in page
    page = (docs / "replies" / f"{stems[4]}.md").read_text(encoding="utf-8")
    assert 'href="https://example.gov.cn/art/2024/5/20/art_1%282%29.html"' in page
    everything = "".join(p.read_text(encoding="utf-8", errors="replace") for p in docs.rglob("*") if p.is_file())
    assert stems[3] not in everything  # the withheld reply: no page, no original, no link
    # The sample with a phone number withheld from its page: its original holds it.
    warned = [p.source for p in result.warnings if "its original is published" in p.message]
    assert warned == [f"{stems[2]}.pdf"] == [r.source for r in result.replies if r.redactions]


@pytest.mark.parametrize("url", ["ftp://x.cn/a", "javascript:alert(1)", "https://x.cn/a b", ["https://x.cn"],
                                 "https://x.cn/?tel=13912345678"])
def test_sidecar_source_url_checked(data_dir, url):
    import yaml

    from generator.pipeline import load_context, process

    path = sorted((data_dir / "replies").glob("*.txt"))[0]
    path.with_suffix(".yml").write_text(yaml.safe_dump({"source_url": url}), encoding="utf-8")
    reply, problems = process(path, load_context(data_dir))
    assert reply is None and "source_url" in problems[0].message


def test_readers_ocr_reads_a_scanned_pdf_with_tesseract(browser, tmp_path, monkeypatch):
    """--ocr: each page of a PDF without a text layer is rendered to a grey image and read
    by `tesseract <image> stdout -l chi_sim`. Tesseract is stood in for by a script that
    checks its arguments and image, and prints a sample reply's text."""
    from generator.pipeline import generate

    sample = sorted((DATA / "replies").glob("*.txt"))[0]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "tesseract"
    fake.write_text(f"""#!{sys.executable}
import sys
image, out, flag, lang = sys.argv[1:5]
assert out == "stdout" and flag == "-l" and lang == "chi_sim", sys.argv
assert open(image, "rb").read(2) == b"P5"
sys.stdout.write(open({str(sample)!r}, encoding="utf-8").read())
""", encoding="utf-8")
    fake.chmod(0o755)
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    for path in (data / "replies").glob("*.txt"):
        path.unlink()
    (data / "replies" / "scan.pdf").write_bytes(_scanned_pdf(browser))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    without = generate(data, tmp_path / "docs1")
    assert "OCR it first" in without.errors[0].message
    result = generate(data, tmp_path / "docs2", ocr=True)
    assert not result.errors and len(result.replies) == 1
    assert result.replies[0].proposer == "徐川"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    missing = generate(data, tmp_path / "docs3", ocr=True, cache_dir=tmp_path / "cache3")  # not the result kept
    assert "apt-get install tesseract-ocr" in missing.errors[0].message


@pytest.mark.parametrize("layout", ["columns", "table"])
def test_readers_pdf_two_columns_or_a_table_lose_no_character(browser, layout):
    """A layout the reader does not model comes out as lines in reading order: every
    character is there."""
    from collections import Counter

    paragraphs = clean(read_text(sorted((DATA / "replies").glob("*.txt"))[1]))[:12]
    if layout == "columns":
        body = f'<div style="columns:2;column-gap:2em">{"".join(f"<p>{html_escape(p)}</p>" for p in paragraphs)}</div>'
    else:
        cells = [paragraphs[n:n + 3] for n in range(0, len(paragraphs), 3)]
        body = "<table border=1>" + "".join(
            "<tr>" + "".join(f"<td>{html_escape(c)}</td>" for c in row) + "</tr>" for row in cells) + "</table>"
    page = browser.new_page()
    page.set_content(f'<html lang="zh-CN"><body style="font:12pt \'Noto Sans CJK SC\'">{body}</body></html>')
    data = page.pdf(format="A4")
    page.close()
    got = clean_document(read_document(data, "x.pdf"))

    def chars(texts):
        return Counter(ch for text in texts for ch in text if not ch.isspace())
    assert chars(got) == chars(paragraphs)


def test_readers_size_limit_per_format(sample_forms, tmp_path):
    """A PDF of several MB (fonts, scanned pages) is read; a text file of that size is not
    one reply and is refused."""
    from generator.pipeline import load_context, process

    folder, expected = sample_forms
    data = tmp_path / "data"
    shutil.copytree(folder.parent, data)
    stem = sorted(expected)[0]
    pdf = (data / "replies" / f"{stem}.pdf").read_bytes()
    big = pdf + b"\n%" + b"x" * (3 * 2**20) + b"\n"  # a comment after %%EOF: still the same PDF
    for path in (data / "replies").iterdir():
        path.unlink()
    (data / "replies" / "big.pdf").write_bytes(big)
    (data / "replies" / "big.txt").write_bytes("答复".encode() * (2 * 2**20))
    ctx = load_context(data)
    reply, problems = process(data / "replies" / "big.pdf", ctx)
    assert reply is not None and reply.agency == expected[stem][0].agency, problems
    reply, problems = process(data / "replies" / "big.txt", ctx)
    assert reply is None and "too large" in problems[0].message


def test_readers_library_failure_past_opening_is_that_files_error(sample_forms, tmp_path, monkeypatch):
    """A file the library chokes on after opening it (here PDFium failing on a page) is
    one error naming it; the other replies are built."""
    import pypdfium2

    from generator.pipeline import generate
    from generator.readers import pdf

    folder, expected = sample_forms
    data = tmp_path / "data"
    shutil.copytree(folder.parent, data)
    for path in (data / "replies").iterdir():
        if path.suffix != ".docx":
            path.unlink()
    shutil.copy(folder / f"{sorted(expected)[0]}.pdf", data / "replies" / "broken-page.pdf")

    def fail(page, number):
        raise pypdfium2.PdfiumError("Failed to load page.")
    monkeypatch.setattr(pdf, "_page_lines", fail)
    result = generate(data, tmp_path / "docs", jobs=1)
    assert [(p.source, p.message) for p in result.errors] == [("broken-page.pdf", "damaged PDF file: PdfiumError")]
    assert len(result.replies) == len(expected)
