"""The PDF reader: a PDF with a text layer → its paragraphs, from where each line sits.

pypdfium2 (PDFium, Apache-2.0/BSD: fast, no AGPL) gives each character with its box and
font size. From them:

- lines: characters of one baseline, left to right; a space only where a visible gap
  parts two Latin letters or digits (`Windows 10`), never between Chinese characters;
- page furniture dropped: page-number lines (`— 1 —`, `第 1 页`, `1/3`) and any line
  that repeats in the top or bottom band of most pages (a running header or footer);
- paragraphs: the body's left and right edges are the most common line start and the
  usual line end; a paragraph ends at a line that stops short of the right edge, before
  an indented line, a centred or right-aligned one (title, signature, date), or a wider
  gap than the usual line spacing. A paragraph running on over a page break stays one.
  Two lines of one centred title, the first nearly full, stay one paragraph.

Two-column or table layouts come out as lines in reading order, never lost. A PDF with
no text layer (scanned images) is refused, naming the reason; a password-protected or
damaged one too.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..clean import ADDRESSEE_LINE, CLASSIFICATION_LINE, DATE_LINE, DOC_NUMBER_LINE, is_page_furniture
from ..read import Document, ReadError, ReadOptions

SUFFIXES = (".pdf",)
MAX_PAGES = 200  # a reply is a few pages; a larger PDF is a bound volume, not one reply
MAX_BYTES = 64 * 2**20  # embedded fonts and scanned pages make PDFs large
_LATIN = re.compile(r"[0-9A-Za-z.,:;%/@_\-+()|\[\]]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_DIGITS = re.compile(r"\d+")


@dataclass
class _Line:
    page: int
    left: float
    right: float
    top: float
    bottom: float
    size: float
    chars: list = field(default_factory=list)  # (char, left, right)
    text: str = ""
    red: int = 0  # characters printed in red (a letterhead's)
    sizes: list = field(default_factory=list)  # (box height, is Chinese) per character

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def _open(data: bytes):
    import pypdfium2 as pdfium  # imported here, so that text-only runs never load it

    if not data.lstrip()[:5] == b"%PDF-":
        raise ReadError("damaged PDF: no %PDF header")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ReadError("encrypted PDF (password-protected): publish it without a password") from None
        raise ReadError(f"damaged PDF: {exc}") from None


def _page_lines(page, number: int) -> list[_Line]:
    import pypdfium2.raw as raw

    text = page.get_textpage()
    handle = text.raw
    box = raw.FS_RECTF()
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    try:
        count = text.count_chars()
        chars = []
        for index in range(count):
            ch = chr(raw.FPDFText_GetUnicode(handle, index))
            if ch.isspace() or ch in "\ufffe\uffff\x00" or raw.FPDFText_IsGenerated(handle, index) == 1:
                continue
            # The loose box: the character's advance, ascent to descent, in page units.
            # A glyph's ink (the tight box) starts mid-box for `“` and `（` and ends
            # mid-box for `，`, which would move a line's edges by half a character; and
            # the reported font size ignores the page's scaling.
            raw.FPDFText_GetLooseCharBox(handle, index, box)
            left, bottom, right, top = box.left, box.bottom, box.right, box.top
            # Some glyphs (`一`, `—`) get a box only as tall as their ink: their advance
            # tells their size then.
            size = max(top - bottom, right - left)
            # Colour matters only for the letterhead, at the head of the first page.
            red = number == 0 and bool(raw.FPDFText_GetFillColor(handle, index, r, g, b, a)) and r.value > 150 \
                and g.value < 100 and b.value < 100
            chars.append((ch, left, bottom, right, top, size, index, red))
    finally:
        text.close()
    lines: list[_Line] = []
    last_index = -2
    for ch, left, bottom, right, top, size, index, red in chars:
        middle = (top + bottom) / 2
        line = lines[-1] if lines else None
        # A character drawn again at the same place, later in the page (text printed
        # twice to look bold), is read once; `——` is one glyph for two characters, in a row.
        double = index != last_index + 1 and any(
            c == ch and abs(l - left) < 0.1 * size for line_ in lines[-2:] if abs(line_.middle - middle) < 0.2 * size
            for c, l, _ in line_.chars[-4:])
        last_index = index
        if double:
            continue
        if line is None or abs(middle - line.middle) > 0.5 * max(size, line.size) or left < line.chars[-1][1] - size:
            line = _Line(number, left, right, top, bottom, size)
            lines.append(line)
        line.red += red
        line.chars.append((ch, left, right))
        line.sizes.append((size, bool(_HAN.match(ch))))
        line.size = max(line.size, size)  # for grouping; the line's own size is set below
        line.left, line.right = min(line.left, left), max(line.right, right)
        line.top, line.bottom = max(line.top, top), min(line.bottom, bottom)
    # Reading order: lines top to bottom (PDF y grows upwards), each left to right.
    lines.sort(key=lambda l: (-round(l.middle / 2), l.left))  # 2-point bands: one baseline
    # Runs of one line that came apart (a glyph of another font between them) are one
    # line again; runs a column's gutter apart stay two (columns are read one by one).
    merged: list[_Line] = []
    for line in lines:
        last = merged[-1] if merged else None
        if last is not None and abs(line.middle - last.middle) < 0.3 * max(line.size, last.size, 1) \
                and 0 <= line.left - last.right < max(line.size, last.size):
            last.chars += line.chars
            last.sizes += line.sizes
            last.red += line.red
            last.right, last.top, last.bottom = line.right, max(last.top, line.top), min(last.bottom, line.bottom)
            continue
        merged.append(line)
    lines = merged
    for line in lines:
        # The line's type size: its Chinese characters' (Latin letters and digits often
        # come from another font, whose box is taller), else all of its characters'.
        han = [size for size, is_han in line.sizes if is_han]
        line.size = statistics.median(han or [size for size, _ in line.sizes])
        line.chars.sort(key=lambda c: c[1])
        parts = []
        for n, (ch, left, _right) in enumerate(line.chars):
            if n and _LATIN.match(ch) and _LATIN.match(line.chars[n - 1][0]) \
                    and left - line.chars[n - 1][2] > 0.15 * line.size:
                parts.append(" ")
            parts.append(ch)
        line.text = "".join(parts)
    return lines


def _furniture(lines: list[_Line], heights: dict[int, float], pages: int) -> set[int]:
    """Indices of page-number lines, of lines repeated in the margin bands of most pages,
    and of the red letterhead: large red lines at the head of the first page."""
    drop = {n for n, line in enumerate(lines) if is_page_furniture(line.text)}
    size = statistics.median(line.size for line in lines)
    for n, line in enumerate(lines):
        if line.page or line.red < len(line.chars) / 2 or line.size < 1.4 * size:
            break
        drop.add(n)
    if pages < 2:
        return drop
    banded = {n: _DIGITS.sub("#", line.text) for n, line in enumerate(lines)  # page numbers in them alike
              if line.top > 0.9 * heights[line.page] or line.bottom < 0.1 * heights[line.page]}
    seen: dict[str, set[int]] = {}
    for n, text in banded.items():
        seen.setdefault(text, set()).add(lines[n].page)
    repeated = {text for text, on in seen.items() if len(on) >= max(2, (2 * pages + 2) // 3)}
    return drop | {n for n, text in banded.items() if text in repeated}


def _paragraphs(lines: list[_Line]) -> list[str]:
    if not lines:
        return []
    size = statistics.median(l.size for l in lines)
    lefts = [round(l.left / (size / 2)) for l in lines]
    left_edge = statistics.mode(lefts) * (size / 2)
    rights = sorted(l.right for l in lines)
    right_edge = rights[int(0.9 * (len(rights) - 1))]
    width = max(right_edge - left_edge, size)
    pitches = [a.bottom - b.top for a, b in zip(lines, lines[1:]) if a.page == b.page and a.bottom > b.top]
    pitch = statistics.median(pitches) if pitches else size

    def full(line: _Line) -> bool:
        return line.right >= right_edge - 1.2 * line.size

    def indented(line: _Line) -> bool:
        return line.left > left_edge + 0.8 * line.size

    def symmetric(line: _Line) -> bool:
        """A centred line (a title's): margins on both sides, alike. A body line reaches
        the right edge; its first line's indent is a margin on the left only."""
        before, after = line.left - left_edge, right_edge - line.right
        return min(before, after) > 0.3 * size and abs(before - after) < 0.6 * size

    def right_aligned(line: _Line) -> bool:  # 文号, signature, date: always a paragraph of its own
        return full(line) and line.left > left_edge + 3 * line.size and not symmetric(line)

    def balanced(line: _Line) -> bool:  # a title's first line may fill the width, its margins alike
        return abs((line.left - left_edge) - (right_edge - line.right)) < 0.6 * size

    def alone(line: _Line) -> bool:
        """A line that is a paragraph by what it says, as the cleaner knows them: a 文号,
        the outcome class, a date, a salutation (`张三代表：`) — when it does not fill the line."""
        if full(line):
            return False
        if any(p.match(line.text) for p in (DOC_NUMBER_LINE, CLASSIFICATION_LINE, DATE_LINE)):
            return True
        # Not the end of a list of names (`…、朱永珍代表：`) running on from the line before.
        return bool(ADDRESSEE_LINE.match(line.text)) and "、" not in line.text and not line.text.startswith("等")

    out, current = [], [lines[0].text]
    for prev, line in zip(lines, lines[1:]):
        gap = prev.bottom - line.top if prev.page == line.page else 0.0
        joined_title = symmetric(line) and prev.right - prev.left >= 0.6 * width and gap < 1.8 * pitch \
            and abs(prev.size - line.size) < 0.05 * line.size \
            and (symmetric(prev) or (balanced(prev) and line.size > 1.1 * size))
        breaks = not joined_title and (
            not full(prev) or right_aligned(prev) or symmetric(prev) or indented(line) or alone(line)
            or gap > 1.8 * pitch
            or abs(prev.size - line.size) > 0.12 * min(prev.size, line.size))
        if breaks:
            out.append("".join(current))
            current = [line.text]
        else:
            end, start = prev.text[-1], line.text[0]
            if end.isascii() and end.isalpha() and start.isascii() and start.isalnum():  # a word wrapped at its space
                current.append(" ")
            current.append(line.text)
    out.append("".join(current))
    return out


OCR_DPI = 300
OCR_TIMEOUT = 300  # seconds per page


def _ocr(data: bytes) -> str:
    """The text of a scanned PDF, page by page, as Tesseract reads it in Chinese
    (`tesseract … -l chi_sim`): text like an extraction's, for the cleaner."""
    import pypdfium2 as pdfium

    exe = shutil.which("tesseract")
    if exe is None:
        raise ReadError("no text layer, and --ocr needs Tesseract: apt-get install tesseract-ocr tesseract-ocr-chi-sim")
    pdf = pdfium.PdfDocument(data)
    pages = []
    try:
        with tempfile.TemporaryDirectory(prefix="generator-ocr-") as tmp:
            for number in range(len(pdf)):
                bitmap = pdf[number].render(scale=OCR_DPI / 72, grayscale=True)
                rows = bytes(bitmap.buffer)
                image = Path(tmp) / f"page-{number}.pgm"  # grey levels: a format Tesseract reads, no imaging library
                with open(image, "wb") as out:
                    out.write(f"P5 {bitmap.width} {bitmap.height} 255\n".encode())
                    for row in range(bitmap.height):
                        out.write(rows[row * bitmap.stride: row * bitmap.stride + bitmap.width])
                try:
                    proc = subprocess.run([exe, str(image), "stdout", "-l", "chi_sim"], capture_output=True,
                                          timeout=OCR_TIMEOUT)
                except subprocess.TimeoutExpired:
                    raise ReadError(f"OCR of page {number + 1} took more than {OCR_TIMEOUT} s") from None
                if proc.returncode != 0:
                    detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
                    raise ReadError(f"OCR failed on page {number + 1}: {detail[0][:200]}")
                pages.append(proc.stdout.decode("utf-8", "replace"))
    finally:
        pdf.close()
    text = "\n".join(pages)
    if not text.strip():
        raise ReadError("no text layer, and OCR found no text")
    return text


def read(data: bytes, options: ReadOptions) -> Document:
    pdf = _open(data)
    try:
        pages = len(pdf)
        if pages > MAX_PAGES:
            raise ReadError(f"too many pages: {pages} (a reply is at most {MAX_PAGES})")
        lines, heights, images = [], {}, 0
        for number in range(pages):
            page = pdf[number]
            try:
                heights[number] = page.get_height()
                page_lines = _page_lines(page, number)
                if not page_lines:
                    images += sum(1 for obj in page.get_objects() if obj.type == 3)  # FPDF_PAGEOBJ_IMAGE
                lines += page_lines
            finally:
                page.close()
    finally:
        pdf.close()
    if not lines:
        if images and options.ocr:
            return Document(text=_ocr(data))
        if images:
            raise ReadError("no text layer: scanned images; OCR it first (or --ocr, with Tesseract installed)")
        raise ReadError("no text in the PDF")
    drop = _furniture(lines, heights, pages)
    return Document(paragraphs=tuple(_paragraphs([l for n, l in enumerate(lines) if n not in drop])))
