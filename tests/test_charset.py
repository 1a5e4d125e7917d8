"""Charset decoding: BOM > Content-Type > meta > detection, WHATWG labels, no invented U+FFFD."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scraper.charset import (
    charset_from_content_type,
    decode_html,
    normalize_label,
    sniff_meta_charset,
)

FRENCH = "<p>Les élèves ont été reçus à l’école — « déjà » vu, 20 €.</p>"
RUSSIAN = "<p>Правительство объявило о новых мерах поддержки экономики страны.</p>"
JAPANESE = "<p>東京都は新しい政策を発表しました。市民の生活に大きな影響があります。</p>"


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}<title>t</title></head><body>{body}</body></html>"


def test_bom_beats_header_and_meta():
    html = page(FRENCH, '<meta charset="windows-1252">')
    body = codecs.BOM_UTF8 + html.encode("utf-8")
    text, enc = decode_html(body, "text/html; charset=iso-8859-1")
    assert enc == "utf-8"
    assert text == html


@pytest.mark.parametrize(
    ("bom", "codec", "name"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16be"),
    ],
)
def test_utf16_bom(bom: bytes, codec: str, name: str):
    html = page(JAPANESE)
    text, enc = decode_html(bom + html.encode(codec), "text/html")
    assert (text, enc) == (html, name)


def test_header_charset_beats_meta():
    html = page(RUSSIAN, '<meta charset="utf-8">')
    text, enc = decode_html(html.encode("koi8-r"), "text/html; charset=KOI8-R")
    assert enc == "koi8-r"
    assert text == html


def test_meta_charset_used_when_header_has_none():
    html = page(RUSSIAN, '<meta charset="windows-1251">')
    text, enc = decode_html(html.encode("cp1251"), "text/html")
    assert (text, enc) == (html, "windows-1251")


def test_meta_http_equiv():
    head = '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    html = page(JAPANESE, head)
    text, enc = decode_html(html.encode("cp932"), None)
    assert (text, enc) == (html, "shift_jis")


def test_meta_inside_comment_is_ignored():
    html = page(
        "<p>Les élèves ont été reçus, 20 €.</p>",
        '<!-- <meta charset="koi8-r"> --><meta charset="iso-8859-15">',
    )
    text, enc = decode_html(html.encode("iso-8859-15"), None)
    assert enc == "iso-8859-15"
    assert text == html


def test_latin1_label_means_windows_1252():
    # 0x80 is the euro sign in windows-1252 and a C1 control in ISO-8859-1.
    html = page("<p>Prix : 20 € — « ok »</p>")
    text, enc = decode_html(html.encode("cp1252"), "text/html; charset=ISO-8859-1")
    assert enc == "windows-1252"
    assert "20 €" in text and "—" in text
    assert "\ufffd" not in text


def test_windows_1252_undefined_bytes_become_c1_controls_not_replacement():
    body = b"<p>a\x81b\x8dc\x8fd\x90e\x9df \x80</p>"
    text, enc = decode_html(body, "text/html; charset=windows-1252")
    assert enc == "windows-1252"
    assert text == "<p>a\x81b\x8dc\x8fd\x90e\x9df €</p>"


def test_lying_header_falls_back_to_meta():
    # The header says UTF-8 but the bytes are windows-1252 (meta tells the truth).
    html = page(FRENCH, '<meta charset="windows-1252">')
    text, enc = decode_html(html.encode("cp1252"), "text/html; charset=utf-8")
    assert (text, enc) == (html, "windows-1252")
    assert "\ufffd" not in text


def test_lying_header_without_meta_is_detected():
    html = page(FRENCH * 20)
    text, enc = decode_html(html.encode("cp1252"), "text/html; charset=utf-8")
    assert "\ufffd" not in text
    assert "élèves" in text


def test_a_few_stray_bytes_keep_the_declared_encoding():
    html = page(FRENCH * 10)
    body = html.encode("utf-8").replace(b"</body>", b"\xff</body>")
    text, enc = decode_html(body, "text/html; charset=utf-8")
    assert enc == "utf-8"
    assert text.count("\ufffd") == 1
    assert "élèves" in text


def test_undeclared_utf8_is_recognised():
    html = page(JAPANESE + FRENCH)
    assert decode_html(html.encode("utf-8")) == (html, "utf-8")


def test_undeclared_legacy_encoding_is_detected():
    html = page(RUSSIAN * 10)
    text, _ = decode_html(html.encode("cp1251"))
    assert text == html


def test_ascii_only():
    assert decode_html(b"<p>plain</p>") == ("<p>plain</p>", "utf-8")


def test_unknown_or_dangerous_labels_are_ignored():
    html = page(FRENCH)
    for label in ("unicode_escape", "rot13", "utf-7", "no-such-charset", "base64"):
        text, enc = decode_html(html.encode("utf-8"), f"text/html; charset={label}")
        assert (text, enc) == (html, "utf-8"), label


def test_utf16_header_on_ascii_bytes_is_not_believed():
    html = page(FRENCH)
    assert decode_html(html.encode("utf-8"), "text/html; charset=utf-16") == (html, "utf-8")


def test_meta_utf16_means_utf8():
    html = page(FRENCH, '<meta charset="utf-16">')
    assert decode_html(html.encode("utf-8")) == (html, "utf-8")


def test_helpers():
    assert normalize_label(" Latin1 ") == "windows-1252"
    assert normalize_label("GB2312") == "gbk"
    assert normalize_label("utf-7") is None
    assert charset_from_content_type('text/html; charset="UTF-8"') == "utf-8"
    assert charset_from_content_type("text/html") is None
    assert sniff_meta_charset(b"<?xml version='1.0' encoding='ISO-8859-2'?><html>") == "iso-8859-2"
    assert sniff_meta_charset(b"<html><head><title>x</title>") is None


def test_empty_and_binary_never_raise():
    assert decode_html(b"") == ("", "utf-8")
    text, enc = decode_html(bytes(range(256)) * 4, "text/html")
    assert isinstance(text, str) and enc


@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufeff"),
        max_size=300,
    ),
    label=st.sampled_from(
        ["utf-8", "windows-1252", "iso-8859-2", "koi8-r", "shift_jis", "gbk", "euc-kr", "big5"]
    ),
)
@settings(max_examples=150, deadline=None)
def test_declared_encoding_round_trips(text: str, label: str):
    """Text that the declared encoding can represent comes back exactly, no U+FFFD added."""
    codec = {"shift_jis": "cp932", "gbk": "gb18030", "euc-kr": "cp949", "big5": "big5hkscs"}
    try:
        body = page(text).encode(codec.get(label, label))
    except UnicodeEncodeError:
        assume(False)
    assume(body.decode(codec.get(label, label)) == page(text))  # cp932 maps ¢ to ￠ and back
    decoded, name = decode_html(body, f"text/html; charset={label}")
    assert decoded == page(text)
    assert name == label
