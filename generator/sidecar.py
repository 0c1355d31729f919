"""Sidecar files: `replies/<stem>.yml`, an editor's overrides of the fields of one reply.

In: the sidecar's path, and the names of the site's themes (from `themes.yml`). Out: a
mapping of field → value, each value normalised by the field's cleaner in
`text.FIELD_CLEANERS` (as an extracted value is), ready for `dataclasses.replace` on the
reply. Anything wrong raises ValueError with one line `sidecar <name>.yml: <field>: …`,
which fails that reply only: the file is not UTF-8 or not YAML, it holds an alias, it is
larger than `MAX_BYTES`, a key is unknown, a value has the wrong type (a list where text
is expected), a lone surrogate, or a theme `themes.yml` does not define (a typo would
otherwise make a theme page of its own).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

from .model import shown
from .text import FIELD_CLEANERS
from .yamlfile import YamlFileError, load_file

MAX_BYTES = 64 * 1024  # a sidecar holds a few fields; a reply itself is tens of KB


def load_sidecar(path: Path, themes: Collection[str] | None = None) -> dict:
    """The checked overrides of the sidecar `path`; raises ValueError naming what is wrong.
    `themes`: the names a sidecar's `themes` may use; by default those of the data dir's
    `themes.yml` (the sidecar is `<data>/replies/<stem>.yml`), unchecked if there is none."""
    name = shown(path.name)
    try:
        data = load_file(path, MAX_BYTES)
    except YamlFileError as exc:
        raise ValueError(f"sidecar {name}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"sidecar {name}: expected a mapping of field: value")
    out = {}
    for key, value in data.items():
        if key not in FIELD_CLEANERS or key == "source":
            raise ValueError(f"sidecar {name}: unknown field {shown(repr(key))}")
        try:
            out[key] = FIELD_CLEANERS[key](value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"sidecar {name}: {key}: {shown(str(exc))}") from None
    if "themes" in out:
        known = _theme_names(path.parent.parent / "themes.yml") if themes is None else themes
        unknown = [theme for theme in out["themes"] if known is not None and theme not in known]
        if unknown:
            raise ValueError(f"sidecar {name}: themes: {shown('、'.join(unknown))} not in themes.yml "
                             "(a theme is defined there, with its slug, before a reply can have it)")
    if "date" in out and "year" not in out:
        out["year"] = out["date"].year if out["date"] else None
    return out


def _theme_names(path: Path) -> frozenset[str] | None:
    """The theme names of `themes.yml` at `path`, None if there is none; read once per
    version of the file (a run reads it for every sidecar naming themes)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _theme_names_of(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _theme_names_of(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    from .registry import load_themes  # the registry was loaded, and checked, before any reply

    return frozenset(theme.name for theme, _ in load_themes(path))
