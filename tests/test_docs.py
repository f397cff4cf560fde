"""The documentation says what the code does: the settings table is the one generated from
``assistant/config.py``, every command is in the commands table, the README gives the two
commands CI runs, and every link between the documents leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.config import ENV_PREFIX, TABLE_END, TABLE_START, Settings, with_settings_table
from assistant.retrieval.knowledge_base import INDEX_CHECK_SECONDS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
SETTINGS = DOCS / "settings.md"
COMMANDS = DOCS / "commands.md"
DOCUMENTS = [README, ROOT / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]


def test_the_settings_table_is_the_one_generated_from_the_field_docs() -> None:
    text = SETTINGS.read_text(encoding="utf-8")
    assert with_settings_table(text) == text, (
        "docs/settings.md differs from the field docs of assistant/config.py: run "
        "`make settings-doc` (python -m assistant.config --write docs/settings.md) and commit it"
    )


def test_every_setting_is_documented() -> None:
    text = SETTINGS.read_text(encoding="utf-8")
    table = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    missing = [
        name for name in Settings.model_fields if f"`{ENV_PREFIX}{name.upper()}`" not in table
    ]
    assert missing == []


def test_the_scaling_page_gives_the_exact_search_cap_the_setting_has() -> None:
    default = Settings.model_fields["exact_search_max_passages"].default
    page = " ".join((DOCS / "scaling.md").read_text(encoding="utf-8").split())
    assert f"`TERRAIN_EXACT_SEARCH_MAX_PASSAGES` passages, {default:,} by default" in page


def test_the_scaling_page_gives_the_index_check_s_period() -> None:
    # A new period needs its words here, and the page's sentences rewritten with them.
    said = {1.0: "a second"}[INDEX_CHECK_SECONDS]
    page = " ".join((DOCS / "scaling.md").read_text(encoding="utf-8").split())
    assert f"at most once {said} (`INDEX_CHECK_SECONDS`" in page
    assert f"use the new index within {said}" in page
    assert f"INDEX_CHECK_SECONDS ({INDEX_CHECK_SECONDS:g} s)" in page


def test_the_generator_needs_its_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        with_settings_table("# Settings\n\nno table here\n")


def test_the_readme_gives_the_commands_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make run" in text
    assert "make test" in text
    assert "make test" in ci


def _commands_table(text: str) -> list[str]:
    """The lines of the commands table, from its header to the first line that is not a row:
    a blank line inside it cuts the table in two when it is shown."""
    lines = text.splitlines()
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

    table = "\n".join(_commands_table(COMMANDS.read_text(encoding="utf-8")))
    commands: dict[str, object] = getattr(typer.main.get_command(app), "commands")  # noqa: B009
    assert "extract" in commands
    missing = [name for name in commands if f"`terrain {name}" not in table]
    assert missing == []


def test_the_documents_say_what_a_new_user_meets() -> None:
    assert "The first `make run` downloads" in README.read_text(encoding="utf-8")
    # the administrators' erasure page
    assert "/staff/admin/erase" in (DOCS / "deploying.md").read_text(encoding="utf-8")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {_anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def test_every_link_between_the_documents_leads_somewhere() -> None:
    broken = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            file, _, anchor = target.partition("#")
            path = (document.parent / file).resolve() if file else document
            if not path.exists():
                broken.append(f"{document.name}: {target}")
            elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
                broken.append(f"{document.name}: {target} (no such heading)")
    assert broken == []


def test_the_staff_pages_script_is_where_the_architecture_says() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    scripts = sorted(path.name for path in (ROOT / "assistant/web/static").glob("*.js"))
    assert scripts == ["select-words.js"]
    assert "`select-words.js`" in text
    assert "no script" not in text
