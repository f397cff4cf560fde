"""What Chainlit's pages say and look like: Terrain's translations, stylesheet, script, logo.

Chainlit takes each language's whole translation file from its working folder. Terrain changes
only some of its words (a user name rather than an e-mail address, a footer that is true), from
its own catalogs (:func:`chainlit_words`), and writes them over Chainlit's own files, so that a
Chainlit upgrade brings its new words along. A browser in a language Terrain has no catalog for
gets the interface of the installation's default language, as its interview does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.i18n import languages, translation
from assistant.web.texts import language_from

REPO_ROOT = Path(__file__).resolve().parents[2]
PUBLIC_SOURCE = REPO_ROOT / "public"
SCRIPT = "terrain.js"  # the config's [UI] custom_js
BASE_FILES = {"fr": "fr-FR.json", "en": "en-US.json"}  # else the first <language>-*.json


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with every leaf of ``override`` written over it."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def translations(chainlit_translations: Path, default_language: str) -> dict[str, dict[str, Any]]:
    """File name → translation, for every language Chainlit ships."""
    terrain = {}
    for language in languages():
        base = chainlit_translations / BASE_FILES.get(language, "")
        if not base.is_file():
            base = sorted(chainlit_translations.glob(f"{language}-*.json"))[0]
        chainlit = json.loads(base.read_text(encoding="utf-8"))
        terrain[language] = merged(chainlit, chainlit_words(language))
    return {
        path.name: terrain[language_from(path.stem, default_language)]
        for path in sorted(chainlit_translations.glob("*.json"))
    }


def chainlit_words(language: str) -> dict[str, Any]:
    """The words of Chainlit's that Terrain changes, in ``language``, by their place in
    Chainlit's translation files."""
    _ = translation(language).gettext
    wrong = _("Wrong user name or password. Check them, or ask your administrator.")
    return {
        "auth": {
            "login": {
                "title": _("Sign in to Terrain"),
                "form": {
                    "email": {
                        "label": _("User name"),
                        "required": _("the user name is required"),
                        "placeholder": _("the name your administrator gave you"),
                    }
                },
                "errors": {
                    "default": wrong,
                    "signin": _("Wrong user name or password."),
                    "credentialsSignin": wrong,
                    "too many requests": _(
                        "Too many failed attempts: signing in to this account is paused for a "
                        "while. Try again later, or ask an administrator to unlock it."
                    ),
                },
            }
        },
        "chat": {
            "input": {"placeholder": _("Your answer…")},
            "watermark": _(
                "Interview stored under a pseudonym. You can stop or withdraw it at any time."
            ),
        },
    }


def install(root: Path, settings: Settings, chainlit_package: Path) -> None:
    """Write the translations and the public files into Chainlit's working folder ``root``."""
    folder = root / ".chainlit" / "translations"
    folder.mkdir(parents=True, exist_ok=True)
    for name, chainlit_words in translations(
        chainlit_package / "translations", settings.language
    ).items():
        text = json.dumps(chainlit_words, ensure_ascii=False, indent=4)
        (folder / name).write_text(text + "\n", encoding="utf-8")
    public = root / "public"
    public.mkdir(exist_ok=True)
    for source in PUBLIC_SOURCE.iterdir():
        if source.is_file() and source.name != SCRIPT:
            shutil.copyfile(source, public / source.name)
    script = (PUBLIC_SOURCE / SCRIPT).read_text(encoding="utf-8")
    default = json.dumps(language_from(settings.language, "fr"))
    words = json.dumps({language: script_words(language) for language in languages()})
    (public / SCRIPT).write_text(
        f"window.terrainDefaultLanguage = {default};\nwindow.terrainWords = {words};\n{script}",
        encoding="utf-8",
    )


def script_words(language: str) -> dict[str, dict[str, str]]:
    """What ``public/terrain.js`` says in ``language``: the names it gives Chainlit's unnamed
    controls (by CSS selector), and its words for Chainlit's own messages (by their English)."""
    _ = translation(language).gettext
    sidebar = _("Show or hide the list of interviews")
    return {
        "labels": {
            "#sidebar-trigger-button": sidebar,
            "#search-chats-button": _("Search my interviews"),
            "#new-chat-button": _("Begin a new interview"),
            "#chat-submit": _("Send the answer"),
            "#thread-options": _("Interview options"),
            "#theme-toggle": _("Switch theme (light or dark)"),
            "#password-toggle": _("Show the password"),
            "#chat-input": _("Your answer"),
            "#user-nav-button": _("My account"),
            "#readme-button": _("Read me"),
            "button:has(> svg.lucide-arrow-down)": _("Go to the latest message"),
            "button:has(> svg.lucide-copy)": _("Copy the message"),
            "button[data-sidebar=rail]": sidebar,
        },
        "chainlit": {
            "Couldn't resume chat: Thread not found.": _(
                "This interview no longer exists: it was withdrawn or erased. A new one is offered."
            ),
            "Couldn't resume chat": _(
                "This interview could not be reopened. A new one is offered."
            ),
        },
    }
