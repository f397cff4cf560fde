"""One interview's page for facilitators: the numbered turns, the findings' quotes marked
where they stand, each finding beside its quote with its review forms and its history, and
the form that adds a finding from the employee's own words.

With ``TERRAIN_MASK_THIRD_PARTIES`` on (the default), the people the employee talks about are
masked in all the page shows (:mod:`assistant.masking`); each rendering is recorded in the
access log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from fastapi import Depends
from fastapi.responses import Response

from assistant.findings.codebook import Codebook, load_codebook
from assistant.masking import InterviewMask, interview_mask
from assistant.schemas import (
    AccessKind,
    Finding,
    FindingChange,
    FindingStatus,
    Interview,
    Speaker,
    Turn,
)
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.interviews import FACILITATORS
from assistant.web.pages.problems import NotFound
from assistant.web.pages.routes import page
from assistant.web.pages.templating import render
from assistant.web.pages.texts import PageTexts

TRANSCRIPT = "/interviews/{interview_id}"
TURN_START = 60  # characters of a turn shown in the add form's list of turns


@dataclass(frozen=True)
class Segment:
    """A stretch of a turn's text, and the numbers of the findings quoting it (if any); its
    pieces say which of it are labels standing for masked words."""

    text: str
    findings: tuple[int, ...] = ()
    pieces: tuple[tuple[str, bool], ...] = ()  # (text, is a label), covering ``text``


@dataclass(frozen=True)
class ShownFinding:
    number: int
    finding: Finding
    changes: list[FindingChange]

    @property
    def actions(self) -> tuple[str, ...]:
        """The reviews that would change it: never a button that would do nothing."""
        if self.finding.status == FindingStatus.PROPOSED:
            return ("accept", "reject")
        if self.finding.status == FindingStatus.REJECTED:
            return ("accept",)
        return ("reject",)

    @property
    def editable(self) -> bool:
        return self.finding.status != FindingStatus.REJECTED


@dataclass(frozen=True)
class ShownTurn:
    turn: Turn
    segments: list[Segment]
    findings: list[ShownFinding] = field(default_factory=list)


@dataclass(frozen=True)
class Typed:
    """What a form sent, shown again when it could not be applied: nothing typed is lost."""

    finding_id: str | None = None  # None: the add form
    values: Mapping[str, str] = field(default_factory=dict)
    problem: str | None = None


def segments(
    text: str,
    spans: Sequence[tuple[int, int, int]],
    labels: Sequence[tuple[int, int]] = (),
) -> list[Segment]:
    """``text`` cut where quotes (start, end, finding number) begin and end; each stretch in
    pieces where labels (start, end) begin and end."""
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    parts = []
    for start, end in pairwise(cuts):
        covering = tuple(sorted({n for s, e, n in spans if s <= start and end <= e}))
        inner = sorted({start, end, *(p for label in labels for p in label if start < p < end)})
        pieces = tuple(
            (text[a:b], any(s <= a and b <= e for s, e in labels)) for a, b in pairwise(inner)
        )
        parts.append(Segment(text[start:end], covering, pieces))
    return parts or [Segment(text, (), ((text, False),))]


def shown_turns(
    turns: Sequence[Turn],
    findings: Sequence[Finding],
    changes: Mapping[str, list[FindingChange]],
    labels: Mapping[int, Sequence[tuple[int, int]]] | None = None,
) -> tuple[list[ShownTurn], list[ShownFinding]]:
    """The turns with their marked quotes (and masking labels, by turn index) and findings;
    and the findings whose quote no turn holds any more (a turn revised since), shown apart."""
    by_index = {turn.index: turn for turn in turns}
    spans: dict[int, list[tuple[int, int, int]]] = {}
    placed: dict[int, list[ShownFinding]] = {}
    apart = []
    for number, finding in enumerate(findings, start=1):
        shown = ShownFinding(number, finding, changes.get(finding.id, []))
        home = None
        for quote in finding.evidence:
            turn = by_index.get(quote.turn_index)
            if turn is not None and turn.text[quote.start : quote.end] == quote.text:
                spans.setdefault(turn.index, []).append((quote.start, quote.end, number))
                home = turn.index if home is None else home
        if home is None:
            apart.append(shown)
        else:
            placed.setdefault(home, []).append(shown)
    return [
        ShownTurn(
            turn,
            segments(turn.text, spans.get(turn.index, []), (labels or {}).get(turn.index, ())),
            placed.get(turn.index, []),
        )
        for turn in turns
    ], apart


def mask_of(who: Viewer, interview: Interview, turns: Sequence[Turn]) -> InterviewMask | None:
    """The interview's mask for facilitators; None when the setting turns masking off."""
    if not who.runtime.settings.mask_third_parties:
        return None
    return interview_mask(interview, turns)


def codebook_of(who: Viewer) -> Codebook:
    return load_codebook(who.runtime.settings.codebook)


def transcript_page(
    who: Viewer,
    interview_id: str,
    *,
    notice: str | None = None,
    typed: Typed | None = None,
    status_code: int = 200,
) -> Response:
    store = who.runtime.store
    interview = store.interviews.get(interview_id)
    if interview is None:
        raise NotFound(who)
    turns = store.interviews.turns(interview.id)
    findings = store.findings.where(interview_id=interview.id)
    ids = {finding.id for finding in findings}
    changes: dict[str, list[FindingChange]] = {}
    for change in store.findings.changes():
        if change.finding_id in ids:
            changes.setdefault(change.finding_id, []).append(change)
    store.access.record(who.account.name, AccessKind.TRANSCRIPT, interview_id=interview.id)
    mask = mask_of(who, interview, turns)
    labels = {}
    if mask is not None:
        labels = {turn.index: mask.label_spans(turn) for turn in turns}
        turns = [mask.turn(turn) for turn in turns]
        findings = [mask.finding(finding) for finding in findings]
    shown, apart = shown_turns(turns, findings, changes, labels)
    codebook = codebook_of(who)
    language = who.language
    return render(
        "transcript.html",
        who,
        status_code=status_code,
        interview=interview,
        turns=shown,
        apart=apart,
        anchors={number: finding.id for number, finding in enumerate(findings, start=1)},
        employee_turns=[
            (turn.number, turn.text[:TURN_START] + ("…" if len(turn.text) > TURN_START else ""))
            for turn in turns
            if turn.speaker == Speaker.EMPLOYEE and turn.text.strip()
        ],
        codes=[(code.id, code.label.in_language(language)) for code in codebook.codes],
        stages=[(stage.id, stage.label.in_language(language)) for stage in codebook.value_chain],
        code_label=lambda code_id: _label(codebook, code_id, language, stage=False),
        stage_label=lambda stage_id: _label(codebook, stage_id, language, stage=True),
        edited=lambda change: edited_fields(change, who.texts, codebook, language, mask),
        notice=notice if notice in who.texts.notices else None,
        typed=typed or Typed(),
        masked=mask is not None,
    )


def edited_fields(
    change: FindingChange,
    texts: PageTexts,
    codebook: Codebook,
    language: str,
    mask: InterviewMask | None = None,
) -> list[tuple[str, str, str]]:
    """What an edit changed, for its line in the trail: each field the facilitator edits, by
    its label, with its value before and after (codes and stages by their labels, an unknown
    value as unknown, free text masked as the finding is). The status and the model's code,
    which follow from the edit, are left out."""
    labels = {
        "code": texts.field_code,
        "value_chain_stage": texts.field_stage,
        "activity": texts.field_activity,
        "counterpart": texts.field_counterpart,
    }
    before, after = change.before or {}, change.after or {}

    def shown(field: str, value: object) -> str:
        if value is None or value == "":
            return texts.unknown
        if field in ("code", "value_chain_stage"):
            return _label(codebook, str(value), language, stage=field == "value_chain_stage")
        return str(value) if mask is None else str(mask.free_text(str(value)))

    return [
        (label, shown(field, before.get(field)), shown(field, after[field]))
        for field, label in labels.items()
        if field in after
    ]


def _label(codebook: Codebook, identifier: str, language: str, *, stage: bool) -> str:
    found = codebook.stage(identifier) if stage else codebook.code(identifier)
    return found.label.in_language(language) if found is not None else identifier


@page(TRANSCRIPT, roles=FACILITATORS)
def transcript(
    interview_id: str,
    done: str | None = None,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    return transcript_page(who, interview_id, notice=done)
