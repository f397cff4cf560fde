"""In-process chat models for the report's tests and benchmark (they speak the model port)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence

from assistant.llm.errors import ModelUnavailableError
from assistant.llm.port import ChatMessage, ChatModel, JsonSchema, ModelResponse

_FINDING_IDS = re.compile(r"^\[([\w-]+)\]", re.MULTILINE)
_LABELS = re.compile(r"^([RT]\d+): ", re.MULTILINE)


class ScriptedReportModel(ChatModel):
    """Answers each report prompt from what the prompt itself shows: a summary citing every
    finding id or label it was given, plus ``foreign_ids`` and labels that do not exist, which
    the checks must drop; and a recommendation citing no theme, which must be dropped."""

    def __init__(self, foreign_ids: Sequence[str] = ()) -> None:
        self.prompts: list[str] = []
        self.foreign_ids = list(foreign_ids)

    @property
    def name(self) -> str:
        return "scripted-report-model"

    async def request(
        self, messages: Sequence[ChatMessage], *, json_schema: JsonSchema | None = None
    ) -> ModelResponse:
        prompt = messages[-1].content
        self.prompts.append(prompt)
        title = (json_schema or {}).get("title")
        ids = _FINDING_IDS.findall(prompt) + self.foreign_ids
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
        return ModelResponse(text=json.dumps(answer), model=self.name)

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        raise NotImplementedError("the report never streams")


class UnreachableModel(ScriptedReportModel):
    async def request(
        self, messages: Sequence[ChatMessage], *, json_schema: JsonSchema | None = None
    ) -> ModelResponse:
        raise ModelUnavailableError("http://127.0.0.1:9", "connection refused")
