"""Extraction, judged against expected-output files: a new case is a new pair of files
(`tests/fixtures/replies/<stem>.txt` + `tests/expected/<stem>.yml`), not new code."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from generator.clean import clean
from generator.extract import _proposer, _session, extract
from generator.places import Place
from generator.model import BlockKind
from generator.read import read_text
from generator.text import clean_date, clean_doc_number, cn_to_int

from conftest import ROOT, SEEDS

EXPECTED = sorted((ROOT / "tests" / "expected").glob("*.yml"))


def load_case(path: Path):
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = ROOT / case["source"]
    return case, source


def run(source: Path, ctx, keep_contacts=False):
    reply, problems = extract(clean(read_text(source)), source.name, source.stem, ctx.registry, keep_contacts,
                              ctx.site.places)
    assert reply is not None, problems
    return ctx.classifier.classify(reply), problems


@pytest.mark.parametrize("case_path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_extract_fields_match_expected(case_path, ctx):
    case, source = load_case(case_path)
    reply, _ = run(source, ctx)
    record = reply.record()
    record["classification"] = reply.classification
    for name, expected in case["fields"].items():
        assert record[name] == expected, f"{name}: expected {expected!r}, got {record[name]!r}"


@pytest.mark.parametrize("case_path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_extract_section_count_and_paragraphs(case_path, ctx):
    case, source = load_case(case_path)
    reply, _ = run(source, ctx)
    assert len(reply.sections) == case["section_count"], reply.sections
    assert len([b for b in reply.blocks if b.kind is BlockKind.SECTION]) == case["section_count"]
    texts = [b.text for b in reply.blocks]
    for whole in case.get("paragraphs_contain", []):
        assert any(whole in t for t in texts), whole


@pytest.mark.parametrize("case_path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_extract_withholds_personal_data(case_path, ctx):
    case, source = load_case(case_path)
    reply, _ = run(source, ctx)
    everything = yaml.safe_dump(reply.record(), allow_unicode=True) + "".join(b.text for b in reply.blocks)
    for secret in case.get("absent", []):
        assert str(secret) not in everything


def test_extract_keep_contacts_setting_publishes_contact(ctx):
    source = next(p for p in SEEDS if p.name.startswith("002"))
    reply, _ = run(source, ctx, keep_contacts=True)
    assert any("13006159985" in b.text and b.kind is BlockKind.CONTACT for b in reply.blocks)


def test_extract_themes_between_one_and_five(ctx):
    for source in SEEDS:
        reply, _ = run(source, ctx)
        assert 1 <= len(reply.themes) <= 5


@pytest.mark.parametrize(
    "who, title, expected",
    [
        ("徐川委员", "", ("徐川", "委员")),
        ("王乃晶代表", "", ("王乃晶", "代表")),
        ("刘建国等6名代表", "", ("刘建国", "代表")),
        ("李明、王芳委员", "", ("李明、王芳", "委员")),
        ("马青、周丽等委员", "", ("马青、周丽", "委员")),
        ("刘苍林政协绿春县委员", "", ("刘苍林", "委员")),
        ("民盟文山市基层委员会", "", ("民盟文山市基层委员会", "党派团体")),
        ("双龙湖街道", "", ("双龙湖街道", "其他")),
        ("民建省委会", "", ("民建省委会", "党派团体")),
        ("九三学社吉林省委员会", "", ("九三学社吉林省委员会", "党派团体")),
        ("省政协经济委员会", "", ("省政协经济委员会", "党派团体")),
        ("县政协提案与法治委", "", ("县政协提案与法治委", "党派团体")),
        ("委员", "", (None, "委员")),
        ("张华同志", "", ("张华", None)),
    ],
)
def test_proposer_from_addressee(who, title, expected):
    assert _proposer(who, title) == expected


JILIN = (Place("吉林省", "省"),)
COUNTY = (Place("云南省", "省"), Place("红河哈尼族彝族自治州", "州"), Place("绿春县", "县"))


@pytest.mark.parametrize(
    "text, places, label, body, term, meeting",
    [
        ("您在省政协十三届二次会议上提出的", JILIN, "吉林省政协十三届二次会议", "政协", 13, 2),
        ("您在政协吉林省第十三届委员会第二次会议上提出的", (), "吉林省政协十三届二次会议", "政协", 13, 2),
        ("您在省十四届人大四次会议上提出的", JILIN, "吉林省十四届人大四次会议", "人大", 14, 4),
        ("您在吉林省第十四届人民代表大会第四次会议上提出的", (), "吉林省十四届人大四次会议", "人大", 14, 4),
        # A level whose place the reply does not belong to stays a level: never the site's province.
        ("您在市十七届人大三次会议上提出的", JILIN, "市十七届人大三次会议", "人大", 17, 3),
        ("您在县政协十届五次会议上提出的", COUNTY, "绿春县政协十届五次会议", "政协", 10, 5),
        ("政协子洲县第十届委员会第二次会议", (), "子洲县政协十届二次会议", "政协", 10, 2),
        ("中国人民政治协商会议砚山县九届委员会第三次会议第124号提案", (), "砚山县政协九届三次会议", "政协", 9, 3),
        ("您在博乐市政协十届一次会议上提出的", (), "博乐市政协十届一次会议", "政协", 10, 1),
        ("文山市财政局对文山市第三届政协第三次会议第122号提案的答复", (), "文山市政协三届三次会议", "政协", 3, 3),
        ("关于区人大十八届第四次会议第39号建议的复函", (Place("重庆市", "市"), Place("巴南区", "区")),
         "巴南区十八届人大四次会议", "人大", 18, 4),
        ("十四届全国人大二次会议第2664号建议", (), "十四届全国人大二次会议", "人大", 14, 2),
        ("关于政协第十四届全国委员会第三次会议第05022号提案", (), "全国政协十四届三次会议", "政协", 14, 3),
        ("全国政协十四届一次会议", (), "全国政协十四届一次会议", "政协", 14, 1),
        # No place written at all: the reply's own.
        ("关于三届人大三次会议第41号建议的答复", COUNTY, "绿春县三届人大三次会议", "人大", 3, 3),
        # The body written after the meeting.
        ("住房和城市更新局对市十届三次会议人大第16号意见的答复", (Place("甲市", "市"),), "甲市十届人大三次会议", "人大", 10, 3),
        ("对县七届二次会议政协第5号提案的答复", COUNTY, "绿春县政协七届二次会议", "政协", 7, 2),
    ],
)
def test_session_forms_canonicalised(text, places, label, body, term, meeting):
    assert _session(text, places) == {"session": label, "session_body": body, "session_term": term,
                                      "session_meeting": meeting}


def test_session_without_body_needs_the_filing():
    text = "十一届一次第111021号:关于“某事”提案的答复"
    assert _session(text, COUNTY) == {}
    assert _session(text, COUNTY, bare_body="政协")["session"] == "绿春县政协十一届一次会议"
    assert _session("第十一届一次会议", COUNTY, bare_body="人大")["session"] == "绿春县十一届人大一次会议"


def test_session_level_of_a_county_reply_is_the_sites_city():
    """A county's agency on a city's site (its own name stops at the county): `市` is the site's city;
    a city's reply keeps its own city, and a province's site lends no city."""
    site = (Place("甲省", "省"), Place("乙市", "市"))
    assert _session("您在市七届人大六次会议上提出的", (Place("丙县", "县"),), site)["session"] == "乙市七届人大六次会议"
    assert _session("您在市七届人大六次会议上提出的", (Place("丁市", "市"),), site)["session"] == "丁市七届人大六次会议"
    assert _session("您在市七届人大六次会议上提出的", (Place("丙县", "县"),), site[:1])["session"] == "市七届人大六次会议"


def _reply(ctx, paragraphs, places=()):
    reply, _ = extract(paragraphs, "t.txt", "t", ctx.registry, False, places)
    return reply


def test_extract_session_without_body_from_filing(ctx):
    reply = _reply(ctx, ["十一届一次第5号:关于“关于增设课程的建议”提案的答复", "张三委员:",
                         "您提出的“关于增设课程的建议”的提案收悉,现答复如下:", "我局将加强工作。",
                         "乙市教育局", "2022年8月16日"], (Place("乙市", "市"),))
    assert (reply.session, reply.proposal_number, reply.proposal_kind) == ("乙市政协十一届一次会议", "5", "提案")
    assert reply.title.startswith("十一届一次第5号:")  # the session and number are part of the published title


def test_extract_proposal_heading_is_title_and_proposal_title(ctx):
    reply = _reply(ctx, ["筹建全民健身中心的建议", "张永委员:", "您向区政协七届四次会议提出的23号提案收悉,现答复如下:",
                         "我们做了细致的调查研究。", "二○一○年五月十日"])
    assert reply.title == reply.proposal_title == "筹建全民健身中心的建议"


def test_extract_agency_from_page_line_after_site_name(ctx):
    reply = _reply(ctx, ["乙区人民政府 发布时间:2010-08-18 信息来源:乙区教育局", "张永委员:",
                         "您提出的23号提案收悉,现答复如下:", "我们做了细致的调查研究。", "2010年5月10日"],
                   (Place("乙区", "区"),))
    assert reply.agency == "乙区教育局"
    assert "发布时间" not in "".join(b.text for b in reply.blocks)


def test_extract_signer_with_second_nameplate(ctx):
    reply = _reply(ctx, ["李辉代表:", "您提出的“关于排污问题的建议”收悉,现答复如下:", "我局已启动工程。",
                         "乙市住房和城乡建设局(乙市人民防空办公室)", "2021年8月25日"], (Place("乙市", "市"),))
    assert reply.agency == "乙市住房和城乡建设局"
    assert any("人民防空办公室" in b.text for b in reply.blocks)


@pytest.mark.parametrize("opening, first, co", [
    ("您提出的《关于增设设施的建议》已收悉,答复如下:", "由丙县文化广电体育局牵头,与丙县住建局、丙县旅游局等相关部门共同研究,现已完成。",
     ["丙县文化广电体育局", "丙县住建局", "丙县旅游局"]),
    ("您提出的《关于保护的建议》由我单位会同丙县文化体育和旅游局单位办理,现答复如下:", "我们开展了普查。",
     ["丙县文化体育和旅游局"]),
    ("您提出的《关于某事的建议》收悉,我局会同县财政局和县教育局认真研究,现答复如下:", "近年来,我县与省交通厅合作修路。",
     ["丙县财政局", "丙县教育局"]),
])
def test_extract_co_handlers_from_opening_or_next_sentence(opening, first, co, ctx):
    reply = _reply(ctx, ["贾洪代表:", opening, first, "丙县人民政府", "2017年4月6日"], (Place("丙县", "县"),))
    assert list(reply.co_agencies) == co


def test_extract_unquoted_title_ends_before_a_lost_comma(ctx):
    reply = _reply(ctx, ["熊勇代表:", "您提出的关于加快管网建设的建议意见收悉建议很好!感谢您对我市工作的支持!对您提出的建议,现答复如下:",
                         "我局已启动管网建设。", "甲市住房和城市更新局", "2024年6月14日"], (Place("甲市", "市"),))
    assert reply.proposal_title == "关于加快管网建设的建议"
    assert reply.agency == "甲市住房和城市更新局"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("吉科发政〔2024〕79号", "吉科发政〔2024〕79号"),
        ("吉工信议案〔2025〕29 号", "吉工信议案〔2025〕29号"),
        ("吉科发人才【2023】91 号", "吉科发人才〔2023〕91号"),
        ("吉交函[2025]112号", "吉交函〔2025〕112号"),
        ("吉教函（2024）7号", "吉教函〔2024〕7号"),
    ],
)
def test_clean_doc_number_brackets(raw, expected):
    assert clean_doc_number(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024 年 5月 29 日", date(2024, 5, 29)),
        ("二〇二五年六月五日", date(2025, 6, 5)),
        ("二〇二三年十二月三十一日", date(2023, 12, 31)),
        ("2025-06-13", date(2025, 6, 13)),
    ],
)
def test_clean_date_forms(raw, expected):
    assert clean_date(raw) == expected


@pytest.mark.parametrize("raw", ["2024年13月1日", "去年", "2024-02-30"])
def test_clean_date_rejects_nonsense(raw):
    with pytest.raises(ValueError):
        clean_date(raw)


@pytest.mark.parametrize("raw, expected", [("十三", 13), ("二", 2), ("二十", 20), ("二十一", 21), ("十", 10), ("二〇二五", 2025), ("14", 14), ("百", None)])
def test_cn_to_int(raw, expected):
    assert cn_to_int(raw) == expected


def test_extract_reply_cut_after_title_is_an_error(ctx):
    paragraphs = ["关于对省政协十三届三次会议第12号提案的答复", "吉交函〔2025〕3号"]
    reply, problems = extract(paragraphs, "cut.txt", "cut", ctx.registry)
    assert reply is None
    assert [str(p) for p in problems] == ["cut.txt: no reply text: nothing after the heading lines"]


def test_extract_unknown_agency_canonicalised_with_warning(ctx):
    paragraphs = [
        "张三委员：",
        "您在省政协十三届二次会议上提出的《关于发展低空经济的提案》收悉，我厅会同省低空经济促进厅认真研究，现答复如下：",
        "一、关于低空经济",
        "我省高度重视低空经济发展。",
        "吉林省交通运输厅",
        "2024年6月1日",
    ]
    reply, problems = extract(paragraphs, "x.txt", "x", ctx.registry)
    assert reply.agency == "吉林省交通运输厅"
    assert reply.co_agencies == ("吉林省低空经济促进厅",)
    assert "x.txt: agency not in the registry: 吉林省低空经济促进厅" in [str(p) for p in problems]


def test_no_rule_names_a_sample_file():
    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "generator").glob("*.py"))
    for source in SEEDS:
        assert source.stem not in code and source.stem.split("_")[1] not in code


@pytest.mark.parametrize("source", SEEDS, ids=[p.stem[:3] for p in SEEDS])
def test_extract_blocks_keep_all_text_but_contacts(source, ctx):
    from generator.privacy import is_contact

    paragraphs = clean(read_text(source))
    reply, _ = run(source, ctx)
    assert "".join(b.text for b in reply.blocks) == "".join(p for p in paragraphs if not is_contact(p))


@pytest.mark.parametrize(
    "lines, title",
    [
        (["吉林省交通运输厅关于省政协十三届三次会议", "第0356号提案的答复"], "吉林省交通运输厅关于省政协十三届三次会议第0356号提案的答复"),
        (["对省十四届人大三次会议第0217号建议的答复"], "对省十四届人大三次会议第0217号建议的答复"),
        (["关于对省政协十三届二次会议", "第0123号提案的答复函"], "关于对省政协十三届二次会议第0123号提案的答复函"),
    ],
)
def test_extract_title_forms(lines, title, ctx):
    """Titles with the agency in front, without 关于, or wrapped, in a layout like the samples."""
    body = "  我厅高度重视这项工作，组织有关部门深入调查研究，形成了较为完善的工作机制和配套措施。 "
    text = "\n\n".join(["   " + line + " " for line in lines] + [
        "尊敬的李明委员： ",
        "  您在省政协十三届三次会议上提出的《关于加快发展农村物流的提案》收悉，经认真研究办理，现答复如下： ",
        "  一、关于完善农村物流网络 ",
        body, body, body,
        "  吉林省交通运输厅 ",
        "  2025 年 6 月 5 日 ",
    ]) + "\n"
    reply, _ = extract(clean(text), "t.txt", "t", ctx.registry)
    assert reply.title == title
    assert reply.proposer == "李明" and reply.date.isoformat() == "2025-06-05"
    assert reply.sections == ("一、关于完善农村物流网络",)


@pytest.mark.parametrize("signer", ["吉林省科学技术协会", "吉林省总工会", "吉林省红十字会", "长春海关",
                                    "吉林省消防救援总队", "吉林省供销合作社联合社", "国家税务总局吉林省税务局"])
def test_extract_signature_of_other_bodies(signer, ctx):
    paragraphs = ["张三委员：", "您在省政协十三届二次会议上提出的《关于某事的提案》收悉，现答复如下：",
                  "一、关于某事", "我会高度重视。", signer, "2024年6月1日"]
    reply, _ = extract(paragraphs, "s.txt", "s", ctx.registry)
    assert reply.agency == ctx.registry.canonical(signer).name


def test_extract_reply_of_another_place_not_attributed_to_the_site(ctx):
    """A city's reply read with the Jilin data: its short forms stay its own or as written,
    never 吉林省's; its session carries its own city."""
    paragraphs = [
        "张兰代表：",
        "您在市十六届人大三次会议上提出的《关于老旧小区加装扶手的建议》收悉，我局会同省住建厅、市城管局认真研究，现答复如下：",
        "我局已要求各项目单位在前期调查时充分尊重社区及群众意见。",
        "本溪市住房和城乡建设局",
        "2020年3月20日",
    ]
    reply, problems = extract(paragraphs, "b.txt", "b", ctx.registry, False, ctx.site.places)
    assert reply.agency == "本溪市住房和城乡建设局"
    assert reply.session == "本溪市十六届人大三次会议"
    assert reply.co_agencies == ("省住建厅", "本溪市城管局")
    assert not any(name.startswith("吉林") for name in (reply.agency, *reply.co_agencies))


def test_extract_outcome_class_reaches_record_and_page(ctx, tmp_path):
    from generator.render import Renderer, front_matter

    source = ROOT / "tests" / "fixtures" / "replies" / "jt_classified.txt"
    reply, _ = run(source, ctx)
    assert reply.record()["classification"] == "B"
    assert "classification: B" in front_matter(reply)
    page = Renderer(ROOT / "templates").reply_page(reply)
    assert "<td>办理结果</td>\n<td>B类（正在解决或已列入计划解决）</td>" in page


@pytest.mark.parametrize("line, expected", [
    ("2024年6月18日", date(2024, 6, 18)), ("2024.6.18", date(2024, 6, 18)), ("2024/6/18", date(2024, 6, 18)),
    ("2024-06-18", date(2024, 6, 18)), ("２０２４年６月１８日", date(2024, 6, 18)),
    ("二〇二四年六月十八日", date(2024, 6, 18)), ("二○二一年七月十二日", date(2021, 7, 12)),
    ("二OO八年六月十九日", date(2008, 6, 19)), ("2024年 6月 18日  （盖章）", date(2024, 6, 18)),
    ("2022711", date(2022, 7, 11)), ("2025 915", date(2025, 9, 15)), ("2020年929", date(2020, 9, 29)),
    ("本溪市住房和城乡建设局 2020年3月20日", date(2020, 3, 20)), ("20246月14", date(2024, 6, 14)),
])
def test_date_line_forms(line, expected):
    from generator.extract import _date_line
    from generator.folding import fold

    assert _date_line(fold(line)[0])[0] == expected


@pytest.mark.parametrize("line, year", [("2024年9月", 2024), ("永吉县水利局2023年", 2023), ("2019111", 2019)])
def test_date_line_without_a_day_gives_the_year_only(line, year):
    from generator.extract import _date_line

    found = _date_line(line)
    assert found[0] is None and found[1] == year


@pytest.mark.parametrize("texts, number", [
    (["关于对省政协十三届三次会议第2025D23号提案的答复"], "2025D23"),
    (["您提出的《关于…的建议》(第3034号)建议收悉"], "3034"),
    (["关于区十九届人大第六次会议第DH0271号建议办理情况的复函"], "DH0271"),
    (["关于对区一届人大三次会议第(J027)号建议的答复"], "J027"),
    (["关于省十三届人大一次会议温36号建议的答复"], "温36"),
    (["城口县发展和改革委员会关于县政协十届一次会议第6.11号提案的复函"], "6.11"),
    (["依据《X办法》(X政发〔2021〕69号)文件要求"], None),
    (["十一届一次第111021号:关于“某事”提案的答复"], "111021"),
])
def test_proposal_number_forms(texts, number):
    from generator.extract import _number

    assert _number(texts) == number


@pytest.mark.parametrize("paragraph, heading", [
    ("一、关于“拓宽融资渠道，强化融资过程管理。”的建议", True),  # a full stop inside quotes
    ("二 、关于“提升科技创新能力”的建议", True),
    ("一、目前市公安局交警部门已经在此路段增设了中央隔离护栏。", False),  # a numbered statement
    ("一、国家高度重视高标准农田建设。建设高标准农田是保障国家粮食安全的重要基础。", False),
    ("一是推动企业转型升级", False),
])
def test_section_heading_is_short_and_not_a_sentence(paragraph, heading):
    from generator.extract import _is_section

    assert _is_section(paragraph) is heading


@pytest.mark.parametrize("line", [
    "主管领导姓名:王五               联系电话:13912345678",
    "人姓名:王五               联系电话:13912345678",  # the label's start lost
    "承办人姓名：王五　　　　联系电话：１３９１２３４５６７８",
    "经办人员:王五 电话:0431-88905432",
])
def test_extract_contact_line_after_the_letter_withheld_whole(line, ctx):
    text = "\n".join(["张三代表:", "您提出的《关于某事的建议》收悉,现答复如下:",
                      "我局已启动工程,将分段分步实施,解决镇内主要排水问题,并积极申报专项资金支持。",
                      "甲市水务局", "2024年6月14日", "", line, "", "抄送:市人大代工委"])
    reply, _ = extract(clean(text), "t.txt", "t", ctx.registry, False, (Place("甲市", "市"),))
    published = yaml.safe_dump(reply.record(), allow_unicode=True) + "".join(b.text for b in reply.blocks)
    assert "王五" not in published and "5678" not in published and "５６７８" not in published
    assert "抄送" in published  # the lines around it stay


@pytest.mark.parametrize("opening, kind", [
    ("你们提出的《关于修路的议案》,经大会主席团审议,已转为建议交我局研究办理,现答复如下:", "建议"),
    ("你们提出了《修路》的建议,会议主席团已将此列为第48号建议案,交我局研究办理,现答复如下:", "建议"),
    ("你们提出的《关于修路的议案》收悉,现答复如下:", "议案"),
])
def test_extract_kind_of_a_motion_made_a_suggestion(opening, kind, ctx):
    reply = _reply(ctx, ["王学菊等12位代表:", opening, "我局已安排资金。", "乙县交通运输局", "2017年6月23日"],
                   (Place("乙县", "县"),))
    assert reply.proposal_kind == kind


def test_extract_links_to_other_pages_are_not_the_title(ctx):
    reply = _reply(ctx, ["刘林波委员:", "你提出的《关于安装净化设备的提案》,已交我们研究办理,现答复如下:",
                         "经我局争取上报,方案已列入计划。", "乙县水务局", "2020年9月27日",
                         "上一条:乙县水务局关于对乙县第九届政协第四次会议第9号提案的答复|",
                         "下一条:乙县城市管理局对政协乙县九届四次会议第156号提案的答复|"], (Place("乙县", "县"),))
    assert reply.session is None and reply.proposal_number is None
    assert reply.title == "关于《关于安装净化设备的提案》的答复"
    assert "上一条" not in "".join(b.text for b in reply.blocks)


@pytest.mark.parametrize("who, expected", [
    ("尊敬的刘社院代表:", ("刘社院", "代表")), ("王建局、李四代表:", ("王建局、李四", "代表")),
    ("县医院代表:", ("县医院代表", None)),
])
def test_proposer_names_ending_like_units(who, expected):
    assert _proposer(who) == expected


def test_extract_title_after_a_page_label_keeps_its_agency(ctx):
    reply = _reply(ctx, ["网站名 2018-07-11 11:25:49 评论()", "文件名称:甲省交通运输厅关于省十三届人大一次会议丽22号建议的答复",
                         "文件编号:甲交建〔2018〕92号", "雷文彬代表:",
                         "您在省十三届人大一次会议上领衔提出的《关于通景公路的建议》(丽22号)收悉。经认真研究,现答复如下:",
                         "我厅高度重视。", "甲省交通运输厅", "2018年6月20日"], (Place("甲省", "省"),))
    assert reply.title == "甲省交通运输厅关于省十三届人大一次会议丽22号建议的答复"
    assert reply.doc_number == "甲交建〔2018〕92号"


def test_extract_session_place_from_a_text_that_writes_it(ctx):
    """The opening garbles the place (`您在镇镇第二十届…`); the title names it: the written place wins."""
    reply = _reply(ctx, ["[ 索引号 ] | 1150/2022-00028 | [ 发文字号 ] | 2022-92 |",
                         "[ 发布机构 ] | 丙丁区戊己镇 | [ 有效性 ] | |",
                         "甲乙市丙丁区戊己镇人民政府", "关于戊己镇第二十届人民代表大会第一次会议第9号建议的复函", "贾家鑫代表:",
                         "您在镇镇第二十届人民代表大会第一次会议上提出的《关于硬化道路的建议》收悉,现答复如下:",
                         "我镇将积极争取硬化指标。", "甲乙市丙丁区戊己镇人民政府", "2022年5月25日"],
                   (Place("甲乙市", "市"), Place("丙丁区", "区")))
    assert reply.session == "戊己镇二十届人大一次会议"
    assert reply.doc_number == "2022-92"  # the page's field, in its own form


def test_extract_unsigned_reply_names_itself_in_its_thanks(ctx):
    reply = _reply(ctx, ["关于对乙区第十八届人民代表大会第四次会议第44号代表建议的答复", "张秀霞代表:",
                         "您提的《关于院墙西移的建议》收悉,现答复如下:", "该处已纳入街道绿化工程项目。",
                         "再次感谢您对丙路街道办事处经济和社会事业发展的关心和支持,希望您以后多提宝贵意见。"],
                   (Place("乙区", "区"),))
    assert reply.agency == "丙路街道办事处"


def test_extract_opening_without_any_cue_after_the_salutation(ctx):
    reply = _reply(ctx, ["今天是", "关于王风代表建议的回复", "尊敬的王风代表:",
                         "您好!您提出的《关于贯通消防通道的建议》对于防范森林火灾风险具有重要意义,我们对此表示高度认同。",
                         "我局将认真研究。", "乙县林业局", "2025年8月18日"], (Place("乙县", "县"),))
    assert (reply.proposer, reply.proposal_title, reply.proposal_kind) == ("王风", "关于贯通消防通道的建议", "建议")


def test_extract_page_label_line_before_the_title_is_not_part_of_it(ctx):
    reply = _reply(ctx, ["政协094市公安局关于加强养犬管理的提案", "关于对市政协八届一次委员第094号提案的答复",
                         "尊敬的罗惠玉委员:", "您提出的《关于加强养犬管理的提案》,我们已收悉,现答复如下:", "我市已出台办法。",
                         "甲乙市公安局", "2018年6月30日"], (Place("甲乙市", "市"),))
    assert reply.title == "关于对市政协八届一次委员第094号提案的答复"
    assert reply.session == "甲乙市政协八届一次会议"  # 会议 lost after the meeting


@pytest.mark.parametrize("lines, field, value", [
    (["〔A〕", "〔公开〕", "甲林函〔2022〕2号"], "classification", "A"),
    (["甲政字〔2012〕30-17号"], "doc_number", "甲政字〔2012〕30-17号"),
])
def test_extract_header_marks(lines, field, value, ctx):
    reply = _reply(ctx, [*lines, "关于丙丁区第二届人大一次会议第23号建议答复的函", "赖秀英代表:",
                         "您提出的《关于保护老树的建议》收悉,现答复如下:", "我局已挂牌保护。", "丙丁区林业局", "2022年6月28日"],
                   (Place("丙丁区", "区"),))
    assert getattr(reply, field) == value


def test_extract_agency_from_a_labelled_closing_line(ctx):
    reply = _reply(ctx, ["郭宏杰代表:", "您提出的《关于最低保障问题的建议》已收悉,现答复如下:", "我局将加强保障。",
                         "承办单位:甲乙市民政局", "二○一八年四月三日"], (Place("甲乙市", "市"),))
    assert reply.agency == "甲乙市民政局"


def test_extract_agency_from_a_page_field_with_a_widget_glued(ctx):
    reply = _reply(ctx, ["发布时间:2019-08-02 发布机构:林业局 字体:[大 中 小]", "对甲乙市第十四届人民代表大会第四次会议第86号建议的会办意见",
                         "市旅游文广局:", "杨春波代表提出的“关于保护古树的建议”收悉,现提出会办意见如下:", "我局将配合做好古树保护。",
                         "2019年7月31日"], (Place("甲乙市", "市"),))
    assert reply.agency == "甲乙市林业局"


def test_extract_proposers_from_the_paragraph_restating_the_suggestion(ctx):
    reply = _reply(ctx, ["关于戊己镇第十六届人民代表大会", "第一次会议17号代表建议的答复",
                         "任木兰、徐文良等代表提出的17号代表建议:近几年,污水时有排入江中。",
                         "现答复如下:镇政府对沿线污水十分重视,已实施集镇生活污水处理。", "戊己镇人民政府", "二○一二年六月十四日"])
    assert (reply.proposer, reply.proposer_type) == ("任木兰、徐文良", "代表")


def test_extract_quoted_core_gives_way_to_the_whole_title_in_the_heading(ctx):
    reply = _reply(ctx, ["甲乙市第十六届人大二次会议《关于在某小区进行养老试点的建议》(2301号)办理情况的答复", "高振明代表:",
                         "您提出的关于“在某小区进行养老试点”的建议收悉。现答复如下:", "区政府将开展试点。",
                         "丙丁区人民政府", "2019年11月14日"], (Place("甲乙市", "市"), Place("丙丁区", "区")))
    assert reply.proposal_title == "关于在某小区进行养老试点的建议"


@pytest.mark.parametrize("who, expected", [
    ("余秀华9名代表", ("余秀华", "代表")), ("苏璇委员(区应急管理局):", ("苏璇", "委员")),
    ("王五二十名委员", ("王五二十名", "委员")),  # a numeral ending a name is no count
])
def test_proposer_counts_and_units_after_names(who, expected):
    assert _proposer(who) == expected
