"""Findings: evidence verification, the codebook, merging, windows, agreement, and extraction
through the Ollama adapter."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import pytest

from assistant.config import Settings
from assistant.findings.agreement import NONE, agreement, coded_pairs, cohen_kappa
from assistant.findings.codebook import CodebookError, load_codebook
from assistant.findings.evidence import locate, verify
from assistant.findings.extraction import Extractor, merge, output_model, windows
from assistant.llm import chat_model_for
from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingOrigin,
    FindingStatus,
    Interview,
    Provenance,
    Quote,
    Speaker,
)
from assistant.tokens import TokenCounter
from tests.ollama_server import OllamaTestServer

# The transcript and turn helper are the logic tests' own: this file runs the same through HTTP.
from tests.support.extraction import NOW, TRANSCRIPT, extraction_reply, turn


def interview(language: str = "fr") -> Interview:
    return Interview(
        id="i1", pseudonym="Participant-TEST", language=language, created_at=NOW, updated_at=NOW
    )


# ------------------------------------------------------------------------------ evidence


def test_a_quote_is_located_despite_white_space_and_wrapping_marks() -> None:
    said = turn(3, "Hier, chez Mme R.,\n  je me suis assise avec elle et je l'ai écoutée.")
    found = locate("« je me suis assise avec elle »", said)
    assert found is not None
    assert said.text[found.start : found.end] == found.text == "je me suis assise avec elle"
    spread = locate("Hier, chez Mme R., je me suis", said)
    assert spread is not None
    assert spread.text == "Hier, chez Mme R.,\n  je me suis"  # the employee's own text


def test_a_paraphrase_is_never_evidence() -> None:
    said = turn(1, "Je l'ai rassurée avant de commencer la toilette.")
    assert locate("je l'ai tranquillisée avant la toilette", said) is None
    assert locate("", said) is None


def test_only_employee_turns_count_and_the_hint_goes_first() -> None:
    turns = [
        turn(0, "Qu'avez-vous fait ensuite ?", Speaker.INTERVIEWER),
        turn(1, "J'ai appelé sa fille."),
        turn(2, "Puis j'ai appelé sa fille encore."),
    ]
    assert verify("Qu'avez-vous fait", turns) is None
    found = verify("j'ai appelé sa fille", turns, hint=2)
    assert found is not None
    assert found.turn_index == 2
    assert verify("J'ai appelé sa fille", turns) is not None


def test_unicode_offsets_are_code_points() -> None:
    said = turn(0, "Ça a été très dur, mais Mme Müller m'a souri.")
    found = locate("Mme Müller m'a souri", said)
    assert found is not None
    assert (found.start, found.end) == (24, 44)


# ------------------------------------------------------------------------------ codebook


def test_the_codebook_loads_and_restricts_the_output_schema() -> None:
    codebook = load_codebook()
    assert len(codebook.codes) == 10
    assert "empathy" in codebook.code_ids
    assert "service_delivery" in codebook.stage_ids
    schema = json.dumps(output_model(codebook).model_json_schema())
    assert '"enum": ["empathy"' in schema or '"empathy"' in schema
    described = codebook.describe("fr")
    assert "empathy (Empathie)" in described


def test_a_malformed_codebook_is_a_clear_error(tmp_path: Any) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text("id: x\nversion: 1\ncodes: []\nvalue_chain: []\n")
    with pytest.raises(CodebookError, match="codes"):
        load_codebook(path)
    path.write_text("codes: [unclosed\n")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(path)


# ------------------------------------------------------------------------------ merging


def finding(code: str, *quotes: Quote, **changes: Any) -> Finding:
    values: dict[str, Any] = {
        "id": f"f-{code}-{len(quotes)}-{quotes[0].start}",
        "interview_id": "i1",
        "code": code,
        "activity": "toilette",
        "counterpart": "bénéficiaire",
        "value_chain_stage": "service_delivery",
        "evidence": list(quotes),
        "automation_exposure": AutomationExposure.HUMAN_ESSENTIAL,
        "confidence": 0.5,
        "provenance": Provenance(created_at=NOW),
        "updated_at": NOW,
    }
    values.update(changes)
    return Finding(**values)


def test_overlapping_duplicates_merge_and_distinct_findings_stay() -> None:
    a = Quote(text="xxxx", turn_index=2, start=0, end=10)
    b = Quote(text="yyyy", turn_index=2, start=5, end=20)
    c = Quote(text="zzzz", turn_index=4, start=0, end=5)
    merged = merge(
        [
            finding("empathy", a, confidence=0.4),
            finding("empathy", b, confidence=0.9),
            finding("trust", b),
            finding("empathy", c),
        ]
    )
    assert [f.code for f in merged] == ["empathy", "trust", "empathy"]
    assert merged[0].evidence == [a, b]
    assert merged[0].confidence == 0.9


def test_windows_fit_the_budget_and_overlap() -> None:
    counter = TokenCounter()
    turns = [turn(i, f"Réponse numéro {i} " + "détail " * 40) for i in range(40)]
    parts = windows(turns, counter, budget=600, overlap=120)
    assert len(parts) >= 4
    for part in parts:
        assert sum(counter.count(t.text) + 8 for t in part) <= 600
    for before, after in pairwise(parts):
        assert after[0].index <= before[-1].index  # the next window repeats the end
    assert {t.index for part in parts for t in part} == set(range(40))


# ------------------------------------------------------------------------------ agreement


def reviewed(code: str, status: FindingStatus, **changes: Any) -> Finding:
    quote = Quote(text="x", turn_index=1, start=0, end=1)
    return finding(code, quote, status=status, **changes)


def test_kappa_matches_a_hand_worked_example() -> None:
    # 10 reviewed findings. Model vs facilitator:
    #   empathy→empathy ×4, trust→trust ×2, empathy→trust ×1 (edited),
    #   trust→none ×1 (rejected), none→empathy ×1 (added), care→care ×1.
    # pₒ = 7/10. Model marginals: empathy 5, trust 3, care 1, none 1.
    # Facilitator marginals: empathy 5, trust 3, care 1, none 1.
    # pₑ = (5·5 + 3·3 + 1·1 + 1·1) / 100 = 0.36. κ = (0.7 − 0.36) / 0.64 = 0.53125.
    findings = [
        *[reviewed("empathy", FindingStatus.ACCEPTED) for _ in range(4)],
        *[reviewed("trust", FindingStatus.ACCEPTED) for _ in range(2)],
        reviewed("trust", FindingStatus.EDITED, proposed_code="empathy"),
        reviewed("trust", FindingStatus.REJECTED),
        reviewed("empathy", FindingStatus.ACCEPTED, origin=FindingOrigin.FACILITATOR),
        reviewed("care", FindingStatus.ACCEPTED),
        reviewed("care", FindingStatus.PROPOSED),  # not reviewed: left out
    ]
    pairs = coded_pairs(findings)
    assert len(pairs) == 10
    assert pairs.count(("trust", NONE)) == 1
    assert pairs.count((NONE, "empathy")) == 1
    result = agreement(findings, ["empathy", "trust", "care", "mediation"])
    assert result.units == 10
    assert result.observed == pytest.approx(0.7)
    assert result.kappa == pytest.approx(0.53125)
    # Empathy, binary: both say empathy 4; model only 1; facilitator only 1; neither 4.
    # pₒ = 0.8; pₑ = 0.5·0.5 + 0.5·0.5 = 0.5; κ = 0.6.
    assert result.per_code["empathy"] == pytest.approx(0.6)
    # Care: perfect agreement on 1 of 10. pₒ = 1; κ = 1.
    assert result.per_code["care"] == pytest.approx(1.0)
    assert "mediation" not in result.per_code


def test_kappa_edge_cases() -> None:
    assert cohen_kappa([]) is None
    assert cohen_kappa([("a", "a"), ("a", "a")]) is None  # chance agreement is total
    assert cohen_kappa([("a", "b"), ("b", "a")]) == pytest.approx(-1.0)


# ------------------------------------------------------------------------------ extraction
# Extraction's logic is tested on the in-process model (test_extraction_logic.py); here, the
# whole path once, through the Ollama adapter and the fake Ollama server.


async def test_extraction_through_the_ollama_adapter(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    extractor = Extractor(
        model=chat_model_for(settings),
        codebook=load_codebook(),
        counter=TokenCounter(settings.tokenizer),
    )
    ollama_server.respond_with(extraction_reply())
    report = await extractor.extract(interview(), TRANSCRIPT)
    assert report.model_calls == 1
    [found] = report.findings
    assert found.code == "empathy"
    [quote] = found.evidence
    assert quote.text == "Je me suis assise avec elle et je l'ai écoutée"
    assert TRANSCRIPT[quote.turn_index].text[quote.start : quote.end] == quote.text
    assert found.provenance.model == settings.chat_model
    # The schema travels as Ollama's `format`, so the model is constrained to the codebook.
    schema = ollama_server.chat_requests()[-1].body["format"]
    assert "empathy" in json.dumps(schema)
