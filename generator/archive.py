"""Offline archive: docs/ → a zip of the site that opens from disk and still searches.

In: the docs dir written by `generate`. Out: `<out>` (default
`archives/replies-archive-<YYYYMMDD>-<N>.zip`, N the number of replies): the site built
with Material's offline plugin (`use_directory_urls: false`, search index inlined,
the iframe-worker shim from a local copy), in a folder of the same name. Entries are
sorted and carry one timestamp, so the same site gives the same zip.

The archive holds what a reader's browser uses, once: the search index as the offline
plugin's script (`search/search_index.js`) without the JSON it was made from, and no
source maps (nor the comments that point to them).
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from datetime import date as Date
from pathlib import Path

from .site import build_site


def archive_name(count: int, day: Date) -> str:
    return f"replies-archive-{day:%Y%m%d}-{count}"


def zip_tree(root: Path, out: Path, folder: str, day: Date) -> int:
    """Zip every file under `root` into `out`, below `folder/`; returns the file count."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    # Sorted as the entries' names are (a path sorts `data/replies/x.json` before `data/replies.csv`).
    files = sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{folder}/{path.relative_to(root).as_posix()}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    tmp.replace(out)  # never a half-written archive under the final name
    return len(files)


# `//# sourceMappingURL=…` (scripts) and `/*# sourceMappingURL=… */` (style sheets).
_MAP_COMMENT = re.compile(rb"\n?(?://# sourceMappingURL=[^\n]*|/\*# sourceMappingURL=[^\n]*?\*/)[ \t]*(?=\n|$)")


def trim_offline_site(site: Path) -> None:
    """Drop what the archive's reader never uses: the JSON search index (pages opened from
    disk load `search_index.js`) and source maps, with the comments naming them, which
    would make a browser's developer tools request files that are not there."""
    (site / "search" / "search_index.json").unlink(missing_ok=True)
    for path in sorted(site.rglob("*.map")):
        path.unlink()
    for path in sorted([*site.rglob("*.js"), *site.rglob("*.css")]):
        content = path.read_bytes()
        trimmed = _MAP_COMMENT.sub(b"", content)
        if trimmed != content:
            path.write_bytes(trimmed)


def build_archive(docs_dir: Path, count: int, out: Path | None = None, strict: bool = False,
                  day: Date | None = None) -> Path:
    """Build the offline site from `docs_dir` and zip it; returns the zip's path."""
    day = day or Date.today()
    name = archive_name(count, day)
    out = out or Path("archives") / f"{name}.zip"
    with tempfile.TemporaryDirectory(prefix="replies-archive-") as tmp:
        site = Path(tmp) / "site"
        build_site(docs_dir, site, strict=strict, offline=True)
        trim_offline_site(site)
        zip_tree(site, out, out.stem if out.suffix == ".zip" else name, day)
    return out
