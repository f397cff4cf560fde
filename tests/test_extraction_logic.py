"""Extraction's logic on an in-process model: windows, verified evidence and its repair,
merging, and the company passage a gap cites. No HTTP, no LangChain."""

from __future__ import annotations

import json

import pytest

from assistant.findings.codebook import load_codebook
from assistant.findings.extraction import Extractor
from assistant.llm import StructuredOutputError
from assistant.llm.testing import ModelRequest, ScriptedChatModel
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.search import Retriever
from assistant.schemas import Interview, Speaker
from assistant.tokens import TokenCounter
from tests.support.extraction import (
    INVENTED,
    NOW,
    TRANSCRIPT,
    coded_reply,
    findings,
    proposed,
    repaired,
    turn,
)

INTERVIEW = Interview(
    id="i1", pseudonym="Participant-TEST", language="fr", created_at=NOW, updated_at=NOW
)


def coder(request: ModelRequest) -> str:
    schema = request.json_schema or {}
    return coded_reply(request.last.content, schema.get("title"))


def extractor_on(model: ScriptedChatModel, retriever: Retriever | None = None) -> Extractor:
    return Extractor(
        model=model, codebook=load_codebook(), counter=TokenCounter(), retriever=retriever
    )


async def test_a_finding_keeps_the_employees_exact_words_and_its_provenance() -> None:
    model = ScriptedChatModel([findings(proposed(1, "« Je me suis assise avec elle »"))])
    report = await extractor_on(model).extract(INTERVIEW, TRANSCRIPT)
    assert report.model_calls == report.windows == 1
    [found] = report.findings
    [quote] = found.evidence
    assert quote.text == "Je me suis assise avec elle"  # without the quotation marks
    assert TRANSCRIPT[quote.turn_index].text[quote.start : quote.end] == quote.text
    assert (found.provenance.model, found.provenance.prompt, found.provenance.codebook) == (
        model.name,
        "findings.extract@1.0.0",
        "codebook@1.0.0",
    )
    # The output schema restricts codes to the codebook's.
    [request] = model.requests
    assert "empathy" in json.dumps(request.json_schema)


async def test_an_invented_quote_is_dropped_with_its_finding_when_repair_fails() -> None:
    model = ScriptedChatModel([findings(proposed(1, INVENTED)), repaired(None)])
    report = await extractor_on(model).extract(INTERVIEW, TRANSCRIPT)
    assert report.findings == []
    assert (report.dropped_quotes, report.dropped_findings, report.repaired_quotes) == (1, 1, 0)
    assert report.model_calls == 2  # the extraction and one repair request
    repair = model.requests[-1]
    assert (repair.json_schema or {}).get("title") == "RepairOutput"
    assert f"0. [1] {INVENTED}" in repair.last.content


async def test_a_repaired_quote_must_itself_be_the_employees_words() -> None:
    model = ScriptedChatModel(
        [
            findings(proposed(1, INVENTED), proposed(3, "elle s'est calmée tout de suite")),
            repaired("je l'ai écoutée", "elle s'est apaisée"),  # the second is still invented
        ]
    )
    report = await extractor_on(model).extract(INTERVIEW, TRANSCRIPT)
    [found] = report.findings
    assert found.evidence[0].text == "je l'ai écoutée"
    assert (report.repaired_quotes, report.dropped_quotes, report.dropped_findings) == (1, 1, 1)


async def test_a_finding_keeps_its_verified_quotes_when_another_is_invented() -> None:
    both = proposed(1, "je l'ai écoutée")
    both["quotes"].append({"turn": 1, "text": INVENTED})
    model = ScriptedChatModel([findings(both), repaired(None)])
    report = await extractor_on(model).extract(INTERVIEW, TRANSCRIPT)
    [found] = report.findings
    assert [quote.text for quote in found.evidence] == ["je l'ai écoutée"]
    assert (report.dropped_quotes, report.dropped_findings) == (1, 0)


async def test_malformed_output_twice_is_a_typed_failure() -> None:
    model = ScriptedChatModel(["pas du JSON", findings({"code": "inconnu"})])
    with pytest.raises(StructuredOutputError):
        await extractor_on(model).extract(INTERVIEW, TRANSCRIPT)
    assert len(model.requests) == 2


async def test_a_window_without_the_employees_words_costs_no_model_call() -> None:
    model = ScriptedChatModel()
    questions = [turn(0, "Et ensuite ?", Speaker.INTERVIEWER)]
    report = await extractor_on(model).extract(INTERVIEW, questions)
    assert (report.windows, report.model_calls, report.findings) == (0, 0, [])
    assert model.requests == []


async def test_a_long_transcript_is_split_and_its_findings_merged() -> None:
    filler = "Je raconte encore un détail de ma tournée, puis un autre, sans fin. " * 20
    turns = []
    for index in range(0, 200, 2):
        turns.append(turn(index, "Et ensuite ?", Speaker.INTERVIEWER))
        turns.append(turn(index + 1, f"Moment {index}. Mme R. m'a souri ce jour-là. {filler}"))
    counter = TokenCounter()
    assert sum(counter.count(t.text) for t in turns) > 30_000
    model = ScriptedChatModel(respond=coder)
    report = await extractor_on(model).extract(INTERVIEW, turns)
    assert report.windows > 8
    assert report.model_calls == report.windows == len(model.requests)
    assert report.largest_prompt_tokens < 8192
    # Each window codes its first employee turn: no turn is coded twice, overlap or not.
    indices = [f.evidence[0].turn_index for f in report.findings]
    assert len(indices) == len(set(indices)) == report.windows


def _company_passage(chunk_id: str, text: str, section: str) -> ChunkRecord:
    return ChunkRecord(
        id=chunk_id,
        text=text,
        collection=Collection.COMPANY,
        source="procedure-toilette.md",
        title="Procédure toilette",
        section=section,
        chunk_index=0,
        content_hash="0" * 64,
        ingested_at=NOW,
        language="fr",
    )


async def test_a_prescribed_gap_cites_the_company_passage_it_departs_from() -> None:
    passage = _company_passage(
        "toilette-duree",
        "La toilette dure 30 minutes, sans dépassement.",
        "Procédure toilette > Durée",
    )
    retriever = Retriever(None, LexicalIndex.build([passage]), None)  # lexical search alone
    said = "Normalement la toilette dure 30 minutes. Je reste souvent plus pour l'écouter."
    gap = "La procédure prévoit 30 minutes ; elle reste plus."
    model = ScriptedChatModel(
        [
            findings(
                proposed(
                    1,
                    "Je reste souvent plus pour l'écouter",
                    "care",
                    prescribed_gap=gap,
                    gap_passage="P1",
                ),
                proposed(
                    1,
                    "Normalement la toilette dure 30 minutes",
                    "trust",
                    prescribed_gap="Un écart sans passage valable.",
                    gap_passage="P9",
                ),
            )
        ]
    )
    turns = [turn(0, "Et la toilette ?", Speaker.INTERVIEWER), turn(1, said)]
    report = await extractor_on(model, retriever).extract(INTERVIEW, turns)
    assert '<passage id="P1" source="procedure-toilette.md' in model.requests[0].last.content
    care, trust = report.findings
    assert care.prescribed_gap is not None
    assert care.prescribed_gap.description == gap
    assert care.prescribed_gap.passage is not None
    assert care.prescribed_gap.passage.source == "procedure-toilette.md"
    assert care.prescribed_gap.passage.section == "Procédure toilette > Durée"
    assert "30 minutes" in care.prescribed_gap.passage.text
    # A passage id the model made up cites nothing rather than something wrong.
    assert trust.prescribed_gap is not None
    assert trust.prescribed_gap.passage is None
