"""Precision and recall of redaction per kind of data, on the labelled sentences of
``tests/fixtures/redaction/sentences.yaml`` (used by a test and by ``benchmarks/redaction.py``).

A found span counts for its kind when it overlaps a labelled span of that kind. A labelled span
*leaks* when no found span of any kind overlaps it; a leaking sentence that the checks doubt is
dropped rather than shown, so ``shown_leaks`` counts what would really reach leadership.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from assistant.personal_data.redaction import Kind, Redactor

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "redaction" / "sentences.yaml"


def load_fixture() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    return data


def evaluate(redactor_for: Any = None) -> dict[str, Any]:
    data = load_fixture()
    redactor = (redactor_for or Redactor)(allowed_terms=data["allowed_terms"])
    found = Counter[str]()
    found_right = Counter[str]()
    labelled = Counter[str]()
    labelled_found = Counter[str]()
    leaks: list[str] = []
    shown_leaks: list[str] = []
    negatives = dropped_negatives = 0
    false_alarms: list[str] = []
    for item in data["sentences"]:
        text: str = item["text"]
        spans, doubts = redactor.spans(text)
        expected = []
        for kind, value in item["pii"]:
            start = text.index(value)
            expected.append((kind, start, start + len(value)))
        for span in spans:
            found[span.kind.value] += 1
            if any(
                k == span.kind.value and s < span.end and span.start < e for k, s, e in expected
            ):
                found_right[span.kind.value] += 1
            elif not expected:
                false_alarms.append(
                    f"{span.kind.value}: {text[span.start : span.end]!r} in {text!r}"
                )
        for kind, start, end in expected:
            labelled[kind] += 1
            if any(p.kind.value == kind and p.start < end and start < p.end for p in spans):
                labelled_found[kind] += 1
            if not any(p.start < end and start < p.end for p in spans):
                leaks.append(f"{kind}: {text[start:end]!r}")
                if not doubts:
                    shown_leaks.append(f"{kind}: {text[start:end]!r}")
        if not expected:
            negatives += 1
            dropped_negatives += bool(doubts) or bool(spans)
    kinds = {}
    for kind in Kind:
        name = kind.value
        kinds[name] = {
            "labelled": labelled[name],
            "found": found[name],
            "precision": round(found_right[name] / found[name], 3) if found[name] else None,
            "recall": round(labelled_found[name] / labelled[name], 3) if labelled[name] else None,
        }
    total_found, total_right = sum(found.values()), sum(found_right.values())
    total_labelled, total_labelled_found = sum(labelled.values()), sum(labelled_found.values())
    return {
        "sentences": len(data["sentences"]),
        "negatives": negatives,
        "kinds": kinds,
        "precision": round(total_right / total_found, 3) if total_found else None,
        "recall": round(total_labelled_found / total_labelled, 3),
        "leaks": leaks,
        "shown_leaks": shown_leaks,
        "negatives_altered_or_dropped": dropped_negatives,
        "false_alarms": false_alarms,
    }
