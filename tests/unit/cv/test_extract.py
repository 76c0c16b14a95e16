"""CV text extraction: the four formats read, and every hostile file refused with a French reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from matcher.cv.extract import NO_TEXT, CvFormat, Limits, UnreadableCv, extract_text
from tests.factories import (
    cv_docx,
    cv_pdf,
    encrypted_pdf,
    image_only_pdf,
    many_pages_pdf,
    zip_bomb_docx,
)

LINES = ["Camille Martin", "Jardinière paysagiste", "Permis B", "2019 - 2023 : Jardinière — Mairie de Privas"]


def _odt(lines: list[str]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=lines[0]))
    for line in lines[1:]:
        document.text.addElement(P(text=line))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def _still_reads() -> None:
    """The service goes on reading good files after a hostile one."""
    fmt, text = extract_text(cv_pdf(LINES), "cv.pdf")
    assert fmt is CvFormat.PDF and "Jardinière paysagiste" in text


@pytest.mark.parametrize(
    ("name", "build", "fmt"),
    [
        ("cv.pdf", lambda: cv_pdf(LINES), CvFormat.PDF),
        ("cv.docx", lambda: cv_docx(LINES), CvFormat.DOCX),
        ("cv.odt", lambda: _odt(LINES), CvFormat.ODT),
        ("cv.txt", lambda: "\n".join(LINES).encode("cp1252"), CvFormat.TEXT),
        ("cv", lambda: cv_pdf(LINES), CvFormat.PDF),  # no extension: the bytes decide
    ],
)
def test_each_format_reads_with_accents(name: str, build: object, fmt: CvFormat) -> None:
    found, text = extract_text(build(), name)  # type: ignore[operator]
    assert found is fmt
    assert "Jardinière paysagiste" in text and "Mairie de Privas" in text


def test_a_docx_table_reads_cell_by_cell() -> None:
    from docx import Document

    document = Document()
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Langues\nAnglais : courant"
    table.rows[0].cells[1].text = "Expérience\n2019 - 2023 : Jardinier"
    out = io.BytesIO()
    document.save(out)
    _, text = extract_text(out.getvalue(), "cv.docx")
    assert text.index("Anglais") < text.index("Expérience")  # the side column, then the main one


def test_a_password_protected_pdf_is_refused() -> None:
    with pytest.raises(UnreadableCv, match="protégé par un mot de passe"):
        extract_text(encrypted_pdf(LINES), "cv.pdf")
    _still_reads()


def test_a_pdf_encrypted_with_an_empty_password_is_read() -> None:
    _, text = extract_text(encrypted_pdf(LINES, password=""), "cv.pdf")
    assert "Jardinière paysagiste" in text


def test_a_zip_bomb_named_docx_is_refused_before_inflating() -> None:
    bomb = zip_bomb_docx(200)
    assert len(bomb) < 1_000_000  # 200 MB of zeros in a few hundred kB
    with pytest.raises(UnreadableCv, match="archive anormale"):
        extract_text(bomb, "cv.docx")
    _still_reads()


def test_a_ten_thousand_page_pdf_is_refused() -> None:
    with pytest.raises(UnreadableCv, match=r"trop de pages \(10000"):
        extract_text(many_pages_pdf(10_000), "cv.pdf")
    _still_reads()


def test_a_scanned_cv_without_text_says_to_fill_in_by_hand() -> None:
    with pytest.raises(UnreadableCv) as refused:
        extract_text(image_only_pdf(), "cv.pdf")
    assert refused.value.detail == NO_TEXT
    assert refused.value.field == "file"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cv.docx", cv_pdf(LINES), r"l'extension \.docx ne correspond pas au contenu du fichier \(PDF\)"),
        ("cv.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 40, "format non reconnu"),
        ("cv.exe", "\n".join(LINES).encode(), r"extension \.exe non acceptée"),
        ("cv.docm", cv_docx(LINES, macros=True), "macros"),
        ("cv.docx", cv_docx(LINES, macros=True), "macros"),
        ("cv.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, r"\.doc"),
        ("cv.pdf", b"", "vide"),
        ("cv.pdf", b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024), "5 Mo au plus"),
    ],
)
def test_wrong_extensions_macros_and_odd_files_are_refused(name: str, content: bytes, reason: str) -> None:
    with pytest.raises(UnreadableCv, match=reason):
        extract_text(content, name)


def test_a_broken_archive_or_pdf_is_refused_and_the_worker_survives() -> None:
    docx = io.BytesIO(cv_docx(LINES))
    broken = io.BytesIO()
    with zipfile.ZipFile(docx) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            target.writestr(item, b"<w:document" if item.filename == "word/document.xml" else source.read(item))
    with pytest.raises(UnreadableCv, match="endommagé"):
        extract_text(broken.getvalue(), "cv.docx")
    with pytest.raises(UnreadableCv):
        extract_text(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ntrailer garbage", "cv.pdf")
    _still_reads()


def test_a_worker_out_of_memory_is_refused_and_the_service_goes_on() -> None:
    with pytest.raises(UnreadableCv, match=r"mémoire|trop lourd|endommagé"):
        extract_text(cv_docx(LINES * 200), "cv.docx", limits=Limits(memory_mb=1))
    _still_reads()


def test_a_parser_past_its_deadline_is_stopped() -> None:
    with pytest.raises(UnreadableCv, match="trop longue"):
        extract_text(many_pages_pdf(2_000), "cv.pdf", limits=Limits(seconds=0.05))
    _still_reads()
