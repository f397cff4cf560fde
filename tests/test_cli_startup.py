"""The ``terrain`` command starts without the heavy libraries: commands import what they use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("chromadb", "chainlit", "langchain", "sqlalchemy", "alembic", "ollama", "tiktoken")

LOADED_AFTER = """
import json, sys
{setup}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""


def top_level_modules_after(setup: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER.format(setup=setup)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def heavy_among(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.startswith(HEAVY))


def help_of(command: list[str]) -> str:
    return (
        "from assistant.cli import app\n"
        f"try:\n    app({[*command, '--help']!r})\nexcept SystemExit:\n    pass"
    )


def test_importing_the_command_loads_no_heavy_library() -> None:
    loaded = top_level_modules_after("import assistant.cli.app")
    assert heavy_among(loaded) == []
    assert "pydantic" not in loaded  # options are declared with plain enums


def test_the_command_list_loads_no_heavy_library() -> None:
    loaded = top_level_modules_after(help_of([]))
    assert heavy_among(loaded) == []
    assert "pydantic" not in loaded


@pytest.mark.parametrize(
    "command",
    [
        ["ask"],
        ["serve"],
        ["users", "add"],
        ["interview"],
        ["report", "build"],
        ["report", "export"],
    ],
)
def test_a_commands_help_loads_no_heavy_library(command: list[str]) -> None:
    # Typer itself reads every command's arguments through pydantic: that one is allowed.
    assert heavy_among(top_level_modules_after(help_of(command))) == []


def test_building_an_embedder_does_not_load_langchain() -> None:
    setup = (
        "from assistant.config import load_settings\n"
        "from assistant.llm import embedder_for\n"
        "embedder_for(load_settings())"
    )
    loaded = top_level_modules_after(setup)
    assert "ollama" in loaded
    assert [name for name in loaded if name.startswith("langchain")] == []
