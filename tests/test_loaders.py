"""load_document: every format, every encoding trap, every bad file, all made in tmp_path."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from assistant.errors import TerrainError
from assistant.retrieval.loaders import (
    SUPPORTED_SUFFIXES,
    Block,
    DocumentError,
    DocumentErrorKind,
    LoadedDocument,
    load_document,
)

MAX = 5_000_000


def load(path: Path, *, max_bytes: int = MAX) -> LoadedDocument:
    return load_document(path, max_bytes=max_bytes)


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def texts(document: LoadedDocument) -> list[str]:
    return [block.text for block in document.blocks]


def all_text(document: LoadedDocument) -> str:
    return "\n".join(texts(document) + [h for b in document.blocks for h in b.heading_path])


def block_with(document: LoadedDocument, needle: str) -> Block:
    found = [block for block in document.blocks if needle in block.text]
    assert len(found) == 1, (needle, texts(document))
    return found[0]


def assert_clean(document: LoadedDocument) -> None:
    assert document.blocks
    for block in document.blocks:
        assert block.text
        assert block.text == block.text.strip()
        for line in block.text.split("\n"):
            assert line
            assert "  " not in line
            assert not {"\t", "\r"} & set(line)


# --------------------------------------------------------------------------------------------
# Generated documents


def pdf_bytes(pages: list[str], *, title: str | None = None) -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def three_page_pdf() -> bytes:
    return pdf_bytes(
        [
            "Accueil des nouveaux salariés. Le premier jour commence à 9 heures.",
            "Page two talks about the badge office and the canteen.",
            "Page three covers leaving: return the badge on the last day.",
        ],
        title="Livret d'accueil",
    )


def encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(three_page_pdf())))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 120, 160, style="F")  # a picture, no text
    return bytes(pdf.output())


def docx_bytes(build: Callable[[docx.document.Document], object]) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def guide_docx(document: docx.document.Document) -> None:
    document.add_heading("Guide d'accueil", 0)  # the "Title" style
    document.add_paragraph("Bienvenue dans l'équipe.")
    document.add_heading("Arrivée", 1)
    document.add_paragraph("")
    document.add_paragraph("   ")
    document.add_paragraph("Le premier jour\tcommence   à 9 h.")
    document.add_heading("Badge", 2)
    document.add_paragraph("Demander le badge à l'accueil.")
    table = document.add_table(rows=3, cols=3)
    rows = [["Nom", "Rôle", "Bureau"], ["Alice", "RH", "2.14"], ["Bob", "", ""]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged = table.cell(2, 1).merge(table.cell(2, 2))
    merged.text = "Informatique, bureau 3"
    document.add_heading("Départ", 1)
    document.add_paragraph("Rendre le badge.")


# --------------------------------------------------------------------------------------------
# Markdown


MARKDOWN = """\
---
title: front matter title
secret: front-matter-value
---

# Procédure d'accueil

Intro with *emphasis*, **strong**, `code`, ~~struck~~ and a [link text](https://example.com/url-hidden).
Second line of the same paragraph.

## Badge

- first item
- second item with [another link](http://example.org/other)
  - nested item

> A quoted sentence.

```python
def   hello():
    return 1
```

| Nom | Rôle |
| --- | ---- |
| Alice | RH |

### Deeper

Deep paragraph.

## Sibling

Sibling paragraph.

# Second top

Top paragraph.
"""


def test_markdown_headings_blocks_and_inline_markup(tmp_path: Path) -> None:
    document = load(write(tmp_path, "guide.md", MARKDOWN))

    assert document.title == "Procédure d'accueil"
    assert document.encoding == "utf-8"
    assert document.pages is None
    assert_clean(document)
    intro = block_with(document, "Intro")
    assert intro.text == (
        "Intro with emphasis, strong, code, struck and a link text. "
        "Second line of the same paragraph."
    )
    assert intro.heading_path == ("Procédure d'accueil",)
    assert intro.page is None
    badge = ("Procédure d'accueil", "Badge")
    assert block_with(document, "first item").heading_path == badge
    assert block_with(document, "second item").text == "second item with another link"
    assert block_with(document, "nested item").heading_path == badge
    assert block_with(document, "quoted").text == "A quoted sentence."
    assert block_with(document, "hello").text == "def hello():\nreturn 1"
    assert block_with(document, "Alice").text == "Alice | RH"
    assert block_with(document, "Nom").text == "Nom | Rôle"
    assert block_with(document, "Deep").heading_path == (*badge, "Deeper")
    assert block_with(document, "Sibling par").heading_path == ("Procédure d'accueil", "Sibling")
    assert block_with(document, "Top par").heading_path == ("Second top",)

    everything = all_text(document)
    for hidden in ("https://", "example.com", "url-hidden", "front-matter-value", "*", "`", "~~"):
        assert hidden not in everything


def test_markdown_without_h1_uses_the_file_stem_and_keeps_lone_headings(tmp_path: Path) -> None:
    document = load(write(tmp_path, "notes-réunion.markdown", "## Only\n\n### Headings\n"))
    assert document.title == "notes-réunion"
    assert [(b.text, b.heading_path) for b in document.blocks] == [
        ("Only", ()),
        ("Headings", ("Only",)),
    ]


def test_markdown_raw_html_keeps_visible_text_only(tmp_path: Path) -> None:
    source = "# T\n\n<div>Visible <b>bold</b><script>secret()</script></div>\n\n<!-- note -->\n"
    document = load(write(tmp_path, "raw.md", source))
    assert texts(document) == ["Visible bold"]
    assert document.blocks[0].heading_path == ("T",)


FRENCH = "# Été\n\nÀ côté, l’œuvre d’un cœur « déjà » célèbre — voilà.\n"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
def test_markdown_encodings(tmp_path: Path, encoding: str) -> None:
    document = load(write(tmp_path, "fr.md", FRENCH, encoding))
    assert document.encoding == encoding
    assert document.title == "Été"
    assert texts(document) == ["À côté, l’œuvre d’un cœur « déjà » célèbre — voilà."]


def test_latin1_bytes_are_read_as_windows_1252(tmp_path: Path) -> None:
    document = load(write(tmp_path, "court.txt", "Café à côté\n\nNoël", "latin-1"))
    assert texts(document) == ["Café à côté", "Noël"]
    assert document.encoding == "cp1252"


def test_non_latin_legacy_encoding_is_still_detected(tmp_path: Path) -> None:
    russian = "Привет, это тестовый текст на русском языке для проверки кодировки.\n" * 3
    document = load(write(tmp_path, "ru.txt", russian, "cp1251"))
    assert document.encoding == "cp1251"
    assert texts(document)[0].startswith("Привет, это")


def test_utf16_with_bom(tmp_path: Path) -> None:
    document = load(write(tmp_path, "u16.txt", "Bonjour l’été", "utf-16"))
    assert texts(document) == ["Bonjour l’été"]
    assert document.encoding == "utf-16"


def test_awkward_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, 'Procédure d\'accueil "v2" final.md', "Texte simple.\n")
    document = load(path)
    assert document.title == 'Procédure d\'accueil "v2" final'
    assert texts(document) == ["Texte simple."]


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert texts(load(write(tmp_path, "LISEZMOI.TXT", "bonjour"))) == ["bonjour"]
    assert load(write(tmp_path, "Page.HTM", "<h1>Hi</h1><p>x</p>")).title == "Hi"


# --------------------------------------------------------------------------------------------
# Plain text


def test_plain_text_paragraphs(tmp_path: Path) -> None:
    source = (
        "  First   paragraph\r\nstill first.\r\n\r\n\t\nSecond\u00a0one.\n\n\n# not a heading\n"
    )
    document = load(write(tmp_path, "notes.text", source))
    assert document.title == "notes"
    assert [(b.text, b.heading_path, b.page) for b in document.blocks] == [
        ("First paragraph\nstill first.", (), None),
        ("Second one.", (), None),
        ("# not a heading", (), None),
    ]


# --------------------------------------------------------------------------------------------
# HTML

HTML = """<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>Intranet – Accueil</title>
  <style>.secret-style { color: red }</style>
  <script>var secretScript = 1;</script>
</head>
<body>
  <noscript>secret noscript</noscript>
  <template><p>secret template</p></template>
  <svg><text>secret svg</text></svg>
  <!-- secret comment -->
  <h1>Bienvenue</h1>
  <p>Visible <b>bold</b> and
     <a href="https://example.com/secret-url">link text</a>.</p>
  <div style="DISPLAY : None">secret display none <p>secret nested</p></div>
  <div style="color: red; visibility:hidden">secret visibility</div>
  <p hidden>secret hidden attribute</p>
  <p>Shown <span aria-hidden="true">secret aria</span>sentence.</p>
  <input type="hidden" name="token" value="secret-input">
  <h2>Équipe</h2>
  <div>Loose div text<p>inner paragraph</p>tail text</div>
  <ul><li>item one<ul><li>item two</li></ul></li></ul>
  <table>
    <tr><th>Nom</th><th>Rôle</th></tr>
    <tr><td>Alice</td><td>RH</td></tr>
  </table>
  <blockquote>Quoted words.</blockquote>
  <pre>line   one
    line two</pre>
  <p>before<br>after break</p>
  <h3>Détails</h3>
  <p>Deep text.</p>
  <h2>Autre</h2>
  <p>Other section.</p>
</body>
</html>
"""


def test_html_hides_invisible_content_and_tracks_headings(tmp_path: Path) -> None:
    document = load(write(tmp_path, "accueil.html", HTML))

    assert document.title == "Intranet – Accueil"
    assert document.encoding == "utf-8"
    assert_clean(document)
    everything = all_text(document)
    assert "secret" not in everything.lower()
    assert "Intranet" not in everything  # <head> is not body text

    assert block_with(document, "Visible").text == "Visible bold and link text."
    assert block_with(document, "Visible").heading_path == ("Bienvenue",)
    assert block_with(document, "Shown").text == "Shown sentence."
    team = ("Bienvenue", "Équipe")
    for text in ("Loose div text", "inner paragraph", "tail text", "item one", "item two"):
        assert block_with(document, text).text == text
        assert block_with(document, text).heading_path == team
    assert block_with(document, "Nom").text == "Nom | Rôle"
    assert block_with(document, "Alice").text == "Alice | RH"
    assert block_with(document, "Quoted").text == "Quoted words."
    assert block_with(document, "line one").text == "line one\nline two"
    assert block_with(document, "before").text == "before\nafter break"
    assert block_with(document, "Deep").heading_path == (*team, "Détails")
    assert block_with(document, "Other").heading_path == ("Bienvenue", "Autre")


def test_html_nesting_deep_and_hidden_inside_hidden(tmp_path: Path) -> None:
    page = (
        "<div hidden><p hidden>gone</p><span style='display:none'>gone</span></div>"
        + "<div>" * 3000
        + "<h2>Deep <b>heading</b></h2><p>deep text</p>"
        + "</div>" * 3000
    )
    document = load(write(tmp_path, "deep.html", page))
    assert [(b.text, b.heading_path) for b in document.blocks] == [("deep text", ("Deep heading",))]


def test_html_title_falls_back_to_h1_then_stem(tmp_path: Path) -> None:
    assert load(write(tmp_path, "a.htm", "<h1>Premier</h1><p>x</p><h1>Second</h1>")).title == (
        "Premier"
    )
    assert load(write(tmp_path, "b.htm", "<p>Just text</p>")).title == "b"


def test_html_declared_legacy_charset(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="iso-8859-1"><title>Café</title></head>'
        "<body><p>Œuvre – l’été</p>"
    )
    document = load(write(tmp_path, "legacy.html", page, "cp1252"))
    assert document.title == "Café"
    assert texts(document) == ["Œuvre – l’été"]
    assert document.encoding == "cp1252"


def test_html_with_only_hidden_content_is_empty(tmp_path: Path) -> None:
    path = write(
        tmp_path, "blank.html", "<html><head><title>T</title></head><body><script>x</script>"
    )
    with pytest.raises(DocumentError) as caught:
        load(path)
    assert caught.value.kind is DocumentErrorKind.EMPTY


# --------------------------------------------------------------------------------------------
# PDF


def test_pdf_pages_are_numbered(tmp_path: Path) -> None:
    document = load(write(tmp_path, "livret.pdf", three_page_pdf()))

    assert document.pages == 3
    assert document.title == "Livret d'accueil"
    assert document.encoding is None
    assert_clean(document)
    assert block_with(document, "badge office").page == 2
    assert block_with(document, "premier jour").page == 1
    assert "à 9 heures" in block_with(document, "premier jour").text
    assert block_with(document, "leaving").page == 3
    assert all(block.heading_path == () for block in document.blocks)


def test_pdf_long_page_is_cut_into_blocks(tmp_path: Path) -> None:
    sentence = "This sentence fills the page with words so that the page is long. "
    document = load(write(tmp_path, "long.pdf", pdf_bytes([sentence * 60])))
    assert len(document.blocks) > 1
    assert all(len(block.text) <= 1500 for block in document.blocks)
    assert all(block.page == 1 for block in document.blocks)
    assert document.title == "long"


def test_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    document = load(write(tmp_path, "restricted.pdf", encrypted_pdf("")))
    assert block_with(document, "badge office").page == 2


# --------------------------------------------------------------------------------------------
# DOCX


def test_docx_headings_tables_and_title(tmp_path: Path) -> None:
    document = load(write(tmp_path, "guide.docx", docx_bytes(guide_docx)))

    assert document.title == "Guide d'accueil"
    assert document.encoding is None
    assert document.pages is None
    assert_clean(document)
    assert [(b.text, b.heading_path) for b in document.blocks] == [
        ("Bienvenue dans l'équipe.", ("Guide d'accueil",)),
        ("Le premier jour commence à 9 h.", ("Guide d'accueil", "Arrivée")),
        ("Demander le badge à l'accueil.", ("Guide d'accueil", "Arrivée", "Badge")),
        ("Nom | Rôle | Bureau", ("Guide d'accueil", "Arrivée", "Badge")),
        ("Alice | RH | 2.14", ("Guide d'accueil", "Arrivée", "Badge")),
        ("Bob | Informatique, bureau 3", ("Guide d'accueil", "Arrivée", "Badge")),
        ("Rendre le badge.", ("Guide d'accueil", "Départ")),
    ]


def test_docx_french_style_names_and_first_heading_title(tmp_path: Path) -> None:
    def build(document: docx.document.Document) -> None:
        for name in ("Titre 1", "Titre 2"):
            document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        document.add_paragraph("Avant-propos sans titre.")
        document.add_paragraph("Organisation", style="Titre 1")
        document.add_paragraph("Services", style="Titre 2")
        document.add_paragraph("Texte des services.")

    document = load(write(tmp_path, "organisation.docx", docx_bytes(build)))
    assert document.title == "Organisation"
    assert [(b.text, b.heading_path) for b in document.blocks] == [
        ("Avant-propos sans titre.", ()),
        ("Texte des services.", ("Organisation", "Services")),
    ]


def test_docx_reads_text_inside_content_controls(tmp_path: Path) -> None:
    def build(document: docx.document.Document) -> None:
        document.add_paragraph("Before the control.")
        inside = document.add_paragraph("Inside a content control.")
        sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
        inside._p.addprevious(sdt)
        sdt.append(content)
        content.append(inside._p)
        document.add_paragraph("After the control.")

    document = load(write(tmp_path, "controls.docx", docx_bytes(build)))
    assert texts(document) == [
        "Before the control.",
        "Inside a content control.",
        "After the control.",
    ]


# --------------------------------------------------------------------------------------------
# Bad files: each raises DocumentError of the right kind, naming the file, and nothing else


def _zip_without_word_parts() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    return out.getvalue()


def _random_without_nul() -> bytes:
    return bytes(b for b in random.Random(11).randbytes(4096) if b)


BAD_FILES: list[tuple[str, Callable[[], bytes], DocumentErrorKind, str]] = [
    ("empty.md", lambda: b"", DocumentErrorKind.EMPTY, "0 bytes"),
    ("blank.txt", lambda: b" \n\t\r\n  ", DocumentErrorKind.EMPTY, "whitespace"),
    ("empty.pdf", lambda: b"", DocumentErrorKind.EMPTY, "0 bytes"),
    ("front-only.md", lambda: b"---\na: 1\n---\n", DocumentErrorKind.EMPTY, "no visible text"),
    ("random.txt", lambda: random.Random(7).randbytes(4096), DocumentErrorKind.NOT_TEXT, "NUL"),
    ("noise.md", _random_without_nul, DocumentErrorKind.NOT_TEXT, ""),
    ("image.html", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", DocumentErrorKind.NOT_TEXT, ""),
    ("notes.odt", lambda: b"PK\x03\x04 odt", DocumentErrorKind.UNSUPPORTED, ".odt"),
    ("data.xyz", lambda: b"whatever", DocumentErrorKind.UNSUPPORTED, ".xyz"),
    ("Makefile", lambda: b"all:", DocumentErrorKind.UNSUPPORTED, "no extension"),
    ("truncated.pdf", lambda: three_page_pdf()[:900], DocumentErrorKind.CORRUPT, ""),
    ("garbage.pdf", lambda: b"%PDF-1.7\nnot really\n" * 20, DocumentErrorKind.CORRUPT, ""),
    ("text.pdf", lambda: b"hello, I am text", DocumentErrorKind.CORRUPT, ""),
    ("locked.pdf", lambda: encrypted_pdf("secret"), DocumentErrorKind.CORRUPT, "encrypted"),
    ("scan.pdf", scanned_pdf, DocumentErrorKind.EMPTY, "no extractable text (scanned image?"),
    ("text.docx", lambda: b"I am a text file named .docx", DocumentErrorKind.CORRUPT, "zip"),
    ("other.docx", _zip_without_word_parts, DocumentErrorKind.CORRUPT, "not a .docx package"),
    (
        "truncated.docx",
        lambda: docx_bytes(guide_docx)[:5000],
        DocumentErrorKind.CORRUPT,
        "",
    ),
    (
        "blank.docx",
        lambda: docx_bytes(lambda d: d.add_paragraph("  ")),
        DocumentErrorKind.EMPTY,
        "no text",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "kind", "reason"), BAD_FILES, ids=[row[0] for row in BAD_FILES]
)
def test_bad_files_raise_document_error(
    tmp_path: Path,
    name: str,
    make: Callable[[], bytes],
    kind: DocumentErrorKind,
    reason: str,
) -> None:
    path = write(tmp_path, name, make())
    with pytest.raises(DocumentError) as caught:
        load(path)
    error = caught.value
    assert type(error) is DocumentError
    assert isinstance(error, TerrainError)
    assert error.kind is kind
    assert error.path == path
    assert error.message.startswith(f"{name}: ")
    assert reason in error.message
    assert error.reason
    assert error.reason in error.message
    if kind is not DocumentErrorKind.EMPTY:
        assert error.fix
        assert error.fix in str(error)


def test_too_large_is_checked_before_anything_else(tmp_path: Path) -> None:
    path = write(tmp_path, "big.xyz", b"x" * 2000)  # unsupported too: size wins
    with pytest.raises(DocumentError) as caught:
        load(path, max_bytes=1000)
    assert caught.value.kind is DocumentErrorKind.TOO_LARGE
    assert str(caught.value).startswith("big.xyz: file too large (2,000 bytes, the limit is 1,000")
    assert caught.value.fix == "raise TERRAIN_MAX_FILE_MB or split the file"
    # Exactly at the limit is fine.
    assert texts(load(write(tmp_path, "ok.txt", b"y" * 1000), max_bytes=1000)) == ["y" * 1000]


def test_empty_is_checked_before_the_suffix(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        load(write(tmp_path, "nothing.xyz", b""))
    assert caught.value.kind is DocumentErrorKind.EMPTY


def test_unsupported_lists_supported_suffixes(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        load(write(tmp_path, "Compte rendu.ODT", b"PK"))
    assert caught.value.kind is DocumentErrorKind.UNSUPPORTED
    assert caught.value.fix is not None
    assert "save it as .docx or PDF" in caught.value.fix
    assert all(suffix in caught.value.fix for suffix in SUPPORTED_SUFFIXES)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        load(tmp_path / "absent.md")
    assert caught.value.message.startswith("absent.md: ")
    folder = tmp_path / "folder.md"
    folder.mkdir()
    with pytest.raises(DocumentError):
        load(folder)


def test_supported_suffixes() -> None:
    assert (
        frozenset({".md", ".markdown", ".txt", ".text", ".html", ".htm", ".pdf", ".docx"})
        == SUPPORTED_SUFFIXES
    )


# The parser libraries; reading a file of one format may import only its own.
PARSERS = ("pypdf", "docx", "bs4", "lxml", "markdown_it", "charset_normalizer")
IMPORTS_OF_A_READ = [
    ("notes.txt", "Une note en UTF-8, accentuée.", set()),
    # Markdown may hold HTML; Beautiful Soup brings charset-normalizer with it.
    (
        "guide.md",
        "# Guide\n\nLe premier jour.\n",
        {"markdown_it", "bs4", "lxml", "charset_normalizer"},
    ),
    ("page.html", "<p>Bonjour</p>", {"bs4", "lxml", "charset_normalizer"}),
    ("report.pdf", None, {"pypdf"}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "content", "needed"), IMPORTS_OF_A_READ)
def test_a_parser_is_imported_only_when_its_format_is_read(
    tmp_path: Path, name: str, content: str | None, needed: set[str]
) -> None:
    path = write(tmp_path, name, content if content is not None else pdf_bytes(["Un rapport."]))
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "import assistant.retrieval.loaders as loaders\n"
        f"parsers = {PARSERS!r}\n"
        "before = [name for name in parsers if name in sys.modules]\n"
        f"loaders.load_document(Path({str(path)!r}), max_bytes=10**6)\n"
        "print(json.dumps([before, [name for name in parsers if name in sys.modules]]))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    before, after = json.loads(ran.stdout)
    assert before == []
    assert set(after) == needed
