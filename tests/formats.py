"""Make a reply's other published forms from its text, as offices produce them: a PDF
(A4, red letterhead rule, indented paragraphs, centred title, right-aligned signature and
date, `— 1 —` page numbers; printed by Chromium), a Word file (python-docx: paragraphs,
a heading style, a header and a page-number footer) and a CMS web page (navigation,
breadcrumbs, a metadata table, share widgets, 上一篇/下一篇, footer).

Each is made from the paragraphs the cleaner finds in the text (`clean`), so reading it
back must give those paragraphs: the test of every reader. Layout follows what each
paragraph is (title, 文号, heading, signature, date), as in a real reply.
"""

from __future__ import annotations

import html
import io
import re

from generator.clean import DATE_LINE, DOC_NUMBER_LINE, SECTION_HEAD, clean

_AGENCY_END = re.compile(r"(?:厅|局|委员会|委|办公室|政府|中心|院|会|部|处|署|办)$")
_SALUTATION = re.compile(r"(?:代表|委员|同志|先生|女士|主委|组|党|会|团)(?:们)?[：:]$")


def roles(paragraphs: list[str]) -> list[str]:
    """title | doc_number | heading | salutation | signature | date | body, per paragraph."""
    out = []
    for n, text in enumerate(paragraphs):
        tail = n >= len(paragraphs) - 4
        if DOC_NUMBER_LINE.match(text):
            out.append("doc_number")
        elif n < 3 and re.search(r"(?:答复|复函|的函)$", text) and len(text) < 200 and "title" not in out:
            out.append("title")
        elif DATE_LINE.match(text.replace(" ", "")):
            out.append("date")
        elif tail and len(text) <= 20 and _AGENCY_END.search(text):
            out.append("signature")
        elif len(text) <= 40 and _SALUTATION.search(text):
            out.append("salutation")
        elif SECTION_HEAD.match(text) and len(text) <= 60:
            out.append("heading")
        else:
            out.append("body")
    return out


def paragraphs_of(text: str) -> list[str]:
    return clean(text)


# --- PDF, printed by Chromium -------------------------------------------------------

_PDF_CSS = """
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }
body { font-family: 'Noto Sans CJK SC', sans-serif; font-size: 16pt; line-height: 1.75; color: #000; margin: 0; }
p { margin: 0; text-align: justify; text-indent: 2em; }
.letterhead { color: #c00; font-size: 30pt; text-align: center; text-indent: 0; letter-spacing: 0.1em; }
.rule { border-top: 2px solid #c00; margin: 4mm 0 8mm; }
.doc_number { text-align: right; text-indent: 0; }
.title { text-align: center; text-indent: 0; font-size: 22pt; font-weight: bold; margin: 6mm 0; }
.heading { font-weight: bold; }
.salutation { text-indent: 0; }
.signature, .date { text-align: right; text-indent: 0; padding-right: 2em; }
"""


def pdf_html(paragraphs: list[str], letterhead: str | None = None) -> str:
    body = []
    if letterhead:
        body.append(f'<p class="letterhead">{html.escape(letterhead)}</p><div class="rule"></div>')
    for text, role in zip(paragraphs, roles(paragraphs)):
        body.append(f'<p class="{role}">{html.escape(text)}</p>')
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{_PDF_CSS}</style></head>'
            f'<body>{"".join(body)}</body></html>')


PAGE_NUMBER = ('<div style="width:100%;text-align:center;font-size:12pt;font-family:\'Noto Sans CJK SC\'">'
               '— <span class="pageNumber"></span> —</div>')


def make_pdf(browser, paragraphs: list[str], letterhead: str | None = None) -> bytes:
    page = browser.new_page()
    try:
        page.set_content(pdf_html(paragraphs, letterhead))
        return page.pdf(format="A4", display_header_footer=True, header_template="<span></span>",
                        footer_template=PAGE_NUMBER, prefer_css_page_size=True)
    finally:
        page.close()


# --- Word ---------------------------------------------------------------------------

def make_docx(paragraphs: list[str], letterhead: str | None = None) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = docx.Document()
    section = document.sections[0]
    if letterhead:  # in the page header: furniture, like the page number in the footer
        section.header.paragraphs[0].text = letterhead
    section.footer.paragraphs[0].text = "— 1 —"
    for text, role in zip(paragraphs, roles(paragraphs)):
        if role == "heading":
            paragraph = document.add_heading(text, level=2)
        else:
            paragraph = document.add_paragraph(text)
        if role == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for run in paragraph.runs:
                run.bold, run.font.size = True, Pt(22)
        elif role in ("doc_number", "signature", "date"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif role == "body":
            paragraph.paragraph_format.first_line_indent = Pt(32)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- A CMS web page -----------------------------------------------------------------

def make_html(paragraphs: list[str], agency: str = "某某局", date: str = "2024-05-20",
              doc_number: str = "", encoding: str = "utf-8") -> bytes:
    kinds = roles(paragraphs)
    title = next((t for t, r in zip(paragraphs, kinds) if r == "title"), None)
    body = "\n".join(
        f'<p style="text-align:{"right" if r in ("doc_number", "signature", "date") else "justify"}">'
        f'{"&nbsp;" * 4 if r == "body" else ""}{html.escape(t)}</p>'
        for t, r in zip(paragraphs, kinds) if t != title)
    page = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={encoding}">
<title>{html.escape(title or "答复")}_建议提案办理_政务公开</title>
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
<style>.nav li {{ display: inline; }}</style></head>
<body>
<div class="top-bar">无障碍浏览 | 长者模式 | 登录 | 注册</div>
<div class="header"><img src="logo.png" alt="人民政府门户网站"><div class="search"><input> 搜索</div></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/hdjl/">互动交流</a></li>
<li><a href="/bsfw/">办事服务</a></li><li><a href="/zjxx/">走进本地</a></li></ul>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/jyta/">建议提案办理</a></div>
<div class="main">
<table class="xxgk-table">
<tr><td>索引号</td><td>11220000013544357T/2024-00123</td><td>主题分类</td><td>综合政务</td></tr>
<tr><td>发布机构</td><td>{html.escape(agency)}</td><td>成文日期</td><td>{html.escape(date)}</td></tr>
<tr><td>文号</td><td>{html.escape(doc_number)}</td><td>发布日期</td><td>2024-06-30</td></tr>
</table>
{f'<h1 class="article-title">{html.escape(title)}</h1>' if title else ''}
<div class="article-info">发布时间：2024-06-30 10:21 来源：本网 浏览次数：1024 【字体：大 中 小】</div>
<div class="article-content" id="zoom">
{body}
</div>
<div class="bdshare">分享到：微信 微博 QQ空间</div>
<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="pages"><p>上一篇：<a href="/a.html">关于某某工作的通知</a></p><p>下一篇：<a href="/b.html">关于某某工作的公示</a></p></div>
<div class="related"><h3>相关文章</h3><ul><li><a href="/c.html">关于加强某某工作的答复</a></li></ul></div>
</div>
<div class="footer"><p>主办单位：某某人民政府办公室 承办单位：某某大数据中心</p>
<p>网站标识码：1234567890 备案号：某ICP备12345678号 公安机关备案号：12345678901234号</p></div>
</body></html>"""
    return page.encode("gb18030" if encoding.lower() in ("gbk", "gb2312", "gb18030") else encoding)
