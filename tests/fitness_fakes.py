"""A well-behaved model for the fake Ollama: one short question in the employee's language,
and valid structured output (the fitness battery's good case; the compromised responder of
:mod:`tests.ollama_server` is its bad one)."""

from __future__ import annotations

import json
from typing import Any

from assistant.interview.rules import language_of

QUESTION = {"en": "What did you do next?", "fr": "Qu'avez-vous fait ensuite ?"}
SUMMARY = {"en": "You told me about a recent visit.", "fr": "Vous avez raconté une visite récente."}


def well_behaved(body: dict[str, Any]) -> str:
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    last = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    language = "fr" if language_of(last) == "fr" or "Répondez" in last else "en"
    properties = (body.get("format") or {}).get("properties", {})
    if "findings" in properties:
        return json.dumps({"findings": []})
    if "points" in properties:
        return json.dumps({"points": [SUMMARY[language]]}, ensure_ascii=False)
    return QUESTION[language]
