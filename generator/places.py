"""Place names: the jurisdictions that agencies and sessions belong to.

In: names as replies write them (`甲市乙区城市管理局`, `政协丙县十三届委员会`,
`县政协`, `省工信厅`). Out: `Place`s (name and the level character that short forms use:
省 市 州 县 区 旗 盟; 国 for the national level) and the chain of places a name begins
with. No place is known here: the site's place comes from `site.yml` (see config.py), a
reply's own from its agency's full name (see extract.py).

A place name is a name part and a suffix (省, 市, 自治州, 县, 区 …). Agency names run
places and a department together with nothing between them, and department words hold
suffix characters too (城市管理局, 市场监管局, 社区), so a name is split left to right into
the shortest valid places: a name part of two characters or more (one is allowed before
县 at the start: 沛县), without the characters of department names (局, 厅, 委 …).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

NATIONAL = "全国"
# Long suffixes first: 自治州 before 州.
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "省", "市", "州", "县", "区", "旗", "盟")
LEVELS = "省市州县区旗盟"  # the level characters of short forms: 省X厅, 市X局, 县X局 …
_COUNTRY = ("中华人民共和国", "中国")
# Characters of department names and running text that no place name holds (局 in
# 公安局…新区大队, 在 in 贵单位在省, 住 in 住房和城市更新局).
_NOT_IN_NAME = set("局厅委办部署院所处队站在的了您你们我其该此这是或对从向把被给答住年")
_NOT_IN_NAME_WORDS = re.compile(r"政府|关于|人民|会议|代表|委员|大会")  # words of a title before a place
# Whole words that look like places but are parts of departments or areas.
_NOT_PLACES = {
    "城市", "都市", "城区", "社区", "辖区", "片区", "市区", "郊区", "山区", "库区", "矿区", "林区",
    "牧区", "灾区", "园区", "景区", "街区", "县区", "新区", "开发区", "示范区", "高新区", "保税区",
    "自治区", "地区", "各省", "各市", "各县", "各区", "全省", "全市", "全县", "全区", "全州", "本市",
    "本县", "本区", "我省", "我市", "我县", "我区", "我州", "该市", "该县", "该区",
}
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Place:
    """A jurisdiction: its name as agencies' names begin with it, and its level character."""

    name: str
    level: str  # 省 市 州 县 区 旗 盟, or 国

    def __str__(self) -> str:
        return self.name


def _level(suffix: str) -> str:
    return {"特别行政区": "区", "自治区": "区", "自治州": "州", "自治县": "县", "自治旗": "旗", "地区": "区"}.get(suffix, suffix)


def _valid(name: str, suffix: str, first: bool) -> bool:
    if not name or (name + suffix) in _NOT_PLACES or not _HAN.fullmatch(name):
        return False
    if len(name) == 1 and not (first and suffix == "县"):
        return False
    return not (_NOT_IN_NAME & set(name)) and not _NOT_IN_NAME_WORDS.search(name)


@functools.lru_cache(maxsize=4096)
def split_places(text: str) -> tuple[tuple[Place, ...], str]:
    """The places `text` begins with, outermost first, and the rest:
    `甲市乙区城市管理局` → ((甲市, 乙区), `城市管理局`). `中共` before a place
    (`中共甲省委…`) is skipped; the rest keeps it out."""
    places: list[Place] = []
    pos = 2 if text.startswith("中共") else 0
    for country in _COUNTRY:
        if text.startswith(country, pos):
            places.append(Place(country if country == _COUNTRY[0] else NATIONAL, "国"))
            pos += len(country)
            break
    while pos < len(text):
        found = None
        for end in range(pos + 1, min(len(text), pos + 18) + 1):
            for suffix in _SUFFIXES:
                if text.startswith(suffix, end - len(suffix)) and end - len(suffix) >= pos:
                    name = text[pos:end - len(suffix)]
                    if _valid(name, suffix, first=not places):
                        found = (end, Place(text[pos:end], _level(suffix)))
                        break
            if found:
                break
        if not found:
            break
        pos, place = found
        places.append(place)
    return tuple(places), text[pos:]


def parse_place(name: str, declared: bool = False) -> Place | None:
    """`name` as one place (`丙县`, `丁傣族自治州`, `全国`), or None. `declared`: a name
    the site's owner wrote as a place (site.yml), which may be a word that in running text
    is no place (a district named `城区`)."""
    name = name.strip()
    if name in (NATIONAL, *_COUNTRY):
        return Place(NATIONAL if name != _COUNTRY[0] else name, "国")
    places, rest = split_places(name)
    if len(places) == 1 and not rest:
        return places[0]
    if (declared and name in _NOT_PLACES and name not in ("自治区", "地区") and name[-1] in LEVELS
            and not name.startswith(("全", "本", "我", "该", "各"))):  # some cities have districts named 城区, 矿区, 郊区
        return Place(name, name[-1])
    # A township (乡, 镇) stands alone only: inside agencies' names 乡 is too common (城乡建设局).
    town = re.fullmatch(r"[\u4e00-\u9fff]{2,10}(?:乡|镇)", name)
    return Place(name, name[-1]) if town and not (_NOT_IN_NAME & set(name)) else None


def innermost(level: str, *chains: tuple[Place, ...]) -> Place | None:
    """The innermost place of that level character in the first chain that has one:
    `市` in (甲省, 乙市, 丙市) is 丙市 (a county-level city's offices are 市X局)."""
    for chain in chains:
        for place in reversed(chain):
            if place.level == level:
                return place
    return None


# Characters that start no place name in running text (您在…, 关于对…, 提出的…), and the
# last characters of the words that come before a place (在, 对, 关于, 政协 …).
_NOT_FIRST = set("您你们在对于的是了把被从由向与及关提出上第届次号政会议人代委员答复函")
_BEFORE = set("在对于的是了把被从由向与及您你们关协会")


def trailing_place(text: str) -> tuple[Place | None, str]:
    """The place `text` ends with, if any, or the level character written alone
    (`…您在县` → (None, `县`); `…关于对乙市` → (乙市, ``)): how a session or an
    agency is introduced. The place starts at the beginning of the clause or after one
    of the words that come before places; the longest such place wins."""
    run = re.search(r"[\u4e00-\u9fff]{1,20}$", text)
    if not run:
        return None, ""
    run = run.group()
    for start in range(len(run)):
        if run[start] in _NOT_FIRST or (start and run[start - 1] not in _BEFORE):
            continue
        places, rest = split_places(run[start:])
        # A one-character name (沛县) only where nothing comes before it: 于都县 is not 都县.
        if places and not rest and (start == 0 or len(places[0].name) > 2):
            return places[-1], ""
    if run[-1] in LEVELS or run.endswith(NATIONAL):
        return None, NATIONAL if run.endswith(NATIONAL) else run[-1]
    # A township's congress (乡/镇人大): its name only counts right before the session.
    town = re.fullmatch(r"[\u4e00-\u9fff]{2,6}(?:乡|镇)", re.split(r"[在对于是的]", run)[-1])
    if town and not (_NOT_IN_NAME & set(town.group())):
        return Place(town.group(), town.group()[-1]), ""
    return None, ""
