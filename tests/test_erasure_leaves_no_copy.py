"""Erasure leaves no copy: after each path that removes or clears what an employee said, a byte
search of the database's files (SQLite: the file, its -wal and -shm; PostgreSQL: the whole data
folder after a CHECKPOINT) finds a word said only there 0 times.

Each test first checks that the word is in the files before (so that it cannot pass by looking
in the wrong place), then runs the path as its users do, then searches again.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.findings.jobs import ExtractionJobs
from assistant.findings.worker import Retention, Worker
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.llm.testing import ScriptedChatModel
from assistant.privacy import owner_key
from assistant.report.publishing import publish
from assistant.report.republishing import RepublishJobs
from assistant.schemas import (
    AccessKind,
    FindingEdit,
    InterviewStatus,
    InterviewUpdate,
    Phase,
    Quote,
    ReportStatus,
    ReviewAction,
    Speaker,
    UserRole,
)
from assistant.store import Store
from assistant.store.models import utc_now
from tests.conftest import SettingsFactory
from tests.postgres import PostgresCluster
from tests.report_scripts import Scripted, scripted
from tests.report_store import store_study
from tests.support.records import approve_all, drafted, finding

Copies = Callable[[str], int]


def new_marker() -> str:
    """A made-up lowercase word, said in one interview only."""
    return "zorbl" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


@pytest.fixture
def erasure_settings(make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of the test's own database, also given to the command line."""
    settings = make_settings(report_min_people=3, report_min_people_for_quotes=3)
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("TERRAIN_DATABASE_URL", settings.database_url)
    return settings


@pytest.fixture
def store(erasure_settings: Settings) -> Iterator[Store]:
    with Store.open(erasure_settings) as opened:
        yield opened


@pytest.fixture
def copies(erasure_settings: Settings, request: pytest.FixtureRequest) -> Copies:
    """How many times the database's files hold ``word``."""

    def count(word: str) -> int:
        needle = word.encode()
        if erasure_settings.database_url:
            cluster: PostgresCluster = request.getfixturevalue("postgres")
            cluster.checkpoint()
            files = [path for path in cluster.data.rglob("*") if path.is_file()]
        else:
            with Store.open(erasure_settings) as opened:
                database = Path(make_url(opened.url).database or "")
            files = list(database.parent.glob(database.name + "*"))
            assert database in files
        found = {path: _read(path).count(needle) for path in files}
        return CopyCount({str(path): n for path, n in found.items() if n})

    return count


class CopyCount(int):
    """How many copies, and in which files: a failed assertion names where they are."""

    places: dict[str, int]

    def __new__(cls, places: dict[str, int]) -> CopyCount:
        count = super().__new__(cls, sum(places.values()))
        count.places = places
        return count

    def __repr__(self) -> str:
        return f"{int(self)} copies in {self.places}"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, PermissionError):  # a temporary file the server just removed
        return b""


def interview_saying(store: Store, marker: str, *, owner: str | None = None) -> str:
    """A closed interview in which the employee said ``marker``, with a finding quoting it,
    reviewed (an edit that repeats it) so that the audit trail holds it too."""
    interview = store.interviews.create(language="fr", owner_key=owner)
    store.interviews.record_consent(interview.id, given=True, version="test")
    said = f"Hier chez elle, le {marker} était fermé, alors je suis restée."
    store.interviews.add_turn(
        interview.id, speaker=Speaker.INTERVIEWER, text="Racontez.", phase=Phase.EPISODE
    )
    store.interviews.add_turn(
        interview.id,
        speaker=Speaker.EMPLOYEE,
        text=said,
        phase=Phase.EPISODE,
        state={"summary": said},
    )
    store.interviews.update(
        interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
    )
    start = said.index(marker)
    (added,) = store.findings.add(
        [
            finding(
                interview.id,
                evidence=[Quote(text=marker, turn_index=1, start=start, end=start + len(marker))],
            )
        ]
    )
    store.findings.review(
        added.id,
        actor="fac",
        action=ReviewAction.EDIT,
        edit=FindingEdit(activity=f"attendre devant le {marker}"),
    )
    return interview.id


def erase_command(*args: str) -> None:
    result = CliRunner().invoke(app, ["erase", *args, "--yes"])
    assert result.exit_code == 0, result.output


def test_erasing_a_user_from_the_command_line_leaves_no_copy(
    store: Store, erasure_settings: Settings, copies: Copies
) -> None:
    marker = new_marker()
    interview_saying(store, marker, owner=owner_key(erasure_settings, "chloe"))
    interview_saying(store, new_marker())  # someone else's, kept
    assert copies(marker) > 0
    erase_command("--user", "chloe")
    assert copies(marker) == 0


def test_erasing_a_pseudonym_from_the_command_line_leaves_no_copy(
    store: Store, copies: Copies
) -> None:
    marker = new_marker()
    erased = store.interviews.get(interview_saying(store, marker))
    assert erased is not None
    assert copies(marker) > 0
    erase_command("--pseudonym", erased.pseudonym)
    assert copies(marker) == 0


def test_erasing_an_interview_a_facilitator_read_leaves_no_copy_of_its_link_in_the_access_log(
    store: Store, copies: Copies
) -> None:
    erased = store.interviews.get(interview_saying(store, new_marker()))
    assert erased is not None
    store.access.record("fanny", AccessKind.TRANSCRIPT, interview_id=erased.id)
    assert copies(erased.pseudonym) > 0
    erase_command("--pseudonym", erased.pseudonym)
    assert [entry.pseudonym for entry in store.access.entries()] == [None]  # the entry stays
    assert copies(erased.pseudonym) == 0
    assert copies(erased.id) == 0


def test_an_employee_withdrawing_in_the_chat_leaves_no_copy(
    store: Store, erasure_settings: Settings, copies: Copies
) -> None:
    marker = new_marker()
    model = ScriptedChatModel(respond=lambda request: "Pouvez-vous m'en dire plus ?")
    deps = SessionDeps(settings=erasure_settings, store=store, model=model)

    async def say_then_withdraw() -> None:
        session = await InterviewSession.begin(deps, language="fr")
        async for _ in session.respond("oui"):
            pass
        async for _ in session.respond(f"Le {marker} de la résidence était fermé."):
            pass
        assert copies(marker) > 0
        await session.withdraw()

    asyncio.run(say_then_withdraw())
    assert copies(marker) == 0


def test_refusing_consent_leaves_no_copy(store: Store, copies: Copies) -> None:
    marker = new_marker()
    interview = store.interviews.create(language="fr")
    store.interviews.add_turn(
        interview.id, speaker=Speaker.EMPLOYEE, text=f"Le {marker}, non.", phase=Phase.CONSENT
    )
    assert copies(marker) > 0
    store.interviews.record_consent(interview.id, given=False, version="test")
    assert copies(marker) == 0


def test_striking_words_from_a_turn_leaves_no_copy(store: Store, copies: Copies) -> None:
    marker = new_marker()
    interview = store.interviews.create(language="fr")
    turn = store.interviews.add_turn(
        interview.id,
        speaker=Speaker.EMPLOYEE,
        text=f"Je vois Mme {marker} le mardi.",
        phase=Phase.CLOSING,
        state={"summary": marker},
    )
    assert copies(marker) > 0
    store.interviews.revise_turn(turn.id, "Je vois une dame le mardi.", state={"summary": ""})
    assert copies(marker) == 0


def _with_marker(script: Scripted, number: int, marker: str) -> None:
    """Interview ``number`` of the script says ``marker`` in place of "toujours", in its turns
    and in the quotes of its findings (offsets kept exact)."""
    interview_id = script.interviews[number].id
    turns = script.turns[interview_id]
    script.turns[interview_id] = [
        t.model_copy(update={"text": t.text.replace("toujours", marker)}) for t in turns
    ]
    texts = {t.index: t.text for t in script.turns[interview_id]}
    for position, found in enumerate(script.findings):
        if found.interview_id != interview_id:
            continue
        evidence = []
        for quote in found.evidence:
            text = quote.text.replace("toujours", marker)
            start = texts[quote.turn_index].index(text)
            evidence.append(
                quote.model_copy(update={"text": text, "start": start, "end": start + len(text)})
            )
        script.findings[position] = found.model_copy(update={"evidence": evidence})


@pytest.mark.slow
def test_the_republishing_after_an_erasure_leaves_no_copy_of_the_withdrawn_version(
    store: Store, erasure_settings: Settings, copies: Copies
) -> None:
    marker = new_marker()
    script = scripted(6)
    _with_marker(script, 0, marker)
    stored = store_study(store, script)
    approve_all(store, drafted(store, erasure_settings))
    first = publish(store, actor="claire")
    assert marker in str(first.content)  # the report quotes the words to be erased
    assert copies(marker) > 0

    erased = store.interviews.get(stored[script.interviews[0].id])
    assert erased is not None
    erase_command("--pseudonym", erased.pseudonym)
    withdrawn = store.reports.version(first.number or 0)
    assert withdrawn is not None
    assert withdrawn.status == ReportStatus.WITHDRAWN
    assert erased.id not in withdrawn.interview_ids  # no id of an erased interview is kept
    worker = Worker(
        ExtractionJobs.from_settings(erasure_settings, store),
        poll_seconds=0.1,
        other_jobs=[RepublishJobs.from_settings(erasure_settings, store)],
    )
    [republished] = asyncio.run(worker.drain())
    assert republished.result["replaced"] == [first.number]
    assert copies(marker) == 0
    cleared = store.reports.version(first.number or 0)
    assert cleared is not None
    assert cleared.content == {}


def test_retention_by_the_worker_leaves_no_copy(
    store: Store, erasure_settings: Settings, copies: Copies
) -> None:
    marker = new_marker()
    interview_saying(store, marker)
    assert copies(marker) > 0
    kept = erasure_settings.model_copy(update={"retention_days": 30})
    with Store.open(kept, clock=lambda: utc_now() + timedelta(days=31)) as later:
        worker = Worker(
            ExtractionJobs.from_settings(kept, later),
            poll_seconds=0.1,
            other_jobs=[Retention(later, kept)],
        )
        [recorded] = asyncio.run(worker.drain())
    assert recorded.result["erased"] == 1
    assert copies(marker) == 0


def test_erasing_from_the_admin_page_leaves_no_copy(
    store: Store, erasure_settings: Settings, copies: Copies
) -> None:
    from tests.web.pages_client import pages_client

    marker = new_marker()
    erased = store.interviews.get(interview_saying(store, marker))
    assert erased is not None
    assert copies(marker) > 0
    with pages_client(erasure_settings, {"adam": UserRole.ADMIN}) as pages:
        pages.sign_in("adam")
        form = {"pseudonym": erased.pseudonym, "interviews": erased.id}
        done = pages.post("/staff/admin/erase", form)
        assert (done.status_code, "done=" in done.headers["location"]) == (303, True)
    assert copies(marker) == 0
