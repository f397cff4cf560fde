"""REFI-QDA export (``.qdpx``) for qualitative researchers: a facilitator's export, never
leadership's.

It holds the pseudonymised transcripts themselves, so it takes them as its own argument and
is built apart from :class:`~assistant.report.records.Report` (which holds none). A ``.qdpx``
is a ZIP with ``project.qde`` (the REFI-QDA 1.0 project XML: the codebook, the sources, the
codings) and ``sources/<guid>.txt``, one plain-text transcript per interview. Each finding's
quotes become selections of its transcript, coded with the finding's code; offsets count
Unicode code points from 0, end exclusive, as the standard says.

For researchers: one case per interview (named by its pseudonym) with its variables (the job,
site and team it kept, its language); the codebook in the facilitators' language (the setting
``staff_language``, never an interview's), its codes under one parent code (the codebook has no
families of codes), codes the codebook no longer has under another; each coding's memo gives
the finding's value-chain stage, counterpart, exposure to automation and the employee's
reasons, and its user is the facilitator who last reviewed the finding (Terrain when none did).

With ``mask_third_parties``, the transcripts and quotes are those facilitators read on the
transcript page: the people employees mention masked (:mod:`assistant.masking`), the quotes'
offsets those of the masked text.

The schemas (MIT licence, REFI) are copied in ``schemas/``; :func:`validate_project` checks a
project against them.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from lxml import etree

from assistant.findings.codebook import Codebook
from assistant.i18n import translation
from assistant.masking import interview_mask
from assistant.report.sections import selected_findings
from assistant.schemas import AutomationExposure, Finding, FindingStatus, Interview, Speaker, Turn

NAMESPACE = "urn:QDA-XML:project:1.0"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
_GUIDS = uuid.UUID("5b0f3c1e-6a0d-4f55-9f0e-2f6c3c9a7e41")  # namespace for stable guids


def _labels(language: str) -> dict[Speaker, str]:
    pgettext = translation(language).pgettext
    return {
        Speaker.EMPLOYEE: pgettext("transcript speaker", "Person"),
        Speaker.INTERVIEWER: pgettext("transcript speaker", "Interviewer"),
    }


def _words(language: str) -> dict[str, str]:
    _ = translation(language).gettext
    return {
        "job": _("Job"),
        "site": _("Site"),
        "team": _("Team"),
        "language": _("Language"),
        "campaign": _("Campaign"),
        "codebook": _("Terrain codes"),
        "extra": _("Codes not in the codebook"),
        "stage": _("Stage"),
        "counterpart": _("Counterpart"),
        "exposure": _("Exposure to automation"),
        "reasons": _("Reasons"),
        "activity": _("Activity"),
        "status": _("Status"),
        # A finding's status and exposure as the staff pages and the report name them.
        FindingStatus.PROPOSED: _("proposed"),
        FindingStatus.ACCEPTED: _("accepted"),
        FindingStatus.EDITED: _("code changed"),
        FindingStatus.REJECTED: _("rejected"),
        AutomationExposure.AUTOMATABLE: _("automatable"),
        AutomationExposure.AUGMENTED: _("augmented"),
        AutomationExposure.HUMAN_ESSENTIAL: _("human-essential"),
    }


VARIABLES = ("job", "site", "team", "language", "campaign")
_PALETTE = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2",
            "#7F7F7F", "#BCBD22", "#17BECF")  # fmt: skip


def guid(*parts: str) -> str:
    """A guid derived from ``parts``, so that exporting twice gives the same identifiers."""
    return str(uuid.uuid5(_GUIDS, "/".join(parts)))


@dataclass(frozen=True)
class Transcript:
    """An interview's text as exported, and where each turn's own text starts in it."""

    text: str
    turn_starts: dict[int, int]


def transcript_text(interview: Interview, turns: Sequence[Turn]) -> Transcript:
    """Turns numbered from 1 as people read them, each with its speaker, one per paragraph."""
    labels = _labels(interview.language)
    pieces: list[str] = []
    starts: dict[int, int] = {}
    position = 0
    for turn in sorted(turns, key=lambda t: t.index):
        prefix = f"[{turn.index + 1}] {labels[turn.speaker]}: "
        starts[turn.index] = position + len(prefix)
        piece = f"{prefix}{turn.text}\n\n"
        pieces.append(piece)
        position += len(piece)
    return Transcript("".join(pieces), starts)


@dataclass(frozen=True)
class QdpxExport:
    data: bytes
    codings: int
    skipped_quotes: int = 0


def build_qdpx(
    interviews: Sequence[Interview],
    transcripts: Mapping[str, Sequence[Turn]],
    findings: Sequence[Finding],
    codebook: Codebook,
    *,
    include_proposed: bool = False,
    project_name: str = "Terrain",
    now: datetime | None = None,
    mask_third_parties: bool = False,
    language: str = "en",
    reviewers: Mapping[str, str] | None = None,
    campaigns: Mapping[str, str] | None = None,
) -> QdpxExport:
    """The ``.qdpx`` archive of these interviews (``transcripts`` by interview id), its
    codebook, variables and memos in ``language``; ``reviewers``: by finding id, the
    facilitator who last reviewed it; ``campaigns``: campaign names by id (each case's
    campaign variable)."""
    words = _words(language)
    reviewers = reviewers or {}
    if mask_third_parties:
        masks = {i.id: interview_mask(i, transcripts.get(i.id, ())) for i in interviews}
        transcripts = {
            i: [masks[i].turn(turn) for turn in turns]
            for i, turns in transcripts.items()
            if i in masks
        }
        findings = [
            masks[f.interview_id].finding(f) if f.interview_id in masks else f for f in findings
        ]
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    user = guid("user", "terrain")
    q = f"{{{NAMESPACE}}}"
    ET.register_namespace("", NAMESPACE)
    project = ET.Element(
        q + "Project",
        name=project_name,
        origin="Terrain",
        creatingUserGUID=user,
        creationDateTime=created,
    )
    users = ET.SubElement(project, q + "Users")
    ET.SubElement(users, q + "User", guid=user, name="Terrain")
    for reviewer in sorted(set(reviewers.values())):
        ET.SubElement(users, q + "User", guid=guid("user", reviewer), name=reviewer)
    codes = ET.SubElement(ET.SubElement(project, q + "CodeBook"), q + "Codes")
    family = ET.SubElement(
        codes,
        q + "Code",
        guid=guid("family", codebook.id),
        name=f"{words['codebook']} ({codebook.id} {codebook.version})",
        isCodable="false",
    )
    for number, code in enumerate(codebook.codes):
        element = ET.SubElement(
            family,
            q + "Code",
            guid=guid("code", code.id),
            name=code.label.in_language(language),
            isCodable="true",
            color=_PALETTE[number % len(_PALETTE)],
        )
        ET.SubElement(element, q + "Description").text = code.definition.in_language(language)
    selected = selected_findings(findings, interviews, include_proposed)
    # Codes findings use that the codebook no longer has still need a target.
    extras = sorted({f.code for f in selected} - set(codebook.code_ids))
    if extras:
        outside = ET.SubElement(
            codes, q + "Code", guid=guid("family", "extra"), name=words["extra"], isCodable="false"
        )
        for extra in extras:
            ET.SubElement(
                outside, q + "Code", guid=guid("code", extra), name=extra, isCodable="true"
            )
    if interviews:
        variables = ET.SubElement(project, q + "Variables")
        for variable in VARIABLES:
            ET.SubElement(
                variables,
                q + "Variable",
                guid=guid("variable", variable),
                name=words[variable],
                typeOfVariable="Text",
            )
        cases = ET.SubElement(project, q + "Cases")
        for interview in interviews:
            case = ET.SubElement(
                cases, q + "Case", guid=guid("case", interview.id), name=interview.pseudonym
            )
            values = {
                **interview.profile.model_dump(),
                "language": interview.language,
                "campaign": (campaigns or {}).get(interview.campaign_id, interview.campaign_id),
            }
            for variable in VARIABLES:
                if values.get(variable):
                    value = ET.SubElement(case, q + "VariableValue")
                    ET.SubElement(value, q + "VariableRef", targetGUID=guid("variable", variable))
                    ET.SubElement(value, q + "TextValue").text = str(values[variable])
            ET.SubElement(case, q + "SourceRef", targetGUID=guid("source", interview.id))
    stages = {stage.id: stage.label.in_language(language) for stage in codebook.value_chain}
    by_interview: dict[str, list[Finding]] = {}
    for finding in selected:
        by_interview.setdefault(finding.interview_id, []).append(finding)
    files: dict[str, str] = {}
    codings = skipped = 0
    sources = ET.SubElement(project, q + "Sources")
    for interview in interviews:
        transcript = transcript_text(interview, transcripts.get(interview.id, ()))
        source_guid = guid("source", interview.id)
        files[f"sources/{source_guid}.txt"] = transcript.text
        source = ET.SubElement(
            sources,
            q + "TextSource",
            guid=source_guid,
            name=interview.pseudonym,
            plainTextPath=f"internal://{source_guid}.txt",
            creatingUser=user,
            creationDateTime=created,
        )
        for finding in by_interview.get(interview.id, []):
            for number, quote in enumerate(finding.evidence):
                start = transcript.turn_starts.get(quote.turn_index)
                if (
                    start is None
                    or transcript.text[start + quote.start : start + quote.end] != quote.text
                ):
                    skipped += 1
                    continue
                reviewed_by = reviewers.get(finding.id)
                # The reviewer owns the selection as well as the coding: QualCoder takes a
                # coding's coder from its selection.
                owner = guid("user", reviewed_by) if reviewed_by else user
                selection = ET.SubElement(
                    source,
                    q + "PlainTextSelection",
                    guid=guid("selection", finding.id, str(number)),
                    name=quote.text[:60],
                    startPosition=str(start + quote.start),
                    endPosition=str(start + quote.end),
                    creatingUser=owner,
                    creationDateTime=created,
                )
                ET.SubElement(selection, q + "Description").text = memo(finding, stages, words)
                coding = ET.SubElement(
                    selection,
                    q + "Coding",
                    guid=guid("coding", finding.id, str(number)),
                    creatingUser=owner,
                )
                ET.SubElement(coding, q + "CodeRef", targetGUID=guid("code", finding.code))
                codings += 1
    if not len(sources):
        project.remove(sources)
    ET.indent(project)
    xml = ET.tostring(project, xml_declaration=True, encoding="utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return QdpxExport(data=buffer.getvalue(), codings=codings, skipped_quotes=skipped)


def memo(finding: Finding, stages: Mapping[str, str], words: Mapping[str, str]) -> str:
    """What a researcher needs of the finding beside its quote, one item per line."""
    exposure = finding.automation_exposure
    lines = [
        f"{finding.id} — {words['status']}: {words[finding.status]}",
        f"{words['activity']}: {finding.activity or ''}",
        f"{words['stage']}: {stages.get(finding.value_chain_stage, finding.value_chain_stage)}",
        f"{words['counterpart']}: {finding.counterpart or ''}",
        f"{words['exposure']}: {words[exposure] if exposure else ''}",
        f"{words['reasons']}: {finding.automation_reasons or ''}",
    ]
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _project_schema() -> Any:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "Project.xsd")))


def validate_project(project_xml: bytes) -> list[str]:
    """The problems the REFI-QDA Project schema finds in ``project_xml`` (none: valid)."""
    schema = _project_schema()
    if schema.validate(etree.fromstring(project_xml)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
