import codecs
import re

import pytest

from generator.clean import char_width, clean, is_page_furniture, squash_spaces, _layout, _lines
from generator.read import decode, read_text

from conftest import SEED_IDS, SEEDS, seed

CJK = r"\u3400-\u9fff\u3000-\u303f\uff00-\uffef“”‘’—…"


def non_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


@pytest.mark.parametrize("path", SEEDS, ids=SEED_IDS)
def test_clean_loses_no_character(path):
    source = read_text(path)
    kept = "".join(line for line in source.split("\n") if not is_page_furniture(line))
    assert non_space("".join(clean(source))) == non_space(kept)


def test_clean_drops_only_page_numbers():
    first = "我省高度重视这项工作，组织有关部门深入调查研究，形成了较为完善的工作机制和配套措施，取得明显成效。"
    second = "下一步，我们将继续加强统筹协调，认真落实各项工作任务，推动政策措施落地见效。"
    text = _rewrap([first, second], 20, "  ", " ")
    lines = text.split("\n")
    text = "\n".join(lines[:2] + ["— 3 —", "", "- 4 -", "第 5 页", ""] + lines[2:])
    assert clean(text) == [first, second]


@pytest.mark.parametrize("path", SEEDS, ids=SEED_IDS)
def test_clean_leaves_no_stray_space(path):
    for paragraph in clean(read_text(path)):
        assert not re.search(f"[{CJK}] | [{CJK}]", paragraph), paragraph
        assert paragraph == paragraph.strip()


@pytest.mark.parametrize(
    "prefix, whole",
    [
        ("002", "支持两批104户初创企业"),
        ("002", "选派1012名科技人才"),
        ("002", "（吉人社联字〔2016〕45号）"),
        ("002", "“星光STAR”专项评价工具"),
        ("002", "贷款83.84亿元"),
        ("000", "（2023-2030年）"),
        ("000", "2024年5月20日"),
        ("001", "2024年5月29日"),
        ("003", "红旗E-QM5、红旗EH7"),
        ("004", "企业R&D投入引导计划"),
        ("004", "2023年5月17日"),
    ],
)
def test_clean_rejoins_words_numbers_and_dates(prefix, whole):
    paragraphs = clean(read_text(seed(prefix)))
    assert any(whole in p for p in paragraphs), whole


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2019 年以来", "2019年以来"),
        ("打造形成 1个", "打造形成1个"),
        ("吉林省 教育科技", "吉林省教育科技"),
        ("( 一)主要措施", "(一)主要措施"),
        ("Office 365 与 Windows Server", "Office 365与Windows Server"),
        ("{{ 7*7 }} 与 ( 一)", "{{ 7*7 }}与(一)"),
        ("SK 集团", "SK集团"),
        ("\u3000\u3000段落", "段落"),
    ],
)
def test_squash_spaces_keeps_only_latin_spaces(raw, expected):
    assert squash_spaces(raw) == expected


@pytest.mark.parametrize("line", ["— 3 —", "- 12 -", "－3－", "第 3 页", "第3页 共10页", "3/10", "  —  7  —  "])
def test_is_page_furniture_official_formats(line):
    assert is_page_furniture(line)


@pytest.mark.parametrize("line", ["3", "2024", "一、关于", "— 注 —", "第三页内容"])
def test_is_page_furniture_not_text(line):
    assert not is_page_furniture(line)


# --- The same paragraphs whatever the layout ------------------------------------------

def _rewrap(paragraphs, width: float, indent: str, trailing: str) -> str:
    """Lay paragraphs out as PDF extraction would, cut at `width` characters."""
    lines = []
    for paragraph in paragraphs:
        current, used = indent, len(indent) * 0.5
        for ch in paragraph:
            if used + char_width(ch) > width:
                lines.append(current)
                current, used = "", 0.0
            current += ch
            used += char_width(ch)
        lines.append(current + trailing)
    return "\n\n".join(lines) + "\n"


def _with_page_numbers(text: str) -> str:
    lines = text.split("\n")
    out = []
    for number, line in enumerate(lines, 1):
        out.append(line)
        if number % 57 == 0:
            out += ["", f"— {number // 57} —", "  ", ""]
    return "\n".join(out)


def _source_layout(path):
    layout = _layout(_lines(read_text(path)))
    return ("  " if layout.uses_indent else ""), (" " if layout.uses_trailing else "")


VARIANTS = {
    "gb18030": lambda text, path: decode(text.encode("gb18030")),
    "crlf-bom": lambda text, path: decode(codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8")),
    "utf16": lambda text, path: decode(text.encode("utf-16")),
    "no-trailing-spaces": lambda text, path: re.sub(r"[ \t\u3000]+$", "", text, flags=re.M),
    "page-numbers": lambda text, path: _with_page_numbers(text),
    "no-blank-lines": lambda text, path: re.sub(r"\n[ \t]*(?=\n)", "", text),
    "ideographic-indent": lambda text, path: re.sub(r"^  (?=\S)", "\u3000\u3000", text, flags=re.M),
    "rewrap-26": lambda text, path: _rewrap(clean(text), 26, *_source_layout(path)),
    "rewrap-41": lambda text, path: _rewrap(clean(text), 41, *_source_layout(path)),
    "rewrap-33-no-blank": lambda text, path: re.sub(r"\n\n", "\n", _rewrap(clean(text), 33, *_source_layout(path))),
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", SEEDS, ids=SEED_IDS)
def test_clean_same_paragraphs_for_layout_variant(path, variant, seed_paragraphs):
    text = read_text(path)
    assert clean(VARIANTS[variant](text, path)) == seed_paragraphs[path.stem]


@pytest.mark.parametrize("path", SEEDS, ids=SEED_IDS)
def test_clean_is_idempotent(path, seed_paragraphs):
    paragraphs = seed_paragraphs[path.stem]
    assert clean("\n\n".join(paragraphs)) == paragraphs
    assert clean("\n".join(paragraphs)) == paragraphs


def test_clean_short_opening_with_guan_yu_is_not_a_title():
    text = "\n\n".join([
        "尊敬的李明委员： ",
        "  您在会上提出的关于加快物流发展的建议收悉，现答复如下： ",
        "  一、关于完善农村物流网络 ",
        "  我厅高度重视这项工作，组织有关部门深入调查研究，形成了较为完善的工作机制和配套措施。 ",
        "  吉林省交通运输厅 ",
    ]) + "\n"
    assert clean(text)[1:3] == ["您在会上提出的关于加快物流发展的建议收悉，现答复如下：", "一、关于完善农村物流网络"]


def test_clean_collapsed_line_parts_a_date_after_a_phone_number():
    """A web page that ran the whole letter into one table cell: the closing date after the
    contact's number is a paragraph of its own."""
    line = ("张晓哲委员: 您提出的“开展全民健身”提案收悉,现将办理情况答复如下:近年来,全民健身运动蓬勃开展。 "
            "联系电话:3221671 2021年7月15日 |")
    assert clean(line)[-1].strip(" |") == "2021年7月15日"


@pytest.mark.parametrize("line, kept", [
    ("市自然资源和规划局 市市场监督管理局 市房地产服务中心", "市自然资源和规划局 市市场监督管理局 市房地产服务中心"),
    ("关于 某某 的答复", "关于某某的答复"),  # spaces inside words are extraction's, whatever they part
])
def test_clean_keeps_spaces_parting_agencies_signing_together(line, kept):
    assert clean(line) == [kept]
