"""Report builds are jobs of the worker: asked on the facilitator's page, run by the worker's
step, their progress written to the database as they go, so that another process (its own
store, its own pages) shows it; one build at a time; a failed build says why and is retried on
the jobs page; a stopped worker gives its build back; `terrain report build` runs the same job."""

from __future__ import annotations

import asyncio
import html
import json
import threading
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app
from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.llm import ChatModel
from assistant.llm.port import ChatMessage, JsonSchema, ModelResponse
from assistant.report.build_jobs import (
    STOPPED_REASON,
    ReportBuildJobs,
    build_progress,
    queue_build,
)
from assistant.schemas import (
    JobKind,
    JobStatus,
    ReportBuildPhase,
    ReportBuildRequest,
    UserRole,
)
from assistant.store import JobBusyError, Store
from tests.conftest import SettingsFactory
from tests.report_fakes import report_model
from tests.report_scripts import scripted
from tests.report_store import store_study
from tests.web.pages_client import PagesClient, pages_client

ACCOUNTS = {"fanny": UserRole.FACILITATOR}
# Generous: the worker's thread loads the redactor's spaCy pipeline on a shared machine.
WAIT_SECONDS = 240.0
REFRESH = '<meta http-equiv="refresh"'


@pytest.fixture
def study_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        report_min_people=3,
        report_min_people_for_quotes=3,
        ollama_host="http://127.0.0.1:9",  # nothing listens: only the fakes below answer
        max_retries=0,
    )


@pytest.fixture
def pages(study_settings: Settings) -> Iterator[PagesClient]:
    with pages_client(study_settings, ACCOUNTS) as client:
        client.sign_in("fanny")
        store_study(client.store, scripted(12))
        yield client


@pytest.fixture
def other(study_settings: Settings) -> Iterator[PagesClient]:
    """Another server process: a store of its own on the same database, pages of its own."""
    with Store.open(study_settings) as store:
        client = PagesClient(study_settings, store)
        client.sign_in("fanny")
        yield client


def _page(client: PagesClient, path: str = "/staff/report") -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return html.unescape(answer.text)


class _HeldAtSecondCall(ChatModel):
    """The report's scripted model, holding its second request until ``gate`` opens."""

    def __init__(self, gate: threading.Event, asked: threading.Event) -> None:
        self.answers = report_model()
        self.gate = gate
        self.asked = asked
        self.calls = 0

    @property
    def name(self) -> str:
        return "held-report-model"

    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        self.calls += 1
        if self.calls == 2:
            self.asked.set()
            assert await asyncio.to_thread(self.gate.wait, WAIT_SECONDS), "never let answer"
        return await self.answers.request(messages, json_schema=json_schema)

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        raise NotImplementedError


def test_a_build_asked_on_the_page_runs_in_the_worker_and_another_process_shows_it(
    pages: PagesClient, other: PagesClient, study_settings: Settings
) -> None:
    asked_for = pages.post("/staff/report/build", {"narratives": "model"})
    assert asked_for.headers["location"] == "/staff/report?done=building"

    waiting = _page(other)
    assert "Construction demandée par fanny" in waiting
    assert REFRESH in waiting  # the page reloads itself while the build waits or runs
    assert 'id="draft-heading"' not in waiting
    # One build at a time, whichever process is asked.
    refused = other.post("/staff/report/build", {"narratives": "none"})
    assert refused.headers["location"] == "/staff/report?problem=busy"
    assert len(other.store.jobs.where(kind=JobKind.REPORT_BUILD)) == 1

    gate, asked = threading.Event(), threading.Event()
    model = _HeldAtSecondCall(gate, asked)
    jobs = ReportBuildJobs(pages.store, study_settings, model_for=lambda _: model)
    ended = []
    worker = threading.Thread(target=lambda: ended.extend(asyncio.run(jobs.run_queued())))
    worker.start()
    try:
        assert asked.wait(WAIT_SECONDS), "the worker never asked the model"
        job = other.store.jobs.latest(JobKind.REPORT_BUILD)
        assert job is not None
        assert job.status == JobStatus.RUNNING
        progress = build_progress(job)
        assert progress is not None
        assert (progress.phase, progress.model_calls) == (ReportBuildPhase.NARRATIVES, 1)
        running = _page(other)
        assert "Construction en cours, demandée par fanny" in running
        assert "rédaction des synthèses par le modèle" in running
        assert "Appels au modèle : 1 · synthèses gardées : 0" in running
        assert REFRESH in running
    finally:
        gate.set()
        worker.join(WAIT_SECONDS)
    assert not worker.is_alive()
    assert [job.status for job in ended] == [JobStatus.DONE], ended

    done = other.store.jobs.latest(JobKind.REPORT_BUILD)
    assert done is not None
    result = build_progress(done)
    assert result is not None
    assert result.phase == ReportBuildPhase.DONE
    assert result.model_calls == model.calls
    assert result.narratives_kept >= 2  # syntheses and the recommendation citing themes
    assert result.narratives_dropped >= 1  # the recommendation citing none
    draft = other.store.reports.draft()
    assert draft is not None
    assert draft.built_by == "fanny"
    finished = _page(other)
    assert 'id="draft-heading"' in finished
    assert REFRESH not in finished
    assert f"{result.model_calls} appel" in finished  # the narratives' state, as before


def test_a_failed_build_says_why_and_is_retried_on_the_jobs_page(
    pages: PagesClient, other: PagesClient, study_settings: Settings
) -> None:
    queue_build(pages.store, ReportBuildRequest(requested_by="fanny", with_model=True))

    def broken(_: Settings) -> ChatModel:
        raise TerrainError("TERRAIN_CHAT_MODEL names no model this server knows.")

    failing = ReportBuildJobs(pages.store, study_settings, model_for=broken)
    [ended] = asyncio.run(failing.run_queued())
    assert ended.status == JobStatus.FAILED

    shown = _page(other)
    assert "La dernière construction a échoué : TERRAIN_CHAT_MODEL names no model" in shown
    assert "La relancer depuis la page « Extractions »" in shown
    english = html.unescape(other.http.get("/staff/report", headers={"Accept-Language": "en"}).text)
    assert "The last build failed: TERRAIN_CHAT_MODEL names no model" in english
    assert "Retry it from the “Extractions” page" in english
    assert REFRESH not in shown
    listed = _page(other, "/staff/jobs")
    assert "Constructions du rapport" in listed
    assert f'action="/staff/jobs/{ended.id}/retry"' in listed

    retried = other.post(f"/staff/jobs/{ended.id}/retry", {})
    assert retried.headers["location"] == "/staff/jobs?done=report_build_requeued"
    assert "Construction demandée par fanny" in _page(pages)
    working = ReportBuildJobs(pages.store, study_settings, model_for=lambda _: report_model())
    [again] = asyncio.run(working.run_queued())
    assert (again.id, again.status, again.attempts) == (ended.id, JobStatus.DONE, 2)
    assert other.store.reports.draft() is not None


def test_one_report_build_at_a_time_even_when_a_failed_one_is_retried(
    pages: PagesClient, other: PagesClient
) -> None:
    first = queue_build(pages.store, ReportBuildRequest(requested_by="fanny"))
    with pytest.raises(JobBusyError) as busy:
        queue_build(other.store, ReportBuildRequest(requested_by="someone else"))
    assert busy.value.busy_id == first.id
    pages.store.jobs.fail(first.id, error="it failed")
    second = queue_build(other.store, ReportBuildRequest(requested_by="someone else"))
    # Queueing the failed one again is refused by the database itself while the second waits.
    with pytest.raises(JobBusyError):
        pages.store.jobs.requeue(first.id)
    retried = pages.post(f"/staff/jobs/{first.id}/retry", {})
    assert retried.headers["location"] == "/staff/jobs?done=report_build_busy"
    statuses = {job.id: job.status for job in pages.store.jobs.where(kind=JobKind.REPORT_BUILD)}
    assert statuses == {first.id: JobStatus.FAILED, second.id: JobStatus.QUEUED}


def test_two_processes_asking_at_the_same_instant_start_one_build(
    pages: PagesClient, other: PagesClient
) -> None:
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def ask(store: Store, name: str) -> None:
        start.wait(WAIT_SECONDS)
        try:
            queue_build(store, ReportBuildRequest(requested_by=name))
            outcomes.append("queued")
        except JobBusyError:
            outcomes.append("busy")

    askers = [
        threading.Thread(target=ask, args=(pages.store, "fanny")),
        threading.Thread(target=ask, args=(other.store, "gilles")),
    ]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(WAIT_SECONDS)
    assert sorted(outcomes) == ["busy", "queued"]
    assert len(pages.store.jobs.where(kind=JobKind.REPORT_BUILD)) == 1


class _Stalled(ChatModel):
    """A model that never answers, and says when it has been asked."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    @property
    def name(self) -> str:
        return "stalled"

    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        self.asked.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        raise NotImplementedError


def test_a_build_whose_worker_stops_goes_back_to_the_queue(
    pages: PagesClient, study_settings: Settings
) -> None:
    job = queue_build(pages.store, ReportBuildRequest(requested_by="fanny"))
    model = _Stalled()
    jobs = ReportBuildJobs(pages.store, study_settings, model_for=lambda _: model)

    async def stopped_midway() -> None:
        running = asyncio.create_task(jobs.run_queued())
        await asyncio.wait_for(model.asked.wait(), WAIT_SECONDS)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

    asyncio.run(stopped_midway())
    again = pages.store.jobs.latest(JobKind.REPORT_BUILD)
    assert again is not None
    assert (again.id, again.status, again.error) == (job.id, JobStatus.QUEUED, STOPPED_REASON)
    assert pages.store.reports.draft() is None
    assert "Elle a été interrompue et reprendra du début" in _page(pages)


@pytest.mark.slow
def test_the_command_line_builds_through_the_same_job_or_queues_it(
    pages: PagesClient, study_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(study_settings.data_dir))
    if study_settings.database_url:
        monkeypatch.setenv("TERRAIN_DATABASE_URL", study_settings.database_url)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("TERRAIN_MAX_RETRIES", "0")
    monkeypatch.setenv("TERRAIN_REPORT_MIN_PEOPLE", "3")
    runner = CliRunner()

    built = runner.invoke(app, ["report", "build", "--no-model", "--as", "claire", "--json"])
    assert built.exit_code == 0, built.output
    [job] = pages.store.jobs.where(kind=JobKind.REPORT_BUILD)
    assert (job.status, job.params["requested_by"]) == (JobStatus.DONE, "claire")
    draft = pages.store.reports.draft()
    assert draft is not None
    assert draft.built_by == "claire"

    queued = runner.invoke(app, ["report", "build", "--queue", "--json"])
    assert queued.exit_code == 0, queued.output
    assert json.loads(queued.stdout)["queued"]["status"] == "queued"
    refused = runner.invoke(app, ["report", "build", "--no-model"])
    assert refused.exit_code == 1
    assert "already queued or running" in " ".join(refused.output.split())

    # `terrain worker --once` (the step `terrain serve`'s worker runs too) builds it.
    worked = runner.invoke(app, ["worker", "--once", "--json"])
    assert worked.exit_code == 0, worked.output
    ran = json.loads(worked.stdout)
    assert [(j["kind"], j["status"]) for j in ran["jobs"]] == [("report_build", "done")]
    assert ran["jobs"][0]["result"]["narratives"] == "unavailable"  # no model listens
