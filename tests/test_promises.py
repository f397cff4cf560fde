"""Every text that states a rule says what the settings enforce: the report's anonymity
thresholds, how long interviews are kept and how long one lasts, whether facilitators read the
people an employee mentions masked, in French and English, wherever an employee or a staff
member reads it (the welcome and consent, the answer on who sees what, the "Lisez-moi" page,
leadership's card). And no text writes such a figure itself."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from assistant.auth import Account
from assistant.config import Settings
from assistant.interview.guide import load_guide
from assistant.interview.routes import confidentiality_answer
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.schemas import UserRole
from assistant.store import Store
from assistant.web import staff
from assistant.web.launch import prepare_app_root
from assistant.web.texts import texts_for
from tests.conftest import SettingsFactory
from tests.support.sentences import strings_in

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("fr", "en")
# What each text must say under the changed settings.
CHANGED = {
    "report_min_people": 7,
    "report_min_people_for_quotes": 13,
    "retention_days": 45,
    "interview_minutes": 35,
}
SAYS = {
    "fr": {
        "min_people": "moins de 7 personnes",
        "quotes": "13 personnes",
        "retention": "effacés 45 jours après leur fin",
        "minutes": "35 minutes",
    },
    "en": {
        "min_people": "fewer than 7 people",
        "quotes": "13 people",
        "retention": "erased 45 days after they end",
        "minutes": "35 minutes",
    },
}
KEPT = {"fr": "conservés jusqu'à ce qu'on les efface", "en": "kept until someone erases them"}


@pytest.fixture
def changed(make_settings: SettingsFactory) -> Settings:
    return make_settings(**CHANGED)


def _one_line(text: str) -> str:
    return " ".join(text.replace("*", "").split())


async def test_the_welcome_the_employee_reads_states_the_settings(
    changed: Settings, tmp_store: Store
) -> None:
    for language in LANGUAGES:
        session = await InterviewSession.begin(
            SessionDeps(settings=changed, store=tmp_store, model=None), language=language
        )
        [welcome] = tmp_store.interviews.turns(session.interview.id)
        said = _one_line(welcome.text)
        expected = SAYS[language]
        assert expected["min_people"] in said
        assert expected["retention"] in said
        assert expected["minutes"] in said
        assert "$" not in said
        assert welcome.text == load_guide(language).welcome(changed)  # what the web app shows


@pytest.mark.parametrize("language", LANGUAGES)
def test_who_sees_what_states_both_thresholds_and_the_retention(
    changed: Settings, make_settings: SettingsFactory, language: str
) -> None:
    guide = load_guide(language)
    said = _one_line(confidentiality_answer(guide, changed))
    assert SAYS[language]["retention"] in said
    assert "7 personnes" in said if language == "fr" else "7 people" in said
    assert SAYS[language]["quotes"] in said
    assert KEPT[language] in _one_line(confidentiality_answer(guide, make_settings()))
    assert KEPT[language] in _one_line(guide.welcome(make_settings()))


def test_the_lisez_moi_page_chainlit_serves_states_the_settings(changed: Settings) -> None:
    page = _one_line((prepare_app_root(changed) / "chainlit.md").read_text(encoding="utf-8"))
    french, _, english = page.partition("## English")
    for language, text in (("fr", french), ("en", english)):
        for fragment in SAYS[language].values():
            assert fragment in text, (language, fragment)
    assert "$" not in page


MASKED = {
    "fr": "y sont masquées : leurs noms, numéros de téléphone",
    "en": "are masked there: their names, phone numbers",
}
NOT_MASKED = {"fr": "n'y sont pas masquées", "en": "are not masked there"}


@pytest.mark.parametrize("mask", [True, False])
def test_who_sees_what_and_the_lisez_moi_state_the_masking_of_third_parties_as_set(
    make_settings: SettingsFactory, mask: bool
) -> None:
    """``TERRAIN_MASK_THIRD_PARTIES`` false: no text claims that facilitators read the people
    an employee mentions masked."""
    settings = make_settings(mask_third_parties=mask)
    page = _one_line((prepare_app_root(settings) / "chainlit.md").read_text(encoding="utf-8"))
    french, _, english = page.partition("## English")
    for language, lisez_moi in (("fr", french), ("en", english)):
        answer = _one_line(confidentiality_answer(load_guide(language), settings))
        for said in (answer, lisez_moi):
            claims = MASKED[language] in said
            denies = NOT_MASKED[language] in said
            assert (claims, denies) == (mask, not mask), (language, said)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_leaderships_card_states_both_thresholds(
    changed: Settings, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []

    class Said:
        def __init__(self, content: str) -> None:
            self.content = content

        async def send(self) -> None:
            shown.append(self.content)

    monkeypatch.setattr(staff, "_say", lambda content, texts: Said(content))
    account = Account(name="direction", role=UserRole.LEADERSHIP)
    await staff.staff_home(account, texts_for(language), changed)
    [card] = shown
    said = _one_line(card.replace("\\", ""))
    assert SAYS[language]["min_people"] in said
    assert SAYS[language]["quotes"] in said


# ------------------------------------------------------------- no figure written into a text

_NUMBER = (
    r"(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|vingt|twenty)"
)
_PEOPLE = r"(?:personnes?|people|persons?|salariés|employees|participants)"
_BELOW = r"(?:moins de|plus de|au moins|au minimum|fewer than|less than|more than|at least|under)"
HARD_CODED = [
    # an anonymity threshold: "moins de cinq personnes", "fewer than 5 people", "at least ten"…
    re.compile(rf"\b{_BELOW}\s+{_NUMBER}\s+{_PEOPLE}", re.I),
    # the default threshold, however phrased: "cinq personnes", "5 people"
    re.compile(rf"\b(?:cinq|five|5|dix|ten|10)\s+{_PEOPLE}", re.I),
    # a length of interview or a retention: "une vingtaine de minutes", "twenty minutes", "30 jours"
    re.compile(r"\b(?:vingtaine|quinzaine|trentaine|dizaine)\s+de\s+minutes\b", re.I),
    re.compile(rf"\b{_NUMBER}\s+(?:minutes|jours|days|mois|months)\b", re.I),
]


def texts_of(path: Path) -> Iterator[str]:
    """The texts a file holds: a Python module's string constants (adjacent literals joined),
    a TOML file's strings, a Markdown or JSON file whole."""
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value
    elif path.suffix == ".toml":
        yield from strings_in(tomllib.loads(source))
    elif path.suffix == ".po":  # a catalog: each message in English and in its language
        with path.open("rb") as catalog:
            for message in read_po(catalog):
                for text in (message.id, message.string):
                    yield from [text] if isinstance(text, str) else (text or [])
    else:
        yield source


def shown_texts() -> list[Path]:
    """Every file whose words reach a person: the guide and prompts, the app's modules (web
    texts, staff pages, CLI, report texts), their catalogs in every language, the "Lisez-moi"
    page, Chainlit's translations."""
    files = [ROOT / "chainlit.md", *sorted((ROOT / "prompts").glob("*.toml"))]
    files += sorted((ROOT / "assistant").rglob("*.py"))
    files += sorted((ROOT / "assistant" / "locale").glob("*/LC_MESSAGES/*.po"))
    files += sorted((ROOT / ".chainlit" / "translations").glob("*.json"))
    return files


def test_no_text_writes_a_threshold_a_retention_or_a_length_itself() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)!r}"
        for path in shown_texts()
        for text in texts_of(path)
        for pattern in HARD_CODED
        for match in pattern.finditer(" ".join(text.split()))
    ]
    assert found == []


def test_the_catalogs_are_searched_for_written_figures() -> None:
    """A French catalog's translation is read as well as its English message id."""
    searched = [path for path in shown_texts() if path.suffix == ".po"]
    assert {path.parts[-3] for path in searched} >= {"en", "fr"}
    french = [text for path in searched if path.parts[-3] == "fr" for text in texts_of(path)]
    assert "Espace équipe" in french


def test_the_search_for_written_figures_finds_the_old_wordings() -> None:
    """The patterns above catch what main's texts said (so the test above can fail)."""
    old = [
        "sans rien qui concerne moins de cinq personnes.",
        "no theme, quote or count that concerns fewer than five people appears",
        "L'entretien dure une vingtaine de minutes.",
        "The interview takes about twenty minutes.",
        "Interviews are erased 30 days after they end.",
    ]
    assert all(any(p.search(text) for p in HARD_CODED) for text in old)
