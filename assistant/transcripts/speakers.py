"""Speaker labels: which side of the interview each label found in a transcript is on.

Which side a label is on comes from :class:`SpeakerLabels` (:data:`DEFAULT_LABELS` knows the
usual French and English ones), compared without case, accents or ``(e)``. A label it does not
know, such as a person's name, is an error naming the labels found and the accepted ones, with
one exception: when a file uses no known label and exactly two distinct unknown ones, the one who
speaks first is taken to be the interviewer, and the other one the employee.

A line starts with a label when it reads ``Label: …`` (also in bold, ``**Label:**`` or
``**Label** :``) and the label is a known one or looks like a name ("Marie", "Speaker 2");
metadata such as ``Date : 12 mars`` is not a speaker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assistant.schemas import Speaker
from assistant.text import fold_case_and_accents
from assistant.transcripts.model import TranscriptFormatError


class SpeakerLabels(BaseModel):
    """Which speaker labels are on which side, compared without case, accents or ``(e)``."""

    model_config = ConfigDict(frozen=True)

    interviewer: frozenset[str]
    employee: frozenset[str]

    def side(self, label: str) -> Speaker | None:
        key = normalize_label(label)
        if key in {normalize_label(each) for each in self.interviewer}:
            return Speaker.INTERVIEWER
        if key in {normalize_label(each) for each in self.employee}:
            return Speaker.EMPLOYEE
        return None

    def describe(self) -> str:
        return (
            f"interviewer side: {', '.join(sorted(self.interviewer))}; "
            f"employee side: {', '.join(sorted(self.employee))}"
        )


DEFAULT_LABELS = SpeakerLabels(
    interviewer=frozenset(
        {
            "Interviewer",
            "Intervieweur",
            "Intervieweuse",
            "Enquêteur",
            "Enquêtrice",
            "Facilitateur",
            "Facilitatrice",
            "Facilitator",
            "Chercheur",
            "Chercheuse",
            "Researcher",
            "Assistant",
            "Assistante",
            "Terrain",
            "Question",
            "Q",
            "I",
        }
    ),
    employee=frozenset(
        {
            "Employee",
            "Employé",
            "Salarié",
            "Participant",
            "Participante",
            "Interviewee",
            "Interviewé",
            "Répondant",
            "Répondante",
            "Respondent",
            "Réponse",
            "Answer",
            "R",
            "A",
            "P",
        }
    ),
)

# Labels that head metadata lines ("Date : 12 mars"), never a speaker.
_METADATA_LABELS = frozenset(
    fold_case_and_accents(word)
    for word in (
        "date durée duration heure time lieu location place titre title objet sujet subject "
        "participants présents thème theme note notes remarque remarques contexte context "
        "entretien interview transcription transcript"
    ).split()
)
# Lowercase words a person's name may contain ("Marie de la Tour").
_NAME_PARTICLES = frozenset({"de", "du", "des", "la", "le", "d", "van", "von", "der", "da", "di"})
_MAX_LABEL_LENGTH = 40
_MAX_LABEL_WORDS = 4
# "**Name:** text", "**Name** : text", "Name : text" (single * or _ too).
_LABEL_PATTERNS = (
    re.compile(r"(?P<mark>\*\*|__|\*|_)(?P<label>[^*_:\n]+?)\s*:\s*(?P=mark)\s*(?P<rest>.*)"),
    re.compile(r"(?P<mark>\*\*|__|\*|_)(?P<label>[^*_:\n]+?)(?P=mark)\s*:\s*(?P<rest>.*)"),
    re.compile(r"(?P<label>[^*_:\n]+?)\s*:\s*(?P<rest>.*)"),
)
_NAME_WORD = re.compile(r"(?:[^\W\d_][\w'’.-]*|\d+)")
_PARENTHESES = re.compile(r"\([^)]*\)")
_INCLUSIVE_SUFFIX = re.compile(r"[·.•-](?:e|ne|se|euse|rice|trice)$")


def normalize_label(label: str) -> str:
    """A label as compared: no case, accents, ``(e)``/``·e`` endings or extra spaces."""
    text = _PARENTHESES.sub(" ", label)
    text = _INCLUSIVE_SUFFIX.sub("", text.strip())
    return " ".join(fold_case_and_accents(text).split())


@dataclass(frozen=True, slots=True)
class FoundLabel:
    """A speaker label found at ``line``, what follows it, and its side if the labels name it."""

    label: str
    rest: str
    line: int
    known: Speaker | None


def find_label(line: str, number: int, labels: SpeakerLabels) -> FoundLabel | None:
    """The label ``line`` (line ``number`` of its file) starts with, if a known or name-like one."""
    stripped = line.strip()
    for pattern in _LABEL_PATTERNS:
        match = pattern.fullmatch(stripped)
        if match is None:
            continue
        label = " ".join(match["label"].split())
        if not label or normalize_label(label) in _METADATA_LABELS:
            return None
        side = labels.side(label)
        if side is not None or _looks_like_name(_PARENTHESES.sub(" ", label).strip()):
            return FoundLabel(label, match["rest"].strip(), number, side)
        return None
    return None


def _looks_like_name(label: str) -> bool:
    """A person's or speaker's name: a few capitalised words ("Marie", "Speaker 2")."""
    if len(label) > _MAX_LABEL_LENGTH:
        return False
    words = label.split()
    if not 1 <= len(words) <= _MAX_LABEL_WORDS:
        return False
    if not all(_NAME_WORD.fullmatch(word) for word in words):
        return False
    if not words[0][0].isupper():
        return False
    return all(
        word[0].isupper() or word.isdigit() or fold_case_and_accents(word) in _NAME_PARTICLES
        for word in words
    )


def resolve_speakers(
    path: Path, found: Sequence[FoundLabel], labels: SpeakerLabels
) -> dict[str, Speaker]:
    """The side of each label found, by the rules in this module's docstring."""
    if not found:
        raise TranscriptFormatError(
            path,
            "no line starts with a speaker label such as 'Intervieweur :' or 'Marie :'.",
            fix="Start each turn with its speaker, e.g. 'Intervieweur : …' and "
            "'Salarié(e) : …' (" + labels.describe() + ").",
        )
    unknown: dict[str, FoundLabel] = {}
    for each in found:
        if each.known is None:
            unknown.setdefault(normalize_label(each.label), each)
    if not unknown:
        return {each.label: each.known for each in found if each.known is not None}
    has_known = any(each.known is not None for each in found)
    if not has_known and len(unknown) == 2:
        first, second = unknown.values()
        sides = {
            normalize_label(first.label): Speaker.INTERVIEWER,
            normalize_label(second.label): Speaker.EMPLOYEE,
        }
        return {each.label: sides[normalize_label(each.label)] for each in found}
    listed = ", ".join(f"{each.label!r} (line {each.line})" for each in unknown.values())
    if has_known:
        problem = f"speaker labels Terrain does not know: {listed}."
    else:
        problem = (
            f"{len(unknown)} distinct speaker labels that Terrain does not know: {listed}; "
            "with exactly two, the first to speak would be taken as the interviewer."
        )
    raise TranscriptFormatError(
        path,
        problem,
        line=next(iter(unknown.values())).line,
        fix="Rename the speakers with accepted labels (" + labels.describe() + "); if such a "
        "line is part of what was said, join it to the previous line.",
    )
