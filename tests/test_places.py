"""Places: names split into jurisdictions, levels resolved against a reply's chain, and
agencies canonicalised without ever attaching another place's agency to the site's."""

from __future__ import annotations

import re

import pytest

from generator.places import Place, innermost, parse_place, split_places, trailing_place
from generator.registry import AgencyRegistry, expand
from generator.model import Agency

JILIN = (Place("吉林省", "省"),)
LVCHUN = (Place("云南省", "省"), Place("红河哈尼族彝族自治州", "州"), Place("绿春县", "县"))
XINMI = (Place("河南省", "省"), Place("郑州市", "市"), Place("新密市", "市"))


@pytest.mark.parametrize("text, places, rest", [
    ("重庆市渝北区城市管理局", ["重庆市", "渝北区"], "城市管理局"),
    ("郑州市人民政府", ["郑州市"], "人民政府"),
    ("镇沅彝族哈尼族拉祜族自治县文化和旅游局", ["镇沅彝族哈尼族拉祜族自治县"], "文化和旅游局"),
    ("杨凌示范区公安局交巡警支队新区大队", ["杨凌示范区"], "公安局交巡警支队新区大队"),
    ("中共吉林省委金融委员会办公室", ["吉林省"], "委金融委员会办公室"),
    ("赣州市南康区农业农村局", ["赣州市", "南康区"], "农业农村局"),
    ("沛县公安局", ["沛县"], "公安局"),
    ("市场监督管理局", [], "市场监督管理局"),
    ("新疆维吾尔自治区财政厅", ["新疆维吾尔自治区"], "财政厅"),
    ("内蒙古自治区呼和浩特市", ["内蒙古自治区", "呼和浩特市"], ""),
    ("中华人民共和国教育部", ["中华人民共和国"], "教育部"),
    ("贵单位在省", [], "贵单位在省"),
])
def test_split_places_names_and_rest(text, places, rest):
    found, left = split_places(text)
    assert [p.name for p in found] == places and left == rest


@pytest.mark.parametrize("text, place, level", [
    ("您在县", None, "县"), ("关于对本溪市", "本溪市", ""), ("政协绿春县", "绿春县", ""),
    ("在十四届全国", None, "全国"), ("提出的", None, ""), ("贵单位在省", None, "省"),
])
def test_trailing_place_before_a_session(text, place, level):
    found, written = trailing_place(text)
    assert (found.name if found else None, written) == (place, level)


def test_parse_place_levels():
    assert parse_place("西双版纳傣族自治州") == Place("西双版纳傣族自治州", "州")
    assert parse_place("全国") == Place("全国", "国")
    assert parse_place("交通运输局") is None and parse_place("绿春县交通运输局") is None


def test_innermost_county_level_city():
    assert innermost("市", XINMI).name == "新密市"  # a county-level city's offices are 市X局
    assert innermost("省", XINMI).name == "河南省" and innermost("县", XINMI) is None


@pytest.mark.parametrize("form, places, name", [
    ("县交通运输局", LVCHUN, "绿春县交通运输局"),
    ("州交通运输局", LVCHUN, "红河哈尼族彝族自治州交通运输局"),
    ("市自然资源和规划局", XINMI, "新密市自然资源和规划局"),
    ("市市场监督管理局", XINMI, "新密市市场监督管理局"),
    ("市政府政务服务中心", XINMI, "新密市政府政务服务中心"),
    ("省委宣传部", JILIN, "中共吉林省委宣传部"),
    ("本溪市政府", (), "本溪市人民政府"),
    # A level the reply's chain does not have stays as written: never the site's place.
    ("省交通运输厅", (Place("本溪市", "市"),), "省交通运输厅"),
    ("市场监督管理局", XINMI, "市场监督管理局"),
])
def test_expand_level_forms(form, places, name):
    assert expand(form, places) == name


def test_registry_short_form_only_for_its_own_place():
    registry = AgencyRegistry([Agency("吉林省工业和信息化厅", "jl-it", aliases=("省工信厅",))], JILIN)
    assert registry.canonical("省工信厅", JILIN).name == "吉林省工业和信息化厅"
    assert registry.canonical("省工信厅", ()).name == "吉林省工业和信息化厅"  # a reply naming no place
    foreign = registry.canonical("省工信厅", (Place("广东省", "省"),))
    assert foreign.name == "广东省工信厅" and not foreign.known
    assert registry.canonical("省工信厅", (Place("本溪市", "市"),)).name == "省工信厅"


def _place_names() -> set[str]:
    """Every place the project's data and annotated corpus name (with and without suffix)."""
    import yaml

    from conftest import ROOT

    names = set()
    for agency in yaml.safe_load((ROOT / "data" / "agencies.yml").read_text(encoding="utf-8"))["agencies"]:
        for form in (agency["name"], *(agency.get("aliases") or [])):
            names.update(p.name for p in split_places(form.removeprefix("中共"))[0])
    for path in (ROOT / "tests" / "expected").rglob("*.yml"):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        site = case.get("site") or {}
        names.update(n for n in [site.get("place"), *(site.get("within") or [])] if n)
        agency = (case.get("fields") or {}).get("agency")
        names.update(p.name for p in split_places(agency or "")[0])
    names -= {"中华人民共和国", "全国"}  # the national level is a level, not a place of the data
    from generator.places import _NOT_PLACES

    names -= _NOT_PLACES  # a district named 城区 is also the common word the code must know
    suffix = r"(?:自治区|自治州|自治县|省|市|县|区|州|旗|盟)$"
    import re

    return names | {re.sub(suffix, "", n) for n in names if len(re.sub(suffix, "", n)) >= 2}


def test_no_place_named_in_the_code():
    """The place, publisher and registries are data: no place of the data or the corpus is
    named anywhere in generator/ or templates/, comments included."""
    from conftest import ROOT

    names = _place_names()
    assert len(names) > 100 and "吉林" in names and "长春" in names
    files = [*(ROOT / "generator").rglob("*.py"), *(ROOT / "generator" / "assets").iterdir(),
             *(p for p in (ROOT / "templates").rglob("*") if p.is_file())]  # the starter data dir too
    found = [(f.name, n) for f in files for n in names if n in f.read_text(encoding="utf-8")]
    assert not found


def test_registry_short_form_is_its_agency_place_not_any_province():
    """A registry's `省发展改革委` means 吉林省发展和改革委员会 only where 省 is 吉林省, whatever
    site the registry is loaded for."""
    registry = AgencyRegistry([Agency("吉林省发展和改革委员会", "jl-fgw", aliases=("省发展改革委",))],
                              (Place("广东省", "省"),))
    guangdong = registry.canonical("省发展改革委", (Place("广东省", "省"),))
    assert guangdong.name == "广东省发展改革委" and not guangdong.known
    assert registry.canonical("省发展改革委", JILIN).name == "吉林省发展和改革委员会"


@pytest.mark.parametrize("text", ["甲市乙区人民政府关于甲市", "2019年丙满族自治县", "您在县"])
def test_trailing_place_never_swallows_title_words(text):
    from generator.places import trailing_place

    place, _ = trailing_place(text)
    assert place is None or not re.search(r"政府|关于|年", place.name)


def test_declared_place_may_be_a_common_word():
    """A district named 城区 (阳泉市城区) is a place when site.yml says so, never in running text."""
    from generator.places import parse_place

    assert parse_place("城区") is None
    assert parse_place("城区", declared=True) == Place("城区", "区")
    assert parse_place("全省", declared=True) is None
