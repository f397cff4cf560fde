"""Text from outside (a message, a form) cleaned before it is stored: NUL, lone surrogates and
bidi overrides replaced visibly, the same way on SQLite and PostgreSQL, and the message answered."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.llm.testing import ScriptedChatModel
from assistant.schemas import Phase, Speaker
from assistant.store import Store
from assistant.text import REPLACEMENT, clean_text
from tests.conftest import SettingsFactory
from tests.support.session import QUESTION, collect, interviewer, messages, streamed

HOSTILE = ["J'ai fait\x00 la toilette.", "Le planning \udcff ne suit pas.", "Mme \u202eR. inquiète"]
CLEANED = [
    f"J'ai fait{REPLACEMENT} la toilette.",
    f"Le planning {REPLACEMENT} ne suit pas.",
    f"Mme {REPLACEMENT}R. inquiète",
]


def test_clean_text_replaces_what_cannot_be_stored_or_shown_safely() -> None:
    assert [clean_text(text) for text in HOSTILE] == CLEANED
    # Tabs, line breaks, accents, right-to-left letters and marks are text, kept as they are.
    kept = "ligne\tune\nligne deux\r\n عربي \u200f é"
    assert clean_text(kept) == kept


async def _answered(store: Store, settings: Settings) -> None:
    model = ScriptedChatModel(name="scripted-interviewer")
    model.respond_with(interviewer)
    deps = SessionDeps(settings=settings, store=store, model=model)
    session = await InterviewSession.begin(deps, language="fr")
    await collect(session.respond("oui"))
    for text in HOSTILE:
        events = await collect(session.respond(text))
        assert QUESTION in (streamed(events) + " ".join(messages(events)))
    employee = [t.text for t in await session.transcript() if t.speaker == Speaker.EMPLOYEE]
    assert employee[-3:] == CLEANED
    stored = [t.text for t in store.interviews.turns(session.interview.id)]
    assert all(text in stored for text in CLEANED)


async def test_nul_surrogate_and_bidi_messages_are_stored_and_answered_on_sqlite(
    tmp_store: Store, make_settings: SettingsFactory
) -> None:
    await _answered(tmp_store, make_settings())


@pytest.mark.slow
async def test_nul_surrogate_and_bidi_messages_are_stored_and_answered_on_postgresql(
    postgres_url: str, make_settings: SettingsFactory
) -> None:
    with Store(postgres_url) as store:
        store.migrate()
        await _answered(store, make_settings())
    # Written straight to the store too (a form, an import): cleaned at its boundary.
    with Store(postgres_url) as store:
        interview = store.interviews.create(language="fr")
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text="a\x00b\udcffc", phase=Phase.ROLE
        )
        [turn] = store.interviews.turns(interview.id)
        assert turn.text == f"a{REPLACEMENT}b{REPLACEMENT}c"
