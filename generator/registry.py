"""Registries read from the data dir: agencies (`agencies.yml`) and themes (`themes.yml`).

In: the YAML files. Out: an `AgencyRegistry` that turns any written form of an agency
(full name, short form, or an unknown 省X厅 canonicalised by rule) into one `Agency`,
and the list of `Theme`s with their keyword weights. Both are loaded once per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .model import RESERVED_SLUGS, Agency, Theme, shown
from .places import LEVELS, Place, innermost, split_places
from .text import clean_text, slugify, value_kind
from .yamlfile import YamlFileError, load_file


class RegistryError(ValueError):
    """A registry file (or site.yml) is missing or malformed; the message begins with the
    file's name, then says what is wrong where (`agencies.yml: agency 3 (…): …`)."""


MAX_BYTES = 4 * 2**20  # a registry of every agency of a province is about 100 KB


def _load_yaml(path: Path, key: str) -> list:
    try:
        data = load_file(path, MAX_BYTES, root=path.parent)  # no link out of the data dir
    except YamlFileError as exc:
        raise RegistryError(f"{path.name}: {exc}") from None
    if isinstance(data, dict) and key in data and data[key] is None:
        return []  # `agencies:` with nothing under it yet
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise RegistryError(f"{path.name}: expected a mapping with a list under '{key}'")
    return data[key]


_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")  # a file name on every disk, an address to type


def _check_slug(path: Path, what: str, slug, taken: dict[str, str]) -> str:
    """`slug`, checked: its form, not reserved, not in `taken` (slug → the entry that has
    it), where it is then recorded for `what`."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise RegistryError(f"{path.name}: {what}: slug {shown(repr(slug))} must be lowercase ASCII letters, digits "
                            "and hyphens (it is part of the page's web address)")
    if slug in RESERVED_SLUGS:
        raise RegistryError(f"{path.name}: {what}: slug {slug!r} is reserved for a page the generator makes "
                            f"(reserved: {', '.join(sorted(RESERVED_SLUGS))})")
    if slug in taken:
        raise RegistryError(f"{path.name}: {what}: slug {slug!r} is already used by {taken[slug]}")
    taken[slug] = what
    return slug


def _text(path: Path, what: str, key: str, value) -> str:
    """A registry value that must be one line of text (a name, an alias, a keyword)."""
    if not isinstance(value, str):
        kind = "nothing" if value is None else value_kind(value)
        raise RegistryError(f"{path.name}: {what}: {key}: expected text, not {kind}")
    try:
        text = clean_text(value)
    except ValueError as exc:
        raise RegistryError(f"{path.name}: {what}: {key}: {exc}") from None
    if not text:
        raise RegistryError(f"{path.name}: {what}: {key}: is empty")
    return text


def _texts(path: Path, what: str, key: str, value) -> tuple[str, ...]:
    """A list of texts (aliases); nothing when absent."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RegistryError(f"{path.name}: {what}: {key}: expected a list of text, e.g. [省交通厅, 交通厅]")
    return tuple(_text(path, what, f"{key} {n}", item) for n, item in enumerate(value, 1))


def _entry(path: Path, what: str, number: int, entry) -> tuple[str, str]:
    """(name, where) of a registry entry, checked to be a mapping with a name; `where`
    names it in messages: `theme 3 (交通)`. Other keys (notes such as `kind`) are left alone."""
    where = f"{what} {number}"
    if not isinstance(entry, dict):
        raise RegistryError(f"{path.name}: {where}: expected a mapping with a name and a slug")
    name = _text(path, where, "name", entry.get("name"))
    return name, f"{where} ({shown(name)})"


# The shape of an agency's name, for names the registry does not know: a department or
# office suffix after at most 24 characters (places, a level character, the department).
AGENCY_PATTERN = re.compile(
    r"(?:中共)?[\u4e00-\u9fff]{1,24}?(?:人民政府|政府|委员会|办公室|办事处|管理局|管委会|厅|局|委|办|署|中心|法院|检察院)"
)
_LEVEL_FORM = re.compile(rf"^(?P<party>中共)?(?P<level>[{LEVELS}])(?P<rest>.+)$")


@dataclass
class AgencyRegistry:
    """Every alias of every agency. An agency the registry does not know is canonicalised
    by rule against a chain of places (see `canonical`)."""

    agencies: list[Agency]
    places: tuple[Place, ...] = ()  # the site's jurisdiction: whose short forms the aliases are

    def __post_init__(self) -> None:
        self._by_form: dict[str, Agency] = {}
        for agency in self.agencies:
            for form in (agency.name, *agency.aliases):
                self._by_form[form] = agency
        forms = sorted(self._by_form, key=len, reverse=True)  # longest first wins
        self._forms = re.compile("|".join(map(re.escape, forms))) if forms else re.compile(r"(?!)")
        self._unknown: dict[str, Agency] = {}

    @classmethod
    def load(cls, path: Path, places: tuple[Place, ...] = ()) -> "AgencyRegistry":
        """The registry of `path`, checked; raises `RegistryError` naming the file and entry."""
        agencies, slugs, forms = [], {}, {}
        for number, entry in enumerate(_load_yaml(path, "agencies"), 1):
            name, where = _entry(path, "agency", number, entry)
            slug = _check_slug(path, where, entry.get("slug"), slugs)
            aliases = _texts(path, where, "aliases", entry.get("aliases"))
            for form in (name, *aliases):  # one written form, one agency: else which one is meant?
                if forms.setdefault(form, slug) != slug:
                    raise RegistryError(f"{path.name}: {where}: {shown(form)!r} is already a name or alias "
                                        f"of {slugs[forms[form]]}")
            agencies.append(Agency(name=name, slug=slug, aliases=aliases))
        return cls(agencies, places)

    def get(self, form: str) -> Agency | None:
        """The registered agency written as `form`, or None."""
        return self._by_form.get(form)

    def _ours(self, form: str, places: tuple[Place, ...]) -> bool:
        """May a registered short form (`省工信厅`) stand for its agency in a reply of
        `places`? Only when its level means the agency's own place there (the place its
        full name begins with, else the site's): in a reply from another province, 省工信厅
        is that province's."""
        match = _LEVEL_FORM.match(form)
        if not match or _NOT_LEVEL.match(form):
            return True
        agency = self._by_form[form]
        own = split_places(agency.name.removeprefix("中共"))[0]
        mine = innermost(match["level"], own) or innermost(match["level"], self.places)
        theirs = innermost(match["level"], places)
        return mine is None or theirs == mine or (theirs is None and not places)

    def canonical(self, form: str, places: tuple[Place, ...] = ()) -> Agency:
        """The agency for any written form. A form the registry does not know is
        canonicalised by rule against `places` (the reply's jurisdiction chain, outermost
        first): `省X厅` → `<province>X厅`, `省委X` → `中共<province>委X`, `市X局` →
        `<city>X局`, `X市政府` → `X市人民政府`. A level whose place is not in the chain is
        left as written: never attached to a place the reply does not belong to."""
        form = form.strip()
        known = self.get(form)
        if known and self._ours(form, places):
            return known
        name = expand(form, places)
        if name != form:  # an unresolved short form is not looked up again: it may be ours
            known = self.get(name) or self.get(name.removeprefix("中共"))
            if known:
                return known
        if name not in self._unknown:
            self._unknown[name] = Agency(name=name, slug=slugify(name, prefix="x-"), known=False)
        return self._unknown[name]

    def match_at(self, text: str, pos: int = 0, places: tuple[Place, ...] = ()) -> Agency | None:
        """The agency whose written form starts exactly at `pos` (registered forms first)."""
        match = self._forms.match(text, pos)
        if match and self._ours(match.group(), places):
            return self._by_form[match.group()]
        match = AGENCY_PATTERN.match(text, pos)
        return self.canonical(match.group(), places) if match else None


# Department words that begin with a level character: 市场监管局 is no 市X局.
_NOT_LEVEL = re.compile(r"^(?:中共)?(?:市场|市政(?!府)|市容|市民|市级|区域|区级|县域|县级|省级|州级)")


def expand(form: str, places: tuple[Place, ...]) -> str:
    """`form` with its level character replaced by the place of that level in `places`
    (`县交通运输局` → `<county>交通运输局`, `省委X` → `中共<province>委X`), and `政府` after a
    place made `人民政府`; as written when the level has no place in `places`."""
    match = _LEVEL_FORM.match(form)
    if match and not _NOT_LEVEL.match(form):
        place = innermost(match["level"], places)
        if place is None:
            return form
        rest = match["rest"]
        party = match["party"] or rest.startswith("委")  # 省委X: the party committee's
        form = f"中共{place.name}{rest}" if party else place.name + rest
    found, rest = split_places(form.removeprefix("中共"))
    if found and rest == "政府":
        form = form[:-2] + "人民政府"
    return form


def suggest_entries(registry: AgencyRegistry, replies) -> str:
    """YAML entries for agencies.yml: every agency the replies name (lead or co-handling)
    that the registry does not know, with a slug, most cited first, to be checked and
    completed by hand (short forms as `aliases`)."""
    counts: dict[str, int] = {}
    for reply in replies:
        for name in (reply.agency, *reply.co_agencies):
            if name and registry.get(name) is None:
                counts[name] = counts.get(name, 0) + 1
    taken = {a.slug for a in registry.agencies} | RESERVED_SLUGS  # a suggestion must load
    lines = ["# Agencies named in the replies but not in agencies.yml; check each, then add it.\n"]
    for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        slug = slugify(name)
        while slug in taken:
            slug += "-x"
        taken.add(slug)
        lines.append(f"- name: {name}  # {count} repl{'y' if count == 1 else 'ies'}\n  slug: {slug}\n  aliases: []\n")
    return "".join(lines)


def _weight(path: Path, where: str, item: dict) -> float:
    weight = item.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight < float("inf"):
        raise RegistryError(f"{path.name}: {where}: weight {shown(repr(weight))} must be a number, 0 or more")
    return weight


def load_themes(path: Path) -> list[tuple[Theme, tuple[tuple[str, float], ...]]]:
    """Themes with their (keyword, weight) pairs, in file order; checked, raises
    `RegistryError` naming the file and the theme."""
    out = []
    names: dict[str, str] = {}
    slugs: dict[str, str] = {}
    for number, entry in enumerate(_load_yaml(path, "themes"), 1):
        name, where = _entry(path, "theme", number, entry)
        if name in names:
            raise RegistryError(f"{path.name}: {where}: the name is already used by {names[name]}")
        names[name] = where
        slug = _check_slug(path, where, entry.get("slug"), slugs)
        description = entry.get("description")
        description = "" if description is None else _text(path, where, "description", description)
        items = entry.get("keywords")
        if items is not None and not isinstance(items, list):
            raise RegistryError(f"{path.name}: {where}: keywords: expected a list of words or {{word: …, weight: N}}")
        keywords = []
        for n, item in enumerate(items or (), 1):
            at = f"{where}: keyword {n}"
            if isinstance(item, dict):
                if set(item) - {"word", "weight"}:
                    raise RegistryError(f"{path.name}: {at}: expected {{word: …, weight: N}}")
                keywords.append((_text(path, at, "word", item.get("word")), _weight(path, at, item)))
            else:
                keywords.append((_text(path, at, "word", item), 1))
        out.append((Theme(name=name, slug=slug, description=description), tuple(keywords)))
    return out
