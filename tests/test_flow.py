"""The interview's flow as pure decisions, and the core's own texts: no store, no model."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.i18n import UnsupportedLanguage
from assistant.interview.flow import ConsentAnswer, consent_answer, plan_answer
from assistant.interview.guide import load_guide
from assistant.interview.messages import MESSAGES, language_name, message
from assistant.interview.session import answers_consent
from assistant.interview.state import SessionState
from assistant.schemas import Phase
from tests.conftest import SettingsFactory


@pytest.mark.parametrize(
    ("language", "text", "answer"),
    [
        ("fr", "Oui, d'accord.", ConsentAnswer.GIVEN),
        ("fr", "Non merci.", ConsentAnswer.REFUSED),
        ("fr", "Je veux arrêter.", ConsentAnswer.REFUSED),  # a stop request, no "non"
        ("fr", "Oui enfin non.", ConsentAnswer.REFUSED),  # a no wins
        ("fr", "C'est pour quoi faire ?", ConsentAnswer.UNCLEAR),
        ("en", "Yes, I agree.", ConsentAnswer.GIVEN),
        ("en", "I want to stop", ConsentAnswer.REFUSED),
        ("en", "What is this for?", ConsentAnswer.UNCLEAR),
    ],
)
def test_the_consent_answer_is_read_once_for_every_adapter(
    language: str, text: str, answer: ConsentAnswer
) -> None:
    assert consent_answer(load_guide(language), text) == answer
    # The web app opens an interview exactly when the session would take the answer.
    assert answers_consent(language, text) == (answer != ConsentAnswer.UNCLEAR)


def test_a_plan_leaves_the_state_it_was_made_from_as_it_was(
    make_settings: SettingsFactory,
) -> None:
    settings: Settings = make_settings()
    guide = load_guide("fr")
    state = SessionState()
    plan = plan_answer(guide, settings, state, Phase.ROLE, "Je suis aide à domicile.")
    assert state == SessionState()
    assert plan.state.answers == {Phase.ROLE: 1}
    assert plan.phase == Phase.ROLE  # no question asked yet: the phase is not covered


def test_the_cores_texts_exist_in_each_language_whole() -> None:
    for key, text in MESSAGES.items():
        french = message("fr", key, last=3, words="w", number=1, total=2, title="t")
        assert french != text.format(last=3, words="w", number=1, total=2, title="t"), key
        assert "(s)" not in text + french  # no plural made by hand
    with pytest.raises(UnsupportedLanguage):
        message("de", "interview_over")
    assert message("fr", "no_such_point", last=3).endswith("de 1 à 3.")
    assert language_name("fr") == "français"
    assert language_name("en") == "English"
