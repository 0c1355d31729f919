"""The data dir's `site.yml`: the jurisdiction the site publishes for, and its publisher.

In: `site.yml` (optional). Out: one `SiteConfig`, read once per run, which extraction
uses to resolve `省X厅`/`市X局`/`县X局` and sessions written without a place name, and
which the site shows (title, header, home and about pages). Without the file the site
has no place: every reply is read from its own text alone.

```yaml
place: 某某省          # the jurisdiction, as the names of its agencies begin
within: []             # enclosing jurisdictions, outermost first: [某某省, 某某自治州]
publisher: 某某省人民政府办公厅
site_title: 某某省建议提案办理复文
description: …         # one sentence for search engines and the home page
contact: …             # where readers send corrections
licence: …             # the open data's licence
logo: logo.svg         # optional: the header's logo, a file in the data dir (svg, png, jpg, webp, gif)
favicon: favicon.png   # optional: the browser tab's icon (svg, png, ico …); default the logo
originals: false       # true: publish each PDF and Word original beside its page (原件下载);
                       # they carry the contact details the pages withhold
about: |               # optional Markdown, appended to the about page
  …
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .model import shown
from .places import Place, parse_place
from .read import ReadError, read_bytes
from .registry import MAX_BYTES, RegistryError
from .text import plain_characters, value_kind
from .yamlfile import YamlFileError, load_file

DEFAULT_TITLE = "建议提案办理复文"
FILE = "site.yml"
_TEXT_KEYS = ("publisher", "site_title", "description", "contact", "licence", "about")
_IMAGE_KEYS = ("logo", "favicon")
IMAGE_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".ico")
MAX_IMAGE_BYTES = 1 << 20  # a logo, not a photograph: every page loads it
# The project's own emblem and icon (docs/assets/), when site.yml names none: not the theme's.
DEFAULT_LOGO = "assets/logo.svg"
DEFAULT_FAVICON = "assets/favicon.svg"


@dataclass(frozen=True)
class Image:
    """A picture named by site.yml, published as `assets/publisher/<key><suffix>`."""

    key: str  # logo | favicon
    suffix: str  # .svg, .png …
    data: bytes = field(repr=False)

    @property
    def path(self) -> str:
        return f"assets/publisher/{self.key}{self.suffix}"


@dataclass(frozen=True)
class SiteConfig:
    """What `site.yml` says; every text may be empty."""

    places: tuple[Place, ...] = ()  # the jurisdiction chain, outermost first (the place last)
    publisher: str = ""
    site_title: str = ""
    description: str = ""
    contact: str = ""
    licence: str = ""
    about: str = ""
    logo: Image | None = None
    favicon: Image | None = None
    originals: bool = False  # publish PDF and Word originals beside their pages
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def place(self) -> Place | None:
        return self.places[-1] if self.places else None

    @property
    def title(self) -> str:
        """The site's name: the configured title, else the place's name and the default."""
        if self.site_title:
            return self.site_title
        return f"{self.place.name}{DEFAULT_TITLE}" if self.place else DEFAULT_TITLE

    def public(self) -> dict:
        """The settings the site shows (the MkDocs hook reads them from the docs dir)."""
        return {
            "site_name": self.title,
            "place": self.place.name if self.place else "",
            "publisher": self.publisher,
            "description": self.description or self._default_description(),
            "contact": self.contact,
            "licence": self.licence,
            "logo": self.logo.path if self.logo else DEFAULT_LOGO,
            "favicon": (self.favicon or self.logo).path if (self.favicon or self.logo) else DEFAULT_FAVICON,
        }

    def images(self) -> list[Image]:
        return [image for image in (self.logo, self.favicon) if image is not None]

    def _default_description(self) -> str:
        where = self.place.name if self.place else ""
        return f"{where}人大代表建议和政协委员提案办理复文的公开阅读站点"


def _site_text(value) -> str:
    """A text of site.yml (`about` is Markdown of several lines), kept as written but
    for control characters and lone surrogates (see `text.plain_characters`)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"expected text, not {value_kind(value)}")
    return plain_characters(value).strip()


def load_site_config(data_dir: Path) -> SiteConfig:
    """`data_dir/site.yml`, checked; an empty config when the file is absent. Raises
    `RegistryError` (exit status 2, like a broken registry) naming what is wrong."""
    path = data_dir / FILE
    if not os.path.lexists(path):  # a dangling link or a loop is an error, not "no file"
        return SiteConfig()
    try:
        data = load_file(path, MAX_BYTES, root=path.parent)  # no link out of the data dir
    except YamlFileError as exc:
        raise RegistryError(f"{path.name}: {exc}") from None
    if data is None:
        return SiteConfig()
    if not isinstance(data, dict):
        raise RegistryError(f"{path.name}: expected a mapping (place, within, publisher, site_title …)")
    unknown = sorted(map(str, set(data) - {"place", "within", "originals", *_TEXT_KEYS, *_IMAGE_KEYS}))
    if unknown:
        raise RegistryError(f"{path.name}: unknown key(s): {shown(', '.join(unknown))}")
    names = []
    within = data.get("within") or []
    if not isinstance(within, list):
        raise RegistryError(f"{path.name}: within: expected a list of place names, outermost first")
    names += within
    if data.get("place"):
        names.append(data["place"])
    elif within:
        raise RegistryError(f"{path.name}: within is set but place is not")
    places = []
    for name in names:
        place = parse_place(str(name), declared=True) if isinstance(name, str) else None
        if place is None:
            raise RegistryError(f"{path.name}: {shown(repr(name))} is not a place name "
                                "(it must end in 省, 市, 县, 区, 州, 旗, 盟 …)")
        places.append(place)
    texts = {}
    for key in _TEXT_KEYS:
        try:
            texts[key] = _site_text(data.get(key))
        except ValueError as exc:
            raise RegistryError(f"{path.name}: {key}: {exc}") from None
    images = {key: _image(path, key, data.get(key)) for key in _IMAGE_KEYS}
    originals = data.get("originals", False)
    if not isinstance(originals, bool):
        raise RegistryError(f"{path.name}: originals: expected true or false")
    return SiteConfig(places=tuple(places), **texts, **images, originals=originals)


def _image(site_yml: Path, key: str, value) -> Image | None:
    """The picture site.yml's `key` names: a file inside the data dir, of a type browsers
    show, at most MAX_IMAGE_BYTES; raises RegistryError naming what is wrong."""
    if value in (None, ""):
        return None
    where = f"{site_yml.name}: {key}"
    if not isinstance(value, str):
        raise RegistryError(f"{where}: expected a file name in the data dir, not {value_kind(value)}")
    suffix = Path(value).suffix.lower()
    if suffix not in IMAGE_TYPES:
        raise RegistryError(f"{where}: {shown(value)} is not an image browsers show ({', '.join(IMAGE_TYPES)})")
    try:
        data = read_bytes(site_yml.parent / value, MAX_IMAGE_BYTES, root=site_yml.parent)
    except ReadError as exc:
        raise RegistryError(f"{where}: {exc}") from None
    return Image(key, ".jpg" if suffix == ".jpeg" else suffix, data)


_SITE_TEMPLATE = """\
# The place this site publishes for (see the README, "A site for your place").
{settings}# description: 本站公开{place}各承办单位对人大代表建议和政协委员提案的办理复文。  # search engines, home page
# contact: 如发现文字或信息有误，请联系……                 # where readers send corrections (about page)
# licence: 开放数据可自由使用，请注明来源。                 # the open data's licence (about page, footer)
# logo: logo.svg                                          # the header's logo, a file in this folder
# favicon: favicon.png                                    # the browser tab's icon (default: the logo)
# originals: true                                         # publish PDF/Word originals: they hold contact details
# about: |                                                # Markdown added to the about page
#   ……
"""
_AGENCIES_TEMPLATE = """\
# The agencies that answer proposals and suggestions in {place}: the canonical full name,
# a URL slug ([a-z0-9-], unique) and the short forms replies use. An agency missing here
# still works: it is canonicalised by rule and reported, and
# `python -m generator registry --data <dir>` prints entries for those found in the replies.
#
# - name: {place}交通运输局
#   slug: jiaotong
#   aliases: [{level}交通运输局, {level}交通局]
#
# Entries go below, one `- name:` each. To add the suggested ones, append them and check each:
#   python -m generator registry --data <dir> >> <dir>/agencies.yml
agencies:
"""


def init_data_dir(folder: Path, place: str, within: list[str], publisher: str, themes: Path) -> list[Path]:
    """A new data dir for a place: site.yml, an empty agencies.yml with a template, the
    starter themes.yml (`themes`: a file to copy), and replies/. Refuses to overwrite anything."""
    chain = [parse_place(name, declared=True) for name in (*within, place)]
    if None in chain:
        bad = [name for name, p in zip((*within, place), chain) if p is None]
        raise ValueError(f"not a place name: {', '.join(bad)} (it must end in 省, 市, 县, 区, 州, 旗, 盟 …)")
    files = {
        folder / FILE: _SITE_TEMPLATE.format(settings=yaml.safe_dump(
            {"place": place, "within": list(within), "publisher": publisher, "site_title": f"{place}{DEFAULT_TITLE}"},
            allow_unicode=True, sort_keys=False), place=place),
        folder / "agencies.yml": _AGENCIES_TEMPLATE.format(place=place, level=chain[-1].level),
        folder / "themes.yml": themes.read_text(encoding="utf-8"),
    }
    existing = [str(path) for path in files if path.exists()]
    if existing:
        raise FileExistsError(f"already there, not overwritten: {', '.join(existing)}")
    (folder / "replies").mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return [*files, folder / "replies"]

