"""The shorter inline path (generator/markdown_speed.py) gives Python-Markdown's own HTML."""

from xml.etree import ElementTree

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import InlineProcessor as TreeInline

from generator import markdown_speed
from generator.markdown_speed import faster_inline, needs

# The site's extensions (mkdocs.yml), and none.
EXTENSIONS = [
    (["tables", "attr_list", "md_in_html", "admonition", "toc"], {"toc": {"permalink": False}}),
    ([], {}),
]

# Pieces of Markdown that exercise every inline pattern, and text around them.
PIECES = [
    "答复", "收悉。", "省教育厅", " ", "  ", "\n", "\n\n", "  \n", "a", "1", "|", ":",
    "*", "**", "***", "_", "__", "*强调*", "**加粗**", "_下划_", "__粗__", "* 非强调 *",
    "`", "``", "`代码`", "``a`b``", "\\", "\\*", "\\_", "\\[", "\\`", "\\\\`x`",
    "[", "]", "(", ")", "!", "[链接](a.md)", "![图](b.png)", "[引用][r]", "[r]", "[r]: c.md\n",
    "![图][r]", "[短]", "<", ">", "<http://example.org/x>", "<a@b.cn>", "<span>", "</span>",
    "<span class=\"x\">内</span>", "<!-- 注 -->", "<br>", "&", "&amp;", "&#34;", "&#x4e2d;", "&nbsp",
    "{: .reply-commitment #c-1 }", "{ #id }", "# ", "## 标题", "> ", "- ", "1. ", "    缩进代码",
    "| 甲 | 乙 |\n|---|---|\n| [丙](d.md) | *丁* |\n", "<div markdown>\n\n", "\n</div>\n",
    "<div class=\"c\" markdown>\n*强*\n</div>\n", "!!! note\n    提示 *x*\n",
]


def convert(text: str, extensions, configs) -> str:
    return markdown.Markdown(extensions=extensions, extension_configs=configs).convert(text)


@pytest.mark.parametrize("extensions,configs", EXTENSIONS)
@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=40))
def test_faster_inline_same_html_as_markdown(extensions, configs, pieces):
    text = "".join(pieces)
    stock = convert(text, extensions, configs)
    with faster_inline():
        fast = convert(text, extensions, configs)
    assert fast == stock


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("*_`\\[]()!<>&#;: \n|{}.-=答复省a1")), max_size=80))
def test_faster_inline_same_html_on_any_characters(text):
    stock = convert(text, *EXTENSIONS[0])
    with faster_inline():
        fast = convert(text, *EXTENSIONS[0])
    assert fast == stock


def test_faster_inline_plain_text_tries_no_pattern(monkeypatch):
    tried = []
    apply = markdown_speed._apply
    monkeypatch.setattr(markdown_speed, "_apply", lambda *args: tried.append(args[1]) or apply(*args))
    with faster_inline():
        convert("您提出的建议收悉。现答复如下：\n\n一是加强统筹。", *EXTENSIONS[0])
        assert tried == []
        convert("见[附件](a.md)。", *EXTENSIONS[0])
    assert tried  # the link pattern, at least


class _At(InlineProcessor):
    def handleMatch(self, m, data):
        return ElementTree.Element("mark"), m.start(0), m.end(0)


def test_faster_inline_unknown_pattern_always_tried():
    md = markdown.Markdown()
    md.inlinePatterns.register(_At(r"@@"), "at", 175)
    assert needs(md.inlinePatterns["at"]) is None
    with faster_inline():
        html = md.convert("甲@@乙")
    assert html == "<p>甲<mark></mark>乙</p>"


def test_faster_inline_closed_restores_markdown():
    before = (TreeInline.run, TreeInline._InlineProcessor__handleInline)
    with faster_inline():
        with faster_inline():  # nested: a build within a build
            assert TreeInline.run is not before[0]
        assert TreeInline.run is not before[0]
    assert (TreeInline.run, TreeInline._InlineProcessor__handleInline) == before


def test_faster_inline_unknown_markdown_left_alone(monkeypatch):
    monkeypatch.setattr(markdown_speed, "_apply", None)  # a Markdown without the private step
    before = TreeInline.run
    with faster_inline():
        assert TreeInline.run is before
        assert convert("见[附件](a.md)。", *EXTENSIONS[0]) == '<p>见<a href="a.md">附件</a>。</p>'
