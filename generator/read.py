"""Stage 1, read: a file → bytes → a `Document`; the text format's reader.

`read_bytes` reads one file safely (a regular file inside the data dir, of bounded
size). The readers, one per format (`generator/readers/`: text here, PDF, Word, web
page), turn its bytes into a `Document`: plain text for the cleaner to find paragraphs
in, or the paragraphs the format already knows. Every reader raises `ReadError` with a
one-line reason for a file it cannot read.

The text reader (`decode`): in, the raw bytes; out, a str with LF line ends and no BOM.
Accepts UTF-8 (with or without BOM), UTF-16 (with BOM, or without one when the NUL
pattern makes it unmistakable) and GB18030/GBK; anything else (empty, binary,
undecodable) is a `ReadError`.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path


MAX_BYTES = 2 * 1024 * 1024  # a reply is tens of KB; a file this large is not one reply


class ReadError(ValueError):
    """The file cannot be turned into reply text; the message says why, in one line."""


@dataclass(frozen=True)
class Document:
    """What a reader makes of one file, for the cleaner: either `text`, whose paragraphs
    the cleaner finds (text files: PDF extractions or copies of web pages), or
    `paragraphs` as the format knows them (a Word file's, a web page's, a PDF's laid-out
    lines joined by their geometry), from which only page furniture is dropped."""

    text: str | None = None
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadOptions:
    """How readers read, from the command line."""

    ocr: bool = False  # a PDF without a text layer is read by Tesseract (chi_sim)


# Control characters (Unicode category Cc) other than the white-space ones.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _utf16_without_bom(data: bytes) -> str | None:
    """Mostly-ASCII or CJK UTF-16 text has NULs in every other byte (at least in part)."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    nul_even, nul_odd = even.count(0), odd.count(0)
    if max(nul_even, nul_odd) < len(even) * 0.2:
        # CJK-only UTF-16 has few NULs; try it only if neither UTF-8 nor GB18030 fit later.
        return None
    encoding = "utf-16-le" if nul_odd > nul_even else "utf-16-be"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def decode(data: bytes) -> str:
    """Decode reply bytes to text; see the module docstring for what is accepted."""
    if not data.strip():
        raise ReadError("empty file")
    text = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ReadError(f"not valid {encoding.upper()} after its byte-order mark ({exc.reason} at byte {exc.start})") from None
            break
    if text is None:
        text = _utf16_without_bom(data)
    if text is None:
        for encoding in ("utf-8", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        if b"\x00" in data:
            raise ReadError("binary data: contains NUL bytes")
        raise ReadError("cannot decode: not UTF-8, UTF-16 or GB18030 text")
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise ReadError("binary data: contains NUL bytes")
    controls = len(_CONTROL.findall(text))
    if controls > max(8, len(text) // 200):
        raise ReadError(f"binary data: {controls} control characters")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # NFC only: NFKC would rewrite full-width punctuation, which is part of the text.
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise ReadError("empty file")
    return text


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def read_bytes(path: Path, max_bytes: int = MAX_BYTES, root: Path | None = None,
               folders: dict | None = None) -> bytes:
    """The bytes of one file, refused when it is not a regular file (a pipe would hang
    the run, a device never end), when it resolves outside `root` (a symlink out of the
    data dir would publish a file of the machine), or when larger than `max_bytes`
    (read at most one byte more: a size the file system reports is not trusted), or
    when its name is not UTF-8 (the name is published as the reply's `source`).
    `folders`: a run's memo of resolved folders (a run reads thousands of files from one
    folder), kept by the caller for that run only."""
    if re.search("[\ud800-\udfff]", path.name):  # the OS's undecodable bytes, as surrogates
        raise ReadError("file name is not UTF-8: rename the file")
    try:
        if folders is None:
            real, inside = path.resolve(), None if root is None else root.resolve()
        else:
            for folder in (path.parent, root):
                if folder is not None and folder not in folders:
                    folders[folder] = folder.resolve()
            # The file itself: resolved whole when it is a link, else in its resolved folder.
            real = path.resolve() if os.path.islink(path) else folders[path.parent] / path.name
            inside = None if root is None else folders[root]
        if inside is not None and inside not in real.parents:
            raise ReadError("a link to a file outside the data dir; not read")
    except RuntimeError:  # Path.resolve on a loop of links
        raise ReadError("a loop of symbolic links; not read") from None
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    try:
        # Non-blocking: opening a named pipe must not wait for a writer. No link followed
        # after the check above.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
            raise ReadError(f"{kind}, not a file; not read")
        size = max(info.st_size, max_bytes + 1) if info.st_size > max_bytes else 0
        chunks = []
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes and max_bytes != MAX_BYTES:  # a sidecar, a registry
            limit = f"{max_bytes // 2**20} MB" if max_bytes >= 2**20 else f"{max_bytes // 1024} KB"
            raise ReadError(f"too large: more than {limit}")
        if size > max_bytes:
            raise ReadError(f"too large: {size / 2**20:.1f} MB (a reply is at most {max_bytes / 2**20:.0f} MB); "
                            "is it several replies in one file?")
        return b"".join(chunks)
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_text(path: Path, max_bytes: int = MAX_BYTES, root: Path | None = None) -> str:
    """Read and decode one reply file."""
    return decode(read_bytes(path, max_bytes, root))
