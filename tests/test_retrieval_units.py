"""Text analysis, chunking and fusion: the deterministic pieces of retrieval."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import pytest

from assistant.retrieval.analysis import guess_language, passage_terms, query_terms
from assistant.retrieval.chunking import chunk_blocks
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.loaders import Block
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.search import _fuse
from assistant.text import fold_case_and_accents
from assistant.tokens import TokenCounter


def test_accents_are_folded_after_stemming() -> None:
    assert fold_case_and_accents("Écoute ÀÇÔ") == "ecoute aco"
    assert passage_terms("les réunions d'équipe") == query_terms("reunion equipe")


@pytest.mark.parametrize(
    ("passage", "query"),
    [
        ("Les bénéficiaires reçoivent une visite", "beneficiaire visites"),
        ("The care workers record visits", "care worker recording a visit"),
        ("La coordinatrice planifie les remplacements", "coordinatrices planifier remplacement"),
    ],
)
def test_word_forms_meet_on_the_same_terms(passage: str, query: str) -> None:
    assert set(query_terms(query)) & set(passage_terms(passage))
    assert len(set(query_terms(query)) & set(passage_terms(passage))) >= 2


def test_language_is_guessed_from_stop_words() -> None:
    assert guess_language("La visite se passe chez la personne et dure une heure.") == "fr"
    assert guess_language("The visit takes place at the person's home and lasts an hour.") == "en"


def _blocks(count: int, *, words: int = 40, page: int | None = None) -> list[Block]:
    return [
        Block(
            text=" ".join(f"mot{i}_{j}" for j in range(words)), heading_path=("A", "B"), page=page
        )
        for i in range(count)
    ]


def test_chunks_respect_the_budget_and_keep_their_place() -> None:
    counter = TokenCounter()
    chunks = chunk_blocks(_blocks(30, page=3), counter, max_tokens=200, overlap_tokens=40)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.tokens <= 200
        assert chunk.tokens == counter.count(chunk.text)
        assert chunk.section == "A > B"
        assert chunk.page == 3


def test_neighbouring_chunks_overlap() -> None:
    chunks = chunk_blocks(_blocks(20, words=10), TokenCounter(), max_tokens=200, overlap_tokens=90)
    assert len(chunks) > 3
    for previous, following in pairwise(chunks):
        carried = following.text.split("\n\n")[0]
        assert previous.text.split("\n\n")[-1] != following.text.split("\n\n")[-1]
        assert carried in previous.text.split("\n\n")


def test_a_chunk_never_spans_two_pages_or_sections() -> None:
    blocks = [
        Block("premier paragraphe", ("Intro",), 1),
        Block("second paragraphe", ("Intro",), 2),
        Block("troisième", ("Suite",), 2),
    ]
    chunks = chunk_blocks(blocks, TokenCounter(), max_tokens=300, overlap_tokens=0)
    assert [(c.page, c.section) for c in chunks] == [(1, "Intro"), (2, "Intro"), (2, "Suite")]


def test_a_block_longer_than_a_chunk_is_cut_into_windows() -> None:
    long_block = _blocks(1, words=600)
    chunks = chunk_blocks(long_block, TokenCounter(), max_tokens=100, overlap_tokens=0)
    assert len(chunks) > 5
    assert all(chunk.tokens <= 101 for chunk in chunks)


def _record(chunk_id: str, text: str, collection: Collection = Collection.COMPANY) -> ChunkRecord:
    return ChunkRecord(
        id=chunk_id,
        text=text,
        collection=collection,
        source=f"{chunk_id}.md",
        title="Titre",
        chunk_index=0,
        content_hash="0" * 64,
        ingested_at=datetime.now(UTC),
        language="fr",
    )


def test_lexical_search_ranks_and_filters() -> None:
    index = LexicalIndex.build(
        [
            _record("a", "La facture est envoyée en fin de mois."),
            _record("b", "La première visite dure quarante-cinq minutes."),
            _record("c", "Les visites du soir sont courtes.", Collection.SOURCES),
        ]
    )
    best, _ = index.search("durée de la premiere visite", 3)[0]
    assert best.id == "b"
    only_sources = index.search("visite", 3, {"collection": "sources"})
    assert [r.id for r, _ in only_sources] == ["c"]
    assert index.search("zzzz", 3) == []
    assert LexicalIndex.build([]).search("visite", 3) == []


def test_saved_lexical_index_round_trips() -> None:
    index = LexicalIndex.build([_record("a", "accueil du public"), _record("b", "facturation")])
    loaded = LexicalIndex.from_blobs(index.records_blob(), index.bm25_blob())
    assert loaded.marker == index.marker
    assert loaded.records == index.records
    assert [r.id for r, _ in loaded.search("accueillir", 2)] == ["a"]
    empty = LexicalIndex.build([])
    assert LexicalIndex.from_blobs(empty.records_blob(), empty.bm25_blob()).search("a", 1) == []


def test_fusion_rewards_agreement_and_keeps_margins() -> None:
    a, b, c, d = (_record(name, name) for name in "abcd")
    dense = [(a, 0.9), (b, 0.8), (c, 0.1)]
    lexical = [(b, 5.0), (c, 4.0), (d, 1.0)]
    hits = _fuse(dense, lexical, 4)
    # Rescaled: dense a 1, b 0.875, c 0; lexical b 1, c 0.75, d 0.
    assert [hit.id for hit in hits] == ["b", "a", "c", "d"]
    assert [round(hit.score, 4) for hit in hits] == [0.9375, 0.5, 0.375, 0.0]
    assert (hits[0].dense_rank, hits[0].lexical_rank) == (2, 1)
    assert (hits[3].dense_rank, hits[3].lexical_rank) == (None, 3)
