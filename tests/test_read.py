import codecs
import os
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
