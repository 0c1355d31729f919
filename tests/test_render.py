import csv
import io
import json
import re

import pytest
import yaml
from markdown import Markdown
from mkdocs.utils.meta import get_data

from generator.model import Block, BlockKind, Reply
from generator.pipeline import collect, render_all
from generator.render import Renderer, md_escape, open_data_csv, open_data_csv_pieces, open_data_json

from conftest import DATA, ROOT


@pytest.fixture(scope="module")
def run(ctx):
    result = collect(DATA, ctx)
    return result, render_all(result, ctx)


def make_reply(**changes) -> Reply:
    fields = {name: None for name in Reply.FIELDS}
    fields.update(id="x", source="x.txt", co_agencies=(), themes=(), sections=())
    fields.update(changes)
    return Reply(**fields)


def test_render_front_matter_reads_back_through_mkdocs(run):
    result, files = run
    for reply in result.replies:
        body, meta = get_data(files[f"replies/{reply.id}.md"])
        assert meta == reply.record() | ({"classification": reply.classification} if reply.classification else {})
        assert body.lstrip().startswith("# ")


def test_render_page_holds_every_paragraph(run):
    result, files = run
    for reply in result.replies:
        page = files[f"replies/{reply.id}.md"]
        for block in result.with_body(reply).blocks:
            assert md_escape(block.text) in page, block.text


def test_render_sections_as_headings(run):
    result, files = run
    for reply in result.replies:
        page = files[f"replies/{reply.id}.md"]
        headings = [h for h in re.findall(r"^## (.+)$", page, flags=re.M) if not h.startswith(("相关答复", "引用本文"))]
        assert headings == [md_escape(s) for s in reply.sections]
        subsections = [b.text for b in result.with_body(reply).blocks if b.kind is BlockKind.SUBSECTION]
        assert re.findall(r"^### (.+)$", page, flags=re.M) == [md_escape(s) for s in subsections]


def test_render_no_phone_number_of_sample_002(run):
    _, files = run
    assert not any("13006159985" in content or "薛翔宇" in content for content in files.values())


def test_open_data_json_exact_fields_sorted_by_id(run):
    result, files = run
    records = json.loads(files["data/replies.json"])
    assert [r["id"] for r in records] == sorted(r.id for r in result.replies)
    assert all(list(r) == list(Reply.FIELDS) for r in records)


def test_open_data_csv_matches_json(run):
    _, files = run
    rows = list(csv.DictReader(io.StringIO(files["data/replies.csv"].lstrip("\ufeff"))))
    records = json.loads(files["data/replies.json"])
    assert len(rows) == len(records)
    for row, record in zip(rows, records):
        assert list(row) == list(Reply.FIELDS)
        assert row["co_agencies"].split(";") == (record["co_agencies"] or [""])
        assert row["date"] == (record["date"] or "")


def test_render_same_input_same_bytes(ctx):
    first = render_all(collect(DATA, ctx), ctx)
    second = render_all(collect(DATA, ctx), ctx)
    assert first == second


@pytest.mark.parametrize(
    "text",
    [
        "<script>window.pwned=1</script>",
        '<img src=x onerror="window.pwned=1">',
        "# not a heading",
        "1. not a list",
        "- not a list",
        "a *b* _c_ `d` [e](javascript:alert(1)) | f | {: .x }",
        "{{ 7*7 }} {% raw %}",
        "&lt; stays &amp; literal",
        "> not a quote",
    ],
)
def test_md_escape_shows_text_literally(text):
    html = Markdown(extensions=["tables", "attr_list", "md_in_html"]).convert(md_escape(text))
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "<h1" not in html and "<li" not in html and "<blockquote" not in html and "<code" not in html
    from html import unescape
    assert unescape(re.sub(r"<[^>]+>", "", html)) == text


def test_render_hostile_values_keep_front_matter_valid():
    hostile = 'a: b\n"quoted" \'single\' --- {{ x }} <script>'
    reply = make_reply(title=hostile, proposer=hostile, sections=(hostile,),
                       blocks=(Block(BlockKind.SECTION, hostile), Block(BlockKind.PARAGRAPH, hostile)))
    page = Renderer(ROOT / "templates").reply_page(reply)
    body, meta = get_data(page)
    assert meta["title"] == hostile and meta["sections"] == [hostile]
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_render_summary_shows_card_and_headings_only():
    reply = make_reply(title="关于X的答复", publish="summary", sections=("一、关于甲",),
                       blocks=(Block(BlockKind.OPENING, "您在……收悉"), Block(BlockKind.SECTION, "一、关于甲"),
                               Block(BlockKind.PARAGRAPH, "正文不公开")))
    page = Renderer(ROOT / "templates").reply_page(reply)
    assert "## 一、关于甲" in page and "正文不公开" not in page and "您在" not in page


@pytest.mark.parametrize("count", [1, 2, 5])
def test_open_data_json_pieces_equal_one_dump(run, count):
    """Written record by record, the export is the text `json.dumps` makes of the list."""
    result, _ = run
    replies = [make_reply(id=f"r{n}", title=f"关于“{n}”的\\答复\n", co_agencies=("甲", "乙"))
               for n in range(count)] + result.replies
    records = [r.record() for r in sorted(replies, key=lambda r: r.id)]
    assert open_data_json(replies) == json.dumps(records, ensure_ascii=False, indent=1) + "\n"


def test_open_data_csv_pieces_any_size_same_text(run):
    result, _ = run
    pieces = list(open_data_csv_pieces(result.replies, rows_per_piece=2))
    assert len(pieces) == len(result.replies) // 2 + 1
    assert "".join(pieces) == open_data_csv(result.replies)
    assert len(list(csv.reader(io.StringIO("".join(pieces))))) == len(result.replies) + 1


def test_open_data_empty_corpus():
    assert json.loads(open_data_json([])) == [] and open_data_json([]) == json.dumps([]) + "\n"
    assert open_data_csv([]).lstrip("\ufeff").strip() == ",".join(Reply.FIELDS)


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                   "\t=1"])  # (no field holds a CR: clean_text)
def test_open_data_csv_formula_cell_neutralised(value):
    reply = make_reply(proposal_title=value, themes=("=主题",))
    rows = list(csv.DictReader(io.StringIO(open_data_csv([reply]).lstrip("\ufeff"), newline="")))
    assert rows[0]["proposal_title"] == "'" + value
    assert rows[0]["themes"] == "'=主题"
    assert rows[0]["id"] == "x"  # ordinary text untouched
    assert json.loads(open_data_json([reply]))[0]["proposal_title"] == value  # JSON keeps the raw value


@pytest.mark.parametrize("text, shown", [("!!! danger \"标题\"", "!!! danger \"标题\""), ("??? note", "??? note"),
                                         ("???+ note", "???+ note"), ('=== "Tab"', '=== "Tab"'),
                                         ("=HYPERLINK(1)", "=HYPERLINK(1)")])
def test_md_escape_block_marks_shown_literally(text, shown):
    """Python-Markdown with the site's extensions shows the text, with no backslash and no block."""
    html = Markdown(extensions=["admonition", "attr_list", "md_in_html", "tables"]).convert(md_escape(text))
    assert "admonition" not in html and "<details" not in html and "\\" not in html
    assert re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), html).replace("&quot;", '"') == f"<p>{shown}</p>"


def test_reserved_slugs_cover_generated_folders(run):
    """A registry slug may not be the name of a page or folder the generator makes: every
    top-level name, and the pages a section keeps beside its keys' folders."""
    from generator.model import RESERVED_SLUGS

    result, files = run
    tops = {rel.split("/")[0].removesuffix(".md") for rel in files if not rel.startswith(".")}
    assert tops <= RESERVED_SLUGS
    slugs = {key.slug for keys in (result.index.agencies, result.index.themes, result.index.sessions,
                                   result.index.proposers) for key in keys} | {str(y) for y in result.index.years}
    beside = {rel.split("/")[1].removesuffix(".md") for rel in files
              if rel.count("/") >= 1 and rel.split("/")[0] not in ("replies", "data", "feeds", "find")} - slugs
    assert beside and beside <= RESERVED_SLUGS


@pytest.mark.parametrize("text, shown", [("红\x1b[31m色", "红\\[31m色"), ("响\x07铃", "响铃"), ("半\ud800个", "半\ufffd个")])
def test_md_escape_control_characters_and_surrogates_not_written(text, shown):
    assert md_escape(text) == shown
    md_escape(text).encode("utf-8")  # a page can be written with it


@pytest.mark.parametrize("title, proposal_title, label", [
    # A title that names only the session and number: the proposal's title names the reply.
    ("关于对市政协八届一次会议第016号提案的答复", "关于加强农村饮水安全的提案", "关于加强农村饮水安全的提案"),
    ("关于省十四届人大二次会议第0356号建议的答复", "关于“加快冰雪产业”的建议", "关于“加快冰雪产业”的建议"),
    # A title holding the proposal's title (its punctuation and spaces aside) names it.
    ("关于《关于加快冰雪产业发展的建议》的答复", "关于加快冰雪产业发展的建议", "关于《关于加快冰雪产业发展的建议》的答复"),
    ("关于加快冰雪产业 发展的建议的答复", "关于加快冰雪产业发展的建议", "关于加快冰雪产业 发展的建议的答复"),
    ("关于对某某提案的答复", None, "关于对某某提案的答复"),
    (None, "关于加快冰雪产业发展的建议", "关于加快冰雪产业发展的建议"),
    (None, None, "答复 x"),
])
def test_reply_label_names_reply_by_what_it_answers(title, proposal_title, label):
    assert make_reply(title=title, proposal_title=proposal_title).label == label


def test_reply_summary_says_who_answered_what_when():
    from datetime import date

    from generator.model import reply_summary

    reply = make_reply(title="关于对市政协八届一次会议第016号提案的答复", proposal_title="关于加强农村饮水安全的提案",
                       proposal_kind="提案", proposal_number="016", session="某市政协八届一次会议", proposer="张三",
                       agency="某市水务局", date=date(2022, 9, 5))
    assert reply_summary(reply.record()) == \
        "某市水务局2022年9月5日对某市政协八届一次会议提案第016号《关于加强农村饮水安全的提案》（张三提出）的答复。"
    assert reply_summary(make_reply(title="关于某事的答复").record()) == "关于某事的答复"


def test_render_lists_name_replies_by_label_with_number(ctx):
    """A list of one session's replies, whose titles are all alike, shows each proposal's
    title and number."""
    from generator.index import build_index

    replies = [make_reply(id=f"r{n}", title=f"关于对市政协八届一次会议第{n:03d}号提案的答复",
                          proposal_title=f"关于第{n}件事的提案", proposal_kind="提案", proposal_number=f"{n:03d}",
                          agency="某市水务局") for n in range(1, 4)]
    renderer = Renderer(ROOT / "templates", build_index(replies, ctx.registry, ctx.classifier.themes))
    pages = renderer.site_pages()
    listing = pages["replies/index.md"]
    for n in range(1, 4):
        assert f"[关于第{n}件事的提案](r{n}.md) <span class=\"reply-ref\">提案第{n:03d}号</span>" in listing
    assert "市政协八届一次会议第001号" not in listing


# --- 引用本文: the citation in three forms ---------------------------------------------

EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition", "toc"]  # mkdocs.yml's
ACCESSED = "2026-01-02"


def cite_forms(page: str, url: str | None = None, accessed: str | None = None) -> dict[str, str]:
    """The three forms of a page's citation as a reader's browser has them (each element's
    text), the page made HTML with the site's Markdown extensions; its URL slots filled
    as the MkDocs hook fills them, its access date slots as cite.js does."""
    import lxml.html

    from generator.cite import FORMS, fill_url_slots, slot_text

    body, _ = get_data(page)
    html = Markdown(extensions=EXTENSIONS).convert(body)
    if url:
        html = fill_url_slots(html, url)
    tree = lxml.html.fromstring(f"<div>{html}</div>")
    assert not tree.xpath("//script | //*[@onerror] | //*[@onclick]")  # no value made markup
    assert len(tree.xpath('//div[@class="reply-cite"]//pre')) == 2
    if accessed:
        for slot in tree.xpath('//span[@class="cite-slot"][@data-field="accessed"]'):
            slot.text = slot.get("data-lead", "") + slot_text(slot.get("data-form"), "accessed", accessed)
    return {form: tree.xpath(f'//*[@data-cite-form="{form}"]')[0].text_content() for form in FORMS}


def expected_citation(record: dict, publisher: str, url: str, accessed: str) -> str:
    """GB/T 7714-2015's form for an electronic resource, of a reply with an agency and a
    date: 主要责任者. 题名: 其他题名信息[EB/OL]. 出版者, 出版年(更新或修改日期)[引用日期]. 获取和访问路径.
    (the 文号 is the other title information, when there is one)."""
    number = f": {record['doc_number']}" if record["doc_number"] else ""
    return (f"{record['agency']}. {record['title']}{number}[EB/OL]. {publisher}, "
            f"{record['year']}({record['date']})[{accessed}]. {url}.")


def test_render_citation_holds_reply_fields_in_three_forms(run, ctx):
    from conftest import parse_bibtex

    result, files = run
    publisher = ctx.site.publisher
    assert publisher
    assert 0 < sum(1 for reply in result.replies if reply.doc_number) < len(result.replies)  # with and without
    for reply in result.replies:
        record = reply.record()
        assert record["agency"] and record["title"] and record["date"]
        url = f"https://example.gov.cn/replies/{reply.id}/"
        forms = cite_forms(files[f"replies/{reply.id}.md"], url, ACCESSED)
        assert forms["text"] == expected_citation(record, publisher, url, ACCESSED)
        kind, key, fields = parse_bibtex(forms["bibtex"])
        assert (kind, key) == ("online", reply.id)
        number = {"number": record["doc_number"]} if record["doc_number"] else {}
        assert fields == {"author": record["agency"], "title": record["title"], "date": record["date"],
                          "year": str(record["year"]), **number, "publisher": publisher,
                          "url": url, "urldate": ACCESSED}
        [item] = json.loads(forms["csl"])
        year, month, day = map(int, record["date"].split("-"))
        assert item == {"id": reply.id, "type": "webpage", "title": record["title"],
                        "author": [{"literal": record["agency"]}], "issued": {"date-parts": [[year, month, day]]},
                        **number, "publisher": publisher, "container-title": ctx.site.title,
                        "language": "zh-CN", "URL": url, "accessed": {"date-parts": [[2026, 1, 2]]}}


@pytest.mark.parametrize("url", [None, "https://example.gov.cn/sub/replies/x/"])
@pytest.mark.parametrize("accessed", [None, ACCESSED])
def test_render_citation_well_formed_whichever_slots_are_filled(run, ctx, url, accessed):
    """Without JavaScript (no access date) and without site_url (no URL) each form is
    still whole: the text ends with a full stop, BibTeX and CSL-JSON parse."""
    from conftest import parse_bibtex

    result, files = run
    reply = result.replies[0]
    record = reply.record()
    forms = cite_forms(files[f"replies/{reply.id}.md"], url, accessed)
    full = expected_citation(record, ctx.site.publisher, url or "URL", accessed or "DAY")
    shown = full if url else full.removesuffix(" URL.")
    assert forms["text"] == (shown if accessed else shown.replace("[DAY]", ""))
    _, _, fields = parse_bibtex(forms["bibtex"])
    [item] = json.loads(forms["csl"])
    assert fields.get("url") == url and item.get("URL") == url
    assert fields.get("urldate") == accessed
    assert ("accessed" in item) == bool(accessed) and item["title"] == record["title"]


@pytest.mark.parametrize("agency, doc_number, date, publisher, text", [
    ("某市水务局", "某水函〔2024〕1号", "2024-05-20", "某市人民政府办公室",
     "某市水务局. 关于X的答复: 某水函〔2024〕1号[EB/OL]. 某市人民政府办公室, 2024(2024-05-20)[D]. U."),
    ("某市水务局", None, "2024-05-20", "", "某市水务局. 关于X的答复[EB/OL]. (2024-05-20)[D]. U."),
    (None, None, None, "某市人民政府办公室", "关于X的答复[EB/OL]. 某市人民政府办公室[D]. U."),
    (None, None, None, "", "关于X的答复[EB/OL]. [D]. U."),
])
def test_render_citation_parts_missing_left_out(agency, doc_number, date, publisher, text):
    """A reply without an agency, a 文号 or a date, a site without a publisher: the part
    is left out with its punctuation, with the access date and without it."""
    from datetime import date as Date

    from generator.config import SiteConfig

    when = Date.fromisoformat(date) if date else None
    reply = make_reply(title="关于X的答复", agency=agency, doc_number=doc_number, date=when,
                       year=when.year if when else None)
    page = Renderer(ROOT / "templates", site=SiteConfig(publisher=publisher)).reply_page(reply)
    assert cite_forms(page, "U", ACCESSED)["text"] == text.replace("[D]", f"[{ACCESSED}]")
    assert cite_forms(page, "U")["text"] == text.replace("[D]", "").replace("[EB/OL]. .", "[EB/OL].")


HOSTILE_VALUES = ["关于}的答复", "关于{的答复", "a\\end{document}b", "100% & #1 $x$ _y_ ^z ~w",
                  "<script>window.pwned=1</script>", "\"双引号\" '单引号'", "</pre></details><script>x</script>",
                  "{{ 7*7 }} {% raw %}", "\\textbf{粗}}{"]


@pytest.mark.parametrize("hostile", HOSTILE_VALUES)
def test_render_citation_hostile_values_inert_and_well_formed(data_dir, hostile):
    """A sidecar's title, agency and 文号 and site.yml's publisher holding markup, BibTeX
    and LaTeX specials or template syntax: shown as written in each form, each form still
    parses, no value becomes markup."""
    from conftest import parse_bibtex
    from generator.pipeline import load_context

    site = yaml.safe_load((data_dir / "site.yml").read_text(encoding="utf-8"))
    (data_dir / "site.yml").write_text(yaml.safe_dump({**site, "publisher": hostile}, allow_unicode=True),
                                       encoding="utf-8")
    (data_dir / "replies" / "003_b7eee806dff20c32.yml").write_text(yaml.safe_dump(
        {"title": hostile, "agency": hostile, "doc_number": hostile}, allow_unicode=True), encoding="utf-8")
    ctx = load_context(data_dir)
    result = collect(data_dir, ctx)
    reply = next(r for r in result.replies if r.id == "003_b7eee806dff20c32")
    assert reply.title == hostile == reply.agency and reply.doc_number  # (its brackets normalised)
    forms = cite_forms(render_all(result, ctx)[f"replies/{reply.id}.md"], "https://example.gov.cn/r/", ACCESSED)
    assert forms["text"].startswith(f"{hostile}. {hostile}: {reply.doc_number}[EB/OL]. {hostile}, ")
    _, _, fields = parse_bibtex(forms["bibtex"])
    assert fields["title"] == fields["author"] == fields["publisher"] == hostile
    assert fields["number"] == reply.doc_number
    [item] = json.loads(forms["csl"])
    assert item["title"] == item["publisher"] == item["author"][0]["literal"] == hostile
