"""Field accuracy of extraction on the annotated replies: `make accuracy`.

Every expected-output file (`tests/expected/*.yml`, `tests/expected/corpus/*.yml`) names a
reply and the fields a careful reader wrote for it (see tests/corpus/ANNOTATING.md). Each
reply is read → cleaned → extracted as found, and as a PDF-like copy (`pdf_like`: lines
hard-wrapped at 36 characters, a blank line after every line, a page number every 40
lines, stray spaces where PDF extraction puts them), with the site's place the case gives
and the project's registries. The samples and fixtures of `tests/expected/*.yml` are PDF
text already: their PDF-like copy is the text itself.

The other columns read each reply as its publisher could have published it, made from
the paragraphs of its text (`tests/formats.py`): a PDF printed by Chromium (letterhead,
indents, centred title, right-aligned signature, page numbers), a Word file, and a CMS
web page (navigation, an empty metadata table, widgets, footer: the page gives no field
the text does not). They need Debian's Chromium (`/usr/bin/chromium`); `--formats text`
leaves them out. Prints the share of replies whose value is exactly right, per field and
per variant, and with `-v` every wrong value.

    .venv/bin/python bench/accuracy.py [-v] [--only STEM …] [--formats text|all]
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.clean import clean, clean_document, text_width  # noqa: E402
from generator.config import SiteConfig, load_site_config  # noqa: E402
from generator.extract import extract  # noqa: E402
from generator.places import parse_place  # noqa: E402
from generator.read import read_text  # noqa: E402
from generator.readers import read_document  # noqa: E402
from generator.registry import AgencyRegistry  # noqa: E402

EXPECTED = ROOT / "tests" / "expected"
FIELDS = ("title", "proposal_kind", "proposal_number", "proposal_title", "session", "session_body",
          "session_term", "session_meeting", "proposer", "proposer_type", "doc_number", "agency",
          "co_agencies", "date", "year", "classification", "sections")
VARIANTS = ("plain", "pdf-like", "pdf", "word", "web")
TEXT_VARIANTS = VARIANTS[:2]  # no browser needed
HEADS = {"plain": "plain", "pdf-like": "PDF-like", "pdf": "PDF", "word": "Word", "web": "web page"}
WIDTH = 36  # characters per line of the PDF-like copy (an A4 line of 16-point type)
PAGE_LINES = 40


@dataclass
class Case:
    path: Path
    source: Path
    site: SiteConfig
    fields: dict
    pdf_text: bool  # the source is already PDF-extracted text (the samples): its PDF-like copy is itself


def load_cases(only: list[str] | None = None) -> list[Case]:
    """Every expected-output file, the Jilin samples and fixtures with the data dir's site."""
    default = load_site_config(ROOT / "data")
    cases = []
    for path in sorted(EXPECTED.glob("*.yml")) + sorted((EXPECTED / "corpus").glob("*.yml")):
        if only and path.stem not in only:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        site = default
        if "site" in data:
            names = list(data["site"].get("within") or []) + [data["site"]["place"]]
            site = SiteConfig(places=tuple(parse_place(n, declared=True) for n in names))
            assert None not in site.places, f"{path}: a place name is not understood: {names}"
        cases.append(Case(path, ROOT / data["source"], site, data["fields"], path.parent == EXPECTED))
    return cases


def pdf_like(text: str, seed: str) -> str:
    """`text` laid out as PDF text extraction gives it: each line hard-wrapped at WIDTH
    characters (ASCII counts half), a blank line after every line, `— N —` every
    PAGE_LINES lines, and a space now and then where the font switches between Chinese and
    Latin or digits, or between two Chinese characters. Indentation is kept; no character
    is added or lost but spaces."""
    rng = random.Random(seed)
    out: list[str] = []
    page = 1

    def emit(line: str) -> None:
        nonlocal page
        out.extend([line, ""])
        if len(out) // 2 % PAGE_LINES == 0:
            page += 1
            out.extend([f"                  — {page - 1} —", ""])

    for raw in text.split("\n"):
        line = raw.rstrip()
        content = line.lstrip()
        indent = line[: len(line) - len(content)]
        if not content:
            continue
        chunk, width = indent, 0.0
        for n, ch in enumerate(content):
            prev = content[n - 1] if n else ""
            if prev and not prev.isspace() and not ch.isspace():
                switch = (_cjk(prev) and ch.isascii() and ch.isalnum()) or (_cjk(ch) and prev.isascii() and prev.isalnum())
                cjk_pair = _cjk(prev) and _cjk(ch)
                if (switch and rng.random() < 0.5) or (cjk_pair and rng.random() < 0.02):
                    chunk += " "
                    width += 0.5  # the gap takes room on the line, as in the PDF
            chunk += ch
            width += text_width(ch)
            if width >= WIDTH and n + 1 < len(content):
                emit(chunk)
                chunk, width = "", 0.0
        emit(chunk)
    return "\n".join(out) + "\n"


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def published_as(variant: str, paragraphs: list[str], browser) -> list[str]:
    """The paragraphs read back from the reply published as `variant` (pdf, word, web)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from formats import make_docx, make_html, make_pdf

    if variant == "pdf":
        data, name = make_pdf(browser, paragraphs, letterhead="某某单位文件"), "x.pdf"
    elif variant == "word":
        data, name = make_docx(paragraphs, letterhead="某某单位"), "x.docx"
    else:
        data, name = make_html(paragraphs, agency="", date=""), "x.html"
    return clean_document(read_document(data, name))


def extract_case(case: Case, variant: str, browser=None) -> dict:
    registry = AgencyRegistry.load(ROOT / "data" / "agencies.yml", case.site.places)
    text = read_text(case.source)
    if variant == "pdf-like" and not case.pdf_text:
        text = pdf_like(text, case.source.name)
    paragraphs = clean(text)
    if variant in ("pdf", "word", "web"):
        paragraphs = published_as(variant, paragraphs, browser)
    reply, problems = extract(paragraphs, case.source.name, "case", registry, False, case.site.places)
    if reply is None:
        return {"error": "; ".join(map(str, problems))}
    return reply.record()


def compare(case: Case, record: dict) -> dict[str, tuple[object, object]]:
    """field → (expected, got) for every field of the case that is wrong."""
    wrong = {}
    for name in FIELDS:
        if name not in case.fields:
            continue
        expected, got = case.fields[name], record.get(name)
        if isinstance(expected, list):
            expected = [str(v) for v in expected]
        elif expected is not None and name not in ("session_term", "session_meeting", "year"):
            expected = str(expected)
        if expected != got:
            wrong[name] = (expected, got)
    return wrong


def measure(cases: list[Case], variants=VARIANTS, browser=None) -> dict:
    """{variant: {field: (right, total)}, 'wrong': [(stem, variant, field, expected, got)]}."""
    result: dict = {v: {f: [0, 0] for f in FIELDS} for v in variants}
    result["wrong"] = []
    for number, case in enumerate(cases, 1):
        if browser is not None and number % 20 == 0:
            print(f"… {number}/{len(cases)} replies", file=sys.stderr)
        for variant in variants:
            record = extract_case(case, variant, browser)
            wrong = compare(case, record)
            for name in FIELDS:
                if name in case.fields:
                    result[variant][name][1] += 1
                    result[variant][name][0] += name not in wrong
            for name, (expected, got) in wrong.items():
                result["wrong"].append((case.path.stem, variant, name, expected, got))
    return result


def table(result: dict, cases: list[Case], variants=VARIANTS) -> str:
    lines = [f"Field accuracy on {len(cases)} annotated replies (share exactly right)", "",
             "| field | " + " | ".join(HEADS[v] for v in variants) + " |", "|---" * (len(variants) + 1) + "|"]
    for name in FIELDS:
        cells = []
        for variant in variants:
            right, total = result[variant][name]
            cells.append(f"{100 * right / total:.1f}% ({right}/{total})" if total else "—")
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print every wrong value")
    parser.add_argument("--only", nargs="*", help="the stems of the cases to run")
    parser.add_argument("--formats", choices=("text", "all"), default="all",
                        help="text: the plain and PDF-like columns only (no browser needed)")
    args = parser.parse_args(argv)
    cases = load_cases(args.only)
    if args.formats == "text":
        result = measure(cases, TEXT_VARIANTS)
        print(table(result, cases, TEXT_VARIANTS))
    else:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            result = measure(cases, VARIANTS, browser)
            browser.close()
        print(table(result, cases))
    if args.verbose:
        print()
        for stem, variant, name, expected, got in result["wrong"]:
            print(f"{stem} [{variant}] {name}: expected {expected!r}, got {got!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
