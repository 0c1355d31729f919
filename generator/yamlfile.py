"""The one way the generator reads YAML that users write: registries, site.yml, sidecars.

In: a file and a size limit. Out: the plain data (`yaml.SafeLoader` types), or a
`YamlFileError` whose message says what is wrong in one line (no traceback, no path: the
caller names the file its own way).

Why not `yaml.safe_load`: it expands aliases, so a few hundred bytes of nested aliases
(a "billion laughs" file) cost minutes of CPU and then all memory. These files never
need anchors or aliases, so both are refused; the size of a file is capped before it is
parsed, and a file nested too deep for the parser is refused too.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .read import ReadError, read_bytes


class YamlFileError(ValueError):
    """A user YAML file that cannot be read or is not acceptable YAML."""


class NoAliasLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that refuses anchors (`&name`) and aliases (`*name`)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, f"YAML aliases (*{event.anchor}) are not allowed", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, f"YAML anchors (&{event.anchor}) are not allowed", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        # YAML says a key is unique; PyYAML would keep the last silently, and an editor
        # would wonder why the first did nothing.
        seen = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _where(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: the problem and its line and column."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def loads(text: str):
    """The data of YAML `text`; raises `YamlFileError`."""
    try:
        return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise YamlFileError(f"not valid YAML: {_where(exc)}") from None
    except RecursionError:
        raise YamlFileError("not valid YAML: nested too deep") from None
    except (ValueError, OverflowError) as exc:  # a value YAML itself builds: `2024-13-45` as a date
        raise YamlFileError(f"not valid YAML: {exc}") from None


def load_file(path: Path, max_bytes: int, root: Path | None = None):
    """The data of the YAML file `path` (UTF-8, at most `max_bytes`, a regular file, inside
    `root` if given: see `read.read_bytes`); raises `YamlFileError`."""
    try:
        data = read_bytes(path, max_bytes, root)
    except ReadError as exc:
        raise YamlFileError(str(exc)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"cannot read: not UTF-8 (byte {exc.start})") from None
    return loads(text)
