"""Text bytes to text: which encoding, and whether the bytes are text at all.

A byte-order mark wins, then UTF-8 (strict), then the charset a document declares (an HTML
page's). Otherwise charset-normalizer is asked, and its answer is kept when it finds text in a
non-Latin script (Cyrillic, Greek…); for everything else Windows-1252 is used, as browsers do for
Western European text: on short French texts charset-normalizer often answers mac_latin2, cp1006
or big5, which would turn "é" into "ť" or worse. Bytes with NUL characters or many control
characters are rejected as not text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from assistant.retrieval.loaders.errors import DocumentError, DocumentErrorKind

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Charset-normalizer's answer is kept when it finds at least this many letters of a non-Latin
# script making up most of the non-ASCII letters.
_MIN_NON_LATIN_LETTERS = 20

# Control characters that have no business in text (tabs, line and page breaks do).
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Share of control characters above which decoded bytes are not text.
_MAX_CONTROL_RATIO = 0.01


def decode_text(path: Path, data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode text bytes, returning the text and the codec used; NOT_TEXT when they are not."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(path, data.decode(codec), codec), codec
            except UnicodeDecodeError as error:
                raise _not_text(path, f"invalid {codec} after a byte-order mark") from error
    if b"\x00" in data:
        raise _not_text(path, "it contains NUL bytes, so it is binary")
    try:
        return _checked(path, data.decode("utf-8"), "utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass

    # Imported here: most files are UTF-8, and the command line must start fast.
    import charset_normalizer

    candidates: list[str | None] = [declared]
    detected = charset_normalizer.from_bytes(data).best()
    guess = detected.encoding if detected is not None else None
    if guess and _mostly_non_latin(str(detected)):
        candidates.append(guess)
    candidates += ["cp1252", guess]
    for candidate in candidates:
        name = _codec_name(candidate) if candidate else None
        if name is None:
            continue
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        return _checked(path, text, name), name
    raise _not_text(path, "its bytes are in no text encoding Terrain recognises")


def _codec_name(name: str) -> str | None:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # ISO-8859-1 is, in practice, Windows-1252 (which adds œ, €, ’ …): browsers treat it so too.
    return "cp1252" if codec in {"iso8859-1", "latin-1", "ascii"} else codec


def _mostly_non_latin(text: str) -> bool:
    letters = [char for char in text[:100_000] if not char.isascii() and char.isalpha()]
    non_latin = [char for char in letters if not unicodedata.name(char, "").startswith("LATIN")]
    return len(non_latin) >= _MIN_NON_LATIN_LETTERS and len(non_latin) * 2 > len(letters)


def _checked(path: Path, text: str, codec: str) -> str:
    """Reject decoded 'text' that is really binary: NULs or many control characters."""
    if "\x00" in text:
        raise _not_text(path, f"it contains NUL characters (read as {codec})")
    controls = len(_BINARY_CONTROL.findall(text))
    if text and controls / len(text) > _MAX_CONTROL_RATIO:
        raise _not_text(path, f"{controls} control characters in {len(text)}, so binary")
    return text.removeprefix("\ufeff")


def _not_text(path: Path, reason: str) -> DocumentError:
    return DocumentError(path, DocumentErrorKind.NOT_TEXT, reason)
