"""Property-based tests: random damage of the kind PDF extraction does never crashes the
cleaner, never loses a character, and never changes the paragraphs."""

from __future__ import annotations

import re

import pytest

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.clean import clean, is_page_furniture
from generator.extract import extract
from generator.pipeline import load_context
from generator.read import decode, read_text

from conftest import DATA, SEEDS
from test_clean import _rewrap, _source_layout

SOURCES = {p.stem: read_text(p) for p in SEEDS}
PARAGRAPHS = {stem: clean(text) for stem, text in SOURCES.items()}
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16"]
CJK_PAIR = re.compile(r"(?<=[\u4e00-\u9fff])(?=[\u4e00-\u9fff])")

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


def non_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


@st.composite
def damaged(draw):
    """A sample reply re-laid out at a random width, with random page numbers, extraction
    spaces, line ends and encoding."""
    path = draw(st.sampled_from(SEEDS))
    width = draw(st.integers(min_value=22, max_value=48))
    text = _rewrap(PARAGRAPHS[path.stem], width, *_source_layout(path))
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 4))):  # page numbers at random page breaks
        at = draw(st.integers(0, len(lines)))
        lines[at:at] = ["", f"— {draw(st.integers(1, 99))} —", "   ", ""]
    text = "\n".join(lines)
    positions = [m.start() for m in CJK_PAIR.finditer(text)]
    for at in sorted(draw(st.lists(st.sampled_from(positions), max_size=15, unique=True)), reverse=True):
        text = text[:at] + " " + text[at:]  # spaces where fonts switched
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return path.stem, decode(text.encode(draw(st.sampled_from(ENCODINGS))))


@given(damaged())
def test_clean_damaged_layout_same_paragraphs(case):
    stem, text = case
    assert clean(text) == PARAGRAPHS[stem]


CONTEXT = load_context(DATA)
RECORDS = {stem: extract(PARAGRAPHS[stem], stem, stem, CONTEXT.registry)[0].record() for stem in PARAGRAPHS}


@given(damaged())
def test_generator_damaged_layout_same_fields(case):
    """The whole reading of a reply, not only cleaning, survives the damage."""
    stem, text = case
    reply, problems = extract(clean(text), stem, stem, CONTEXT.registry)
    assert reply is not None, problems
    assert reply.record() == RECORDS[stem]


@given(st.sampled_from(sorted(SOURCES)), st.integers(0, 10_000), st.integers(1, 400))
def test_clean_any_cut_loses_nothing(stem, start, length):
    """Any slice of a reply (a file cut anywhere) cleans without crash or loss."""
    text = SOURCES[stem][start: start + length * 20]
    kept = "".join(line for line in text.split("\n") if not is_page_furniture(line))
    assert non_space("".join(clean(text))) == non_space(kept)


@given(st.text(alphabet=st.sampled_from(list("　 \n关于答复一、（一）1.。，：吉林省科技厅2024年5月20日ABC-—")), max_size=300))
def test_clean_arbitrary_text_idempotent(text):
    once = clean(text)
    assert non_space("".join(once)) == non_space("".join(l for l in text.split("\n") if not is_page_furniture(l)))
    assert clean("\n\n".join(once)) == once


def _squash_reference(text: str) -> str:
    """The plain statement of the rule squash_spaces implements with two regexes."""
    from generator.clean import SPACES

    out, n = [], 0
    while n < len(text):
        if text[n] in SPACES:
            end = n
            while end < len(text) and text[end] in SPACES:
                end += 1
            before, after = text[n - 1: n], text[end: end + 1]
            if before and after and all(c.isascii() and c.isprintable() and not c.isspace() for c in before + after):
                out.append(" ")
            n = end
        else:
            out.append(text[n])
            n += 1
    return "".join(out)


@given(st.text(alphabet=st.sampled_from(list(" \u3000\t\u00a0ab1.,:-{}中文，。“”")), max_size=60))
def test_squash_spaces_equals_rule(text):
    from generator.clean import squash_spaces

    assert squash_spaces(text) == _squash_reference(text)


@pytest.mark.parametrize("name", ["DOC_NUMBER_LINE", "CLASSIFICATION_LINE", "DATE_LINE", "ADDRESSEE_LINE", "AGENCY_LINE"])
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_may_stand_alone_admits_every_standalone_line(name, data):
    """The cheap pre-test never rules out a line one of the standalone patterns matches."""
    from generator import clean as cleaning

    text = data.draw(st.from_regex(getattr(cleaning, name), fullmatch=True).filter(lambda t: t.strip()))
    text = text.rstrip("\n")  # `$` also matches before a final newline; lines have none
    assume(getattr(cleaning, name).match(text))
    assert cleaning._may_stand_alone(text)


_FOLDERS = st.lists(st.sampled_from(["replies", "page", "agencies", "x-shengjiaoyuting", "2", "lead"]), max_size=3)
_PAGE = st.sampled_from(["index.md", "a.md", "2.md", "lead.md"])


@given(_FOLDERS, _PAGE, _FOLDERS, _PAGE)
def test_rel_equals_posixpath_relpath(target_dir, target_page, here_dir, here_page):
    """Between two pages (paths of .md files), rel gives what posixpath.relpath gives."""
    import posixpath

    from generator.render import rel

    target, here = "/".join(target_dir + [target_page]), "/".join(here_dir + [here_page])
    assert rel(target, here) == posixpath.relpath(target, posixpath.dirname(here) or ".")


_REPLY_ALPHABET = list("关于对省市县区政协人大第十一二三届次会议号建议提案议案的答复函收悉现如下您你委员代表：:，,。、（）()"
                       "《》“”\"|•·>首页 \n\t\u30000123456789年月日局厅委办政府ABC类联系人电话抄送签发附件一是下一步〔〕【】-—")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=_REPLY_ALPHABET, max_size=80), max_size=30))
def test_extract_reads_any_text_without_inventing(ctx, lines):
    """Whatever the lines, extraction returns a reply or a problem, never raises, and every
    block is the text of one cleaned paragraph or a part of it (nothing invented)."""
    from generator.clean import clean
    from generator.extract import extract

    paragraphs = clean("\n".join(lines))
    if not paragraphs:
        return
    reply, problems = extract(paragraphs, "x.txt", "x", ctx.registry, True, ctx.site.places)
    assert reply is not None or problems
    if reply is not None:
        for block in reply.blocks:
            assert any(block.text in p for p in paragraphs) or block.text in "".join(paragraphs)
