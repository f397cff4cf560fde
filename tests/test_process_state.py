"""Every piece of state a process keeps for itself is declared, with why it is safe when
several processes serve one installation (assistant/process_state.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from assistant.process_state import DECLARED, Kept

ROOT = Path(__file__).resolve().parents[1]
CACHES = {"lru_cache", "cache"}
MUTABLE_CALLS = {
    "dict", "list", "set", "defaultdict", "OrderedDict", "deque", "Counter",
    "WeakValueDictionary", "WeakKeyDictionary", "WeakSet",
}  # fmt: skip
LOCAL_FOLDERS = {"data_dir", "chroma_dir", "cache_dir"}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return None


def _mutable(value: ast.expr) -> bool:
    displays = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
    return isinstance(value, displays) or (
        isinstance(value, ast.Call) and _name(value.func) in MUTABLE_CALLS
    )


def _empty(value: ast.expr) -> bool:
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.List | ast.Set):
        return not value.elts
    return isinstance(value, ast.Call) and not value.args and not value.keywords


def _module_level(module: str, tree: ast.Module) -> set[str]:
    """Names bound at import to a mutable container: a constant table in capitals is let
    through unless it starts empty (then something fills it at run time)."""
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if not isinstance(target, ast.Name) or target.id == "__all__":
                continue
            if _mutable(value) and (not target.id.isupper() or _empty(value)):
                found.add(f"{module}.{target.id}")
    return found


def _inside(module: str, node: ast.AST, where: str, found: set[str]) -> None:
    """Caches (decorated or built in a function), ``global`` and the local folders."""
    for child in ast.iter_child_nodes(node):
        here = where
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            here = f"{where}.{child.name}"
            if not isinstance(child, ast.ClassDef) and any(
                _name(decorator) in CACHES for decorator in child.decorator_list
            ):
                found.add(here)
        elif isinstance(child, ast.Global):
            found.update(f"{module}.{name}" for name in child.names)
        elif isinstance(child, ast.Call) and _name(child.func) in CACHES and where != module:
            found.add(where)
        elif isinstance(child, ast.Attribute) and child.attr in LOCAL_FOLDERS:
            found.add(f"{module}:{child.attr}")
        _inside(module, child, here, found)


def process_state() -> set[str]:
    """What the code of ``assistant/`` keeps per process, as the scan sees it."""
    found: set[str] = set()
    for path in sorted((ROOT / "assistant").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if module == "assistant.config":  # where the folders are defined, not used
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found |= _module_level(module, tree)
        _inside(module, tree, module, found)
    # The settings themselves are cached: declared like any other cache.
    found.add("assistant.config.get_settings")
    return found


def test_every_state_kept_by_one_process_is_declared_with_why_it_is_safe() -> None:
    declared = {entry.key for entry in DECLARED if entry.scanned}
    undeclared = sorted(process_state() - declared)
    assert not undeclared, (
        "State kept by one process, not declared in assistant/process_state.py (say there why "
        f"another process answering the same request is not misled by it): {undeclared}"
    )
    gone = sorted(declared - process_state())
    assert not gone, f"Declared in assistant/process_state.py but no longer in the code: {gone}"


def test_each_declaration_says_why_and_is_listed_in_the_docs() -> None:
    scaling = (ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    for entry in DECLARED:
        assert len(entry.why_safe) > 20, entry.key
        assert f"`{entry.key}`" in scaling, f"docs/scaling.md does not list {entry.key}"
    assert {entry.kept for entry in DECLARED} == set(Kept)


def test_the_scan_finds_a_new_cache(tmp_path: Path) -> None:
    source = (
        "from functools import lru_cache\n_seen: dict[str, int] = {}\nCACHE = {}\n"
        "TABLE = {'a': 1}\n@lru_cache\ndef answer() -> int:\n    return 1\n"
        "def use(settings):\n    return settings.data_dir / 'x'\n"
    )
    found: set[str] = _module_level("m", ast.parse(source))
    _inside("m", ast.parse(source), "m", found)
    assert found == {"m._seen", "m.CACHE", "m.answer", "m:data_dir"}
