"""The site build's cache, in one room: what `sitebuild` keeps between builds so that the
next one renders only the pages that changed.

In: the records a build made of its pages and static files. Out: one file,
`<cache dir>/build.pickle` (written whole, atomically, after a build that succeeded),
holding

- the build's fingerprint (`fingerprint`): everything every page depends on — the
  project's code, the theme and its overrides, MkDocs, Material, Markdown and Pagefind
  versions, the config as loaded (with the docs dir's `.site.json` applied), the nav as
  built, and Material's search dictionary when the pages' text goes into its index.
  Another fingerprint makes a full build;
- per page (by its source path, `src_uri`) a `PageRecord`: the source's stat and digest,
  the files its links looked up (whether each was there is kept once, for all pages, in
  `targets`), the output's stat and digest,
  and what the build needs of the page without rendering it (its log lines, anchors,
  search entries and the hooks' per-page state);
- per static file (by its output path) a `StaticRecord`: the stats of the source and of
  the copy.

Pagefind's bundles, one per shard, sit beside it (`pagefind_bundles`, see
`generator/pagefind_shards.py`). A cache that cannot be read is no cache: the build is full.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

FILE = "build.pickle"
FORMAT = 3  # bump when the records change shape
# What the pages are made with, besides the config and the nav.
PACKAGES = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jinja2", "pagefind", "jieba")
PROJECT = Path(__file__).resolve().parent.parent


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def stat_key(path: str | os.PathLike) -> tuple[int, int] | None:
    """(size, mtime in ns) of a file, None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@dataclass(slots=True)  # slots: a record per page, 100,000s of them in memory
class PageRecord:
    """What a build keeps of one page (see the module's docstring)."""

    source_stat: tuple[int, int] | None
    source_digest: str | None
    deps: tuple[str, ...]  # the docs paths its links looked up (`BuildCache.targets`: found or not)
    output_stat: tuple[int, int] | None  # None: the page wrote nothing
    output_digest: str | None
    logs: tuple[tuple[str, int, str], ...] = ()  # (logger, level, message)
    anchors: tuple[str, ...] | None = None  # the page's own anchors (MkDocs' present_anchor_ids)
    links_to_anchors: dict[str, dict[str, str]] | None = None  # target src_uri → anchor → link
    search: tuple = ()  # Material's search entries for the page
    hooks: dict | None = None  # generator/mkdocs_hooks.py's per-page state


@dataclass(slots=True)
class StaticRecord:
    source_stat: tuple[int, int] | None
    source_digest: str | None
    copied_stat: tuple[int, int] | None  # the copy right after copying
    final_stat: tuple[int, int] | None  # the copy after the build (on_post_build may rewrite it)


@dataclass
class BuildCache:
    """The records of the last build into a site dir, if they can be used for this one."""

    folder: Path
    fingerprint: str
    pages: dict[str, PageRecord] = field(default_factory=dict)
    static: dict[str, StaticRecord] = field(default_factory=dict)
    targets: dict[str, bool] = field(default_factory=dict)  # every path a page looked up → found
    notice: str = ""  # why the last build's records are not used, if they are not

    @classmethod
    def open(cls, folder: Path, fingerprint: str) -> "BuildCache":
        """The cache in `folder` if its fingerprint is `fingerprint`; else an empty one."""
        path = folder / FILE
        try:
            with open(path, "rb") as handle:
                stored = pickle.load(handle)
        except FileNotFoundError:
            return cls(folder, fingerprint, notice="no earlier build: full build")
        except Exception as exc:  # a damaged or foreign file: rebuild, never fail on it
            return cls(folder, fingerprint, notice=f"build cache unreadable ({type(exc).__name__}): full build")
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            return cls(folder, fingerprint, notice="build cache of another version: full build")
        if stored.get("fingerprint") != fingerprint:
            return cls(folder, fingerprint, notice="code, theme, config or nav changed: full build")
        return cls(folder, fingerprint, stored.get("pages") or {}, stored.get("static") or {},
                   stored.get("targets") or {})

    def save(self, pages: dict[str, PageRecord], static: dict[str, StaticRecord], targets: dict[str, bool]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / FILE
        temp = path.with_name(f".{FILE}.{os.getpid()}")
        with open(temp, "wb") as handle:
            pickle.dump({"format": FORMAT, "fingerprint": self.fingerprint, "pages": pages, "static": static,
                         "targets": targets},
                        handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)

    @classmethod
    def clear(cls, folder: Path) -> None:
        """Forget what `folder` keeps: the records and Pagefind's bundles. The next build
        renders every page, and keeps new records for the one after."""
        cache = cls(folder, "")
        cache.forget()
        shutil.rmtree(cache.pagefind_bundles, ignore_errors=True)

    def forget(self) -> None:
        """Drop the stored records (a build that fails leaves no records to trust)."""
        (self.folder / FILE).unlink(missing_ok=True)

    @property
    def pagefind_bundles(self) -> Path:
        return self.folder / "pagefind"


def _tree_digest(root: Path, suffixes: tuple[str, ...] | None = None) -> str:
    h = hashlib.blake2b(digest_size=16)
    if root.is_file():
        h.update(root.read_bytes())
        return h.hexdigest()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if suffixes and path.suffix not in suffixes:
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def _plain(value, depth: int = 0):
    """`value` as JSON-able data for the fingerprint: config values are strings, lists,
    dicts and a few MkDocs objects (shown by their own items, never by a repr holding an
    address, which would differ on every run)."""
    if depth > 12:
        return "…"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict) or hasattr(value, "items"):
        try:
            return {str(k): _plain(v, depth + 1) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
        except Exception:
            pass
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v, depth + 1) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "config") and hasattr(value.config, "items"):  # a plugin
        return {"plugin": type(value).__name__, "config": _plain(value.config, depth + 1)}
    text = str(value)
    return type(value).__name__ if " at 0x" in text else text


def fingerprint(config, nav_shape: list, extra: dict | None = None) -> str:
    """A digest of what every page of the build depends on (see the module's docstring).
    The docs dir's settings files (`.site.json`) reach the pages through the config, which
    is taken after `on_config`; `extra`: anything else the caller knows they depend on."""
    theme = config.theme
    parts = {
        "python": sys.version,
        "packages": {name: _version(name) for name in PACKAGES},
        "code": _tree_digest(PROJECT / "generator", (".py", ".js", ".css", ".html")),
        "theme": {"name": theme.name, "config": _plain(dict(theme.items())),
                  "dirs": [_tree_digest(Path(d)) if not str(d).startswith(sys.prefix) else str(d)
                           for d in theme.dirs]},
        "config": {key: _plain(value) for key, value in config.items()
                   if key not in ("theme", "nav", "docs_dir", "site_dir", "config_file_path")},
        "plugins": {name: _plain(getattr(p, "config", {})) for name, p in config.plugins.items()},
        "nav": nav_shape,
        "extra": extra or {},
    }
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    # Where the docs and the site are is not what they hold (a CI runner's checkout, a copy).
    for key in ("docs_dir", "site_dir"):
        text = text.replace(json.dumps(str(config[key]), ensure_ascii=False)[1:-1], f"<{key}>")
    return digest(text.encode())
