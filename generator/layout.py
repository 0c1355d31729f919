"""What a line is, by its shape: the vocabulary that extraction reads a reply's layout with.

In: one folded paragraph (see `text.fold`: ASCII colons, brackets and digits). Out:
whether it is page furniture (web-page navigation, widgets, footers, page numbers), a
page metadata line (`索引号:`, `发布机构:`, `文号:` …) and its label/value pairs, an
agency's name standing alone, a 文号, a contact or closing label line, a title's tail.

These are the words every government CMS and every reply uses, not any one page's:
a line is furniture when nothing is left of it once the widget words are taken away.
"""

from __future__ import annotations

import re

from .clean import AGENCY_LINE, AGENCY_SUFFIX, BREADCRUMB, PAGE_NUMBER, TRAILING_GROUP
from .privacy import CONTACT_LABEL

# --- furniture -------------------------------------------------------------------------

_WIDGET = re.compile(
    r"信息无障碍|(?:进入|切换|返回)?(?:无障碍(?:浏览|阅读|通道)?|适老(?:版|模式|化)|长者(?:版|模式)|关怀版)|关怀版|适老(?:版|模式|化)|简体(?:版|中文)?|繁体(?:版|中文)?|繁體(?:版|中文)?"
    r"|字体(?:大小)?|文字大小|字号|背景色|默认|打印(?:本页|此页|文章)?|关闭(?:窗口|本页|本文)?|收藏(?:本页)?|分享(?:到)?"
    r"|扫一扫|扫码(?:浏览|阅读|查看)?|(?:在|用)?手机(?:上)?(?:打开|浏览|查看)(?:当前|本)?(?:页面|页)?|二维码|返回(?:顶部|首页|列表)?|顶部"
    r"|上一篇|下一篇|上一条|下一条|责任编辑|编辑|浏览(?:次数|量)?|阅读(?:次数|量)?|访问(?:次数|量)|点击(?:数|量|次数|率)?"
    r"|登录|注册|立即注册|还没有账号|账号|密码|微信|微博|我要纠错|纠错|文件下载|下载|政策咨询|标签|展开|菜单|智能检索|检索|搜索"
    r"|网站地图|English|首页|今天是|星期[一二三四五六日天]|大|中|小|[【】\[\]|/:：•·>»+?？\s\d\-]"
)
_FURNITURE = re.compile(
    r"^(?:您?当前(?:所在)?(?:的)?位置|您现在的位置|您的位置|所在位置|当前页面)\s*[:：]?"
    r"|首页\s*(?:>|》|»|/|→|>>)"
    r"|\.(?:png|jpe?g|gif|svg|bmp)$|^<!--|-->$|^</?[a-zA-Z][^>]*>$"
    r"|^\d{4}年\d{1,2}月\d{1,2}日\s*(?:星期|周)[一二三四五六日天]$|^欢迎(?:您)?(?:访问|来到)"
    r"|^(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇)\s*[:：]"  # a link to another page, with its title
)
# Footers and addresses of the web site, in a line that is not a sentence of the letter.
_FOOTER = re.compile(
    r"版权所有|ICP|备案号|网站标识码|公网安备|技术支持|Copyright|©|建议使用.{0,20}浏览器|分辨率"
    r"|^主办单位\s*[:：].{0,40}(?:地址|邮编|电话|承办|版权)|^(?:主办|承办)\s*[:：].{0,30}版权"
    r"|/col/|\.html?\b|\.jsp|\.aspx?|https?://|www\."
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_CUE = re.compile(r"收悉|答复|提出|您|你")  # words of the letter, never of a footer


def is_furniture(m: str) -> bool:
    """Web-page navigation, widgets, footers, page numbers: not the reply's text."""
    m = m.strip()
    if not m:
        return True
    if len(m) > 160:  # a paragraph, or a breadcrumb run into the title after it
        return bool(_FURNITURE.match(m) or BREADCRUMB.search(m, 0, 40))
    if PAGE_NUMBER.match(m) or _FURNITURE.search(m):
        return True
    if _FOOTER.search(m) and not re.search(r"[。!?；;]", m) and not (SENTENCE_CUE.search(m)):
        return True
    if not _HAN.search(m):  # no Chinese at all: a template's English, an image name
        return bool(re.search(r"[A-Za-z]{3}", m)) and not DOC_NUMBER.search(m)
    if len(m) > 40:
        return False
    rest = _WIDGET.sub("", m)
    return len(_HAN.findall(rest)) == 0


# --- page metadata ---------------------------------------------------------------------

META_LABELS = (
    "索引号", "发布机构", "发文机关", "发文单位", "发文字号", "信息来源", "文章来源", "来源", "文号", "发布日期", "发布时间",
    "成文日期", "发文日期", "发文时间", "生效日期", "废止日期", "主题分类", "所属主题", "主题词", "关键词", "信息名称",
    "标题", "名称", "时效性", "有效性", "公开方式", "公开范围", "公开属性", "作者", "更新时间", "日期", "答复时间", "答复日期",
    "主办单位", "承办单位", "协办单位", "会办单位", "责任部门", "体裁分类", "组配分类", "服务对象", "建议人", "提案人",
    "提出人", "代表姓名", "委员姓名", "领衔人", "领衔代表", "建议内容", "提案内容", "答复内容", "建议名称", "提案名称",
    "案由", "办理结果", "办复类别", "答复类别", "办理类别", "类别", "分类", "是否同意公开", "编号", "建议编号", "提案编号",
    "浏览次数", "阅读次数", "访问量", "点击量", "字体大小", "文字大小", "背景色", "字号", "信息分类", "成文时间",
    "公文时效", "新编号", "事由", "办理情况", "原标题", "内容摘要", "摘要", "公开日期", "添加时间", "信息有效性",
    "单位名称", "答复单位", "办理单位", "办理日期",
)
TITLE_LABELS = ("标题", "名称", "信息名称", "原标题")  # the page's own copy of the title
_LABEL = "|".join(sorted(map(re.escape, META_LABELS), key=len, reverse=True))
# Labels no line of a letter starts with: a line starting with one is metadata, colon or not.
_STRONG = "索引号|发布机构|发文机关|发文字号|成文日期|发布日期|信息分类|主题分类|信息来源|所属主题|组配分类"
_LABEL_AT = re.compile(rf"(?:^|(?<=[\s|•·]))(?P<label>{_LABEL})\s*(?:[:：|]|$)|^(?P<glued>{_STRONG})")
_LABEL_ANYWHERE = re.compile(rf"(?P<label>{_LABEL})\s*[:：]")
_LABEL_GLUED = re.compile(rf"(?P<label>{_LABEL})(?=\S)")
AGENCY_LABELS = ("答复单位", "单位名称", "办理单位", "承办单位", "发文机关", "发布机构", "发文单位", "主办单位", "信息来源", "来源", "文章来源")


# A label in brackets, a table cell after it: `[ 发文字号 ] | 2022-92 |`.
_BRACKETED = re.compile(rf"[\[【]\s*(?P<label>{_LABEL})\s*[\]】]\s*\|?")


def _meta_text(m: str) -> str:
    """A metadata line without its bullets and table bars, bracketed labels made `label:`."""
    text = m.strip(" |•·")
    if "[" in text or "【" in text:
        text = _BRACKETED.sub(lambda b: b["label"] + ":", text).strip(" |•·")
    return text


def meta_label(m: str) -> str | None:
    """The metadata label a line starts with (`发布机构: …`, `• 文号`, `[ 索引号 ] | …`, or
    glued to its value in a line holding more labels: `信息名称关于…成文日期2018-12-14`), or None."""
    text = _meta_text(m)
    match = _LABEL_AT.match(text)
    if match:
        return match["label"] or match["glued"]
    glued = _LABEL_GLUED.match(text)
    if glued and _LABEL_GLUED.search(text, glued.end()):
        return glued["label"]
    # The site's name before the pairs: `某区人民政府 发布时间:… 信息来源:…`.
    pairs = list(_LABEL_ANYWHERE.finditer(text))
    if len(pairs) >= 2 and pairs[0].start() <= 24 and not re.search(r"[。，,；;！!？?]", text[:pairs[0].start()]):
        return pairs[0]["label"]
    return None


# Widget words glued after a value: `来源:交通局 打印`.
_WIDGET_TAIL = re.compile(r"(?:\s*(?:(?:字体|字号)\s*[:：]?\s*[\[【(（]?\s*[大中小](?:\s*[大中小]){0,2}\s*[\]】)）]?"
                          r"|(?:打印|关闭|分享(?:到)?|收藏|字体|字号|【|\[)[^\u4e00-\u9fff]*))+$")


def parse_meta(lines: list[tuple[str, str]], end: int) -> dict[str, str]:
    """Label → value of the page's metadata lines among `lines[:end]` ((folded text, role)
    pairs): several `label: value` pairs on one line, glued or separated by `|`, or a
    label alone on its line with its value on the next."""
    out: dict[str, str] = {}
    for i in range(min(end, len(lines))):
        m, role = lines[i]
        if role != "meta":
            continue
        text = _meta_text(m)
        found = list(_LABEL_ANYWHERE.finditer(text))
        if not found:  # labels glued to their values, no colons
            found = list(_LABEL_GLUED.finditer(text))
        if not found and meta_label(text) and text.strip(" :：|") in META_LABELS and i + 1 < len(lines):
            value = lines[i + 1][0].strip(" |•·")
            if len(value) <= 60 and not meta_label(value):
                out.setdefault(text.strip(" :：|"), value)
            continue
        for n, match in enumerate(found):
            stop = found[n + 1].start() if n + 1 < len(found) else len(text)
            value = _WIDGET_TAIL.sub("", text[match.end():stop]).strip(" |•·\t")
            if value and value not in META_LABELS:  # `发文字号主题词`: two empty fields
                out.setdefault(match["label"], value)
    return out


# --- lines of the letter ---------------------------------------------------------------

_YEAR = r"[:：]?\s*[〔【\[(［]\s*(?:19|20)\d{2}\s*[〕】\])］]"  # 建议字:〔2023〕8号 has a colon
DOC_NUMBER = re.compile(rf"(?P<doc>[\u4e00-\u9fffA-Za-z]{{1,16}}\s*{_YEAR}\s*第?\s*\d{{1,5}}(?:-\d{{1,3}})?\s*号|{_YEAR}\s*[\u4e00-\u9fff]{{1,12}}\d{{1,5}}\s*号)")
# A header line opening with a 文号; its number may be a word (来信号), a class may follow.
DOC_NUMBER_START = re.compile(
    rf"^(?:(?:文号|文件编号|发文编号|发文字号)\s*[:：]?\s*)?(?P<doc>[\u4e00-\u9fffA-Za-z]{{1,16}}\s*{_YEAR}\s*第?\s*(?:\d{{1,5}}(?:-\d{{1,3}})?|[\u4e00-\u9fff]{{1,2}})\s*号"
    rf"|{_YEAR}\s*[\u4e00-\u9fff]{{1,12}}\d{{1,5}}\s*号)"
)
# The outcome class at the end of a header line: `…12号(A类)`, `…28号A类`, `(A)类`, `A类)`.
CLASS_AT_END = re.compile(r"(?:^|(?<=[\s)）\]】号]))[(（【\[]?\s*(?P<c>[ABC])\s*[)）】\]]?\s*类\s*[)）】\]]?(?:\s*同意公开)?$"
                          r"|(?<=\d)\s+(?P<c2>[ABC])$")
# An agency standing alone; several on one line when a reply is signed jointly.
_AGENCY_ONE = re.compile(rf"(?:中共)?[\u4e00-\u9fff()（）]{{1,40}}?{AGENCY_SUFFIX}")
# A second nameplate after the name: `市住房和城乡建设局(市人民防空办公室)`.
_NAMEPLATE = re.compile(rf"[(（][\u4e00-\u9fff]{{2,30}}?{AGENCY_SUFFIX}[)）]$")
SEAL_NOTE = re.compile(r"[(（【\[]\s*(?:盖章|印章|章|公章|签章|签字|签名|印)\s*[)）】\]]")


SITE_NAME = re.compile(r"(?:政府)?(?:门户)?网站$")  # `<agency>政府网站`: a CMS's name for the signature


def _name_only(m: str) -> str:
    """A signature line without what may follow the name: a CMS's `网站`, a second nameplate."""
    return _NAMEPLATE.sub("", SITE_NAME.sub("", m.strip(" |•·")))


def agency_only(m: str) -> bool:
    """A line that is only an agency's name (or several, signing jointly)."""
    text = _name_only(m)
    if " " in text:  # agencies signing together, parted by spaces
        return len(text) <= 90 and all(agency_only(part) for part in text.split())
    if not (2 <= len(text) <= 60) or re.search(r"[，,。:：;；、“”《》\d]", text) or re.match(r"^(?:对|关于|为|在|向|就|由|经)", text):
        return False
    return bool(AGENCY_LINE.match(text) or re.fullmatch(rf"(?:(?:中共)?[\u4e00-\u9fff()（）]{{1,40}}?{AGENCY_SUFFIX})+", text))


def agencies_in(m: str) -> list[str]:
    """The agencies of a signature line: one name, or several signing jointly
    (`市自然资源和规划局市市场监督管理局…`: each begins with a place or level)."""
    from .places import split_places

    text = _name_only(m)
    if " " in text and all(agency_only(part) for part in text.split()):
        return [name for part in text.split() for name in agencies_in(part)]
    pieces, pos = [], 0
    while pos < len(text):
        match = _AGENCY_ONE.match(text, pos)
        if not match:
            break
        pieces.append(match.group())
        pos = match.end()
    if pos < len(text) or len(pieces) < 2:
        return [text]
    starts = all(split_places(p.removeprefix("中共"))[0] or p.removeprefix("中共")[0] in "省市州县区旗盟" for p in pieces)
    return pieces if starts else [text]


CONTACT_TAIL = re.compile(rf"\s*{CONTACT_LABEL.pattern}.*$")  # a contact after a name on its line
# An outcome class printed after a title: `…的答复函 B`, `…的答复(A类)`.
CLASS_AFTER = re.compile(r"(?:(?:\s+|(?<=[\u4e00-\u9fff]))[ABC]类?|\s*[(（][ABC]\s*类?[)）])$")
COPY_TO = re.compile(r"^(?:抄\s*送|抄\s*报|报\s*送|分\s*送)\s*[:：]?")
CLOSING_LABEL = re.compile(
    r"^(?:审核人?|审签人?|审定人?|签发人?|领导签发|领导签批|签批领导|分管领导|责任领导|主要领导|部门负责人|负责人|承办负责人|科室负责人|核稿人?|拟稿人?"
    r"|邮政编码|邮编|传真|地址|附件|附|办复类别|办理结果|答复类别|类别|分类|是否同意公开|公开方式|公开属性|信息来源|来源"
    r"|网址|电子邮箱|邮箱|主办单位|会办单位|协办单位|承办单位|单位名称|答复单位|办理单位|答复日期|答复时间|办理日期)\s*[:：]"
)
PUBLIC_NOTE = re.compile(r"^[(（【]?\s*(?:此件|本件)\s*(?:不予|依申请|主动)?\s*公开(?:发布)?\s*[)）】]?$|^※")

# --- titles ----------------------------------------------------------------------------

# Page metadata glued after a title on its line: `…的答复(教育局)发布日期:2012-06-14 …`.
META_AFTER = re.compile(r"\s*(?:(?:19|20)\d{2}-\d{1,2}-\d{1,2}(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*)?(?:(?:发布日期|发布时间|更新时间|来源|信息来源|作者|浏览次数|阅读|访问量|字体|日期)\s*[:：].*)?$")
# A number given by label in a title's brackets: `(编号:B〔2017〕062号)`.
NUMBER_LABEL = re.compile(r"^[(（\[【]?\s*(?:编号|建议编号|提案编号|案号)\s*[:：]\s*(?P<value>[^)）\]】]+?)\s*[)）\]】]?$")
TITLE_HINT = re.compile(r"建议|提案|议案|会议|代表|委员|意见|来信|协办|原案")
TITLE_TRAILER = re.compile(rf"\s*{TRAILING_GROUP}$")  # one bracketed group after a title (see clean.py)
