import csv
import io
import json
import re
from html import unescape

import pytest
import yaml
from markdown import Markdown
from mkdocs.utils.meta import get_data

from generator.index import build_index
from generator.model import OUTCOME, Block, BlockKind, Proposer, Reply
from generator.pipeline import collect, generate, load_context, render_all
from generator.render import (AGENCY_COMMITMENTS, COMMITMENT_FIELDS, PAGE_SIZE, PINYIN_WHOLE, Renderer, md_escape,
                              open_data_csv, open_data_csv_pieces, open_data_json, reply_id_of_path)
from generator.text import pinyin_key

from conftest import DATA, ROOT, copies_data_dir


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


@pytest.mark.parametrize(
    "text",
    ["<script>window.pwned=1</script>", "a *b* _c_ `d` [e](javascript:alert(1)) | f | {: .x }",
     "&lt; stays &amp; literal", "&#61; &copy; & a&b", "\\ back\\slash", "# 一、 not a heading", "1. 二",
     "!!! danger", 'say "hi" \'there\'', "两行\n文字", "红\x1b[31m色", "半\ud800个", "<!-- html -->", "《题目》（第1号）"],
)
def test_html_text_is_what_markdown_makes_of_md_escape(text):
    """A value in a template's block of HTML reads as the same value in Markdown did: the
    tables moved from Markdown to HTML show the same bytes."""
    from generator.render import html_text

    converted = Markdown(extensions=["tables", "attr_list", "md_in_html"]).convert(
        f"| a |\n|---|\n| x{md_escape(text)}x |")
    cell = re.search(r"<td>x(.*)x</td>", converted, re.S)[1]
    assert html_text(text) == cell


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
        assert f'<a href="r{n}.md">关于第{n}件事的提案</a> <span class="reply-ref">提案第{n:03d}号</span>' in listing
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


# --- Commitments (办理承诺), outcomes, proposers in pinyin order ------------------------

OUTCOMES = ["A", "B", None, "C", "A"]  # the outcome given to copy n of the samples: OUTCOMES[n % 5]
COPIES = 60  # 12 of each sample: an agency leading three samples has 204 commitments


@pytest.fixture(scope="module")
def copies_run(tmp_path_factory):
    """COPIES copies of the samples with outcomes set by sidecars (a few undated),
    generated into a docs dir: (docs dir, result)."""
    work = tmp_path_factory.mktemp("copies")
    data = copies_data_dir(work / "data", COPIES)
    for n in range(COPIES):
        lines = [f"classification: {OUTCOMES[n % 5]}"] if OUTCOMES[n % 5] else []
        if n in (7, 8):
            lines.append("date: null")
        if lines:
            (data / "replies" / f"r{n:03d}.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = generate(data, work / "docs", cache_dir=work / "cache")
    return work / "docs", result


def _docs(docs) -> dict[str, str]:
    return {p.relative_to(docs).as_posix(): p.read_text(encoding="utf-8") for p in docs.rglob("*.md")}


def _marked(files: dict[str, str]) -> dict[str, list[tuple[int, str]]]:
    """Reply id → the (N, text) of the paragraphs its page marks `#commitment-N`, as a
    reader sees them: the page converted to HTML, the text unescaped."""
    md = Markdown(extensions=["tables", "attr_list", "md_in_html", "admonition"])
    marked = {}
    for rel, content in files.items():
        reply_id = reply_id_of_path(rel)
        if reply_id is None or rel == "replies/index.md":
            continue
        html = md.reset().convert(get_data(content)[0])
        marked[reply_id] = [(int(n), unescape(re.sub(r"<[^>]+>", "", text))) for n, text in re.findall(
            r'<p class="reply-commitment" id="commitment-(\d+)">(.*?)</p>', html, flags=re.S)]
    return marked


def _json(docs, name):
    return json.loads((docs / "data" / name).read_text(encoding="utf-8"))


def _newest_first(records: list[dict], replies: list[dict]) -> list[tuple[str, int]]:
    """(reply id, N) of commitment `records` as lists show them: newest reply first (undated
    last, ties by id), each reply's in page order."""
    dates = {r["id"]: r["date"] or "" for r in replies}
    order = sorted(records, key=lambda c: (c["reply_id"], c["number"]))
    order.sort(key=lambda c: dates[c["reply_id"]], reverse=True)  # stable: ties stay by id
    return [(c["reply_id"], c["number"]) for c in order]


_LINK = re.compile(r'replies/([^/)#"]+)\.md#commitment-(\d+)"')  # a commitments table's link (HTML)


def _listed(pages: list[str]) -> list[tuple[str, int]]:
    return [(reply_id, int(n)) for page in pages for reply_id, n in _LINK.findall(page)]


def test_commitments_open_data_equal_what_reply_pages_mark(copies_run):
    docs, result = copies_run
    files = _docs(docs)
    records = _json(docs, "commitments.json")
    assert records and all(list(r) == list(COMMITMENT_FIELDS) for r in records)
    text = (docs / "data" / "commitments.json").read_text(encoding="utf-8")
    assert text == json.dumps(records, ensure_ascii=False, indent=1) + "\n"  # as the replies' open data
    assert [(r["reply_id"], r["number"]) for r in records] == sorted((r["reply_id"], r["number"]) for r in records)
    from_data: dict[str, list] = {}
    for record in records:
        from_data.setdefault(record["reply_id"], []).append((record["number"], record["text"]))
    marked = {reply_id: found for reply_id, found in _marked(files).items() if found}
    assert from_data == marked
    # Each record carries its reply's agency, year, date and outcome, as the replies' open data has them.
    replies = {r["id"]: r for r in _json(docs, "replies.json")}
    for record in records:
        reply = replies[record["reply_id"]]
        assert [record[f] for f in ("agency", "year", "date", "classification")] == \
            [reply[f] for f in ("agency", "year", "date", "classification")]
    rows = list(csv.DictReader(io.StringIO((docs / "data" / "commitments.csv").read_text(encoding="utf-8")
                                           .lstrip("\ufeff"))))
    assert [(row["reply_id"], int(row["number"]), row["text"]) for row in rows] == \
        [(r["reply_id"], r["number"], r["text"]) for r in records]


def test_commitments_none_from_summary_only_or_withheld_replies(data_dir, tmp_path):
    whole = _json(_generated(data_dir, tmp_path / "whole"), "commitments.json")
    texts = {r["reply_id"]: [c["text"] for c in whole if c["reply_id"] == r["reply_id"]] for r in whole}
    summary, withheld = "001_efe964a827ed06ef", "003_b7eee806dff20c32"
    assert texts[summary] and texts[withheld]
    (data_dir / "replies" / f"{summary}.yml").write_text("publish: summary\n", encoding="utf-8")
    (data_dir / "replies" / f"{withheld}.yml").write_text("publish: false\n", encoding="utf-8")
    docs = _generated(data_dir, tmp_path / "docs")
    records = _json(docs, "commitments.json")
    assert {r["reply_id"] for r in records} == set(texts) - {summary, withheld}
    everything = "".join(p.read_text(encoding="utf-8") for p in docs.rglob("*") if p.is_file())
    for reply_id in (summary, withheld):
        for text in texts[reply_id]:
            assert md_escape(text)[:40] not in everything and text[:40] not in everything
    assert withheld not in everything
    assert f"{summary}.md#commitment" not in everything


def _generated(data_dir, docs):
    generate(data_dir, docs, cache_dir=docs.parent / "cache")
    return docs


def test_agency_page_outcome_counts_equal_open_data(copies_run):
    docs, result = copies_run
    replies = _json(docs, "replies.json")
    assert {r["classification"] for r in replies} == {"A", "B", "C", None}
    for agency in result.index.agencies:
        page = (docs / "agencies" / agency.slug / "index.md").read_text(encoding="utf-8")
        lead = [r for r in replies if r["agency"] and result.index.agency_by_name[r["agency"]] == agency]
        shown = dict(re.findall(r"^\| (A 类|B 类|C 类|未标注)(?:：[^|]*)? \| (\d+) \|$", page, flags=re.M))
        if not lead:
            assert not shown
            continue
        expected = {f"{c} 类": sum(1 for r in lead if r["classification"] == c) for c in OUTCOME}
        expected["未标注"] = sum(1 for r in lead if not r["classification"])
        assert {k: int(v) for k, v in shown.items()} == expected
        for letter, meaning in OUTCOME.items():
            assert f"| {letter} 类：{meaning} |" in page


def test_agency_commitments_newest_cut_then_paginated(copies_run):
    docs, result = copies_run
    records, replies = _json(docs, "commitments.json"), _json(docs, "replies.json")
    paginated = 0
    for agency in result.index.agencies:
        base = docs / "agencies" / agency.slug
        page = (base / "index.md").read_text(encoding="utf-8")
        own = _newest_first([c for c in records if c["agency"] and
                             result.index.agency_by_name[c["agency"]] == agency], replies)
        section = page.split("## 办理承诺")[1]
        assert _listed([section]) == own[:AGENCY_COMMITMENTS]
        if len(own) <= AGENCY_COMMITMENTS:
            assert not (base / "commitments.md").exists() and "commitments.md" not in section
            continue
        paginated += 1
        assert "(commitments.md)" in section and f"{len(own)} 项" in section
        pages = [base / "commitments.md"] + [base / "commitments" / "page" / f"{n}.md"
                                             for n in range(2, -(-len(own) // PAGE_SIZE) + 1)]
        texts = [p.read_text(encoding="utf-8") for p in pages]
        assert _listed(texts) == own
        assert all(len(_listed([t])) <= PAGE_SIZE for t in texts)
        assert not (base / "commitments" / "page" / f"{len(pages) + 1}.md").exists()
    assert paginated  # the fixture has an agency past the cut


def test_commitments_by_year_pages_hold_each_year_newest_first(copies_run):
    docs, _ = copies_run
    records, replies = _json(docs, "commitments.json"), _json(docs, "replies.json")
    index = (docs / "commitments" / "index.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| \[(\d{4} 年|年份不详)\]\([^)]+\) \| (\d+) \|$", index, flags=re.M))
    years = sorted({r["year"] for r in records}, key=lambda y: (y is None, -(y or 0)))
    assert None in years  # two copies are undated
    assert list(listed) == [f"{y} 年" if y else "年份不详" for y in years]
    for year in years:
        own = _newest_first([c for c in records if c["year"] == year], replies)
        assert int(listed[f"{year} 年" if year else "年份不详"]) == len(own)
        folder = docs / "commitments" / (str(year) if year else "undated")
        pages = [folder / "index.md"] + sorted((folder / "page").glob("*.md"), key=lambda p: int(p.stem)) \
            if (folder / "page").exists() else [folder / "index.md"]
        assert len(pages) == -(-len(own) // PAGE_SIZE)
        assert _listed([p.read_text(encoding="utf-8") for p in pages]) == own


def test_about_page_explains_outcome_classes(run):
    _, files = run
    about = files["about.md"]
    section = about.split("## 办理结果")[1].split("## ")[0]
    for letter, meaning in OUTCOME.items():
        assert f"**{letter} 类**：{meaning}" in section
    assert "data/commitments.json" in about


PINYIN_NAMES = {  # sample → (proposer, type): surnames pypinyin reads otherwise (单 dan, 曾 ceng), a group
    "000": ("张三、安宁", "委员"), "001": ("单立", "代表"), "002": ("九三学社", "党派团体"),
    "003": ("曾华、白雪", "代表"), "004": ("民进省委会", "党派团体"),
}


def _sections(page: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Group heading → [(letter, names under it)] of a pinyin page."""
    out: dict[str, list] = {}
    for group in re.split(r"^## ", page, flags=re.M)[1:]:
        title = group.split(" {")[0]
        out[title] = [(letter.replace("\\", ""), re.findall(r"^- \[([^\]]+)\]", names, flags=re.M))
                      for letter, names in re.findall(r"^### (\S+) \{[^}]*\}\n(.*?)(?=^### |\Z)", group,
                                                      flags=re.M | re.S)]
    return out


def test_proposers_pinyin_order_initials_and_groups_apart(data_dir, tmp_path):
    for prefix, (name, kind) in PINYIN_NAMES.items():
        sidecar = next((data_dir / "replies").glob(f"{prefix}_*.txt")).with_suffix(".yml")
        sidecar.write_text(f"proposer: {name}\nproposer_type: {kind}\n", encoding="utf-8")
    docs = _generated(data_dir, tmp_path / "docs")
    page = (docs / "proposers" / "pinyin" / "index.md").read_text(encoding="utf-8")
    sections = _sections(page)
    assert sections["代表和委员"] == [("A", ["安宁"]), ("B", ["白雪"]), ("S", ["单立"]), ("Z", ["曾华", "张三"])]
    assert sections["党派团体和其他"] == [("J", ["九三学社"]), ("M", ["民进省委会"])]
    # Letters at the top link to their headings; each list links to the other.
    assert "[A](#members-a) · [B](#members-b) · [S](#members-s) · [Z](#members-z)" in page
    assert "### S { #members-s }" in page
    assert "(../index.md)" in page
    assert "(pinyin/index.md)" in (docs / "proposers" / "index.md").read_text(encoding="utf-8")


def test_proposers_pinyin_split_by_letter_and_paginated(tmp_path):
    """A group larger than PINYIN_WHOLE gets a page per letter; a letter of more than
    PAGE_SIZE names, pages of its own. Every page stays small."""
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华"
    names = [f"张{a}{b}" for a in given for b in given][:PINYIN_WHOLE + 30] + ["安宁", "白雪", "Smith"]
    proposers = [(Proposer(name=n, slug=f"p{k}", type="委员"), [None] * (1 + k % 3)) for k, n in enumerate(names)]
    proposers.append((Proposer(name="民进省委会", slug="g", type="党派团体"), [None]))
    renderer = Renderer(ROOT / "templates", build_index([], load_context(DATA).registry, []))
    pages = dict(renderer._pinyin_pages(proposers))
    index = pages["proposers/pinyin/index.md"]
    assert "[Z](members/z/index.md)" in index and "[A](members/a/index.md)" in index
    assert "- [安宁]" not in index and _sections(index)["党派团体和其他"] == [("M", ["民进省委会"])]
    zhang = sorted((n for n in names if n.startswith("张")), key=lambda n: pinyin_key(n, surname=True))
    z_pages = ["proposers/pinyin/members/z/index.md"] + [
        f"proposers/pinyin/members/z/page/{n}.md" for n in range(2, -(-len(zhang) // PAGE_SIZE) + 1)]
    assert [n for rel in z_pages for _, found in _sections(pages[rel])["代表和委员"] for n in found] == zhang
    assert _sections(pages["proposers/pinyin/members/s/index.md"])["代表和委员"] == [("S", ["Smith"])]
    assert set(pages) == {"proposers/pinyin/index.md", *z_pages, *(f"proposers/pinyin/members/{x}/index.md"
                                                                     for x in "abs")}
    assert max(len(p.encode()) for p in pages.values()) < 30_000
