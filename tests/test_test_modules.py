"""The suite's own order: what several test modules share lives in ``tests/support/`` (or a
fixture in a conftest), never in a test module that others import: importing one runs its
module-level code, drags its imports (Chainlit, spaCy) into modules that do not need them, and
breaks the fast run, which does not even import the slow modules."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(name: str) -> bool:
    return any(part.startswith("test_") for part in name.split("."))


def imports_of_test_modules(path: Path) -> list[str]:
    """The test modules ``path`` imports, as ``line: module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module or ''}.{a.name}" for a in node.names]
            if node.level == 0 and any(_is_test_module(name) for name in names):
                found.append(f"{node.lineno}: {node.module}")
            elif node.level > 0 and any(_is_test_module(name) for name in names):
                found.append(f"{node.lineno}: {'.' * node.level}{node.module or ''}")
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: {a.name}" for a in node.names if _is_test_module(a.name)]
    return found


def test_no_test_module_imports_another() -> None:
    offenders = {
        str(path.relative_to(TESTS.parent)): imports
        for path in sorted(TESTS.rglob("*.py"))
        if "node_modules" not in path.parts and (imports := imports_of_test_modules(path))
    }
    assert offenders == {}, (
        "Move what these import into tests/support/ (a fixture into a conftest.py) and import "
        f"it from there: {offenders}"
    )


def test_the_check_sees_each_form_of_import(tmp_path: Path) -> None:
    module = tmp_path / "test_example.py"
    module.write_text(
        "from tests.test_store import x\n"
        "from tests.web import test_employee\n"
        "from .test_guard import y\n"
        "import tests.faults.test_storage\n"
        "from tests.support.records import finding\n"
        "from tests.ollama_server import OllamaTestServer\n",
        encoding="utf-8",
    )
    assert imports_of_test_modules(module) == [
        "1: tests.test_store",
        "2: tests.web",
        "3: .test_guard",
        "4: tests.faults.test_storage",
    ]
