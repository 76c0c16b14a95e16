"""Text of an uploaded CV, read in a child process under a time and memory limit.

The format is decided by the bytes (magic numbers, the archive's parts), not by the name; a name
whose extension says otherwise is refused. Archives are inspected before anything inflates them
(zip bombs), Word files with macros are refused, PDFs with a password or too many pages too. The
parsers run in a fresh process per file with ``RLIMIT_AS`` and a deadline: a file that makes them
loop or swell kills that process only. Every refusal is an :class:`UnreadableCv` with a French
message for the person who sent it.
"""

from __future__ import annotations

import io
import multiprocessing
import resource
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.connection import Connection
from pathlib import PurePosixPath

from matcher.core.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
MAX_PAGES = 30
MAX_TEXT_CHARS = 200_000
MAX_INFLATED_BYTES = 60 * 1024 * 1024  # all parts of a DOCX/ODT, once inflated
MAX_RATIO = 150  # inflated / compressed, per part: real documents stay far below
NO_TEXT = "aucun texte trouvé : remplissez le profil à la main ou déposez un PDF texte"


class CvFormat(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    ODT = "odt"
    TEXT = "txt"


EXTENSIONS = {
    ".pdf": CvFormat.PDF,
    ".docx": CvFormat.DOCX,
    ".odt": CvFormat.ODT,
    ".txt": CvFormat.TEXT,
    ".text": CvFormat.TEXT,
}
_LABELS = {
    CvFormat.PDF: "PDF",
    CvFormat.DOCX: "Word (.docx)",
    CvFormat.ODT: "OpenDocument (.odt)",
    CvFormat.TEXT: "texte",
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


class UnreadableCv(InvalidInput):
    """A CV the service will not read: the message says why and what to do instead."""

    title = "CV illisible"

    def __init__(self, detail: str) -> None:
        super().__init__("file", detail)


@dataclass(frozen=True)
class Limits:
    seconds: float = 15.0
    memory_mb: int = 768
    pages: int = MAX_PAGES


def detect(data: bytes, filename: str) -> CvFormat:
    """The CV's format from its bytes; refuses empty or oversized files, macros, bombs and lying names."""
    if not data:
        raise UnreadableCv("le fichier est vide")
    if len(data) > MAX_BYTES:
        raise UnreadableCv(f"fichier trop volumineux ({len(data) / 1_048_576:.1f} Mo ; 5 Mo au plus)")
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix in (".docm", ".dotm", ".doc", ".xlsm"):
        raise UnreadableCv(
            "les documents Word avec macros ou au format ancien (.doc, .docm) ne sont pas acceptés : "
            "enregistrez votre CV en PDF ou en .docx"
        )
    if data.startswith(b"%PDF-"):
        found = CvFormat.PDF
    elif data.startswith(b"PK\x03\x04"):
        found = _archive_format(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableCv("ancien format Word (.doc) non accepté : enregistrez votre CV en PDF ou en .docx")
    elif _looks_like_text(data):
        found = CvFormat.TEXT
    else:
        raise UnreadableCv("format non reconnu : déposez un PDF, un .docx, un .odt ou un fichier texte")
    claimed = EXTENSIONS.get(suffix)
    if suffix and claimed is None:
        raise UnreadableCv(f"extension {suffix} non acceptée : PDF, .docx, .odt ou .txt")
    if claimed is not None and claimed is not found:
        raise UnreadableCv(
            f"l'extension {suffix} ne correspond pas au contenu du fichier ({_LABELS[found]}) : "
            "vérifiez le fichier ou renommez-le"
        )
    return found


def _archive_format(data: bytes) -> CvFormat:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableCv("archive endommagée : le document ne peut pas être ouvert") from None
    names = {p.filename for p in parts}
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise UnreadableCv("document avec macros refusé : enregistrez votre CV en PDF ou en .docx sans macros")
    inflated = sum(p.file_size for p in parts)
    if inflated > MAX_INFLATED_BYTES or any(
        p.file_size > 1_000_000 and p.file_size > MAX_RATIO * max(p.compress_size, 1) for p in parts
    ):
        raise UnreadableCv("archive anormale (contenu démesurément compressé) : fichier refusé")
    if "word/document.xml" in names:
        content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        if b"macroEnabled" in content_types:
            raise UnreadableCv("document avec macros refusé : enregistrez votre CV en PDF ou en .docx sans macros")
        return CvFormat.DOCX
    if "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE:
        return CvFormat.ODT
    raise UnreadableCv("archive non reconnue : déposez un PDF, un .docx, un .odt ou un fichier texte")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls <= len(sample) // 100


def extract_text(data: bytes, filename: str = "", *, limits: Limits | None = None) -> tuple[CvFormat, str]:
    """(format, text) of a CV; raises :class:`UnreadableCv` for anything the service will not read."""
    limits = limits or Limits()
    found = detect(data, filename)
    text = _decode(data) if found is CvFormat.TEXT else _in_child(found, data, limits)
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if not any(ch.isalpha() for ch in text):
        raise UnreadableCv(NO_TEXT)
    return found, text[:MAX_TEXT_CHARS]


def read_trusted(data: bytes, filename: str = "") -> tuple[CvFormat, str]:
    """Like :func:`extract_text` but in this process: for files the service wrote itself (the corpus)."""
    found = detect(data, filename)
    readers = {CvFormat.PDF: _read_pdf, CvFormat.DOCX: _read_docx, CvFormat.ODT: _read_odt}
    text = _decode(data) if found is CvFormat.TEXT else readers[found](data, Limits())
    return found, text


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _in_child(found: CvFormat, data: bytes, limits: Limits) -> str:
    context = multiprocessing.get_context("spawn")  # never fork a threaded server
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, found.value, data, limits), daemon=True)
    process.start()
    send.close()
    try:
        if not receive.poll(limits.seconds):
            raise UnreadableCv("lecture du fichier trop longue : il est peut-être endommagé ; essayez un autre format")
        try:
            outcome = receive.recv()
        except EOFError:  # the child died (memory limit, crash in a parser)
            raise UnreadableCv(
                "le fichier n'a pas pu être lu (trop lourd ou endommagé) : essayez un PDF texte"
            ) from None
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join(5)
        process.close()
    kind, value = outcome
    if kind == "error":
        raise UnreadableCv(str(value))
    return str(value)


def _child(send: Connection, fmt: str, data: bytes, limits: Limits) -> None:
    """Runs in the child: limit memory and CPU, read, send ("text", …) or ("error", message)."""
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    try:
        readers = {"pdf": _read_pdf, "docx": _read_docx, "odt": _read_odt}
        send.send(("text", readers[fmt](data, limits)))
    except UnreadableCv as error:
        send.send(("error", error.detail))
    except MemoryError:
        send.send(("error", "le fichier demande trop de mémoire pour être lu : essayez un PDF texte"))
    except Exception:
        send.send(("error", "le fichier est endommagé ou d'un format inattendu : essayez un autre format"))
    finally:
        send.close()


def _read_pdf(data: bytes, limits: Limits) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            opened = bool(reader.decrypt(""))  # an empty user password only restricts printing or copying
        except Exception:  # unknown encryption: refused like a password
            opened = False
        if not opened:
            raise UnreadableCv("PDF protégé par un mot de passe : déposez une version sans protection")
    pages = len(reader.pages)
    if pages > limits.pages:
        raise UnreadableCv(f"trop de pages ({pages} ; un CV en compte au plus {limits.pages})")
    texts: list[str] = []
    size = 0
    for page in reader.pages:
        text = page.extract_text() or ""
        texts.append(text)
        size += len(text)
        if size > MAX_TEXT_CHARS:
            break
    return "\n".join(texts)


def _read_docx(data: bytes, limits: Limits) -> str:
    from docx import Document
    from docx.table import Table

    document = Document(io.BytesIO(data))
    lines: list[str] = []
    for section in document.sections:
        for paragraph in section.header.paragraphs:
            lines.append(paragraph.text)
        for table in section.header.tables:
            lines.extend(_table_lines(table))

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _table_lines(table: object) -> list[str]:
    """Cell by cell, row by row (a two-column CV laid out in a table reads column after column)."""
    from docx.table import Table

    assert isinstance(table, Table)
    lines: list[str] = []
    columns = max((len(row.cells) for row in table.rows), default=0)
    for column in range(columns):
        seen: set[int] = set()
        for row in table.rows:
            if column >= len(row.cells):
                continue
            cell = row.cells[column]
            if id(cell._tc) in seen:  # merged cells repeat
                continue
            seen.add(id(cell._tc))
            for block in cell.iter_inner_content():
                if isinstance(block, Table):
                    lines.extend(_table_lines(block))
                else:
                    lines.append(block.text)
    return lines


def _read_odt(data: bytes, limits: Limits) -> str:
    from odf import teletype
    from odf.opendocument import load

    document = load(io.BytesIO(data))
    lines: list[str] = []

    def walk(node: object) -> None:
        for child in getattr(node, "childNodes", []):
            if getattr(child, "qname", (None, None))[1] in ("p", "h"):
                lines.append(teletype.extractText(child))
            else:
                walk(child)

    walk(document.text)
    return "\n".join(lines)
