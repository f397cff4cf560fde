"""Opening Chroma: a local folder by default, a Chroma server when ``chroma_url`` is set."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assistant.config import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


def open_chroma(settings: Settings) -> ClientAPI:
    """A Chroma client for the configured store. Telemetry is always off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlsplit(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
