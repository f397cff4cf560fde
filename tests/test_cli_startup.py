"""The ``terrain`` command starts without the heavy libraries: commands import what they use."""

from __future__ import annotations

import pytest

from tests.support.startup import heavy_among, help_of, top_level_modules_after


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
    assert "aiohttp" in loaded
    assert [name for name in loaded if name.startswith("langchain")] == []
