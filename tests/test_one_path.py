"""One path: the web app, the terminal, the evaluation runner and a persona run drive the same
session code with the same options, so that one script gives the same delivered messages for
the same number of model calls whichever of them runs it.

The script: the employee consents; the model's first reply holds two questions (the session
asks for it again, once), its second holds one. The model is the in-process fake everywhere.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.config import Settings
from assistant.evaluation.cases import Case, CaseKind, ExpectedFinding, Fact, Persona
from assistant.evaluation.personas import STOP, run_persona
from assistant.evaluation.recording import RecordingChatModel
from assistant.evaluation.runner import Runner, RunOptions
from assistant.llm.testing import ModelRequest, ScriptedChatModel
from assistant.schemas import Phase
from assistant.store import Store
from tests.conftest import CHAT_MODEL, EMBED_MODEL, SettingsFactory

CONSENT = "oui"
TWO_QUESTIONS = "D'accord. Quel est votre métier ? Et depuis quand le faites-vous ?"
ONE_QUESTION = "Quel est votre métier, au quotidien ?"
FIRST_OF_TWO = "D'accord. Quel est votre métier ?"  # what trimming alone would deliver


@dataclass
class Interviewer:
    """The scripted model: two questions, then one; an empty extraction when asked for one."""

    replies: list[str] = field(default_factory=lambda: [TWO_QUESTIONS, ONE_QUESTION])
    model: ScriptedChatModel = field(init=False)

    def __post_init__(self) -> None:
        self.model = ScriptedChatModel(respond=self._answer, name="scripted-interviewer")

    def _answer(self, request: ModelRequest) -> str:
        if request.json_schema is not None:
            return json.dumps({"findings": []})
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    @property
    def question_calls(self) -> int:
        return sum(1 for request in self.model.requests if request.json_schema is None)


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.mark.slow  # Chainlit, the command line and the guard load in one test: ~50 s
def test_every_adapter_delivers_the_same_checked_reply_for_the_same_calls(
    settings: Settings, tmp_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivered = {
        "web": asyncio.run(_through_the_web(settings, tmp_store)),
        "terminal": _through_the_terminal(tmp_path / "terminal", monkeypatch),
        "runner": asyncio.run(_through_the_runner(settings, tmp_store)),
        "persona": asyncio.run(_through_a_persona(settings, tmp_store)),
    }
    # The reply asked for again (not the first one trimmed), after two calls, everywhere.
    assert delivered == dict.fromkeys(delivered, ([ONE_QUESTION], 2))


# -- each adapter, as users get it --------------------------------------------------------------


async def _through_the_web(settings: Settings, store: Store) -> tuple[list[str], int]:
    """The employee's chat, in process: Chainlit's context with an emitter that records what
    the page would be sent (the model is the only fake of Terrain's)."""
    from chainlit.context import init_http_context
    from chainlit.emitter import BaseChainlitEmitter

    from assistant.interview.session import SessionDeps
    from assistant.web import employee, render
    from assistant.web.runtime import OwnerIndex, Runtime

    class Page(BaseChainlitEmitter):
        steps: dict[str, dict[str, Any]]

        async def send_step(self, step_dict: Any) -> None:
            self.steps[step_dict["id"]] = dict(step_dict)

        async def update_step(self, step_dict: Any) -> None:
            self.steps[step_dict["id"]] = dict(step_dict)

        async def stream_start(self, step_dict: Any) -> None:
            self.steps[step_dict["id"]] = dict(step_dict)

    context = init_http_context()
    page = Page(context.session)
    page.steps = {}
    context.emitter = page
    interviewer = Interviewer()
    deps = SessionDeps(settings=settings, store=store, model=interviewer.model)
    runtime = Runtime(settings=settings, store=store, owners=OwnerIndex(settings, store))
    runtime._deps = deps  # the runtime builds them once, from the settings: here, given
    await employee.start(runtime, "alice", "fr")
    chat = employee.current_chat()
    assert chat is not None
    before = set(page.steps)
    await employee.on_message(runtime, chat, CONSENT)
    shown = [
        step["output"]
        for step_id, step in page.steps.items()
        if step_id not in before and step.get("type") == "assistant_message"
    ]
    # What the page shows is the stored text, escaped for Markdown (the progress line, no
    # question, is left out).
    texts = (ONE_QUESTION, TWO_QUESTIONS, FIRST_OF_TWO)
    by_page = {render.message(text): text for text in texts}
    delivered = [by_page.get(output, output) for output in shown if "?" in output]
    return delivered, interviewer.question_calls


def _through_the_terminal(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], int]:
    """``terrain interview``, scripted through standard input."""
    from assistant.cli.app import app

    monkeypatch.setenv("TERRAIN_DATA_DIR", str(folder / "data"))
    monkeypatch.setenv("TERRAIN_CHAT_MODEL", CHAT_MODEL)
    monkeypatch.setenv("TERRAIN_EMBED_MODEL", EMBED_MODEL)
    monkeypatch.setenv("TERRAIN_MAX_RETRIES", "0")
    interviewer = Interviewer()
    # The model the settings name, as the one place that wires a session would get it.
    monkeypatch.setattr(
        "assistant.interview.factory.chat_model_for", lambda settings: interviewer.model
    )
    result = CliRunner().invoke(app, ["interview", "--lang", "fr"], input=f"{CONSENT}\n")
    assert result.exit_code == 0, result.output
    # The welcome, then the interviewer's answer, each after "Terrain:".
    said = [line for line in result.stdout.splitlines() if line.startswith("Terrain: ")]
    return [said[-1].removeprefix("Terrain: ")], interviewer.question_calls


async def _through_the_runner(settings: Settings, store: Store) -> tuple[list[str], int]:
    """The evaluation runner's interviewer-turn case: the consent answer, on a new interview."""
    interviewer = Interviewer()
    case = Case(
        id="one-path",
        kind=CaseKind.INTERVIEWER_TURN,
        language="fr",
        phase=Phase.CONSENT,
        message=CONSENT,
    )
    options = RunOptions(settings=settings, model_for=lambda case: interviewer.model)
    attempt = await Runner(options, store).run_case(case)
    attempt_delivered = attempt.attempts[0].delivered
    return [attempt_delivered] if attempt_delivered else [], interviewer.question_calls


async def _through_a_persona(settings: Settings, store: Store) -> tuple[list[str], int]:
    """A persona run: the simulated employee consents, reads the question, and stops."""
    interviewer = Interviewer()
    user = ScriptedChatModel([CONSENT, STOP], name="scripted-user")
    case = Case(
        id="one-path-persona",
        kind=CaseKind.PERSONA,
        language="fr",
        persona=Persona(
            role="aide à domicile",
            episode="Hier matin, chez Mme R.",
            facts=[
                Fact(
                    id="time",
                    fact="La toilette dépasse.",
                    asked_about=["temps"],
                    said="Je dépasse de vingt minutes.",
                    markers=["vingt minutes"],
                )
            ],
            relational_goods=[ExpectedFinding(code="trust", evidence="confiance")],
            mood="calme",
            tendency="réponses brèves",
            opening="Je ne sais pas.",
            max_turns=2,
        ),
    )
    await run_persona(case, RecordingChatModel(interviewer.model), user, store, settings)
    # What the simulated employee was shown after consenting: the question it would answer.
    delivered = [request.last.content for request in user.requests[1:]]
    return delivered, interviewer.question_calls
