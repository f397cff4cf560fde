"""Facilitators review findings on the transcript page (the pages' routes in-process, with a
store of the test's own): accept, reject, edit, add from the employee's words, stale forms,
the audit trail, the marked quotes, the jobs and the export."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.auth import set_disabled
from assistant.findings.export import EXPORT
from assistant.schemas import (
    FindingEdit,
    FindingOrigin,
    FindingStatus,
    InterviewStatus,
    JobKind,
    JobStatus,
    Phase,
    ReviewAction,
    Speaker,
    UserRole,
)
from assistant.web.pages.transcript import segments
from tests.conftest import SettingsFactory
from tests.support.review import Seeded, seed
from tests.web.pages_client import PagesClient, pages_client

pytestmark = pytest.mark.slow

ACCOUNTS = {
    "alice": UserRole.EMPLOYEE,
    "fanny": UserRole.FACILITATOR,
    "lea": UserRole.LEADERSHIP,
    "adam": UserRole.ADMIN,
}


@pytest.fixture
def pages(make_settings: SettingsFactory) -> Iterator[PagesClient]:
    with pages_client(make_settings(), ACCOUNTS) as client:
        client.sign_in("fanny")
        yield client


@pytest.fixture
def seeded(pages: PagesClient) -> Seeded:
    return seed(pages.store)


def _seen(pages: PagesClient, finding_id: str) -> str:
    finding = pages.store.findings.get(finding_id)
    assert finding is not None
    return finding.updated_at.isoformat()


def _review(pages: PagesClient, seeded: Seeded, finding_id: str, action: str) -> Any:
    path = f"/staff/interviews/{seeded.interview}/findings/{finding_id}/review"
    return pages.post(path, {"action": action, "seen": _seen(pages, finding_id)})


def _forms_of(page: str, finding_id: str) -> list[str]:
    """The review buttons the page shows for one finding."""
    article = page.split(f'id="finding-{finding_id}"', 1)[1].split("</article>", 1)[0]
    return re.findall(r'name="action" value="(\w+)"', article)


def test_the_transcript_numbers_the_turns_and_marks_each_quote(
    pages: PagesClient, seeded: Seeded
) -> None:
    page = pages.get(f"/staff/interviews/{seeded.interview}")
    assert page.status_code == 200
    text = page.text
    assert '<html lang="fr">' in text
    assert "Tour 1 · Terrain" in text
    assert "Tour 4 · Salarié·e" in text
    assert f"Entretien {seeded.pseudonym}" in text
    # Quotes are marked where they stand, each linking to its finding beside it; the resident
    # the employee names is masked (TERRAIN_MASK_THIRD_PARTIES, on by default).
    marked = r"<mark><span class=\"masked\">\[personne A\]</span> était seule<a href=\"#finding-"
    assert re.search(marked + seeded.empathy, text)
    assert "Mme R." not in text
    assert f'id="finding-{seeded.care}"' in text
    # The employee's words are text, never markup.
    assert "<b>dix minutes</b>" not in text
    assert "&lt;b&gt;dix minutes&lt;/b&gt;" in text
    assert _forms_of(text, seeded.spare) == ["accept", "reject"]


def test_segments_cut_overlapping_quotes() -> None:
    parts = segments("abcdef", [(1, 4, 1), (2, 6, 2)])
    assert [(part.text, part.findings) for part in parts] == [
        ("a", ()),
        ("b", (1,)),
        ("cd", (1, 2)),
        ("ef", (2,)),
    ]


def test_accept_reject_and_edit_each_change_one_finding_and_leave_a_trail(
    pages: PagesClient, seeded: Seeded
) -> None:
    accepted = _review(pages, seeded, seeded.care, "accept")
    assert accepted.status_code == 303
    assert accepted.headers["location"].endswith(f"?done=accepted#finding-{seeded.care}")
    assert _review(pages, seeded, seeded.empathy, "reject").status_code == 303
    edit = pages.post(
        f"/staff/interviews/{seeded.interview}/findings/{seeded.trust}/edit",
        {
            "code": "trust",
            "value_chain_stage": "service_delivery",
            "activity": "",  # emptied: unknown from now on
            "counterpart": "résidente",
            "seen": _seen(pages, seeded.trust),
        },
    )
    assert edit.status_code == 303
    store = pages.store
    statuses = {f.id: f for f in store.findings.where(interview_id=seeded.interview)}
    assert statuses[seeded.care].status == FindingStatus.ACCEPTED
    assert statuses[seeded.empathy].status == FindingStatus.REJECTED
    trust = statuses[seeded.trust]
    assert (trust.status, trust.code, trust.proposed_code) == (
        FindingStatus.EDITED,
        "trust",
        "proximity",
    )
    assert trust.activity is None
    assert statuses[seeded.spare].status == FindingStatus.PROPOSED
    trail = [(c.finding_id, c.action.value, c.actor) for c in store.findings.changes()]
    assert trail == [
        (seeded.care, "accept", "fanny"),
        (seeded.empathy, "reject", "fanny"),
        (seeded.trust, "edit", "fanny"),
    ]
    # The page shows the state as it is now: no button that would do nothing.
    page = pages.get(accepted.headers["location"]).text
    assert "Constat accepté." in page
    assert _forms_of(page, seeded.care) == ["reject"]
    assert _forms_of(page, seeded.empathy) == ["accept"]
    assert "Historique (1)" in page
    assert "Code proposé par le modèle" in page
    # The edit's line says what it changed, in the page's words.
    trail_line = re.search(r"modifié : ([^<]*)</li>", html.unescape(page))
    assert trail_line is not None
    assert (
        trail_line.group(1) == "Code (Proximité → Confiance) ; Activité (veille de nuit → inconnu)"
    )


def test_a_stale_form_changes_nothing_and_shows_the_finding_as_it_is(
    pages: PagesClient, seeded: Seeded
) -> None:
    seen = _seen(pages, seeded.spare)
    assert _review(pages, seeded, seeded.spare, "accept").status_code == 303
    # The same page, opened before: its "Reject" was made from the proposed finding.
    again = pages.post(
        f"/staff/interviews/{seeded.interview}/findings/{seeded.spare}/review",
        {"action": "reject", "seen": seen},
    )
    assert again.status_code == 409
    assert "a changé depuis l'ouverture de la page" in html.unescape(again.text)
    spare = pages.store.findings.get(seeded.spare)
    assert spare is not None
    assert spare.status == FindingStatus.ACCEPTED
    assert len(pages.store.findings.changes()) == 1


def test_a_finding_is_added_only_from_the_employees_exact_words(
    pages: PagesClient, seeded: Seeded
) -> None:
    path = f"/staff/interviews/{seeded.interview}/findings"
    form = {"turn": "2", "code": "care", "value_chain_stage": "follow_up"}
    before = len(pages.store.findings.where())
    not_said = pages.post(path, {**form, "words": "Je suis partie plus tôt"})
    assert not_said.status_code == 422
    assert "ne figurent pas tels quels" in not_said.text
    assert "Je suis partie plus tôt</textarea>" in not_said.text  # what was typed is kept
    interviewer = pages.post(path, {**form, "turn": "1", "words": "Pouvez-vous"})
    assert interviewer.status_code == 422
    assert "Choisissez un tour de l'employé" in html.unescape(interviewer.text)
    assert len(pages.store.findings.where()) == before
    added = pages.post(path, {**form, "words": "seule.   Je suis restée"})
    assert added.status_code == 303
    new = [f for f in pages.store.findings.where() if f.origin == FindingOrigin.FACILITATOR]
    assert len(new) == 1
    assert new[0].evidence[0].text == "seule. Je suis restée"
    assert (new[0].status, new[0].activity, new[0].counterpart) == (
        FindingStatus.ACCEPTED,
        None,
        None,
    )
    assert [c.action.value for c in pages.store.findings.changes(new[0].id)] == ["add"]
    page = pages.get(added.headers["location"]).text
    assert "Constat ajouté." in page
    article = page.split(f'id="finding-{new[0].id}"', 1)[1].split("</article>", 1)[0]
    assert "<dt>Activité</dt><dd>inconnu</dd>" in article


def test_bad_input_gets_a_page_and_changes_nothing(pages: PagesClient, seeded: Seeded) -> None:
    missing = pages.get("/staff/interviews/no-such-interview")
    assert missing.status_code == 404
    assert "n'existe pas" in html.unescape(missing.text)
    other = pages.post(
        f"/staff/interviews/{seeded.interview}/findings/no-such-finding/review",
        {"action": "accept", "seen": "x"},
    )
    assert other.status_code == 404
    unknown_code = pages.post(
        f"/staff/interviews/{seeded.interview}/findings/{seeded.spare}/edit",
        {
            "code": "no-such-code",
            "value_chain_stage": "follow_up",
            "activity": "ronde",
            "seen": _seen(pages, seeded.spare),
        },
    )
    assert unknown_code.status_code == 422
    assert "ne sont pas valables" in unknown_code.text
    assert 'value="ronde"' in unknown_code.text  # kept for another try
    no_fields = pages.post(f"/staff/interviews/{seeded.interview}/findings", {})
    assert no_fields.status_code == 422
    assert no_fields.headers["content-type"].startswith("text/html")
    assert pages.store.findings.changes() == []


def test_a_form_without_this_users_token_is_refused(pages: PagesClient, seeded: Seeded) -> None:
    path = f"/staff/interviews/{seeded.interview}/findings/{seeded.spare}/review"
    form = {"action": "accept", "seen": _seen(pages, seeded.spare)}
    assert pages.post(path, form, token=False).status_code == 403
    forged = pages.post(path, {**form, "csrf": "0" * 64}, token=False)
    assert forged.status_code == 403
    assert "rien n'a été modifié" in html.unescape(forged.text)
    pages.sign_in("adam")  # another user's token is not fanny's
    adams = pages.csrf()
    pages.sign_in("fanny")
    assert pages.post(path, {**form, "csrf": adams}, token=False).status_code == 403
    assert pages.store.findings.changes() == []


def test_a_disabled_account_or_another_role_is_refused(pages: PagesClient, seeded: Seeded) -> None:
    path = f"/staff/interviews/{seeded.interview}"
    for name in ("alice", "lea", "adam"):
        pages.sign_in(name)
        refused = pages.get(path)
        assert refused.status_code == 403
        assert "Votre rôle ne donne pas accès" in refused.text
        assert "Mme R." not in refused.text
    pages.sign_in("fanny")
    assert pages.get(path).status_code == 200
    set_disabled(pages.store, "fanny", True)
    assert pages.get(path).status_code == 403
    pages.sign_out()
    signed_out = pages.get(path)
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/login")


def test_the_list_filters_interviews_and_counts_each_filter(
    pages: PagesClient, seeded: Seeded
) -> None:
    store = pages.store
    flagged = store.interviews.create(language="en")
    store.interviews.flag(flagged.id, "distress")
    failing = store.interviews.create(language="fr")
    store.jobs.enqueue(JobKind.EXTRACTION, failing.id)
    job = store.jobs.claim_next(JobKind.EXTRACTION)
    assert job is not None
    store.jobs.fail(job.id, error="Le modèle n'a pas répondu.", claim=job.claim)
    listed = pages.get("/staff/interviews").text
    for label in ("Tous (3)", "Signalés (1)", "Constats à revoir (1)", "Extraction échouée (1)"):
        assert label in listed
    assert "4 à revoir · 0 retenus" in listed
    only_flagged = pages.get("/staff/interviews?show=flagged").text
    assert flagged.pseudonym in only_flagged
    assert seeded.pseudonym not in only_flagged
    failed = pages.get("/staff/interviews?show=extraction_failed").text
    assert failing.pseudonym in failed
    assert flagged.pseudonym not in failed
    assert seeded.pseudonym in pages.get("/staff/interviews?show=no-such-filter").text


def test_a_failed_extraction_shows_its_reason_and_can_be_retried(pages: PagesClient) -> None:
    store = pages.store
    interview = store.interviews.create(language="fr")
    store.jobs.enqueue(JobKind.EXTRACTION, interview.id)
    job = store.jobs.claim_next(JobKind.EXTRACTION)
    assert job is not None
    store.jobs.fail(job.id, error="Le modèle n'a pas répondu.", claim=job.claim)
    page = pages.get("/staff/jobs").text
    assert "Le modèle n&#39;a pas répondu." in page
    assert f"/staff/jobs/{job.id}/retry" in page
    retried = pages.post(f"/staff/jobs/{job.id}/retry", {})
    assert (retried.status_code, retried.headers["location"]) == (303, "/staff/jobs?done=requeued")
    assert [j.status for j in store.jobs.where()] == [JobStatus.QUEUED]
    after = pages.get(retried.headers["location"]).text
    assert "Extraction relancée" in after
    assert f"/staff/jobs/{job.id}/retry" not in after
    assert pages.post("/staff/jobs/no-such-job/retry", {}).status_code == 404


def test_a_failed_republication_shows_its_reason_and_can_be_retried(pages: PagesClient) -> None:
    store = pages.store
    assert "Aucune republication demandée." in html.unescape(pages.get("/staff/jobs").text)
    interview = store.interviews.create(language="fr")
    store.reports.save_draft({}, finding_ids=[], interview_ids=[interview.id], built_by="fanny")
    store.reports.publish_draft({}, actor="fanny")
    store.interviews.erase(interview.id)  # withdraws version 1 and asks for its republication
    job = store.jobs.claim_next(JobKind.REPUBLISH)
    assert job is not None
    store.jobs.fail(job.id, error="Le rapport n'a pas pu être reconstruit.", claim=job.claim)
    page = html.unescape(pages.get("/staff/jobs").text)
    assert "Republications du rapport" in page
    assert "Le rapport n'a pas pu être reconstruit." in page
    retried = pages.post(f"/staff/jobs/{job.id}/retry", {})
    assert retried.headers["location"] == "/staff/jobs?done=republish_requeued"
    assert [j.status for j in store.jobs.where(kind=JobKind.REPUBLISH)] == [JobStatus.QUEUED]
    after = html.unescape(pages.get(retried.headers["location"]).text)
    assert "Republication relancée" in after
    assert f"/staff/jobs/{job.id}/retry" not in after


def test_an_unknown_staff_address_says_so_and_leaves_the_stylesheet_served(
    pages: PagesClient,
) -> None:
    for address in ("/staff/no-such-page", "/staff/interviews/x/y/z"):
        unknown = pages.get(address)
        assert unknown.status_code == 404, address
        assert "Cette page, cet entretien ou ce constat n'existe pas" in html.unescape(unknown.text)
    assert pages.get("/staff/static/staff.css").status_code == 200


def test_the_export_names_no_one_and_runs_no_formula(pages: PagesClient, seeded: Seeded) -> None:
    pages.store.findings.review(
        seeded.spare,
        actor="fanny",
        action=ReviewAction.EDIT,
        edit=FindingEdit(activity='=HYPERLINK("http://x")', counterpart="@résidente"),
    )
    as_json = pages.get("/staff/findings.json")
    assert as_json.status_code == 200
    rows = EXPORT.validate_json(as_json.content)
    assert len(rows) == 4
    assert {row.pseudonym for row in rows} == {seeded.pseudonym}
    as_csv = pages.get("/staff/findings.csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    cells = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert cells[0][0] == "Pseudonyme"
    spare = next(row for row in cells if row[2] == seeded.spare)
    assert spare[5] == '\'=HYPERLINK("http://x")'
    assert spare[6] == "'@résidente"
    interview = pages.store.interviews.get(seeded.interview)
    assert interview is not None
    for body in (as_json.text, as_csv.text):
        assert "fanny" not in body
        assert seeded.interview not in body
        assert interview.owner_key is None or interview.owner_key not in body


def test_segments_cut_at_masking_labels_too() -> None:
    parts = segments("vu [personne A] hier", [(0, 8, 1)], [(3, 15)])
    assert [(part.text, part.findings, part.pieces) for part in parts] == [
        ("vu [pers", (1,), (("vu ", False), ("[pers", True))),
        ("onne A] hier", (), (("onne A]", True), (" hier", False))),
    ]


def test_the_jobs_page_says_when_no_worker_is_alive(pages: PagesClient) -> None:
    store = pages.store
    page = html.unescape(pages.get("/staff/jobs").text)
    assert "Aucun processus d'extraction n'est en marche (aucun signe de vie depuis 30 s)" in page
    store.workers.beat("worker-1")
    page = html.unescape(pages.get("/staff/jobs").text)
    assert "Processus d'extraction en marche : 1." in page
    assert "Aucun processus d'extraction" not in page
    store.workers.forget("worker-1")
    assert "Aucun processus d'extraction" in html.unescape(pages.get("/staff/jobs").text)


@pytest.mark.parametrize(
    ("language", "separator", "header", "code", "status"),
    [
        ("fr", ";", "Étape de la chaîne de valeur", "Empathie", "proposé"),
        ("en", ",", "Value-chain stage", "Empathy", "proposed"),
    ],
)
def test_the_csv_opens_in_a_spreadsheet_of_the_staffs_language(
    pages: PagesClient,
    seeded: Seeded,
    language: str,
    separator: str,
    header: str,
    code: str,
    status: str,
) -> None:
    """A BOM (UTF-8 read as such), the language's list separator, and words, not ids."""
    body = pages.http.get("/staff/findings.csv", headers={"Accept-Language": language}).content
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=separator))
    assert header in table[0]
    assert all(len(row) == len(table[0]) == 14 for row in table)
    empathy = next(row for row in table if row[2] == seeded.empathy)
    assert empathy[3] == code
    assert empathy[7] == status
    assert "emotional_intelligence" not in body.decode("utf-8-sig")
    # The JSON stays for programs: identifiers, as stored.
    [as_json] = [
        row
        for row in EXPORT.validate_json(pages.get("/staff/findings.json").content)
        if row.finding_id == seeded.empathy
    ]
    assert as_json.code == "empathy"


def test_the_interview_list_shows_a_stopped_interview_with_its_extraction(
    pages: PagesClient,
) -> None:
    """Stopped after a few answers: queued for extraction like a closed one, and shown so."""
    store = pages.store
    interview = store.interviews.create(language="fr")
    store.interviews.record_consent(interview.id, given=True, version="t")
    store.interviews.add_turn(
        interview.id,
        speaker=Speaker.EMPLOYEE,
        text="Hier, je suis restée avec Mme R. avant la toilette.",
        phase=Phase.EPISODE,
    )
    store.interviews.add_turn(
        interview.id,
        speaker=Speaker.INTERVIEWER,
        text="Entendu, nous arrêtons là.",
        phase=Phase.EPISODE,
        ending=InterviewStatus.STOPPED,
    )
    page = html.unescape(pages.get("/staff/interviews?show=stopped").text)
    row = page.split(interview.pseudonym, 1)[1].split("</tr>", 1)[0]
    assert "arrêté" in row
    assert "en attente" in row  # its extraction, queued when it stopped
    assert "Extraction en attente (1)" in page
