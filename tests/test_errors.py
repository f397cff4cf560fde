"""The one description of pydantic validation errors that every caller shows."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from assistant.config import load_settings
from assistant.errors import SettingsError, describe_validation_error


class Turn(BaseModel):
    speaker: str
    text: str


class Transcript(BaseModel):
    turns: list[Turn] = Field(min_length=1)
    minutes: int = 0

    @field_validator("minutes")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("a duration is never negative")
        return value


def error_of(data: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Transcript.model_validate(data)
    return caught.value


def test_each_problem_is_where_then_what_in_the_datas_own_notation() -> None:
    error = error_of({"turns": [{"speaker": "employee", "text": "a"}, {"speaker": "x"}]})
    assert describe_validation_error(error) == "'turns[1].text': field required"


def test_value_errors_read_as_the_validator_wrote_them() -> None:
    error = error_of({"turns": [{"speaker": "a", "text": "b"}], "minutes": -3})
    assert describe_validation_error(error) == "'minutes': a duration is never negative"


def test_past_most_the_other_problems_are_counted() -> None:
    error = error_of({"turns": [{}, {}], "minutes": "long"})
    everything = describe_validation_error(error, most=None)
    assert everything.count("; ") == 4
    assert describe_validation_error(error, most=2).endswith("(and 3 more problems)")
    assert describe_validation_error(error, most=4).endswith("(and 1 more problem)")
    assert describe_validation_error(error) == "; ".join(everything.split("; ")[:3]) + (
        " (and 2 more problems)"
    )


def test_the_whole_document_is_the_top_level() -> None:
    assert describe_validation_error(error_of([1, 2])).startswith("the top level: input should")


def test_a_caller_names_locations_and_shows_what_was_given() -> None:
    error = error_of({"turns": [{"speaker": "a", "text": "b"}], "minutes": "long"})
    described = describe_validation_error(
        error, name=lambda location: "TERRAIN_" + str(location[0]).upper(), show_input=True
    )
    assert described.startswith("TERRAIN_MINUTES (got 'long'): input should be a valid integer")


def test_several_bad_settings_are_named_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRAIN_TEMPERATURE", "hot")
    monkeypatch.setenv("TERRAIN_LANGUAGE", "de")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("Invalid settings: TERRAIN_")
    assert "TERRAIN_TEMPERATURE (got 'hot'): input should be a valid number" in message
    assert "TERRAIN_LANGUAGE (got 'de'): input should be 'fr' or 'en'" in message
    assert "\n" not in message
