"""The report's scripted model, for its tests and benchmark: the in-process
:class:`~assistant.llm.testing.ScriptedChatModel`, answering each report prompt from what the
prompt itself shows."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from assistant.llm.errors import ModelUnavailableError
from assistant.llm.testing import Fail, ModelRequest, ScriptedChatModel

_FINDING_IDS = re.compile(r"^\[([\w-]+)\]", re.MULTILINE)
_LABELS = re.compile(r"^([RT]\d+): ", re.MULTILINE)


def report_model(foreign_ids: Sequence[str] = ()) -> ScriptedChatModel:
    """A summary citing every finding id or label it was given, plus ``foreign_ids`` and
    labels that do not exist, which the checks must drop; and a recommendation citing no
    theme, which must be dropped."""

    def respond(request: ModelRequest) -> str:
        title = (request.json_schema or {}).get("title")
        return report_answer(request.messages[-1].content, title, foreign_ids)

    return ScriptedChatModel(respond=respond, name="scripted-report-model")


def report_answer(prompt: str, title: object, foreign_ids: Sequence[str] = ()) -> str:
    """The answer of :func:`report_model` to ``prompt`` asked with the schema titled
    ``title``; the fake model servers' responders give the same."""
    ids = _FINDING_IDS.findall(prompt) + list(foreign_ids)
    labels = _LABELS.findall(prompt)
    if title == "BatchSummary":
        answer: object = {"summary": f"Résumé de {len(ids)} constats.", "finding_ids": ids}
    elif title == "ThemeDraft":
        answer = {"text": "Synthèse du thème, Madame Lefèvre.",
                  "summaries": [*labels, "R999"], "sources": ["S1", "S999"]}  # fmt: skip
    else:
        answer = {
            "recommendations": [
                {"text": "Protéger le temps de la relation.", "themes": labels[:2],
                 "sources": ["S2"]},
                {"text": "Une recommandation sans appui.", "themes": ["T999"]},
            ]
        }  # fmt: skip
    return json.dumps(answer)


def unreachable_model() -> ScriptedChatModel:
    refused = Fail(ModelUnavailableError("http://127.0.0.1:9", "connection refused"))
    return ScriptedChatModel(respond=lambda _: refused)


def prompts_of(model: ScriptedChatModel) -> list[str]:
    return [request.messages[-1].content for request in model.requests]
