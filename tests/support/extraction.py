"""A transcript, proposed findings and a model's coding reply, for extraction's tests."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from assistant.schemas import (
    Phase,
    Speaker,
    Turn,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)


INVENTED = "elle m'a remerciée chaleureusement"


def turn(index: int, text: str, speaker: Speaker = Speaker.EMPLOYEE) -> Turn:
    return Turn(
        id=index + 1,
        interview_id="i1",
        index=index,
        speaker=speaker,
        text=text,
        phase=Phase.EPISODE,
        created_at=NOW,
    )


TRANSCRIPT = [
    turn(0, "Pouvez-vous me raconter un moment précis ?", Speaker.INTERVIEWER),
    turn(1, "Hier matin, Mme R. était inquiète. Je me suis assise avec elle et je l'ai écoutée."),
    turn(2, "Qui d'autre était là ?", Speaker.INTERVIEWER),
    turn(3, "Sa fille au téléphone. Je lui ai expliqué ce que j'avais vu, elle s'est calmée."),
]


def proposed(turn_index: int, quote: str, code: str = "empathy", **changes: Any) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "code": code,
        "activity": "écoute",
        "counterpart": "bénéficiaire",
        "value_chain_stage": "service_delivery",
        "quotes": [{"turn": turn_index, "text": quote}],
        "prescribed_gap": None,
        "gap_passage": None,
        "automation_exposure": "human_essential",
        "automation_reasons": "il faut être là",
        "confidence": 0.8,
    }
    return finding | changes


def findings(*items: dict[str, Any]) -> str:
    return json.dumps({"findings": list(items)})


def repaired(*texts: str | None) -> str:
    return json.dumps({"quotes": [{"id": i, "text": text} for i, text in enumerate(texts)]})


_EMPLOYEE_LINE = re.compile(r"^\[(\d+)\] (?:Personne|Person) : (.*)$", re.MULTILINE)


def coded_reply(prompt: str, schema_title: str | None, *, invent: bool = False) -> str:
    """What a model that codes the first employee turn it is shown would answer (or one that
    invents its quote); a repair request gets no correction."""
    if schema_title == "RepairOutput":
        return repaired(None)
    lines = _EMPLOYEE_LINE.findall(prompt)
    if not lines:
        return findings()
    number, text = lines[0]
    last_sentence = [part.strip(". ") for part in text.split(". ") if part.strip(". ")][-1]
    return findings(proposed(int(number), INVENTED if invent else last_sentence))


def extraction_reply(*, invent: bool = False) -> Any:
    """A fake Ollama responder that codes the first employee turn it is shown (or invents its
    quote), choosing its answer by the schema it is asked for."""

    def reply(body: dict[str, Any]) -> str:
        schema = body.get("format")
        title = schema.get("title") if isinstance(schema, dict) else None
        return coded_reply(body["messages"][-1]["content"], title, invent=invent)

    return reply
