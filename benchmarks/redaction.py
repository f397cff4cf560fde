"""Redaction's precision and recall per kind of personal data, on the labelled French and
English sentences of ``tests/fixtures/redaction/sentences.yaml``.

A found span counts for its kind when it overlaps a labelled span of that kind; ``leaks`` are
labelled spans nothing covered, and ``shown_leaks`` those whose sentence the checks did not
doubt (a doubted quote is dropped, not shown). The sentences run through the same Presidio
pipeline the report uses (spaCy's French model for both languages).
"""

from __future__ import annotations

import time

from _common import emit, quiet


def main() -> None:
    quiet()
    from tests.redaction_eval import evaluate

    started = time.perf_counter()
    figures = evaluate()
    seconds = time.perf_counter() - started
    for kind, row in figures["kinds"].items():
        print(f"{kind:<14} labelled {row['labelled']:>3}  found {row['found']:>3}  "
              f"precision {row['precision']}  recall {row['recall']}")  # fmt: skip
    for leak in figures["leaks"]:
        print(f"leak: {leak}")
    figures["seconds_including_model_load"] = round(seconds, 2)
    emit(figures)


if __name__ == "__main__":
    main()
