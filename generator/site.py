"""Stage 7, site: docs/ → site/ with MkDocs (Material theme).

In: mkdocs.yml and the docs dir written by `render`. Out: the static site in the site
dir. Uses MkDocs' own API, so the build is the same as `mkdocs build`; the project's
MkDocs hooks (`generator/mkdocs_hooks.py`) make sure Chinese search is segmented.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError

from .buildcache import BuildCache
from .mkdocs_hooks import plugin
from .pipeline import ROOT
from .sitebuild import build as engine_build


class BuildError(RuntimeError):
    """The MkDocs build failed, or warned under --strict."""


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def default_build_cache(docs_dir: Path, site_dir: Path) -> Path:
    """`.cache/site/<site dir name>` beside the docs dir (the project root for `docs`),
    one per site dir, so that two sites built from one docs dir keep their own records."""
    return docs_dir.resolve().parent / ".cache" / "site" / (site_dir.resolve().name or "site")


IFRAME_WORKER_SHIM = "assets/javascripts/iframe-worker-shim.js"  # a local copy, docs-relative


def _enable_offline(config) -> None:
    """Material's offline plugin: file:// links and search without a server. Its search
    needs the iframe-worker shim, which the plugin would load from a CDN unless a local
    copy is listed first."""
    offline = plugin(config, "offline")
    if offline is None:
        raise BuildError("mkdocs.yml has no `offline` plugin: cannot build an offline archive")
    offline.config["enabled"] = True
    config["use_directory_urls"] = False
    config["extra"]["polyfills"] = [IFRAME_WORKER_SHIM]


def build_site(docs_dir: Path, site_dir: Path, strict: bool = False, config_file: Path = ROOT / "mkdocs.yml",
               offline: bool = False, search: str | None = None, extra: dict | None = None,
               jobs: int | None = None, cache_dir: Path | None = None, full: bool = False,
               progress=None) -> list[str]:
    """Build the site; returns MkDocs' warnings. Under `strict` any warning fails.
    `offline` builds for opening from disk (see `_enable_offline`); `search` overrides
    mkdocs.yml's `extra.search_engine` (auto | material | pagefind); `extra` overrides
    other `extra` settings. `jobs`: processes rendering pages (default: one per core);
    `cache_dir`: the build cache, for rendering only what changed since the last build
    into `site_dir` (None: a full build; see generator/sitebuild.py); `full`: every page
    rendered again, the cache's records replaced by this build's (so that the next build
    is incremental)."""
    if full and cache_dir is not None:
        BuildCache.clear(cache_dir)
    collector = _Collector()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collector)
    try:
        config = load_config(str(config_file), docs_dir=str(docs_dir.resolve()),
                             site_dir=str(site_dir.resolve()), strict=strict)
        if offline:
            if not (docs_dir / IFRAME_WORKER_SHIM).is_file() and not (ROOT / "docs" / IFRAME_WORKER_SHIM).is_file():
                raise BuildError(f"{ROOT / 'docs' / IFRAME_WORKER_SHIM} is missing")
            _enable_offline(config)
        if search:
            config["extra"]["search_engine"] = search
        config["extra"].update(extra or {})
        engine_build(config, jobs=jobs or os.cpu_count() or 1, cache_dir=cache_dir, progress=progress)
    except (Abort, ConfigurationError) as exc:
        detail = "; ".join(collector.messages[-3:]) or str(exc)
        raise BuildError(f"MkDocs build failed: {detail}") from None
    finally:
        logger.removeHandler(collector)
    if strict and collector.messages:
        raise BuildError(f"MkDocs build had {len(collector.messages)} warning(s): {collector.messages[0]}")
    return collector.messages
