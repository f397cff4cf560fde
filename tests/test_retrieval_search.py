"""What a search retrieves, pinned, and what it asks Chroma for: the passages' text comes from
the lexical index when that index is the store's (no ingest under way), from Chroma otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection as ChromaCollection

from assistant.config import Settings
from assistant.llm import embedder_for
from assistant.retrieval.knowledge_base import KnowledgeBase
from assistant.retrieval.records import ChunkRecord, Collection
from tests.support.records import MonotonicClock

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"

# (query, collection, k) → (chunk id, dense rank, lexical rank, fused score) of each hit, as
# retrieved before the search asked Chroma for distances only: the interviewer's grounding
# queries (its phase's words and the employee's answer) and searches over both collections.
Pinned = tuple[str, int | None, int | None, float]
PINNED: list[tuple[str, Collection | None, int, list[Pinned]]] = [
    (
        "procédure étapes Je prépare les commandes des clients le matin, puis je les vérifie.",
        Collection.COMPANY,
        3,
        [
            ("company:example-company/procedure-premiere-visite.md#10", 9, 1, 0.656861),
            ("company:example-company/procedure-premiere-visite.en.md#0", 1, 4, 0.600868),
            ("company:example-company/procedure-premiere-visite.en.md#12", 2, 6, 0.501089),
        ],
    ),
    (
        "relations partenaires familles On appelle la famille quand l'intervenante est absente.",
        Collection.COMPANY,
        3,
        [
            ("company:example-company/fiche-poste-charge-accueil.md#7", 1, 1, 1.0),
            ("company:example-company/fiche-poste-charge-accueil.md#2", 3, 3, 0.745622),
            ("company:example-company/fiche-poste-coordinateur-secteur.md#2", 6, 2, 0.588362),
        ],
    ),
    (
        "software application tool I enter my visits in the scheduling software every evening.",
        Collection.COMPANY,
        3,
        [
            ("company:example-company/procedure-absence-remplacement.en.md#2", 4, 1, 0.849942),
            ("company:example-company/procedure-premiere-visite.md#8", 1, 18, 0.585714),
            ("company:example-company/procedure-absence-remplacement.en.md#11", 5, 8, 0.52029),
        ],
    ),
    (
        "remplacement d'une auxiliaire malade",
        None,
        8,
        [
            ("company:example-company/fiche-poste-auxiliaire-de-vie-sociale.md#2", 4, 3, 0.892744),
            ("company:example-company/fiche-poste-auxiliaire-de-vie-sociale.md#0", 1, 7, 0.634111),
            ("company:example-company/procedure-absence-remplacement.md#6", 17, 1, 0.621806),
            ("company:example-company/fiche-poste-auxiliaire-de-vie-sociale.md#4", 2, 12, 0.570172),
            ("company:example-company/fiche-poste-auxiliaire-de-vie-sociale.md#6", 3, 9, 0.538261),
            ("company:example-company/procedure-absence-remplacement.md#3", 26, 2, 0.51158),
            (
                "company:example-company/fiche-poste-auxiliaire-de-vie-sociale.md#10",
                5,
                13,
                0.488203,
            ),
            ("company:example-company/fiche-poste-auxiliaire-de-vie-sociale.md#1", 7, 15, 0.435389),
        ],
    ),
    (
        "biens relationnels",
        None,
        8,
        [
            ("sources:sources/relational-goods.fr.md#10", 1, 4, 0.927744),
            ("sources:sources/relational-goods.fr.md#13", 2, 5, 0.830536),
            ("sources:sources/relational-goods.fr.md#11", 4, 6, 0.821621),
            ("sources:sources/relational-goods.fr.md#1", 7, 2, 0.810173),
            ("sources:sources/relational-goods.fr.md#3", 13, 1, 0.80359),
            ("sources:sources/relational-goods.fr.md#14", 3, 9, 0.801201),
            ("sources:sources/relational-goods.fr.md#8", 6, 7, 0.794702),
            ("sources:sources/relational-goods.fr.md#15", 12, 3, 0.751232),
        ],
    ),
]

SHIFTS = (
    "# Planning\n\nLe planning des tournées du week-end est préparé le jeudi par la "
    "coordinatrice de secteur, puis envoyé aux intervenants.\n"
)
LEAVE = (
    "# Congés\n\nLes congés sont posés dans le logiciel avant le 15 du mois; la responsable "
    "les valide sous huit jours.\n"
)
ASKED = ("planning des tournées du week-end", "poser ses congés dans le logiciel")


@pytest.fixture
def chroma_includes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """What each Chroma query asks for (``include``), in order."""
    asked: list[list[str]] = []
    query = ChromaCollection.query

    def recording(self: ChromaCollection, *args: Any, **kwargs: Any) -> Any:
        asked.append(list(kwargs.get("include", [])))
        return query(self, *args, **kwargs)

    monkeypatch.setattr(ChromaCollection, "query", recording)
    return asked


async def _ingested(
    settings: Settings, folder: Path, clock: MonotonicClock | None = None
) -> KnowledgeBase:
    base = KnowledgeBase(settings, embedder_for(settings), clock=clock or MonotonicClock())
    report = await base.ingest(base.files([folder], None))
    assert report.ok
    assert report.vectors_missing == 0
    return base


@pytest.fixture
def clock() -> MonotonicClock:
    return MonotonicClock()


@pytest.fixture
async def small(settings: Settings, tmp_path: Path, clock: MonotonicClock) -> KnowledgeBase:
    folder = tmp_path / "company"
    folder.mkdir()
    (folder / "planning.md").write_text(SHIFTS, encoding="utf-8")
    (folder / "conges.md").write_text(LEAVE, encoding="utf-8")
    return await _ingested(settings, folder, clock)


async def _vectors(base: KnowledgeBase, text: str) -> list[list[float]]:
    assert base.embedder is not None
    return await base.embedder.embed([text])


def _held(base: KnowledgeBase) -> dict[str, ChunkRecord]:
    return {record.id: record for record in base.store.records()}


@pytest.mark.slow
async def test_what_a_search_retrieves_is_pinned(settings: Settings, tmp_path: Path) -> None:
    shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    base = await _ingested(settings, tmp_path / "knowledge")
    held = _held(base)
    retriever = base.retriever()
    for query, collection, k, expected in PINNED:
        hits = (await retriever.search(query, k=k, collection=collection)).hits
        got = [(hit.id, hit.dense_rank, hit.lexical_rank) for hit in hits]
        assert got == [(chunk_id, dense, lexical) for chunk_id, dense, lexical, _ in expected]
        assert [hit.score for hit in hits] == pytest.approx([row[3] for row in expected], 1e-4)
        for hit in hits:  # each passage as the vector store holds it
            record = held[hit.id]
            assert (hit.text, hit.citation, hit.title) == (
                record.text,
                record.citation,
                record.title,
            )


async def test_with_no_ingest_under_way_chroma_is_asked_for_distances_only(
    small: KnowledgeBase, chroma_includes: list[list[str]]
) -> None:
    held = _held(small)
    small.settings = small.settings.model_copy(update={"exact_search_max_passages": 0})
    retriever = small.retriever()
    for query in ASKED:
        result = await retriever.search(query, k=2, collection=Collection.COMPANY)
        assert result.hits
        assert all(hit.text == held[hit.id].text for hit in result.hits)
        assert any(hit.dense_rank is not None for hit in result.hits)
    assert chroma_includes == [["distances"]] * len(ASKED)


async def test_during_an_ingest_dense_hits_carry_the_text_chroma_holds(
    small: KnowledgeBase, clock: MonotonicClock, chroma_includes: list[list[str]]
) -> None:
    retriever = small.retriever()
    [leave] = [record for record in _held(small).values() if record.source == "conges.md"]
    # An ingest under way has rewritten a passage in Chroma, and its vector is now the
    # nearest to a query it shares no word with; the saved lexical index holds its old text.
    small.database.knowledge.ingest_started()  # as another process would: not through small
    rewritten = leave.model_copy(update={"text": "Les congés se posent désormais en ligne."})
    small.store.add([rewritten], await _vectors(small, ASKED[0]))
    clock.past_the_index_check()  # the retriever learns of the ingest at its next check
    hits = (await retriever.search(ASKED[0], k=2, collection=Collection.COMPANY)).hits
    [hit] = [hit for hit in hits if hit.id == leave.id]
    assert (hit.dense_rank, hit.lexical_rank) == (1, None)
    assert hit.text == rewritten.text
    assert chroma_includes[-1] == ["documents", "metadatas", "distances"]


async def test_a_dense_hit_the_index_lacks_is_read_from_chroma(small: KnowledgeBase) -> None:
    [vector] = await _vectors(small, ASKED[1])
    whole = small.store.nearest(vector, 4, collection=Collection.COMPANY)
    known = {record.id: record for record, _ in whole[1:]}  # the nearest one is missing
    assert small.store.nearest(vector, 4, collection=Collection.COMPANY, known=known) == whole
    assert small.store.nearest(vector, 4, collection=Collection.COMPANY, known={}) == whole
