"""The readers: one module per input format, one interface (as Pelican's readers).

In: the bytes of one reply file and its name. Out: a `read.Document`. Each format's
module has `SUFFIXES` (the file name endings it reads) and `read(data: bytes, options:
ReadOptions) -> Document`, raising `read.ReadError` with a one-line reason when it cannot. A new format
is a new module listed in `_MODULES`. The rest of the pipeline does not know where a
reply came from: every Document goes through the same clean, extract, classify, render.
"""

from __future__ import annotations

from types import ModuleType

from ..read import MAX_BYTES, Document, ReadError, ReadOptions, decode
from . import pdf, web, word


class _Text:
    """Text files: PDF extractions and copies of web pages, as text."""

    SUFFIXES = (".txt",)

    @staticmethod
    def read(data: bytes, options: ReadOptions) -> Document:
        return Document(text=decode(data))


_MODULES: tuple[ModuleType | type, ...] = (_Text, pdf, word, web)
READERS = {suffix: module for module in _MODULES for suffix in module.SUFFIXES}
# Formats offices also publish that no reader takes: each file is refused with its reason.
REFUSED = {
    ".doc": "an old Word file (.doc): save it as .docx or PDF",
    ".wps": "a WPS file (.wps): save it as .docx or PDF",
    ".rtf": "an RTF file: save it as .docx or PDF",
    ".ofd": "an OFD file: save it as PDF",
}
SUFFIXES = tuple(sorted({*READERS, *REFUSED}))


def suffix_of(name: str) -> str:
    return "." + name.rpartition(".")[2].lower() if "." in name else ""


def is_reply_file(name: str) -> bool:
    """Whether a file of `replies/` is a reply (in a format read, or refused with a reason).
    `~$x.docx` is the lock file Word keeps beside a document it has open: not a reply."""
    return not name.startswith("~$") and suffix_of(name) in SUFFIXES


def max_bytes(name: str) -> int:
    """The largest file of this name's format that is read (a text reply is tens of KB;
    a PDF with its fonts, a few MB)."""
    return getattr(READERS.get(suffix_of(name)), "MAX_BYTES", MAX_BYTES)


def read_document(data: bytes, name: str, options: ReadOptions = ReadOptions()) -> Document:
    """The Document of the reply file `name` holding `data`; raises ReadError."""
    suffix = suffix_of(name)
    if suffix in REFUSED:
        raise ReadError(REFUSED[suffix])
    reader = READERS.get(suffix)
    if reader is None:
        raise ReadError(f"not a format read here ({', '.join(sorted(READERS))})")
    try:
        return reader.read(data, options)
    except ReadError:
        raise
    except (MemoryError, RecursionError, ValueError, LookupError, TypeError, ArithmeticError, OSError,
            RuntimeError, AttributeError, AssertionError) as exc:
        # A file the library chokes on past its opening (a broken page, a stream that does
        # not decompress): that file's error, never the run's end.
        raise ReadError(f"damaged {suffix[1:].upper()} file: {type(exc).__name__}") from None
