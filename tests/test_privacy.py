"""Personal data withheld as people write it: phone numbers, e-mail addresses, ID, bank,
QQ and WeChat numbers in any width, spacing, separators, prefixes and labels, cut by a
line break or hidden by invisible characters, never reach a field, a block or the built
site; dates, 文号, amounts and counts stay."""

from __future__ import annotations

import random
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import material
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.clean import clean
from generator.extract import extract
from generator.model import Reply
from generator.pipeline import generate, load_context
from generator.privacy import REDACTED, may_have_personal, redact
from generator.read import read_text
from generator.site import build_site

from conftest import DATA, ROOT, copy_hand_written_docs

CARRIER = ROOT / "tests" / "corpus" / "real" / "nanchang-honggutan_jiaoyu_1.txt"
CONTEXT = load_context(DATA)


def digits(text: str) -> str:
    """Only the digits of `text`, any Unicode digit as ASCII."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


def letters(text: str) -> str:
    """`text` folded (full width to ASCII, lower case) with only letters and digits kept."""
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", text).lower())


def outputs(reply: Reply) -> list[str]:
    """Every published text of a reply: each field and each block."""
    texts = [b.text for b in reply.blocks]
    for name in Reply.FIELDS:
        value = getattr(reply, name)
        texts += list(value) if isinstance(value, tuple) else [str(value)] if value is not None else []
    return texts


def run(text: str, keep_contacts: bool = False) -> Reply:
    reply, _ = extract(clean(text), "case.txt", "case", CONTEXT.registry, keep_contacts, CONTEXT.site.places)
    return reply


# ---------------------------------------------------------------------------------------
# Each written form that leaked before: (text, the digits or letters that must go).

LEAKS = {
    "full_width_mobile": ("请致电１３９１２３４５６７８联系", "13912345678"),
    "spaced_mobile": ("请致电139 1234 5678联系", "13912345678"),
    "dashed_mobile": ("请致电139-1234-5678联系", "13912345678"),
    "dotted_mobile": ("请致电139.1234.5678联系", "13912345678"),
    "plus86_mobile": ("请致电+86 139 1234 5678联系", "13912345678"),
    "0086_mobile": ("请致电0086 139-1234-5678联系", "13912345678"),
    "plus86_dash_mobile": ("请致电+86-139-1234-5678联系", "13912345678"),
    "bracketed_plus86_mobile": ("请致电(+86)139 1234 5678联系", "13912345678"),
    "spaced_landline": ("请致电0431 8555 1234联系", "85551234"),
    "bracketed_spaced_landline": ("请致电（0431）8555 1234联系", "85551234"),
    "dashed_landline": ("请致电0431-8555-1234联系", "85551234"),
    "landline_extension_zhuan": ("请致电0431 8555 1234转123联系", "85551234123"),
    "landline_extension_dash": ("请致电0431-8555-1234-123联系", "85551234123"),
    "full_width_at_email": ("请发送至zhangsan＠example.com", "zhangsan"),
    "full_width_email": ("请发送至ｚｈａｎｇｓａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "zhangsan"),
    "spaced_email": ("请发送至zhangsan @ example.com", "zhangsan"),
    "zero_width_space_mobile": ("请致电139\u200b1234\u200b5678联系", "13912345678"),
    "zero_width_non_joiner_mobile": ("请致电1391\u200c2345678联系", "13912345678"),
    "zero_width_joiner_mobile": ("请致电139\u200d12345678联系", "13912345678"),
    "word_joiner_mobile": ("请致电139\u206012345678联系", "13912345678"),
    "bom_mobile": ("请致电1391234\ufeff5678联系", "13912345678"),
    "no_break_space_mobile": ("请致电139\u00a01234\u00a05678联系", "13912345678"),
    "narrow_no_break_space_mobile": ("请致电139\u202f1234\u202f5678联系", "13912345678"),
    "ideographic_space_mobile": ("请致电139\u30001234\u30005678联系", "13912345678"),
    "thin_space_mobile": ("请致电139\u20091234\u20095678联系", "13912345678"),
    "line_break_landline": ("请致电0431-\n85551234联系", "85551234"),
    "line_break_mobile": ("请致电139\n12345678联系", "13912345678"),
    "qq": ("QQ：12345678", "12345678"),
    "qq_spaced_label": ("QQ号 987654321", "987654321"),
    "wechat": ("微信：zhang_san-2024", "zhangsan2024"),
    "wechat_id": ("微信号 abc123456", "abc123456"),
    "wechat_latin": ("WeChat: zs_13579", "zs13579"),
    "bank_card_grouped": ("银行卡号：6222 0212 3456 7890 123", "6222021234567890123"),
    "bank_account_dashed": ("开户账号：6217-0012-3456-7890", "6217001234567890"),
    "card_number": ("卡号 6228480012345678", "6228480012345678"),
    "old_id": ("身份证号：220102800101123", "220102800101123"),
    "id_grouped": ("身份证：220102 19800101 123X", "22010219800101123"),
    "id_grouped_lower_x": ("身份证号码：220102 19800101 123x", "22010219800101123"),
    "unlabelled_id_grouped": ("经办人220102 19800101 1234", "220102198001011234"),
    "fax_label_zero_width": ("传真：8555\u200b1234", "85551234"),
    "mobile_label": ("Mobile: 139-1234-5678", "13912345678"),
    "label_with_note": ("电话(办)：8555 1234", "85551234"),
    "email_label_hash": ("电子邮箱：zhangsan#example.com", "zhangsan"),
    "email_label_at_word": ("E-mail: zhangsan(at)example.com", "zhangsan"),
    # Found by trying the site as an attacker would, after the forms above were fixed:
    "tel_dot_label": ("如有疑问请联系Tel.: 8555 1201，谢谢。", "85551201"),
    "tel_no_label": ("Tel No. 8555 1268", "85551268"),
    "label_wei_colon": ("请拨打办公电话为：85551206。", "85551206"),
    "list_with_notes": ("电话：8555 1232（白天）、8555 1233（夜间）", "85551233"),
    "email_ideographic_dot": ("邮箱：zhangsan@163。com", "zhangsan"),
    "email_full_width_ideographic_dot": ("来信请寄zhangsan＠qq。com", "zhangsan"),
    "email_line_break_after_dot": ("来信请寄 name@example.\ncom", "nameexample"),
    "underscored_mobile": ("热线139_1234_1207", "13912341207"),
    "slashed_landline": ("0431/85551274", "85551274"),
    "tilde_landline": ("0431~85551273", "85551273"),
    "tortoise_bracket_area_code": ("〔0431〕85551275", "85551275"),
    "lenticular_bracket_area_code": ("【0431】85551256", "85551256"),
    "label_dash_number": ("tel-85551289", "85551289"),
}


@pytest.mark.parametrize("text,secret", LEAKS.values(), ids=LEAKS.keys())
def test_redact_written_form_withheld(text, secret):
    out, count = redact(text)
    assert count >= 1 and REDACTED in out
    assert secret not in (digits(out) if secret.isdigit() else letters(out)), out
    assert may_have_personal(text)


# Text that looks numeric but is not personal data: kept as it is.
KEPT = [
    "2024年", "2023-05-12", "2023.05.12", "2024年5月20日", "二〇二四年六月十八日",
    "吉教函〔2024〕123号", "吉科发人才【2023】91 号", "1.2亿元", "3000万元", "12,345.67万元", "增长13.5%",
    "全省共有1234567人", "全省共有12345678人", "第0123号", "D8号", "20240123号", "2023D51号",
    "第十二条第三款", "《中华人民共和国民法典》第1032条", "电话回访12345678人次", "12345政务服务便民热线",
    "累计投入139.12亿元", "13 45 67 89 01 23 45", "2019-2023年", "索引号：011084001/2021-00012",
    "统一社会信用代码：12220000MB1234567X", "开户行：中国银行长春分行", "微信公众号：吉林教育", "共1391234567元",
    "总投资13912345678元", "2024/05/12", "《关于第123号建议》",
]


@pytest.mark.parametrize("text", KEPT)
def test_redact_ordinary_numbers_kept(text):
    assert redact(text) == (text, 0)


# ---------------------------------------------------------------------------------------
# Through the whole extraction: every field and block.

def carrier() -> str:
    return read_text(CARRIER)


def _insert(text: str, after: str, what: str) -> str:
    at = text.index(after) + len(after)
    return text[:at] + what + text[at:]


@pytest.mark.parametrize("number", ["0431-85551234", "010-20000000"])
def test_extract_number_in_proposal_title_not_in_proposal_number(number):
    """The title is withheld; the proposal number, cut from it without its area code, too."""
    reply = run(carrier().replace("第(J027)号", f"第({number})号"))
    local = number.split("-")[1]
    assert all(local not in digits(out) for out in outputs(reply)), reply.proposal_number


@pytest.mark.parametrize("where", ["title", "proposal_title", "heading", "paragraph"])
def test_extract_unicode_spaced_number_withheld_after_normalisation(where):
    """The cleaner turns ideographic and no-break spaces between digits into ASCII spaces."""
    after = {"title": "关于对", "proposal_title": "《关于", "heading": "一、", "paragraph": "红谷滩区现有"}[where]
    reply = run(_insert(carrier(), after, "请致电139\u30001234\u00a05678，"))
    assert all("13912345678" not in digits(out) for out in outputs(reply))
    assert reply.redactions >= 1


@pytest.mark.parametrize("cut,secret", [("请致电0431-\n\n    85551234。", "85551234"),
                                        ("请拨打139\n\n    12345678。", "13912345678"),
                                        ("请拨打1391234\n\n    5678联系。", "13912345678"),
                                        ("联系电话：0431-\n\n    85551234。", "85551234")])
def test_extract_number_cut_between_paragraphs_withheld(cut, secret):
    reply = run(_insert(carrier(), "感谢您对我区教育工作的关心和支持。", cut))
    assert any(b.text.startswith(REDACTED) for b in reply.blocks)  # the cut made two paragraphs
    assert all(secret not in digits(out) for out in outputs(reply)), [b.text for b in reply.blocks]
    assert secret not in digits("".join(b.text for b in reply.blocks))


def test_extract_keep_contacts_setting_publishes_every_form():
    reply = run(_insert(carrier(), "红谷滩区现有", "电话139 1234 5678，"), keep_contacts=True)
    assert any("139 1234 5678" in b.text for b in reply.blocks)


def test_extract_carrier_unchanged_by_withholding():
    assert run(carrier()).record() == run(carrier(), keep_contacts=True).record()


# ---------------------------------------------------------------------------------------
# Random contact data in random written forms.

SEPARATORS = [" ", "-", "－", "—", ".", "·", "\u00a0", "\u202f", "\u3000", "\u2009", " - ", "  "]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
PHONE_LABELS = ["", "电话：", "手机:", "手机号码 ", "联系电话：", "办公电话:", "Tel: ", "座机 ", "传真："]


def _wide(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _grouped(draw, number: str, cuts: list[int]) -> str:
    sep = draw(st.sampled_from(["", *SEPARATORS]))
    if sep in (".", "·") and len(cuts) == 1:
        sep = " "  # 139.12345678 is a decimal number unless a label says otherwise
    parts, last = [], 0
    for cut in cuts + [len(number)]:
        parts.append(number[last:cut])
        last = cut
    return sep.join(parts)


@st.composite
def contact(draw, seeded: bool = False):
    """(rendered text, secrets that must not appear: digit strings or letter strings).
    `seeded`: digits from a seeded generator, never the 0000… hypothesis tries first (a
    large file's digits, run together, hold such runs by chance)."""
    kind = draw(st.sampled_from(["mobile", "landline", "email", "id", "id15", "qq", "wechat", "bank"]))
    rng = random.Random(draw(st.integers(0, 2**32))) if seeded else None
    d = (lambda n: "".join(rng.choice("0123456789") for _ in range(n))) if seeded else \
        (lambda n: "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=n, max_size=n))))  # noqa: E731

    def word(pattern: str) -> str:
        if not seeded:
            return draw(st.from_regex(pattern, fullmatch=True))
        return rng.choice("abcdefghijkmnpqrstuvwxyz") + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789")
                                                              for _ in range(8))
    label = ""
    if kind == "mobile":
        number = "1" + draw(st.sampled_from("3456789")) + d(9)
        body = _grouped(draw, number, draw(st.sampled_from([[], [3, 7], [3], [7]])))
        body = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086 ", "(+86)", "（+86）"])) + body
        label, secret = draw(st.sampled_from(PHONE_LABELS)), number
    elif kind == "landline":
        area = draw(st.sampled_from(["010", "021", "0431", "0755", "0871"]))
        local = draw(st.sampled_from("2345678")) + d(7 if len(area) == 3 else draw(st.sampled_from([6, 7])))
        middle = draw(st.sampled_from(["-", " ", "", "－", "—", "\u3000"]))
        body = draw(st.sampled_from([f"{area}{middle}", f"({area})", f"（{area}）", f"（{area}）{middle}"]))
        body += _grouped(draw, local, draw(st.sampled_from([[], [4], [len(local) - 4]])))
        body += draw(st.sampled_from(["", "转123", "-123", "转8"]))
        label, secret = draw(st.sampled_from(PHONE_LABELS)), local
    elif kind == "email":
        local = word(r"[a-z][a-z0-9]{4,9}")
        domain = word(r"[a-z]{3,8}")
        at = draw(st.sampled_from(["@", "＠", " @ ", "@ "]))
        body = local + at + domain + draw(st.sampled_from([".com", ".cn", ".com.cn", "．com", ".net"]))
        label = draw(st.sampled_from(["", "邮箱：", "电子邮箱:", "E-mail: ", "Email：", "邮件 "]))
        secret = local
    elif kind in ("id", "id15"):
        area = draw(st.sampled_from("123456")) + d(5)
        year = draw(st.integers(1940, 2006))
        born = f"{year}{draw(st.integers(1, 12)):02d}{draw(st.integers(1, 28)):02d}"
        if kind == "id":
            number = area + born + d(3) + draw(st.sampled_from([*"0123456789", "X", "x"]))
            body = _grouped(draw, number, draw(st.sampled_from([[], [6, 14]])))
            label = draw(st.sampled_from(["", "身份证号：", "身份证:", "证件号码 ", "身份证号码："]))
        else:
            number = area + born[2:] + d(3)
            body = _grouped(draw, number, draw(st.sampled_from([[], [6, 12]])))
            label = draw(st.sampled_from(["身份证号：", "身份证:", "证件号码 "]))
        secret = number[:17] if kind == "id" else number
    elif kind == "qq":
        number = draw(st.sampled_from("123456789")) + d(draw(st.integers(7, 10)))
        body, secret = number, number
        label = draw(st.sampled_from(["QQ：", "QQ ", "QQ号:", "ＱＱ：", "qq:", "QQ号码 "]))
    elif kind == "wechat":
        body = word(r"[a-z][a-z0-9_\-]{5,14}")
        secret = letters(body)
        label = draw(st.sampled_from(["微信：", "微信号:", "微信 ", "WeChat: ", "微信号 "]))
    else:
        number = "62" + d(draw(st.integers(14, 17)))
        cuts = [c for c in range(4, len(number), 4)] if draw(st.booleans()) else []
        body = _grouped(draw, number, cuts)
        label = draw(st.sampled_from(["银行卡号：", "卡号:", "账号 ", "开户账号：", "银行账号:"]))
        secret = number
    if draw(st.booleans()):
        body = _wide(body)
    # Invisible characters anywhere inside, and maybe a line break inside a number.
    positions = draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=3))
    for at in sorted(positions, reverse=True):
        body = body[:at] + draw(st.sampled_from(INVISIBLE)) + body[at:]
    if kind != "wechat" and draw(st.booleans()):
        if kind == "email":
            at = body.index("@") if "@" in body else body.index("＠")
        else:
            at = draw(st.integers(1, len(body) - 1))
        body = body[:at] + draw(st.sampled_from(["\n", "\n\n    ", "\n  "])) + body[at:]
    return label + body, [secret]


SLOTS = {"title": "关于对", "proposal_number": "第(", "proposal_title": "《关于", "heading": "一、",
         "paragraph": "红谷滩区现有", "closing": "感谢您对我区教育工作的关心和支持。"}


def secret_in(secret: str, text: str) -> bool:
    return secret in (digits(text) if secret.isdigit() else letters(text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contact(), st.sampled_from(sorted(SLOTS)), st.sampled_from(["，", "。", "", " "]))
def test_extract_random_contact_never_published(case, slot, after):
    rendered, secrets = case
    text = _insert(carrier(), SLOTS[slot], rendered + after)
    reply = run(text)
    for out in outputs(reply):
        for secret in secrets:
            assert not secret_in(secret, out), (rendered, out)


PIECES = [*"0123456789", *"０１３９", " ", "-", ".", "(", ")", "+", "\n", "@", "＠", "#", "X", "a", "z", "\u3000", "\u00a0",
          "\u200b", "\u2060", "—", "电话：", "QQ", "微信：", "身份证号", "卡号", "E-mail:", "号", "年", "转", "，", "（0431）",
          "139", "0086", "@x.com", "(at)"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_may_have_personal_never_false_when_redact_finds(text):
    if not may_have_personal(text):
        assert redact(text) == (text, 0)


# ---------------------------------------------------------------------------------------
# The built site: pages, open data, search indexes.

THEME = Path(material.__file__).parent / "templates"
SVG_PATH_DATA = re.compile(r'\sd="[-0-9.,\sa-zA-Z]*"')


def verbatim_copy(path: Path, root: Path) -> bool:
    """A file the build copied unchanged from the theme or the hand-written docs: no data."""
    relative = path.relative_to(root)
    return any((base / relative).is_file() and (base / relative).read_bytes() == path.read_bytes()
               for base in (THEME, ROOT / "docs"))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(contact(seeded=True), st.sampled_from(sorted(SLOTS))), min_size=12, max_size=12))
def test_site_random_contacts_in_no_built_file(tmp_path, cases):
    work = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis may run the test again (to shrink)
    data = work / "data"
    (data / "replies").mkdir(parents=True)
    for name in ("agencies.yml", "themes.yml", "site.yml"):
        shutil.copy(DATA / name, data / name)
    secrets = []
    for n in range(0, len(cases), 3):  # three contacts a reply, each in its slot
        text = carrier()
        for (rendered, found), slot in cases[n:n + 3]:
            text = _insert(text, SLOTS[slot], rendered + "，")
            secrets += found
        (data / "replies" / f"r{n:02d}.txt").write_text(text, encoding="utf-8")
    docs, site = work / "docs", work / "site"
    copy_hand_written_docs(docs)
    generate(data, docs, jobs=1, cache_dir=work / "cache")
    build_site(docs, site, search="material")  # its index is plain text, which this reads
    checked = 0
    for root in (docs, site):
        for path in root.rglob("*"):
            if not path.is_file() or verbatim_copy(path, root):
                continue
            content = path.read_bytes().decode("utf-8", errors="replace")
            # An icon's path data (`d="M12 2.305…"`) is the theme's geometry, and thousands of
            # digits run together: a seven-digit secret was once found in it by chance.
            content = SVG_PATH_DATA.sub("", content)
            numbers, words = digits(content), letters(content)
            for secret in secrets:
                assert secret not in (numbers if secret.isdigit() else words), (path, secret)
            checked += 1
    assert checked > 20 and (site / "search" / "search_index.json").is_file()


def _published(docs: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in docs.rglob("*") if p.is_file() and p.name != ".generated.json")


@pytest.mark.parametrize("stem", ["张三13912345678", "reply-0431-85551234", "a@example.com", "张三_0431_85551249",
                                  "zhao_139_1234_1292"])
def test_pipeline_file_name_with_contact_data_not_published(tmp_path, stem):
    """The file name is the reply's `source`, its stem the id and the web address."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "replies" / f"{stem}.txt").write_bytes(next((data / "replies").glob("001_*.txt")).read_bytes())
    result = generate(data, tmp_path / "docs", jobs=1)
    assert len(result.replies) == 6
    published = _published(tmp_path / "docs") + "\n".join(p.name for p in (tmp_path / "docs").rglob("*"))
    assert not secret_in(stem.split("张三")[-1].removeprefix("reply-").removeprefix("zhao_"), published)


@pytest.mark.parametrize("bad_id", ["13987654321", "139_8765_4321", "tel-87654321"])
def test_pipeline_sidecar_values_withheld_and_contact_id_refused(tmp_path, bad_id):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    first, second = sorted((data / "replies").glob("*.txt"))[:2]
    first.with_suffix(".yml").write_text("title: 请致电 139 1234 5678 联系\nproposer: 李四（手机１３９１２３４５６７８）\n",
                                         encoding="utf-8")
    second.with_suffix(".yml").write_text(f"id: '{bad_id}'\n", encoding="utf-8")
    result = generate(data, tmp_path / "docs", jobs=1)
    assert [p.source for p in result.errors] == [second.name] and "contact data" in str(result.errors[0])
    published = _published(tmp_path / "docs")
    assert not secret_in("13912345678", published) and not secret_in(bad_id.removeprefix("tel-"), published)
    assert "请致电" in published and "李四" in published
