"""Shared test fixtures: paths, the sample corpus and the run context (loaded once)."""

from __future__ import annotations

import shutil
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


@pytest.fixture
def data_dir(tmp_path):
    """A copy of the data dir (registries and sample replies) that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target
