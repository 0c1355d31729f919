"""The web page reader: a reply as its publisher's CMS shows it (`.html`/`.htm`) → the
page's metadata fields and the paragraphs of its content element.

A government CMS page wraps the reply in navigation, breadcrumbs, a metadata table
(索引号, 发布机构, 成文日期, 文号 …), share and font-size widgets, 上一篇/下一篇 links and a
footer. Read with lxml:

- the metadata table's fields become `label：value` lines at the head of the document, as
  in a copy of the page as text, where extraction already takes them as candidates
  (发布机构/来源 for the agency, 成文日期 for the date, 文号);
- the content element is the one holding most of the page's running text outside links
  (the readability algorithm's core: each paragraph's text scores for its parent, half
  for its grandparent); its block elements and `<br>`-parted lines are the paragraphs;
- the page's heading, when the content element does not hold it, is put first (the
  reply's title is often above the content box);
- script, style, forms, navigation and footer elements, and lines that are only widgets
  (打印本页, 关闭窗口, 字体：大 中 小, 上一篇：…) are dropped.

Pages in GBK/GB2312/GB18030 are decoded as their `<meta charset>` says.
"""

from __future__ import annotations

import re

from ..read import Document, ReadError, ReadOptions

SUFFIXES = (".html", ".htm")
MAX_BYTES = 8 * 2**20  # a saved page with inline scripts and styles

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "select", "input",
              "nav", "header", "footer", "aside", "svg", "object", "embed")
# Class or id words of page chrome in CMS templates (Chinese government sites use these
# English words, or pinyin: daohang, mianbaoxie, weizhi, fenxiang, yejiao).
_CHROME = re.compile(r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumbs?|crumbs?|position|location|weizhi|daohang|"
                     r"mianbaoxie|share|fenxiang|bdshare|footer|foot|yejiao|header|top-?bar|sidebar|side|"
                     r"pager|prev|next|related|xgwz|toolbar|print|dayin|fontsize|font-?size|copyright|banner|"
                     r"search|login|qrcode|erweima)(?:$|[\s_-])", re.I)
_BLOCKS = {"p", "div", "section", "article", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
           "pre", "table", "tbody", "thead", "ul", "ol", "dl", "dt", "dd", "center", "main", "td", "th"}
_WIDGET_LINE = re.compile(
    r"^(?:【?\s*(?:打印本页|打印|关闭窗口|关闭|返回顶部|收藏|分享到?|字体|字号)[^。]{0,20}】?"
    r"|(?:上一篇|下一篇|上一条|下一条)[：:].*|【?\s*字体\s*[：:]?\s*[大中小\s]+】?|浏览次数[：:]?\s*\d*|访问量[：:]?\s*\d*)$")
_META_LABELS = ("索引号", "发布机构", "发文机关", "成文日期", "发文日期", "答复时间", "答复日期", "文号", "发文字号",
                "主题分类", "公开方式", "公开范围", "生成日期", "发布日期", "发布时间", "来源", "信息来源",
                "所属机构", "体裁分类", "组配分类", "标题", "名称")
_META_LABEL = re.compile(r"^\s*(" + "|".join(_META_LABELS) + r")\s*[：:]?\s*$")
# `发布时间：2024-06-30 10:21 来源：本网 浏览次数：1024`: each label's value runs to the next label.
_META_PAIR = re.compile(r"(" + "|".join(_META_LABELS) + r")\s*[：:]\s*(.*?)\s*(?=(?:" + "|".join(_META_LABELS)
                        + r"|浏览次数|点击数|访问量|阅读次数|【|字体|字号)\s*[：:【]|【|$)")
# `来源：本网`: the site itself, which says nothing of the reply's agency.
_NO_VALUE = {"本网", "本站", "本网站", "原创", "网站", "-", "—", "无"}
_SPACE = re.compile(r"[ \t\r\n\f\u00a0]+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    declared = _CHARSET.search(data[:4096])
    encodings = [declared.group(1).decode("ascii").lower()] if declared else []
    for encoding in encodings + ["utf-8", "gb18030"]:
        encoding = "gb18030" if encoding in ("gb2312", "gbk", "x-gbk") else encoding
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise ReadError("cannot decode the web page: not UTF-8 or GB18030")


def _text(element) -> str:
    return _SPACE.sub(" ", element.text_content()).strip()


def _is_chrome(element) -> bool:
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    return bool(names.strip()) and bool(_CHROME.search(names))


def _lines(element) -> list[str]:
    """The paragraphs of `element`: the text between block boundaries and `<br>`s."""
    out, current = [], []

    def flush():
        line = _SPACE.sub(" ", "".join(current)).strip()
        if line:
            out.append(line)
        current.clear()

    def walk(node):
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in _BLOCKS
        if block or tag == "br":
            flush()
        if tag != "br" and node.text:
            current.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if block:
            flush()

    walk(element)
    flush()
    return out


def _metadata(root) -> list[str]:
    """`label：value` of the page's metadata fields (a table, a list or inline labels)."""
    found: dict[str, str] = {}
    for cell in root.iter("td", "th", "dt", "span", "b", "strong", "label", "em", "li", "p", "div"):
        text = _text(cell)
        if len(text) > 90:
            continue
        label = _META_LABEL.match(text)
        if label:
            value = cell.getnext()
            if value is not None and value.tag in ("td", "th", "dd", "span", "em", "div") and len(_text(value)) <= 80:
                found.setdefault(label.group(1), _text(value))
            continue
        if cell.tag in ("td", "th", "li", "span", "p", "div") and re.match(r"^\s*(?:" + "|".join(_META_LABELS) + r")\s*[：:]", text):
            for pair in _META_PAIR.finditer(text):
                if pair.group(2):
                    found.setdefault(pair.group(1), pair.group(2))
    return [f"{label}：{value}" for label, value in found.items() if value and value not in _NO_VALUE]


def _content(root):
    """The element holding most of the page's running text (see the module docstring)."""
    scores: dict = {}
    for paragraph in root.iter("p", "div", "td", "section", "article", "span", "font"):
        own = (paragraph.text or "") + "".join(child.tail or "" for child in paragraph)
        if paragraph.tag in ("p", "span", "font"):
            own = _text(paragraph)
        links = sum(len(_text(a)) for a in paragraph.iter("a"))
        score = len(_HAN.findall(own)) - links
        if score < 10:
            continue
        parent = paragraph.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + score / 2
    if not scores:
        return None
    return max(scores, key=lambda element: scores[element])


def read(data: bytes, options: ReadOptions) -> Document:
    import lxml.html  # imported here, so that text-only runs never load it

    text = _decode(data)
    if not text.strip():
        raise ReadError("empty web page")
    try:
        root = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*>", "", text))
    except Exception as exc:  # lxml's ParserError and others on a broken page
        raise ReadError(f"cannot parse the web page: {type(exc).__name__}") from None
    for element in list(root.iter(*_DROP_TAGS)):
        element.drop_tree()
    for element in [e for e in root.iter() if isinstance(e.tag, str) and _is_chrome(e)]:
        if element.getparent() is not None:
            element.drop_tree()
    meta = _metadata(root)
    content = _content(root)
    if content is None:
        raise ReadError("no running text found in the web page")
    lines = [line for line in _lines(content) if not _WIDGET_LINE.match(line)]
    meta_seen = set(meta)
    lines = [line for line in lines if line not in meta_seen]
    heading = next((h for h in root.iter("h1", "h2") if _HAN.search(_text(h))), None)
    if heading is not None and content not in heading.iterancestors() and heading not in content.iter():
        title = _text(heading)
        if title and title not in lines[:3]:
            lines.insert(0, title)
    return Document(paragraphs=tuple(meta + lines))
