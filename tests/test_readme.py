from __future__ import annotations

from pathlib import Path

from assistant.config import ENV_PREFIX, Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [
        name for name in Settings.model_fields if f"`{ENV_PREFIX}{name.upper()}`" not in text
    ]
    assert missing == []


def test_the_readme_gives_the_commands_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "make run" in text
    assert "make test" in text
    assert "make test" in ci


def _commands_table(text: str) -> list[str]:
    """The lines of the README's commands table, from its header to the first line that is
    not a row: a blank line inside it cuts the table in two when it is shown."""
    lines = text.split("## Commands", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| command |"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return table


def test_the_commands_table_is_one_table_with_every_command() -> None:
    import typer

    from assistant.cli import app

    table = "\n".join(_commands_table(README.read_text(encoding="utf-8")))
    commands: dict[str, object] = getattr(typer.main.get_command(app), "commands")  # noqa: B009
    assert "extract" in commands
    missing = [name for name in commands if f"`terrain {name}" not in table]
    assert missing == []


def test_the_readme_says_what_a_new_user_meets() -> None:
    text = README.read_text(encoding="utf-8")
    assert "The first `make run` downloads" in text
    assert "/staff/admin/erase" in text  # the administrators' erasure page
