"""What `terrain report` prints of a version or a draft: its record, its counts, and what
became of its narratives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from assistant.cli.common import console, errors

if TYPE_CHECKING:
    from assistant.report.records import Report
    from assistant.schemas import ReportVersion


def say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def summary(version: ReportVersion, report: Report | None) -> dict[str, object]:
    """The version's record; its counts only while it may be read (not once withdrawn)."""
    return {
        "number": version.number,
        "status": version.status.value,
        "built_by": version.built_by,
        "built_at": version.built_at,
        "published_by": version.published_by,
        "published_at": version.published_at,
        "withdrawn_at": version.withdrawn_at,
        "withdrawn_reason": version.withdrawn_reason,
        "replaces": version.replaces,
        "campaign_id": version.campaign_id,
        "interviews": len(version.interview_ids),
        "findings": len(version.finding_ids),
        "people": report.coverage.people if report else None,
        "themes": len(report.themes) if report else None,
        "narratives": report.narratives.state.value if report else None,
    }


def show_counts(report: Report) -> None:
    coverage = report.coverage
    people = str(coverage.people) if coverage.people is not None else "fewer than "
    if coverage.people is None:
        people += str(report.min_people)
    say(
        f"people: {people}; themes shown: {len(report.themes)}; "
        f"unreviewed findings counted: {coverage.draft_findings}; "
        f"quotes {'shown' if report.quotes_allowed else 'withheld (too few people)'}."
    )


def say_narratives(report: Report) -> None:
    from assistant.report.records import NarrativeState

    state = report.narratives.state
    if state == NarrativeState.WRITTEN:
        status = report.narratives
        kept = len(report.recommendations) + sum(1 for t in report.themes if t.synthesis)
        say(f"Narratives written ({status.model_calls} model calls): {kept} kept.")
        if status.dropped_sections:
            say(
                f"Sections left without a narrative: {len(status.dropped_sections)} "
                "(the model's answers were malformed or cited nothing): the draft says why."
            )
    elif state == NarrativeState.UNAVAILABLE:
        errors.print(
            "[yellow]The chat model could not be reached: the draft has no narratives.[/] "
            f"{escape(report.narratives.detail)} Run `terrain doctor`, then build again.",
            highlight=False,
            soft_wrap=True,
        )
    else:
        say("No narratives (built without a model).")
