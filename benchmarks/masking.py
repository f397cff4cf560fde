"""What masking third parties costs a facilitator's transcript page: loading the redactor's
pipeline once per process, masking an interview the first time it is read, and reading it
again (a mask is kept per content).

The interview is synthetic: 25 employee turns of about 90 words, each naming people, a phone
number or a health detail, with 25 interviewer questions, about what a 20-minute interview
holds. Run: ``.venv/bin/python benchmarks/masking.py``.
"""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime

from _common import emit, quiet

EMPLOYEE_TURN = (
    "Mardi matin, chez Mme {name}, {age} ans, le planning prévoyait trente minutes pour la "
    "toilette et le petit-déjeuner. En arrivant je l'ai trouvée inquiète : son fils {son} ne "
    "l'avait pas appelée depuis une semaine, et son numéro, le 06 12 34 {n:02d} 78, ne répondait "
    "pas. Depuis son AVC elle parle moins, et avec son diabète il faut surveiller les repas. "
    "Je me suis assise avec elle cinq minutes avant de commencer, on a parlé de lui, je l'ai "
    "aidée à laisser un message. Ce n'est écrit nulle part dans la fiche, mais sans ça la "
    "toilette se passe mal : elle se crispe, elle refuse, et ma collègue {colleague} me le dit."
)
NAMES = ("Lefort", "Dubois", "Martin", "Moreau", "Garnier")
SONS = ("Paul", "Julien", "Marc", "Thomas", "Nicolas")
COLLEAGUES = ("Sophie", "Nadia", "Camille", "Laura", "Inès")


def main() -> None:
    quiet()
    from assistant.masking import default_mask_redactor, interview_mask
    from assistant.schemas import Interview, InterviewStatus, Phase, Speaker, Turn

    now = datetime.now(UTC)
    turns: list[Turn] = []
    for number in range(25):
        for speaker, text in (
            (Speaker.INTERVIEWER, "Que s'est-il passé ensuite, avec elle ?"),
            (
                Speaker.EMPLOYEE,
                EMPLOYEE_TURN.format(
                    name=NAMES[number % 5],
                    age=80 + number,
                    son=SONS[number % 5],
                    n=number,
                    colleague=COLLEAGUES[number % 5],
                ),
            ),
        ):
            turns.append(
                Turn(
                    id=len(turns) + 1,
                    interview_id="bench",
                    index=len(turns),
                    speaker=speaker,
                    text=text,
                    phase=Phase.EPISODE,
                    created_at=now,
                )
            )
    interview = Interview(
        id="bench",
        pseudonym="Participant-BENCH",
        language="fr",
        status=InterviewStatus.CLOSED,
        phase=Phase.DONE,
        created_at=now,
        updated_at=now,
    )
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    default_mask_redactor().spans("Bonjour.")
    load = time.perf_counter() - started
    loaded_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    mask = interview_mask(interview, turns)
    first = time.perf_counter() - started
    cached = []
    for _ in range(20):
        started = time.perf_counter()
        again = interview_mask(interview, turns)
        [again.turn(turn) for turn in turns]
        cached.append(time.perf_counter() - started)
    assert again is mask
    words = sum(len(turn.text.split()) for turn in turns)
    emit(
        {
            "turns": len(turns),
            "words": words,
            "pipeline_load_seconds": round(load, 2),
            "pipeline_memory_mb": round((loaded_kb - before_kb) / 1024),
            "first_read_seconds": round(first, 2),
            "cached_read_ms_max": round(max(cached) * 1000, 2),
        }
    )


if __name__ == "__main__":
    main()
