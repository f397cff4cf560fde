"""The employee's side of the running web app, over its Socket.IO protocol."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from assistant.interview.guide import load_guide
from assistant.schemas import GuardRule, InterviewStatus, JobKind, JobStatus, Phase, Speaker
from tests.guard_checks import assert_reached_safely, guide_sources, instructions
from tests.ollama_server import OllamaTestServer, compromised_responder
from tests.support.employee_chat import ANSWERS, POINTS, consented, interview_of, interviewer
from tests.support.extraction import coded_reply
from tests.web.client import WebClient, plain
from tests.web.server import WebServer
from tests.web.waiting import HANG_CAP_SECONDS

pytestmark = pytest.mark.slow


def interviewer_and_coder(body: dict[str, Any]) -> str:
    """The interviewer; asked for findings, it codes the first employee turn it is shown."""
    schema = body.get("format")
    if isinstance(schema, dict) and "findings" in schema.get("properties", {}):
        return coded_reply(body["messages"][-1]["content"], schema.get("title"))
    return interviewer(body)


async def test_consent_buttons_come_first_and_nothing_is_stored_before(web: WebServer) -> None:
    client = web.client("alice")
    await client.login()
    await client.connect()
    await client.wait_for(lambda: len(client.labels()) == 2)
    assert client.labels() == ["J'accepte", "Je refuse"]
    assert "Acceptez\\-vous de commencer" in client.last()
    # Typing something else first: a reminder, and still nothing in the database.
    await client.send("Bonjour, c'est quoi ce truc ?")
    assert "J'accepte" in plain(client.last())
    interview, turns = interview_of(web, client.thread_id)
    assert interview is None
    assert turns == []

    await client.click("J'accepte")
    await client.wait_for(lambda: "Retirer mon entretien" in client.labels())
    interview, turns = interview_of(web, client.thread_id)
    assert interview.consent_given is True
    assert interview.phase == Phase.ROLE
    assert [turn.speaker for turn in turns] == [
        Speaker.INTERVIEWER,
        Speaker.EMPLOYEE,
        Speaker.INTERVIEWER,
    ]
    assert turns[1].text == "Oui, j'accepte."
    assert "*Étape 1\\/6 \\: Le métier tel qu\\'il est prévu*" in client.texts()
    assert set(client.labels()) == {"Arrêter l'entretien", "Retirer mon entretien"}
    await client.disconnect()


async def test_declining_keeps_only_the_refusal(web: WebServer) -> None:
    client = web.client("alice")
    await client.login()
    await client.connect()
    await client.wait_for(lambda: "Je refuse" in client.labels())
    await client.click("Je refuse")
    await client.wait_for(lambda: "Seul votre refus est noté" in plain(client.last()))
    await client.wait_for(lambda: closed_signals(client) == [client.thread_id])
    assert client.labels() == []  # nothing was kept: nothing to withdraw
    interview, turns = interview_of(web, client.thread_id)
    assert interview.status == InterviewStatus.DECLINED
    assert interview.consent_given is False
    # Nothing the employee said is kept: only the interviewer's acknowledgement.
    assert [turn.speaker for turn in turns] == [Speaker.INTERVIEWER]
    assert "Seul votre refus est noté" in turns[0].text
    assert "Seul votre refus est noté" in plain(client.last())
    await client.disconnect()


async def test_a_full_interview_streams_shows_progress_and_ends_on_the_reviewed_summary(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.respond_with(interviewer)
    fake_ollama.tokens_per_second = 40  # a model's pace: the page waits for the whole reply
    client = await consented(web, "alice")
    fake_ollama.tokens_per_second = None
    first = client.shown()[-1]
    assert first.streamed, "the first question should have been streamed, once checked"
    # What the page showed while streaming reads as the stored question.
    assert " " in first.streamed_text
    assert first.content.startswith(first.streamed_text)
    assert (
        first.content == "\\[Le métier tel qu\\'il est prévu\\] Comment cela s\\'est\\-il passé \\?"
    )
    for answer in ANSWERS:
        await client.send(answer)
    # The summary, with its review buttons.
    await client.wait_for(lambda: "C'est juste" in client.labels())
    assert "*Étape 6\\/6 \\: Résumé et conclusion*" in client.texts()
    assert "- Vous accompagnez des personnes âgées à domicile\\." in client.last()
    assert {"Corriger", "Enlever du résumé : point 1", "Enlever du résumé : point 2"} <= set(
        client.labels()
    )
    steps = [text for text in client.texts() if text.startswith("*Étape")]
    assert [step.split("\\/")[0] for step in steps] == [f"*Étape {n}" for n in range(1, 7)]

    # Strike the first point: it leaves the stored summary too.
    await client.click("Enlever du résumé : point 1")
    await client.wait_for(
        lambda: (
            "C'est juste" in client.labels()
            and "Enlever du résumé : point 2" not in client.labels()
        )
    )
    interview, turns = interview_of(web, client.thread_id)
    summary = next(t for t in reversed(turns) if t.speaker == Speaker.INTERVIEWER)
    assert POINTS[0] not in summary.text
    assert POINTS[1] in summary.text
    assert interview.state["summary"] == [POINTS[1]]
    on_screen = next(text for text in client.texts() if "- " in text and "Hier" in text)
    assert "personnes âgées" not in on_screen

    await client.click("C'est juste")
    await client.wait_for_text("autre chose")
    await client.send("Non, c'est tout.")
    await client.wait_for_text("L\\'entretien est terminé")
    interview, turns = interview_of(web, client.thread_id)
    assert interview.status == InterviewStatus.CLOSED
    employee_turns = [t.text for t in turns if t.speaker == Speaker.EMPLOYEE]
    assert employee_turns == ["Oui, j'accepte.", *ANSWERS, "Oui, c'est juste.", "Non, c'est tout."]
    assert client.labels() == ["Retirer mon entretien"]
    await client.disconnect()


async def test_reload_and_server_restart_resume_the_same_thread(web: WebServer) -> None:
    client = await consented(web, "bob")
    await client.send(ANSWERS[0])
    await client.send(ANSWERS[1])
    thread_id = client.thread_id
    before = client.texts()
    await client.disconnect()

    # A reload: a new connection that asks for the thread.
    await client.connect(thread_id)
    await client.wait_for(lambda: client.resumed is not None)
    assert client.thread_id == thread_id
    assert client.resume_error is None
    resumed = [text for text in client.texts() if text]
    assert resumed == [text for text in before if text]
    await client.wait_for(lambda: "Arrêter l'entretien" in client.labels())
    await client.disconnect()

    # A restart: same database, same sign-in (the token's key derives from the data folder).
    web.restart()
    await client.connect(thread_id)
    await client.wait_for(lambda: client.resumed is not None)
    assert [t for t in client.texts() if t] == resumed
    await client.wait_for(lambda: "Arrêter l'entretien" in client.labels())
    await client.send(ANSWERS[2])
    _, turns = interview_of(web, thread_id)
    assert [t.text for t in turns if t.speaker == Speaker.EMPLOYEE][-1] == ANSWERS[2]
    assert plain(client.last()) == turns[-1].text
    # The thread is in bob's conversation list.
    async with client.http() as http:
        listed = await http.post(
            "/project/threads", json={"pagination": {"first": 20}, "filter": {}}
        )
    assert thread_id in [thread["id"] for thread in listed.json()["data"]]
    await client.disconnect()


def closed_signals(client: WebClient) -> list[str]:
    """The conversations the server told the page to close the message box of."""
    return [
        data["thread"]
        for event, data in client.events
        if event == "window_message" and data.get("terrain") == "closed"
    ]


def list_refreshes(client: WebClient) -> int:
    """How many times the server had the page read its conversation list again."""
    return sum(
        event == "first_interaction" and str(data.get("interaction")).startswith("ended-")
        for event, data in client.events
    )


async def listed_names(client: WebClient) -> dict[str, str]:
    async with client.http() as http:
        listed = await http.post(
            "/project/threads", json={"pagination": {"first": 20}, "filter": {}}
        )
    return {thread["id"]: thread["name"] for thread in listed.json()["data"]}


def extraction_of(web: WebServer, interview_id: str) -> JobStatus | None:
    with web.store() as store:
        jobs = store.jobs.where(kind=JobKind.EXTRACTION)
    return next((job.status for job in jobs if job.interview_id == interview_id), None)


async def test_stop_ends_the_interview(web: WebServer) -> None:
    client = await consented(web, "alice")
    await client.click("Arrêter l'entretien")
    await client.wait_for(lambda: client.labels() == ["Retirer mon entretien"])
    interview, _ = interview_of(web, client.thread_id)
    assert interview.status == InterviewStatus.STOPPED
    # Nothing said beyond consent: nothing to extract.
    assert extraction_of(web, interview.id) is None
    await client.disconnect()


async def test_stopped_after_a_few_answers_is_extracted_by_the_servers_worker(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.respond_with(interviewer_and_coder)
    client = await consented(web, "chloe")
    for answer in ANSWERS[:3]:
        await client.send(answer)
    assert list_refreshes(client) == 0
    await client.click("Arrêter l'entretien")
    await client.wait_for(lambda: client.labels() == ["Retirer mon entretien"])
    thread_id = client.thread_id
    assert thread_id is not None
    assert extraction_of(web, thread_id) in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE)
    # The page closes the message box and reads its conversation list again, which names
    # the interview by its new status.
    await client.wait_for(
        lambda: closed_signals(client) == [thread_id] and list_refreshes(client) > 0
    )
    assert (await listed_names(client))[thread_id].startswith("Arrêté")
    # The worker `terrain serve` runs beside the app extracts it, with no one asking.
    await wait_until(lambda: extraction_of(web, thread_id) == JobStatus.DONE, web)
    with web.store() as store:
        assert store.findings.where(interview_id=thread_id)
    # Reopened, it stays closed to answers.
    await client.disconnect()
    await client.connect(thread_id)
    await client.wait_for(lambda: closed_signals(client) == [thread_id])
    await client.disconnect()


async def wait_until(condition: Callable[[], bool], web: WebServer) -> None:
    """Poll the condition: no deadline of the machine's speed, only a cap against a hang."""
    deadline = time.monotonic() + HANG_CAP_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"still not so after {HANG_CAP_SECONDS} s:\n{web.output()[-3000:]}"
            )
        await asyncio.sleep(0.2)


async def test_a_reopened_erased_conversation_greets_once(web: WebServer) -> None:
    client = await consented(web, "bob")
    thread_id = client.thread_id
    await client.click("Retirer mon entretien")
    await client.wait_for(lambda: "Oui, tout effacer" in client.labels())
    await client.click("Oui, tout effacer")
    await client.wait_for(lambda: interview_of(web, thread_id)[0] is None)
    await client.wait_for(lambda: closed_signals(client) == [thread_id])
    await client.disconnect()

    # The page asks for the erased conversation (a bookmark, the list before it refreshed).
    await client.connect(thread_id)
    await client.wait_for(lambda: client.resume_error is not None)
    await client.wait_for(lambda: "J'accepte" in client.labels())
    welcomes = [text for text in client.texts() if "Acceptez\\-vous de commencer" in text]
    assert len(welcomes) == 1
    await client.disconnect()


async def test_withdrawal_asks_first_then_erases_and_says_what(web: WebServer) -> None:
    client = await consented(web, "alice")
    await client.send(ANSWERS[0])
    interview, turns = interview_of(web, client.thread_id)
    await client.click("Retirer mon entretien")
    # While the question waits, its two answers are the only buttons.
    await client.wait_for(
        lambda: client.labels() == ["Oui, tout effacer", "Non, garder l'entretien"]
    )
    await client.click("Non, garder l'entretien")
    await client.wait_for_text("Rien n'a été effacé")
    await client.wait_for(
        lambda: set(client.labels()) == {"Arrêter l'entretien", "Retirer mon entretien"}
    )
    assert interview_of(web, client.thread_id)[0] is not None

    await client.click("Retirer mon entretien")
    await client.wait_for(lambda: "Non, garder l'entretien" in client.labels())
    cancel = client.action("Non, garder l'entretien")
    await client.click("Oui, tout effacer")
    await client.wait_for_text("Ont été effacés")
    said = plain(client.last())
    assert interview.pseudonym in said
    assert f"ses {len(turns)} messages" in said
    assert interview_of(web, client.thread_id) == (None, [])
    # Nothing of the finished interview stays clickable, and a late "keep it" says the truth.
    assert client.labels() == []
    shown = len(client.texts())
    await client.call_action(cancel)
    await client.wait_for(lambda: len(client.texts()) > shown)
    assert "Cet entretien a été effacé" in plain(client.last())
    assert client.labels() == []
    await client.send("Encore une chose.")
    assert "a été effacé" in client.last()
    await client.disconnect()


async def test_back_at_the_first_page_the_interview_in_progress_is_offered(
    web: WebServer,
) -> None:
    client = await consented(web, "chloe")
    ongoing = client.thread_id
    assert ongoing is not None
    await client.disconnect()
    await client.connect()  # the app's root again: a new conversation
    await client.wait_for(lambda: "J'accepte" in client.labels())
    offer = next(text for text in client.texts() if "entretien en cours" in text)
    assert f"](/thread/{ongoing})" in offer
    assert "Le reprendre là où vous en étiez" in plain(offer)
    await client.disconnect()
    # Once it has ended, nothing is offered.
    with web.store() as store:
        store.interviews.erase(ongoing)
    await client.connect()
    await client.wait_for(lambda: "J'accepte" in client.labels())
    assert not any("entretien en cours" in text for text in client.texts())
    await client.disconnect()


async def test_english_browser_gets_an_english_interview(web: WebServer) -> None:
    client = await consented(web, "chloe", language="en-US")
    interview, turns = interview_of(web, client.thread_id)
    assert interview.language == "en"
    assert turns[1].text == "Yes, I agree."
    assert turns[0].text == load_guide("en").welcome(web.settings)
    assert any(text.startswith("*Step 1 of 6") for text in client.texts())
    await client.disconnect()


async def test_bad_input_is_refused_without_storing_and_markup_stays_inert(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    client = await consented(web, "alice")
    _, before = interview_of(web, client.thread_id)
    guide = load_guide("fr")

    await client.send("   ")
    assert plain(client.last()) == f"_{guide.messages.empty}_"
    too_long = "a" * (web.settings.max_message_chars + 1)
    await client.send(too_long)
    assert "20000 caractères" in client.last()
    assert "Rien n\\'a été enregistré" in client.last()
    assert interview_of(web, client.thread_id)[1] == before

    # The model's markup never reaches the page: the guard puts the guide's question instead.
    hostile_model = "<img src=x onerror=alert(1)> Et [ce lien](javascript:alert(1)) ?"
    fake_ollama.queue(hostile_model)
    await client.send("<img src=x onerror=alert(1)> [lien](javascript:alert(1)) **gras**")
    _, turns = interview_of(web, client.thread_id)
    assert turns[-2].text == "<img src=x onerror=alert(1)> [lien](javascript:alert(1)) **gras**"
    assert turns[-1].guard_rule == GuardRule.LINK
    assert plain(client.last()) == turns[-1].text
    assert "onerror" not in client.last()
    # The page renders neither HTML nor the employee's Markdown.
    async with client.http() as http:
        features = (await http.get("/project/settings")).json()["features"]
    assert features["unsafe_allow_html"] is False
    assert features["user_message_markdown"] is False
    assert features["edit_message"] is False
    await client.disconnect()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_consent_buttons_say_what_the_guide_understands(language: str) -> None:
    from assistant.text import contains_phrase
    from assistant.web.texts import texts_for

    texts, words = texts_for(language), load_guide(language).words
    assert contains_phrase(texts.agree_said, words.yes)
    assert not contains_phrase(texts.agree_said, words.no)
    assert contains_phrase(texts.decline_said, words.no)
    assert contains_phrase(texts.summary_confirm_said, words.yes)
    assert not contains_phrase(texts.summary_confirm_said, words.no)


async def test_a_compromised_model_reaches_the_page_only_through_the_guard(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.respond_with(compromised_responder())
    client = await consented(web, "alice")
    for answer in ANSWERS[:6]:
        await client.send(answer)
    _, turns = interview_of(web, client.thread_id)
    asked = [turn for turn in turns if turn.speaker == Speaker.INTERVIEWER][1:]
    # The model's attacks in turn, all replaced, each naming its rule. A string of questions is
    # asked for again, once: the next attack (another language) answers in its place.
    assert [turn.guard_rule for turn in asked] == [
        GuardRule.LEAK,
        GuardRule.LINK,
        GuardRule.QUESTIONS,  # advice: no question
        GuardRule.LANGUAGE,  # a string of questions, asked again
        GuardRule.LENGTH,
        GuardRule.LEAK,
        GuardRule.LINK,
    ]
    systems = [
        instructions(request.body["messages"][0]["content"])
        for request in fake_ollama.chat_requests()
    ]
    sources = [*systems, *guide_sources("fr")]
    # From the first question on; the step lines (in italics) are Terrain's own texts.
    framing = load_guide("fr").welcome(web.settings).split()
    page = client.shown()
    start = next(i for i, m in enumerate(page) if plain(m.content).split() == framing) + 1
    shown = [
        plain(text)
        for message in page[start:]
        if message.type == "assistant_message"
        for text in (message.content, message.streamed_text)
        if text and not text.startswith("*")
    ]
    assert len(shown) >= len(asked)
    for text in shown:
        assert_reached_safely(text, sources=sources, max_run=web.settings.guard_max_shared_words)
    await client.disconnect()


@pytest.mark.parametrize("name", ["fanny", "lea", "adam"])
async def test_staff_chats_get_no_answer_box_nor_the_employees_footer(
    web: WebServer, name: str
) -> None:
    client = web.client(name)
    await client.login()
    await client.connect()
    told = [data for event, data in client.events if event == "window_message"]
    assert told == [{"terrain": "staff", "thread": None}]
    await client.disconnect()
