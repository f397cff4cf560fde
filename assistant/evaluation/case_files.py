"""Reading evaluation case files: YAML (one case, or ``cases:`` with ``defaults``), JSON Lines
and CSV, each error reported at its line as an error of that case alone; choosing cases by id and
tag; the case file's JSON Schema."""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.errors import describe_validation_error
from assistant.evaluation.cases import CASE_ID, Case, CaseError, CaseFileError


@dataclass
class LoadedCases:
    cases: list[Case] = field(default_factory=list)
    errors: list[CaseError] = field(default_factory=list)


CASE_SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv")
DEFAULT_PATTERN = "**/*"


def _line_of(node: yaml.Node | None, path: Sequence[int | str]) -> int:
    """The line (1-based) of the deepest node along ``path`` that the YAML tree has."""
    if node is None:
        return 1
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _tags_of(item: object) -> tuple[str, ...]:
    tags = item.get("tags") if isinstance(item, dict) else None
    return tuple(str(tag) for tag in tags) if isinstance(tags, list) else ()


def _id_of(item: object) -> str | None:
    case_id = item.get("id") if isinstance(item, dict) else None
    return case_id if isinstance(case_id, str) and CASE_ID.fullmatch(case_id) else None


def _validate(
    path: Path,
    item: object,
    defaults: dict[str, Any],
    locate: Any,
    loaded: LoadedCases,
) -> None:
    """One case into ``loaded``: the case, or the error of that case with its line.
    ``locate(loc)`` gives the line of a validation error's location."""
    if not isinstance(item, dict):
        loaded.errors.append(CaseError(path, locate(()), "a case is a mapping of its fields"))
        return
    merged = {**defaults, **item}
    own = item.get("assertions", [])
    inherited = defaults.get("assertions", [])
    if not isinstance(own, list) or not isinstance(inherited, list):
        loaded.errors.append(
            CaseError(path, locate(("assertions",)), "assertions is a list", _id_of(item))
        )
        return
    merged["assertions"] = [*inherited, *own]
    try:
        loaded.cases.append(Case.model_validate(merged))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]["loc"]
        loc: tuple[int | str, ...] = tuple(first)
        in_defaults = False
        if loc[:1] == ("assertions",) and len(loc) > 1 and isinstance(loc[1], int):
            if loc[1] < len(inherited):
                in_defaults = True
            else:
                loc = ("assertions", loc[1] - len(inherited), *loc[2:])
        elif loc and loc[0] not in item and loc[0] in defaults:
            in_defaults = True
        line = locate(loc, in_defaults)
        loaded.errors.append(
            CaseError(
                path,
                line,
                describe_validation_error(error, most=None),
                _id_of(item),
                _tags_of(item),
            )
        )


def _load_yaml(path: Path, text: str, loaded: LoadedCases) -> None:
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = int(mark.line) + 1 if mark is not None else 1
        loaded.errors.append(CaseError(path, line, f"not valid YAML: {error}"))
        return
    several = isinstance(data, dict) and "cases" in data
    items = data["cases"] if several else [data]
    defaults = (data.get("defaults") or {}) if several else {}
    if not isinstance(items, list) or not isinstance(defaults, dict):
        line = _line_of(tree, ("cases",))
        loaded.errors.append(CaseError(path, line, "`cases` is a list and `defaults` a mapping"))
        return
    for number, item in enumerate(items):
        prefix: tuple[int | str, ...] = ("cases", number) if several else ()

        def locate(
            loc: Sequence[int | str],
            in_defaults: bool = False,
            prefix: tuple[int | str, ...] = prefix,
        ) -> int:
            where = ("defaults", *loc) if in_defaults else (*prefix, *loc)
            return _line_of(tree, where)

        _validate(path, item, defaults, locate, loaded)


def _load_jsonl(path: Path, text: str, loaded: LoadedCases) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            loaded.errors.append(CaseError(path, number, f"not valid JSON: {error.msg}"))
            continue
        _validate(path, item, {}, lambda loc, in_defaults=False, n=number: n, loaded)


def _csv_assertions(cell: str) -> list[dict[str, Any]]:
    """``one_question; max_chars=300; not_contains=you should`` as assertion specs."""
    specs: list[dict[str, Any]] = []
    for part in (piece.strip() for piece in cell.split(";")):
        if not part:
            continue
        kind, equals, value = part.partition("=")
        spec: dict[str, Any] = {"type": kind.strip()}
        if equals:
            spec["value"] = yaml.safe_load(value.strip()) if value.strip() else None
        specs.append(spec)
    return specs


def _load_csv(path: Path, text: str, loaded: LoadedCases) -> None:
    """Interviewer turns, one a row: ``id`` and ``message``, and optionally ``language``,
    ``phase``, ``tags`` (separated by spaces or ``;``), ``assertions`` (``type`` or
    ``type=value``, separated by ``;``) and ``scripted`` (the fixture's reply)."""
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        item: dict[str, Any] = {}
        for column, cell in row.items():
            if column is None or cell is None or not cell.strip():
                continue
            column = column.strip()
            if column == "tags":
                item["tags"] = [tag for tag in re.split(r"[;\s]+", cell) if tag]
            elif column == "assertions":
                item["assertions"] = _csv_assertions(cell)
            elif column == "scripted":
                item["scripted"] = [cell]
            else:
                item[column] = cell.strip() if column != "message" else cell
        number = reader.line_num
        _validate(path, item, {}, lambda loc, in_defaults=False, n=number: n, loaded)


def read_case_file(path: Path) -> LoadedCases:
    """The cases of one file, and the errors of those that cannot run. In YAML, under
    ``cases:``, a file's ``defaults`` apply to each case (its ``assertions`` come before the
    case's own); JSONL gives a case a line, CSV an interviewer turn a row."""
    loaded = LoadedCases()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        loaded.errors.append(CaseError(path, 1, f"cannot be read: {error}"))
        return loaded
    if path.suffix == ".jsonl":
        _load_jsonl(path, text, loaded)
    elif path.suffix == ".csv":
        _load_csv(path, text, loaded)
    else:
        _load_yaml(path, text, loaded)
    return loaded


def collect_cases(root: Path, pattern: str = DEFAULT_PATTERN) -> LoadedCases:
    """Every case of the files under ``root`` (or the file ``root``) matching ``pattern``, in a
    stable order, and every case that cannot run; ids are unique across files."""
    collected = LoadedCases()
    seen: dict[str, Path] = {}
    files = [root] if root.is_file() else sorted(_case_files(root, pattern))
    for path in files:
        loaded = read_case_file(path)
        collected.errors += loaded.errors
        for case in loaded.cases:
            if case.id in seen:
                collected.errors.append(
                    CaseError(path, 1, f"the id {case.id!r} is also used in {seen[case.id]}", None)
                )
                continue
            seen[case.id] = path
            collected.cases.append(case)
    return collected


def load_case_file(path: Path) -> list[Case]:
    """The cases of one file; the first that cannot run stops, with its line."""
    return load_cases(path)


def load_cases(root: Path, pattern: str = DEFAULT_PATTERN) -> list[Case]:
    """Every case under ``root`` matching ``pattern``; the first case that cannot run stops."""
    loaded = collect_cases(root, pattern)
    if loaded.errors:
        first = loaded.errors[0]
        raise CaseFileError(first.path, f"line {first.line}: {first.problem}")
    return loaded.cases


def _case_files(root: Path, pattern: str) -> Iterable[Path]:
    # Baselines, the reply cache and the judge's labels are not cases.
    for path in root.glob(pattern):
        relative = path.relative_to(root).parts
        if (
            path.is_file()
            and path.suffix in CASE_SUFFIXES
            and relative[0] not in {"baselines", "cache", "judge"}
        ):
            yield path


@dataclass(frozen=True)
class CaseFilter:
    """Cases by id (shell patterns such as ``rules.*``) and by tag: any of ``tags`` when given,
    none of ``exclude_tags``."""

    ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()

    def keeps(self, case_id: str | None, tags: Iterable[str]) -> bool:
        tags = set(tags)
        if self.ids and not (
            case_id and any(fnmatch.fnmatchcase(case_id, pattern) for pattern in self.ids)
        ):
            return False
        if self.tags and not tags & set(self.tags):
            return False
        return not tags & set(self.exclude_tags)

    def apply(self, loaded: LoadedCases) -> LoadedCases:
        return LoadedCases(
            cases=[case for case in loaded.cases if self.keeps(case.id, case.tags)],
            errors=[error for error in loaded.errors if self.keeps(error.case_id, error.tags)],
        )


def case_file_schema() -> dict[str, Any]:
    """The JSON Schema of a YAML case file: one case, or ``cases`` with ``defaults``."""
    case = Case.model_json_schema()
    definitions = case.pop("$defs", {})
    definitions["Case"] = case
    defaults = {**case, "required": []}
    definitions["Defaults"] = defaults
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Terrain evaluation case file",
        "$defs": definitions,
        "oneOf": [
            {"$ref": "#/$defs/Case"},
            {
                "type": "object",
                "properties": {
                    "defaults": {"$ref": "#/$defs/Defaults"},
                    "cases": {"type": "array", "items": {"$ref": "#/$defs/Case"}},
                },
                "required": ["cases"],
                "additionalProperties": False,
            },
        ],
    }
