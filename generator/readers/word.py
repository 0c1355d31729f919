"""The Word reader: a `.docx` file → its paragraphs, in order, as the author typed them.

python-docx reads the document body: paragraphs (a manual line break inside one, as in
a signature block typed line by line, makes two) and tables, whose rows become
paragraphs with their cells parted by a wide space, so no text is lost. Headers and
footers (page furniture: running titles, page numbers) are other parts of the file and
are not read. Old `.doc`/`.wps` files are refused in `readers/__init__.py` with advice;
a damaged file, a password-protected one (which is not a zip but an OLE container) and a
zip that would unpack to more than `MAX_UNPACKED` bytes are each a `ReadError`.
"""

from __future__ import annotations

import io
import zipfile

from ..read import Document, ReadError, ReadOptions

SUFFIXES = (".docx",)
MAX_BYTES = 32 * 2**20  # pictures (a seal, a signature) make Word files large
MAX_UNPACKED = 64 * 1024 * 1024  # a reply's XML is a few hundred KB; more is a zip bomb
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .doc, or an encrypted .docx
CELL_SEPARATOR = "\u3000"


def _check_zip(data: bytes) -> None:
    if data.startswith(OLE):
        raise ReadError("not a .docx inside: a password-protected file, or an old .doc renamed; "
                        "save it as .docx without a password, or as PDF")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise ReadError(f"damaged or hostile .docx: unpacks to more than {MAX_UNPACKED // 2**20} MB")
            if "word/document.xml" not in archive.namelist():
                raise ReadError("damaged .docx: no word/document.xml inside")
    except zipfile.BadZipFile:
        raise ReadError("damaged .docx: not a zip file") from None


def _lines(text: str) -> list[str]:
    return [line for line in text.replace("\r", "\n").split("\n") if line.strip()]


def read(data: bytes, options: ReadOptions) -> Document:
    _check_zip(data)
    import docx  # python-docx: imported here, so that text-only runs never load it
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs: list[str] = []
        for item in document.element.body.iterchildren():
            tag = item.tag.rpartition("}")[2]
            if tag == "p":
                from docx.text.paragraph import Paragraph

                paragraphs += _lines(Paragraph(item, document).text)
            elif tag == "tbl":
                for row in Table(item, document).rows:
                    cells, seen = [], set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:  # a merged cell is listed once per column it spans
                            continue
                        seen.add(id(cell._tc))
                        text = " ".join(_lines(cell.text)).strip()
                        if text:
                            cells.append(text)
                    if cells:
                        paragraphs.append(CELL_SEPARATOR.join(cells))
    except ReadError:
        raise
    except Exception as exc:  # python-docx and lxml raise many kinds on a broken file
        raise ReadError(f"damaged .docx: {type(exc).__name__}") from None
    if not paragraphs:
        raise ReadError("no text in the Word file")
    return Document(paragraphs=tuple(paragraphs))
