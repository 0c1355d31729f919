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
from pathlib import Path

from .model import shown
from .text import FIELD_CLEANERS
from .yamlfile import YamlFileError, load_file

MAX_BYTES = 64 * 1024  # a sidecar holds a few fields; a reply itself is tens of KB


def load_sidecar(path: Path, themes: Collection[str] | None = None, root: Path | None = None) -> dict:
    """The checked overrides of the sidecar `path`; raises ValueError naming what is wrong.
    `themes`: the names a sidecar's `themes` may use (None: unchecked); `root`: the data
    dir, which the file must not resolve outside of."""
    name = shown(path.name)
    try:
        data = load_file(path, MAX_BYTES, root)
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
    if "themes" in out and themes is not None:
        unknown = [theme for theme in out["themes"] if theme not in themes]
        if unknown:
            raise ValueError(f"sidecar {name}: themes: {shown('、'.join(unknown))} not in themes.yml "
                             "(a theme is defined there, with its slug, before a reply can have it)")
    if "date" in out and "year" not in out:
        out["year"] = out["date"].year if out["date"] else None
    return out
