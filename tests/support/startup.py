"""What the installed command imports at start, measured in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys


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


HEAVY = ("chromadb", "chainlit", "langchain", "sqlalchemy", "alembic", "ollama", "tiktoken")


LOADED_AFTER = """
import json, sys
{setup}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""
