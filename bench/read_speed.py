"""Reading speed per input format: `make bench-formats`.

    .venv/bin/python bench/read_speed.py [--copies 40] [--out bench/read_speed.json]

Makes each sample reply (`data/replies/`) into a PDF (printed by Chromium: letterhead,
page numbers), a Word file and a CMS web page (`tests/formats.py`), then measures, in
this process, reading and cleaning each form (files/s, one core) and a whole `generate`
of a data dir of `--copies` × 5 files of one format, on every core, from an empty cache
(replies/s). Prints a table and writes the figures, with the machine, to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from formats import make_docx, make_html, make_pdf  # noqa: E402

from generator.clean import clean, clean_document  # noqa: E402
from generator.pipeline import generate  # noqa: E402
from generator.read import read_text  # noqa: E402
from generator.readers import read_document  # noqa: E402

SEEDS = sorted((ROOT / "data" / "replies").glob("*.txt"))
KINDS = {"text": ".txt", "PDF": ".pdf", "Word": ".docx", "web page": ".html"}


def forms(browser) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {kind: [] for kind in KINDS}
    for path in SEEDS:
        paragraphs = clean(read_text(path))
        out["text"].append(path.read_bytes())
        out["PDF"].append(make_pdf(browser, paragraphs, letterhead="某某单位文件"))
        out["Word"].append(make_docx(paragraphs, letterhead="某某单位"))
        out["web page"].append(make_html(paragraphs))
    return out


def read_rate(kind: str, files: list[bytes], rounds: int = 20) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for data in files:
            clean_document(read_document(data, "x" + KINDS[kind]))
    return rounds * len(files) / (time.perf_counter() - started)


def generate_rate(kind: str, files: list[bytes], copies: int) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as tmp:
        data = Path(tmp) / "data"
        (data / "replies").mkdir(parents=True)
        for registry in ("agencies.yml", "themes.yml", "site.yml"):
            shutil.copy(ROOT / "data" / registry, data / registry)
        for n in range(copies):
            for m, content in enumerate(files):
                (data / "replies" / f"r{n:04d}-{m}{KINDS[kind]}").write_bytes(content)
        started = time.perf_counter()
        result = generate(data, Path(tmp) / "docs", cache_dir=Path(tmp) / "cache")
        seconds = time.perf_counter() - started
        assert not result.errors, result.errors[:3]
        return len(result.replies) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40, help="copies of each sample in the generate run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "read_speed.json")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        made = forms(browser)
        browser.close()
    rows = []
    for kind, files in made.items():
        rows.append({"format": kind, "read_per_s": round(read_rate(kind, files), 1),
                     "generate_per_s": round(generate_rate(kind, files, args.copies), 1),
                     "mean_kb": round(sum(map(len, files)) / len(files) / 1024, 1)})
    print(f"Reading speed, {os.cpu_count()} cores ({platform.processor() or platform.machine()})\n")
    print("| format | read + clean, one core | generate, all cores | mean file |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['format']} | {row['read_per_s']} files/s | {row['generate_per_s']} replies/s | {row['mean_kb']} KB |")
    args.out.write_text(json.dumps({"machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                                    "copies": args.copies, "rows": rows}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
