"""The codebook: the codes findings use and the value-chain stages they sit on.

It is a YAML file that facilitators may edit (``prompts/codebook.yaml`` by default, or the file
named by ``TERRAIN_CODEBOOK``); every finding records the codebook's ``id@version``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import TerrainError, describe_validation_error
from assistant.prompts import prompts_dir


class CodebookError(TerrainError):
    """The codebook file is missing or malformed."""


class Bilingual(BaseModel):
    model_config = ConfigDict(frozen=True)

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def in_language(self, language: str) -> str:
        return self.fr if language == "fr" else self.en


class Code(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Bilingual
    definition: Bilingual
    include: Bilingual
    exclude: Bilingual
    example: Bilingual


class Stage(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["primary", "support"]
    label: Bilingual


class Codebook(BaseModel):
    model_config = ConfigDict(frozen=True, coerce_numbers_to_str=True)

    id: str
    version: str
    codes: list[Code] = Field(min_length=1)
    value_chain: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Codebook:
        for kind, ids in (
            ("code", [c.id for c in self.codes]),
            ("stage", [s.id for s in self.value_chain]),
        ):
            duplicates = {i for i in ids if ids.count(i) > 1}
            if duplicates:
                raise ValueError(f"duplicate {kind} ids: {', '.join(sorted(duplicates))}")
        return self

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def code_ids(self) -> list[str]:
        return [code.id for code in self.codes]

    @property
    def stage_ids(self) -> list[str]:
        return [stage.id for stage in self.value_chain]

    def code(self, code_id: str) -> Code | None:
        return next((code for code in self.codes if code.id == code_id), None)

    def stage(self, stage_id: str) -> Stage | None:
        return next((stage for stage in self.value_chain if stage.id == stage_id), None)

    def describe(self, language: str) -> str:
        """The codebook as the extraction prompt shows it."""
        lines = []
        for code in self.codes:
            lines.append(
                f"- {code.id} ({code.label.in_language(language)}): "
                f"{code.definition.in_language(language)} "
                f"+ {code.include.in_language(language)} "
                f"− {code.exclude.in_language(language)} "
                f"e.g. {code.example.in_language(language)}"
            )
        lines.append("")
        for stage in self.value_chain:
            lines.append(f"- {stage.id}: {stage.label.in_language(language)} ({stage.kind})")
        return "\n".join(lines)


def default_codebook_path() -> Path:
    return prompts_dir() / "codebook.yaml"


def load_codebook(path: Path | None = None) -> Codebook:
    path = path or default_codebook_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CodebookError(
            f"Cannot read the codebook {path}: {error.strerror or error}.",
            fix="set TERRAIN_CODEBOOK to an existing file",
        ) from None
    except yaml.YAMLError as error:
        raise CodebookError(f"The codebook {path} is not valid YAML: {error}.") from None
    try:
        return Codebook.model_validate(data)
    except ValidationError as error:
        raise CodebookError(
            f"The codebook {path} is malformed at {describe_validation_error(error)}."
        ) from None
