"""The file formats Terrain reads into the retrieval index, by suffix, and those it refuses."""

from __future__ import annotations

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIX = ".pdf"
DOCX_SUFFIX = ".docx"
SUPPORTED_SUFFIXES: frozenset[str] = (
    MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | frozenset({PDF_SUFFIX, DOCX_SUFFIX})
)

# What a file of each kind is called in messages.
LABELS = {
    ".md": "Markdown file",
    ".markdown": "Markdown file",
    ".txt": "text file",
    ".text": "text file",
    ".html": "HTML file",
    ".htm": "HTML file",
    PDF_SUFFIX: "PDF",
    DOCX_SUFFIX: "Word document",
}

# Formats people will try, with the way out.
CONVERSIONS = {
    ".odt": "OpenDocument text (.odt) is not read yet",
    ".doc": "old Word documents (.doc) are not read",
    ".rtf": "RTF documents are not read",
    ".pages": "Pages documents are not read",
}
