"""The JSON schema sent with a structured request is generated once per class, and each
request gets its own copy."""

from __future__ import annotations

from pydantic import BaseModel

from assistant.llm.structured import json_schema_of


class Verdict(BaseModel):
    route: str
    confidence: float | None = None


def test_the_schema_is_pydantics_and_each_caller_gets_its_own_copy() -> None:
    first = json_schema_of(Verdict)
    assert first == Verdict.model_json_schema()
    first["properties"]["route"]["type"] = "changed"
    first["title"] = "changed"
    assert json_schema_of(Verdict) == Verdict.model_json_schema()


def test_each_class_has_its_own_schema() -> None:
    class Other(BaseModel):
        points: list[str]

    assert json_schema_of(Other) == Other.model_json_schema()
    assert json_schema_of(Other) != json_schema_of(Verdict)
