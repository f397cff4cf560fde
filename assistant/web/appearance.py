"""What Chainlit's pages say and look like: Terrain's translations, stylesheet, script, logo.

Chainlit takes each language's whole translation file from its working folder. Terrain keeps
only the words it changes (``.chainlit/translations/fr-FR.json`` and ``en-US.json``: a user
name rather than an e-mail address, a footer that is true) and writes them over Chainlit's own
files, so that a Chainlit upgrade brings its new words along. A browser in any other language
gets the interface of the installation's default language, as its interview does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.web.texts import language_from

REPO_ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = REPO_ROOT / ".chainlit" / "translations"
PUBLIC_SOURCE = REPO_ROOT / "public"
SCRIPT = "terrain.js"  # the config's [UI] custom_js
BASE_FILES = {"fr": "fr-FR.json", "en": "en-US.json"}


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
    terrain = {
        language: merged(
            json.loads((chainlit_translations / name).read_text(encoding="utf-8")),
            json.loads((OVERRIDES / name).read_text(encoding="utf-8")),
        )
        for language, name in BASE_FILES.items()
    }
    return {
        path.name: terrain[language_from(path.stem, default_language)]
        for path in sorted(chainlit_translations.glob("*.json"))
    }


def install(root: Path, settings: Settings, chainlit_package: Path) -> None:
    """Write the translations and the public files into Chainlit's working folder ``root``."""
    folder = root / ".chainlit" / "translations"
    folder.mkdir(parents=True, exist_ok=True)
    for name, translation in translations(
        chainlit_package / "translations", settings.language
    ).items():
        text = json.dumps(translation, ensure_ascii=False, indent=4)
        (folder / name).write_text(text + "\n", encoding="utf-8")
    public = root / "public"
    public.mkdir(exist_ok=True)
    for source in PUBLIC_SOURCE.iterdir():
        if source.is_file() and source.name != SCRIPT:
            shutil.copyfile(source, public / source.name)
    script = (PUBLIC_SOURCE / SCRIPT).read_text(encoding="utf-8")
    default = json.dumps(language_from(settings.language, "fr"))
    (public / SCRIPT).write_text(
        f"window.terrainDefaultLanguage = {default};\n{script}", encoding="utf-8"
    )
