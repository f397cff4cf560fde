"""What the index stores per chunk, and the citation that points back to the document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from assistant.vocabulary import Collection as Collection


class ChunkRecord(BaseModel):
    id: str
    text: str
    collection: Collection
    source: str = Field(description="File path as ingested, relative to the ingested folder.")
    title: str
    page: int | None = None
    section: str = ""
    chunk_index: int = Field(ge=0)
    content_hash: str = Field(description="SHA-256 of the file's bytes when it was ingested.")
    ingested_at: datetime
    language: str
    origin: str = Field(
        default="", description="The folder or file this chunk was ingested from, for --prune."
    )

    @property
    def citation(self) -> str:
        parts = [self.source]
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.section:
            parts.append(f"§ {self.section}")
        return ", ".join(parts)

    def to_metadata(self) -> dict[str, str | int]:
        """Flat metadata for Chroma, which accepts neither None nor nested values."""
        metadata: dict[str, str | int] = {
            "collection": self.collection.value,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "chunk_index": self.chunk_index,
            "content_hash": self.content_hash,
            "ingested_at": self.ingested_at.isoformat(),
            "language": self.language,
            "origin": self.origin,
        }
        if self.page is not None:
            metadata["page"] = self.page
        return metadata

    @classmethod
    def from_stored(cls, chunk_id: str, text: str, metadata: dict[str, Any]) -> ChunkRecord:
        return cls.model_validate({**metadata, "id": chunk_id, "text": text})
