"""Facilitators review findings in the web app; nobody else can, whatever they send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from assistant.findings.evidence import verify
from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingOrigin,
    FindingStatus,
    InterviewStatus,
    InterviewUpdate,
    PassageCitation,
    Phase,
    PrescribedGap,
    Provenance,
    Speaker,
    Turn,
)
from assistant.store import Store
from assistant.web import staff
from tests.web.client import WebClient, plain
from tests.web.server import WebServer

NIGHT = "Hier, Mme R. était seule. Je suis restée un peu plus pour l'écouter."
ROTA = "Le *planning* dit <b>dix minutes</b> par chambre, [pas plus](javascript:x)."
PASSAGE = "Chaque passage en chambre dure dix minutes."


@dataclass(frozen=True)
class Seeded:
    interview: str
    pseudonym: str
    care: str  # accepted by the facilitator
    empathy: str  # rejected
    trust: str  # recoded
    spare: str  # left proposed, for the forged buttons


def _finding(interview_id: str, turns: list[Turn], words: str, code: str, **extra: Any) -> Finding:
    quote = verify(words, turns)
    assert quote is not None
    now = datetime.now(UTC)
    return Finding(
        id=f"{code}-{interview_id[:8]}",
        interview_id=interview_id,
        code=code,
        activity="veille de nuit",
        counterpart="résidente",
        value_chain_stage="service_delivery",
        evidence=[quote],
        automation_exposure=AutomationExposure.HUMAN_ESSENTIAL,
        confidence=0.8,
        provenance=Provenance(model="test", codebook="codebook@1.0.0", created_at=now),
        updated_at=now,
        **extra,
    )


@pytest.fixture(scope="module")
def seeded(web: WebServer) -> Seeded:
    """A closed interview and four proposed findings, stored before anyone connects."""
    with web.store() as store:
        interview = store.interviews.create(language="fr")
        store.interviews.record_consent(interview.id, given=True, version="test")
        for speaker, text in [
            (Speaker.INTERVIEWER, "Pouvez-vous me raconter un moment précis ?"),
            (Speaker.EMPLOYEE, NIGHT),
            (Speaker.INTERVIEWER, "Et ce qui est prévu ?"),
            (Speaker.EMPLOYEE, ROTA),
        ]:
            store.interviews.add_turn(interview.id, speaker=speaker, text=text, phase=Phase.EPISODE)
        store.interviews.update(
            interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
        )
        turns = store.interviews.turns(interview.id)
        gap = PrescribedGap(
            description="Le temps prévu ne laisse pas d'écoute.",
            passage=PassageCitation(source="procedures.pdf", page=3, text=PASSAGE),
        )
        found = store.findings.add(
            [
                _finding(interview.id, turns, "restée un peu plus pour l'écouter", "care"),
                _finding(interview.id, turns, "Mme R. était seule", "empathy"),
                _finding(interview.id, turns, ROTA, "proximity", prescribed_gap=gap),
                _finding(interview.id, turns, "Je suis restée", "mediation"),
            ]
        )
    care, empathy, trust, spare = (finding.id for finding in found)
    return Seeded(interview.id, interview.pseudonym, care, empathy, trust, spare)


def button(client: WebClient, name: str, **payload: str) -> dict[str, Any]:
    for action in client.actions.values():
        shown = action.get("payload") or {}
        if action["name"] == name and all(shown.get(k) == v for k, v in payload.items()):
            return action
    raise AssertionError(f"no {name} {payload}; buttons: {client.labels()}")


async def press(client: WebClient, name: str, **payload: str) -> None:
    await client.wait_for(lambda: _has(client, name, payload))
    response = await client.call_action(button(client, name, **payload))
    assert response.status_code == 200


def _has(client: WebClient, name: str, payload: dict[str, str]) -> bool:
    try:
        button(client, name, **payload)
    except AssertionError:
        return False
    return True


def _state(store: Store, interview_id: str) -> tuple[list[tuple[str, str, str]], int]:
    findings = store.findings.where(interview_id=interview_id)
    return [(f.id, f.status.value, f.code) for f in findings], len(store.findings.changes())


async def test_a_facilitator_reviews_and_adds_findings(web: WebServer, seeded: Seeded) -> None:
    fanny = web.client("fanny")
    await fanny.login()
    await fanny.connect()
    await press(fanny, staff.FINDINGS)  # the home's button: choose an interview
    await press(fanny, staff.FINDINGS, interview=seeded.interview)
    await fanny.wait_for(lambda: sum("Citation" in t for t in fanny.texts()) == 4)
    shown = "\n".join(fanny.texts())
    assert f"Constats de l'entretien {seeded.pseudonym} (4)" in plain(shown)
    for words in ("restée un peu plus pour l'écouter", "Mme R. était seule", ROTA[:-1], PASSAGE):
        assert words in plain(shown)
    assert "<b>" not in shown.replace("\\<b\\>", "")  # displayed literally, never as HTML
    assert "Soin" in plain(shown)  # the code's label, in the page's language
    assert "Citation (message 2)" in plain(shown)  # turns are numbered from 1, as shown
    assert "message 0" not in plain(shown)

    await press(fanny, staff.ACCEPT, finding=seeded.care)
    await fanny.wait_for_text("Constat accepté")
    await press(fanny, staff.REJECT, finding=seeded.empathy)
    await fanny.wait_for_text("Constat rejeté")
    await press(fanny, staff.RECODE, finding=seeded.trust)
    await press(fanny, staff.RECODE_TO, finding=seeded.trust, code="trust")
    await fanny.wait_for_text("Code changé")
    # A button pressed twice changes nothing more.
    await fanny.call_action(button(fanny, staff.ACCEPT, finding=seeded.care))
    await fanny.wait_for_text("déjà été revu")

    with web.store() as store:
        care, empathy, trust = (
            store.findings.get(i) for i in (seeded.care, seeded.empathy, seeded.trust)
        )
        assert care is not None
        assert empathy is not None
        assert trust is not None
        assert (care.status, empathy.status) == (FindingStatus.ACCEPTED, FindingStatus.REJECTED)
        assert (trust.status, trust.code, trust.proposed_code) == (
            FindingStatus.EDITED,
            "trust",
            "proximity",
        )
        changes = store.findings.changes()
    assert [(c.finding_id, c.action, c.actor) for c in changes] == [
        (seeded.care, "accept", "fanny"),
        (seeded.empathy, "reject", "fanny"),
        (seeded.trust, "edit", "fanny"),
    ]

    # Adding: words the employee never said are refused, and nothing is added.
    await press(fanny, staff.ADD, interview=seeded.interview)
    await fanny.wait_for(lambda: {"Réponse 2", "Réponse 4"} <= set(fanny.labels()))
    assert "Réponse 1" not in fanny.labels()  # the interviewer's turn is not offered
    await fanny.send("Je suis partie plus tôt")
    assert "ne figurent pas" in plain(fanny.last())
    with web.store() as store:
        assert len(store.findings.where(interview_id=seeded.interview)) == 4
    await fanny.send("seule.   Je suis restée")  # exact words, white space aside
    await press(fanny, staff.ADD_CODE, interview=seeded.interview, code="care")
    await press(fanny, staff.ADD_STAGE, interview=seeded.interview, code="care", stage="follow_up")
    await fanny.wait_for_text("Constat ajouté")
    with web.store() as store:
        seeded_ids = {seeded.care, seeded.empathy, seeded.trust, seeded.spare}
        [added] = [
            f for f in store.findings.where(interview_id=seeded.interview) if f.id not in seeded_ids
        ]
        added_changes = store.findings.changes(added.id)
    assert (added.origin, added.status, added.code, added.value_chain_stage) == (
        FindingOrigin.FACILITATOR,
        FindingStatus.ACCEPTED,
        "care",
        "follow_up",
    )
    assert added.evidence[0].text == "seule. Je suis restée"
    assert added.evidence[0].turn_index == 1
    assert (added.activity, added.counterpart, added.automation_exposure, added.confidence) == (
        None,
        None,
        None,
        None,
    )
    assert [(c.action, c.actor) for c in added_changes] == [("add", "fanny")]
    await press(fanny, staff.FINDINGS, interview=seeded.interview)
    # Shown as unknown, never as a made-up value.
    await fanny.wait_for(lambda: any("activité : inconnu" in plain(t) for t in fanny.texts()))
    await fanny.disconnect()


@pytest.mark.parametrize("name", ["alice", "lea"])
async def test_others_sending_the_same_buttons_change_nothing(
    web: WebServer, seeded: Seeded, name: str
) -> None:
    with web.store() as store:
        before = _state(store, seeded.interview)
    client = web.client(name)
    await client.login()
    await client.connect()
    ids = {"interview": seeded.interview, "finding": seeded.spare}
    forged: list[tuple[str, dict[str, Any]]] = [
        (staff.FINDINGS, {"interview": seeded.interview}),
        (staff.ACCEPT, ids),
        (staff.REJECT, ids),
        (staff.RECODE, ids),
        (staff.RECODE_TO, {**ids, "code": "trust"}),
        (staff.ADD, {"interview": seeded.interview}),
        (staff.ADD_TURN, {"interview": seeded.interview, "turn": 2}),
        (staff.ADD_CODE, {"interview": seeded.interview, "code": "care"}),
        (staff.ADD_STAGE, {"interview": seeded.interview, "code": "care", "stage": "follow_up"}),
    ]
    for action_name, payload in forged:
        action = {"id": "forged", "name": action_name, "payload": payload, "label": "x"}
        assert (await client.call_action({**action, "forId": None})).status_code == 200
    await client.wait_for(lambda: sum("pas permise" in t for t in client.texts()) == len(forged))
    everything = " ".join(client.texts())
    assert "restée" not in everything
    assert "Mme R." not in everything
    with web.store() as store:
        assert _state(store, seeded.interview) == before
        spare = store.findings.get(seeded.spare)
    assert spare is not None
    assert spare.status == FindingStatus.PROPOSED
    await client.disconnect()
