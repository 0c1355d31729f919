"""A 1,000-reply site (copies of the samples under new ids) still builds, and no page
grows with the corpus: HTML pages stay under 100 KB and the listings paginate."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from generator.render import PAGE_SIZE

from conftest import DATA, ROOT, SEEDS, copy_hand_written_docs

COPIES = 1000
LIMIT = 100 * 1024


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    work = tmp_path_factory.mktemp("big")
    replies = work / "data" / "replies"
    replies.mkdir(parents=True)
    for name in ("agencies.yml", "themes.yml"):
        shutil.copy(DATA / name, work / "data" / name)
    for n in range(COPIES):
        shutil.copy(SEEDS[n % len(SEEDS)], replies / f"r{n:04d}.txt")
    copy_hand_written_docs(work / "docs")
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--strict", "-q", "--data", str(work / "data"),
         "--docs", str(work / "docs"), "--site", str(work / "site")],
        cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return work


def test_scale_no_html_page_over_100kb(big_site):
    pages = list((big_site / "site").rglob("*.html"))
    assert len(pages) > COPIES
    largest = max(pages, key=lambda p: p.stat().st_size)
    assert largest.stat().st_size <= LIMIT, f"{largest}: {largest.stat().st_size} bytes"


def test_scale_listings_paginate(big_site):
    site = big_site / "site"
    count = COPIES // len(SEEDS)  # each sample's proposer filed `count` of the copies
    last = -(-count // PAGE_SIZE)
    assert (site / "proposers" / "min-jian-sheng-wei-hui" / "page" / str(last) / "index.html").is_file()
    assert not (site / "proposers" / "min-jian-sheng-wei-hui" / "page" / str(last + 1)).exists()
    assert (site / "replies" / "page" / str(COPIES // PAGE_SIZE) / "index.html").is_file()


def test_scale_reply_page_size_independent_of_corpus(big_site, built_site):
    small_work, _ = built_site
    small = (small_work / "site" / "replies" / "002_1b3f1d40111f6f91" / "index.html").stat().st_size
    big = (big_site / "site" / "replies" / "r0002" / "index.html").stat().st_size
    assert abs(big - small) < 0.15 * small, (small, big)
