"""Third parties masked for facilitators: the offsets between what is shown and what was
said, one label per person within an interview, the selection mapped back to the employee's
own words, the QDPX, and the cache per content."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import UTC, datetime

from assistant.findings.codebook import load_codebook
from assistant.masking import Label, MaskedText, _People, interview_mask
from assistant.report.qdpx import build_qdpx
from assistant.schemas import (
    Finding,
    FindingStatus,
    Interview,
    InterviewStatus,
    Phase,
    Provenance,
    Quote,
    Speaker,
    Turn,
)

NOW = datetime(2026, 12, 4, tzinfo=UTC)
SAID = (
    "Ce matin j'ai vu Mme Jeanne Dubois, son numéro c'est le 06 12 34 56 78. Elle a la "
    "maladie d'Alzheimer et Jeanne oublie ses repas."
)
LATER = "Sa fille Camille Martin m'a écrit. Mme Dubois est née le 3 mai 1940."
SECRETS = ("Jeanne", "Dubois", "06 12 34 56 78", "Alzheimer", "Camille", "Martin", "1940")


def interview(language: str = "fr") -> Interview:
    return Interview(
        id="i1",
        pseudonym="Participant-TEST",
        language=language,
        status=InterviewStatus.CLOSED,
        phase=Phase.DONE,
        created_at=NOW,
        updated_at=NOW,
    )


def turns(*texts: str) -> list[Turn]:
    said = [
        Turn(
            id=1,
            interview_id="i1",
            index=0,
            speaker=Speaker.INTERVIEWER,
            text="Racontez-moi une journée.",
            phase=Phase.EPISODE,
            created_at=NOW,
        )
    ]
    for number, text in enumerate(texts, start=1):
        said.append(
            Turn(
                id=number + 1,
                interview_id="i1",
                index=number,
                speaker=Speaker.EMPLOYEE,
                text=text,
                phase=Phase.EPISODE,
                created_at=NOW,
            )
        )
    return said


def test_spans_map_between_the_shown_text_and_the_original() -> None:
    original = "Vu Marie hier, puis Paul."
    # "Marie" (3-8) shown as "[personne A]" (3-15); "Paul" (20-24) as "[personne B]" (27-39).
    shown = MaskedText(
        "Vu [personne A] hier, puis [personne B].", (Label(3, 8, 3, 15), Label(20, 24, 27, 39))
    )
    assert shown.text[16:20] == original[9:13] == "hier"
    assert shown.to_original(16, 20) == (9, 13)
    assert shown.to_shown(9, 13) == (16, 20)
    # A span cutting into a label takes all the words it hides, and the other way round.
    assert shown.to_original(7, 20) == (3, 13)
    assert shown.to_original(0, 30) == (0, 24)
    assert shown.to_shown(4, 6) == (3, 15)
    assert shown.to_original(0, len(shown.text)) == (0, len(original))
    assert shown.to_shown(0, len(original)) == (0, len(shown.text))


def test_a_person_keeps_one_label_and_nothing_named_is_shown() -> None:
    said = turns(SAID, LATER)
    mask = interview_mask(interview(), said)
    shown = " ".join(mask.turn(turn).text for turn in said)
    for secret in SECRETS:
        assert secret not in shown
    assert shown.count("[personne A]") == 3  # Mme Jeanne Dubois, Jeanne, Mme Dubois
    assert "[personne B]" in shown  # her daughter
    assert "[téléphone]" in shown
    assert "[santé]" in shown
    assert "[date de naissance]" in shown
    english = interview_mask(interview("en"), turns("I called Mrs Smith on 07700 900123."))
    assert english.turn(turns("I called Mrs Smith on 07700 900123.")[1]).text == (
        "I called [person A] on [phone]."
    )


def test_people_named_in_part_keep_their_label_and_namesakes_get_their_own() -> None:
    people = _People("fr")
    assert people.label("Jeanne") == "[personne A]"
    assert people.label("Mme Jeanne Dubois") == "[personne A]"
    assert people.label("Dubois") == "[personne A]"
    assert people.label("Jeanne Martin") == "[personne B]"  # another Jeanne
    assert people.label("M. Paul") == "[personne C]"
    assert _People("en").label("Mr Smith") == "[person A]"


def test_words_selected_in_the_masked_turn_give_the_employees_own_words() -> None:
    said = turns(SAID)
    mask = interview_mask(interview(), said)
    shown = mask.turn(said[1]).text
    assert "[personne A], son numéro c'est le [téléphone]" in shown
    # Selected from the middle of one label to the middle of another, white space doubled.
    quote = mask.original_quote(said[1], "sonne A],  son numéro c'est le [télé")
    assert quote is not None
    assert quote.text == "Mme Jeanne Dubois, son numéro c'est le 06 12 34 56 78"
    assert said[1].text[quote.start : quote.end] == quote.text
    assert (quote.turn_index, quote.start) == (1, SAID.index("Mme Jeanne"))
    assert mask.original_quote(said[1], "Mme Jeanne Dubois") is None  # not what was shown
    # And back: the quote shows as the selected labels.
    assert mask.quote(quote).text == "[personne A], son numéro c'est le [téléphone]"


def test_a_finding_is_masked_and_a_quote_of_a_revised_turn_too() -> None:
    said = turns(SAID)
    mask = interview_mask(interview(), said)
    start = SAID.index("Jeanne oublie")
    finding = Finding(
        id="f1",
        interview_id="i1",
        code="care",
        activity="repas de Jeanne Dubois",
        counterpart="Mme Dubois",
        value_chain_stage="service_delivery",
        evidence=[
            Quote(text="Jeanne oublie", turn_index=1, start=start, end=start + 13),
            Quote(text="Jeanne Dubois a le diabète", turn_index=1, start=0, end=26),  # revised
        ],
        status=FindingStatus.PROPOSED,
        provenance=Provenance(model="test", codebook="c@1", created_at=NOW),
        updated_at=NOW,
    )
    shown = mask.finding(finding)
    assert shown.evidence[0].text == "[personne A] oublie"
    assert "[personne A]" in shown.evidence[1].text
    assert "[santé]" in shown.evidence[1].text
    assert shown.activity == "repas de [personne A]"
    assert shown.counterpart == "[personne A]"


def test_the_mask_is_computed_once_per_content() -> None:
    said = turns(SAID)
    first = interview_mask(interview(), said)
    started = time.perf_counter()
    again = interview_mask(interview(), turns(SAID))
    assert again is first
    assert time.perf_counter() - started < 0.05
    assert interview_mask(interview(), turns(SAID + " Voilà.")) is not first


def test_the_qdpx_holds_the_masked_transcript_and_codes_it_where_it_stands() -> None:
    said = turns(SAID)
    start = SAID.index("Jeanne oublie")
    finding = Finding(
        id="f1",
        interview_id="i1",
        code="care",
        activity=None,
        counterpart=None,
        value_chain_stage="service_delivery",
        evidence=[Quote(text="Jeanne oublie ses repas", turn_index=1, start=start, end=start + 23)],
        status=FindingStatus.ACCEPTED,
        provenance=Provenance(model="test", codebook="c@1", created_at=NOW),
        updated_at=NOW,
    )
    codebook = load_codebook(None)
    masked = build_qdpx([interview()], {"i1": said}, [finding], codebook, mask_third_parties=True)
    assert (masked.codings, masked.skipped_quotes) == (1, 0)
    with zipfile.ZipFile(io.BytesIO(masked.data)) as archive:
        texts = {name: archive.read(name).decode() for name in archive.namelist()}
    for secret in SECRETS[:4]:
        assert all(secret not in text for text in texts.values())
    (source,) = (text for name, text in texts.items() if name.endswith(".txt"))
    assert source.count("[personne A]") == 2
    found = re.search(r'startPosition="(\d+)" endPosition="(\d+)"', texts["project.qde"])
    assert found is not None
    assert source[int(found.group(1)) : int(found.group(2))] == "[personne A] oublie ses repas"
    plain = build_qdpx([interview()], {"i1": said}, [finding], codebook)
    with zipfile.ZipFile(io.BytesIO(plain.data)) as archive:
        assert any("Jeanne oublie" in archive.read(n).decode() for n in archive.namelist())
