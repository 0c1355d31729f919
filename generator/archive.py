"""Offline archive: docs/ → a zip of the site that opens from disk and still searches.

In: the docs dir written by `generate`. Out: `<out>` (default
`archives/replies-archive-<YYYYMMDD>-<N>.zip`, N the number of replies): the site built
with Material's offline plugin (`use_directory_urls: false`, search index inlined,
the iframe-worker shim from a local copy), in a folder of the same name. Entries are
sorted and carry one timestamp, so the same site gives the same zip.
"""

from __future__ import annotations

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
    files = sorted(p for p in root.rglob("*") if p.is_file())
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{folder}/{path.relative_to(root).as_posix()}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    tmp.replace(out)  # never a half-written archive under the final name
    return len(files)


def build_archive(docs_dir: Path, count: int, out: Path | None = None, strict: bool = False,
                  day: Date | None = None) -> Path:
    """Build the offline site from `docs_dir` and zip it; returns the zip's path."""
    day = day or Date.today()
    name = archive_name(count, day)
    out = out or Path("archives") / f"{name}.zip"
    with tempfile.TemporaryDirectory(prefix="replies-archive-") as tmp:
        site = Path(tmp) / "site"
        build_site(docs_dir, site, strict=strict, offline=True)
        zip_tree(site, out, out.stem if out.suffix == ".zip" else name, day)
    return out
