"""Registries read from the data dir: agencies (`agencies.yml`) and themes (`themes.yml`).

In: the YAML files. Out: an `AgencyRegistry` that turns any written form of an agency
(full name, short form, or an unknown 省X厅 canonicalised by rule) into one `Agency`,
and the list of `Theme`s with their keyword weights. Both are loaded once per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .model import Agency, Theme
from .text import slugify


class RegistryError(ValueError):
    """A registry file is missing or malformed; the message names the file."""


def _load_yaml(path: Path, key: str) -> list:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise RegistryError(f"{path}: expected a mapping with a list under '{key}'")
    return data[key]


# Unknown agencies, canonicalised by rule: 省X厅 → 吉林省X厅, 省委X → 中共吉林省委X,
# X市政府 → X市人民政府.
AGENCY_PATTERN = re.compile(
    r"(?:中共)?(?:吉林)?省委?[\u4e00-\u9fff]{1,12}?(?:委员会|办公室|管理局|厅|局|委|办|部)"
    r"|[\u4e00-\u9fff]{2,6}?(?:市|州|县)(?:人民)?政府"
)


@dataclass
class AgencyRegistry:
    """Every alias of every agency, with the province used to canonicalise unknown ones."""

    agencies: list[Agency]
    province: str = "吉林省"

    def __post_init__(self) -> None:
        self._by_form: dict[str, Agency] = {}
        for agency in self.agencies:
            for form in (agency.name, *agency.aliases):
                self._by_form[form] = agency
        forms = sorted(self._by_form, key=len, reverse=True)  # longest first wins
        self._forms = re.compile("|".join(map(re.escape, forms))) if forms else re.compile(r"(?!)")
        self._unknown: dict[str, Agency] = {}

    @classmethod
    def load(cls, path: Path) -> "AgencyRegistry":
        entries = _load_yaml(path, "agencies")
        agencies, slugs = [], set()
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or not entry.get("name") or not entry.get("slug"):
                raise RegistryError(f"{path}: entry {number} needs a name and a slug")
            if entry["slug"] in slugs:
                raise RegistryError(f"{path}: slug {entry['slug']!r} is used twice")
            slugs.add(entry["slug"])
            aliases = tuple(str(a) for a in entry.get("aliases") or ())
            agencies.append(Agency(name=str(entry["name"]), slug=str(entry["slug"]), aliases=aliases))
        return cls(agencies)

    def get(self, form: str) -> Agency | None:
        """The registered agency written as `form`, or None."""
        return self._by_form.get(form)

    def canonical(self, form: str) -> Agency:
        """The agency for any written form; unknown forms are canonicalised by rule."""
        form = form.strip()
        known = self.get(form)
        if known:
            return known
        short = self.province.removesuffix("省")
        if form.startswith("省委"):
            name = f"中共{self.province}委{form[2:]}"
        elif form.startswith("省") and not form.startswith(self.province):
            name = self.province + form[1:]
        elif re.search(r"(?:市|州|县)政府$", form):
            name = form[:-2] + "人民政府"
        else:
            name = form
        known = self.get(name) or self.get(name.removeprefix("中共"))
        if known:
            return known
        if name not in self._unknown:
            slug = slugify(name.removeprefix(self.province).removeprefix(f"中共{short}"), prefix="x-")
            self._unknown[name] = Agency(name=name, slug=slug, known=False)
        return self._unknown[name]

    def match_at(self, text: str, pos: int = 0) -> Agency | None:
        """The agency whose written form starts exactly at `pos` (registered forms first)."""
        match = self._forms.match(text, pos)
        if match:
            return self._by_form[match.group()]
        match = AGENCY_PATTERN.match(text, pos)
        return self.canonical(match.group()) if match else None

    def find_all(self, text: str) -> list[Agency]:
        """Every agency named in `text`, in order of first appearance, without repeats."""
        found: list[Agency] = []
        pos = 0
        while pos < len(text):
            agency = self.match_at(text, pos)
            if agency is None:
                pos += 1
                continue
            if agency not in found:
                found.append(agency)
            registered = self._forms.match(text, pos)
            pos += len(registered.group()) if registered else len(AGENCY_PATTERN.match(text, pos).group())
        return found


def load_themes(path: Path) -> list[tuple[Theme, tuple[tuple[str, int], ...]]]:
    """Themes with their (keyword, weight) pairs, in file order."""
    out = []
    names: set[str] = set()
    for number, entry in enumerate(_load_yaml(path, "themes"), 1):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("slug"):
            raise RegistryError(f"{path}: theme {number} needs a name and a slug")
        if entry["name"] in names:
            raise RegistryError(f"{path}: theme {entry['name']!r} is listed twice")
        names.add(entry["name"])
        keywords = []
        for item in entry.get("keywords") or ():
            if isinstance(item, dict):
                keywords.append((str(item["word"]), int(item.get("weight", 1))))
            else:
                keywords.append((str(item), 1))
        theme = Theme(name=str(entry["name"]), slug=str(entry["slug"]), description=str(entry.get("description", "")))
        out.append((theme, tuple(keywords)))
    return out
