import codecs

import pytest

from generator.read import ReadError, decode

TEXT = "  您在省政协十三届二次会议上提出的《关于……的建议》收悉，\n\n现答复如下：   \n吉林省科学技术厅\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: t.encode("gb18030"),
        lambda t: t.encode("gbk"),
        lambda t: t.encode("utf-16"),
        lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
        lambda t: t.replace("\n", "\r\n").encode("utf-8"),
        lambda t: t.replace("\n", "\r\n").encode("gb18030"),
        lambda t: t.replace("\n", "\r").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16", "utf16-be", "crlf", "crlf-gb18030", "cr"],
)
def test_decode_encodings_give_same_text(encode):
    assert decode(encode(TEXT)) == TEXT


def test_decode_utf16_without_bom_mostly_ascii():
    text = "Reply 2024 答复 " * 20
    assert decode(text.encode("utf-16-le")) == text


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty file"),
        (b"  \n\r\n\t ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary data"),
        (b"\xff\xfe\xff" + b"\x00\xd8" * 3, "not valid UTF-16"),
        (bytes([0x81, 0x30, 0xff, 0xfe, 0x80]) * 5, "cannot decode"),
        ("答复\x00正文".encode("utf-8"), "binary data: contains NUL"),
    ],
    ids=["empty", "blank", "png", "bad-utf16", "undecodable", "nul"],
)
def test_decode_bad_input_raises_clear_error(data, message):
    with pytest.raises(ReadError, match=message):
        decode(data)
