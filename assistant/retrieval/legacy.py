"""The knowledge base's files of versions that kept its state in the data folder.

``pending-passages.sqlite3`` (passages without vectors) and ``people-named.json`` (the people
company documents name) move into the database the first time a process of this version opens
the knowledge base there; ``lexical/`` and ``ingest-in-progress`` are only removed (the lexical
index is built again from the stores, since the database has none yet). The people are moved
rather than read again so that a report built before the next ingest still redacts them.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from assistant.store import Store
from assistant.store.knowledge import DocumentNames, PendingPassage

PENDING_FILE = "pending-passages.sqlite3"
PEOPLE_FILE = "people-named.json"
DERIVED = ("lexical", "lexical.old", "ingest-in-progress")


class _SavedDocument(BaseModel):
    content_hash: str
    names: list[str]
    terms: list[str] | None = None


class _SavedPeople(BaseModel):
    documents: dict[str, _SavedDocument] = {}


def adopt_local_files(data_dir: Path, store: Store) -> None:
    """Move what the data folder still keeps of the knowledge base into ``store``."""
    pending = data_dir / PENDING_FILE
    if pending.exists():
        with closing(sqlite3.connect(pending)) as connection:
            try:
                rows = list(
                    connection.execute(
                        "SELECT id, collection, source, content_hash, record FROM passage"
                    )
                )
            except sqlite3.DatabaseError:
                rows = []  # never written, or unreadable: the next ingest reads the files
        store.knowledge.put_pending([PendingPassage(*row) for row in rows])
        pending.unlink()
    people = data_dir / PEOPLE_FILE
    if people.exists():
        try:
            saved = _SavedPeople.model_validate_json(people.read_text(encoding="utf-8"))
        except (OSError, ValidationError):
            saved = _SavedPeople()
        if saved.documents and not store.knowledge.people():
            store.knowledge.publish(
                people={
                    source: DocumentNames(document.content_hash, document.names, document.terms)
                    for source, document in saved.documents.items()
                }
            )
        people.unlink()
    for name in DERIVED:
        path = data_dir / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
