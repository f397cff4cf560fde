"""The store's CPU per call, for the calls an interview message makes.

Each employee message stores the employee's turn and then the interviewer's reply (``add_turn``,
each committed), reads the interview again (``get``: has another window written since?), checks
the signed-in account (``accounts.standing``) and the lexical index before grounding the
question (``knowledge.lexical_check``); a phase change is an ``update``, consent a
``record_consent``. Each call is timed alone, one after the other, by the CPU time of this
process (``time.process_time``): what the web server pays for it, without the waits. Under
fifty conversations at once each costs more (threads contend for the interpreter):
``benchmarks/load.py`` measures that whole.

Run from the repository root::

    .venv/bin/python benchmarks/store.py [--calls 300] [--postgresql]

``--postgresql`` runs the same calls on a throwaway PostgreSQL (tests/postgres.py) after
SQLite. ``message_ms`` adds up one message's calls (two ``add_turn``, ``get``,
``accounts.standing``, ``knowledge.lexical_check``). The last line printed is a JSON object
with the figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import emit, quiet

from assistant.config import load_settings
from assistant.schemas import InterviewUpdate, Phase, Speaker, UserRole
from assistant.store import Store

ANSWER = "Je prépare les commandes des clients le matin, puis je les vérifie avec un collègue."


def cpu_ms_per_call(call: Callable[[], object], calls: int) -> float:
    call()  # the first of anything (statements compiled, connections opened) apart
    began = time.process_time()
    for _ in range(calls):
        call()
    return round(1000 * (time.process_time() - began) / calls, 3)


def measure(store: Store, calls: int) -> dict[str, float]:
    store.accounts.add("employee", UserRole.EMPLOYEE)
    interview = store.interviews.create(language="fr")
    store.interviews.record_consent(interview.id, given=True, version="bench")
    state = {"questions": {"episode": 2}, "last_question": "Que s'est-il passé ensuite ?"}
    fresh = [store.interviews.create(language="fr").id for _ in range(calls + 1)]
    consents = iter(fresh)
    phases = iter([Phase.EPISODE, Phase.PEOPLE] * (calls + 1))
    figures = {
        "add_turn_ms": cpu_ms_per_call(
            lambda: store.interviews.add_turn(
                interview.id,
                speaker=Speaker.EMPLOYEE,
                text=ANSWER,
                phase=Phase.EPISODE,
                state=state,
            ),
            calls,
        ),
        "get_ms": cpu_ms_per_call(lambda: store.interviews.get(interview.id), calls),
        "update_ms": cpu_ms_per_call(
            lambda: store.interviews.update(interview.id, InterviewUpdate(phase=next(phases))),
            calls,
        ),
        "record_consent_ms": cpu_ms_per_call(
            lambda: store.interviews.record_consent(next(consents), given=True, version="bench"),
            calls,
        ),
        "accounts_standing_ms": cpu_ms_per_call(lambda: store.accounts.standing("employee"), calls),
        "lexical_check_ms": cpu_ms_per_call(store.knowledge.lexical_check, calls),
    }
    # What one message's calls cost together (two turns, the interview, the account, the index).
    message = 2 * figures["add_turn_ms"] + sum(
        figures[name] for name in ("get_ms", "accounts_standing_ms", "lexical_check_ms")
    )
    return {**figures, "message_ms": round(message, 3)}


def on_sqlite(calls: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="terrain-store-") as folder:
        store = Store.open(load_settings(data_dir=Path(folder)))
        try:
            return measure(store, calls)
        finally:
            store.close()


def on_postgresql(calls: int) -> dict[str, float]:
    from tests.postgres import postgres_cluster

    with postgres_cluster() as cluster, tempfile.TemporaryDirectory() as folder:
        store = Store.open(load_settings(data_dir=Path(folder), database_url=cluster.url))
        try:
            return measure(store, calls)
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls timed, of each kind")
    parser.add_argument("--postgresql", action="store_true", help="PostgreSQL too")
    args = parser.parse_args()
    quiet()
    figures: dict[str, object] = {"benchmark": "store", "calls": args.calls}
    figures["sqlite"] = on_sqlite(args.calls)
    if args.postgresql:
        figures["postgresql"] = on_postgresql(args.calls)
    for database in ("sqlite", "postgresql"):
        if database in figures:
            print(f"{database}: {figures[database]} (ms of CPU per call)", file=sys.stderr)
    emit(figures)


if __name__ == "__main__":
    main()
