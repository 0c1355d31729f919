"""Stage 7, site: docs/ → site/ with MkDocs (Material theme).

In: mkdocs.yml and the docs dir written by `render`. Out: the static site in the site
dir. Uses MkDocs' own API, so the build is the same as `mkdocs build`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from .pipeline import ROOT


class BuildError(RuntimeError):
    """The MkDocs build failed, or warned under --strict."""


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(docs_dir: Path, site_dir: Path, strict: bool = False, config_file: Path = ROOT / "mkdocs.yml") -> list[str]:
    """Build the site; returns MkDocs' warnings. Under `strict` any warning fails."""
    counter = _Counter()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(counter)
    try:
        config = load_config(str(config_file), docs_dir=str(docs_dir.resolve()),
                             site_dir=str(site_dir.resolve()), strict=strict)
        mkdocs_build(config)
    except Abort as exc:
        raise BuildError(f"MkDocs build failed: {exc}") from None
    finally:
        logger.removeHandler(counter)
    if strict and counter.messages:
        raise BuildError(f"MkDocs build had {len(counter.messages)} warning(s): {counter.messages[0]}")
    return counter.messages
