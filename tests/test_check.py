"""`python -m generator check` and the 数据质量 page."""

from __future__ import annotations

import os
import subprocess
import sys

from generator.pipeline import generate

from conftest import ROOT, seed


def run_check(data_dir, *flags):
    return subprocess.run([sys.executable, "-m", "generator", "check", "--data", str(data_dir), *flags],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def break_data(data_dir):
    """A data dir with one bad file of each kind the check reports."""
    replies = data_dir / "replies"
    (replies / "unreadable.txt").write_bytes(b"\x00\x01\x02binary\x00" * 40)
    (replies / "empty.txt").write_bytes(b"")
    (replies / "dup.txt").write_bytes(seed("001").read_bytes())
    (replies / "dup.yml").write_text("id: 001_efe964a827ed06ef\n", encoding="utf-8")
    text = seed("003").read_text(encoding="utf-8")
    (replies / "undated.txt").write_text(text.replace("2025 年 5月 27 日", "").replace(
        "吉林省科学技术厅", "吉林省低空经济厅"), encoding="utf-8")


def test_check_seeds_clear_report(data_dir):
    proc = run_check(data_dir, "--strict")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "checked 5 files: 5 replies read, 0 errors, 0 warnings, 3 with fields not extracted"
    assert "002_1b3f1d40111f6f91.txt: info: 1 piece(s) of contact data withheld" in lines
    assert "000_efa8fdae100aaa57.txt: not extracted: doc_number, proposal_number" in lines
    assert "004_5384189321c4f11f.txt: ok" in lines


def test_check_broken_data_names_each_bad_file(data_dir):
    break_data(data_dir)
    lines = run_check(data_dir).stdout.splitlines()
    by_file = {line.split(": ", 1)[0]: line for line in lines[:-1]}
    assert by_file["unreadable.txt"].startswith("unreadable.txt: error: binary data: ")
    assert by_file["empty.txt"] == "empty.txt: error: empty file"
    assert "error: id '001_efe964a827ed06ef' is already used by 001_efe964a827ed06ef.txt" in by_file["dup.txt"]
    assert "warning: no date found" in by_file["undated.txt"]
    assert "warning: agency not in the registry: 吉林省低空经济厅" in by_file["undated.txt"]
    assert "date" in by_file["undated.txt"].split("not extracted: ")[1]
    # Errors fail the check; with --strict warnings do too.
    assert run_check(data_dir).returncode == 1
    (data_dir / "replies" / "unreadable.txt").unlink()
    (data_dir / "replies" / "empty.txt").unlink()
    (data_dir / "replies" / "dup.txt").unlink()
    assert run_check(data_dir).returncode == 0
    assert run_check(data_dir, "--strict").returncode == 1


def test_quality_page_lists_problems_in_chinese(data_dir, tmp_path):
    break_data(data_dir)
    generate(data_dir, tmp_path / "docs")
    page = (tmp_path / "docs" / "quality" / "index.md").read_text(encoding="utf-8")
    assert "| unreadable.txt | 错误 | 文件无法读取（binary data: " in page
    assert "单位不在登记表中：吉林省低空经济厅" in page and "未找到答复日期" in page
    assert "编号 001\\_efe964a827ed06ef 已被 001\\_efe964a827ed06ef.txt 使用" in page
    assert "[undated.txt](../replies/undated.md)" in page
