"""The findings exported for the facilitators' own analysis: a page, a CSV and a JSON file.

The quotes and free text are masked as on the transcript page (third parties, unless
``TERRAIN_MASK_THIRD_PARTIES`` is off); each file taken is recorded in the access log."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import Response

from assistant.findings.codebook import load_codebook
from assistant.findings.export import ExportedFinding, as_csv, as_json, csv_labels, exported
from assistant.i18n import gettext
from assistant.masking import interview_mask
from assistant.schemas import AccessKind
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.interviews import FACILITATORS
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render

EXPORT = "/export"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _rows(who: Viewer, file_format: str, campaign: str | None = None) -> list[ExportedFinding]:
    """Every finding, or those of one campaign's interviews."""
    store = who.runtime.store
    store.access.record(who.account.name, AccessKind.FINDINGS_EXPORT, file_format=file_format)
    interviews = store.interviews.where(campaign_id=campaign)
    of_campaign = {interview.id for interview in interviews}
    findings = [f for f in store.findings.where() if f.interview_id in of_campaign]
    if who.runtime.settings.mask_third_parties:
        quoted = {finding.interview_id for finding in findings}
        masks = {
            interview.id: interview_mask(interview, store.interviews.turns(interview.id))
            for interview in interviews
            if interview.id in quoted
        }
        findings = [
            masks[f.interview_id].finding(f) if f.interview_id in masks else f for f in findings
        ]
    return exported(interviews, findings)


@page(EXPORT, roles=FACILITATORS, nav="export")
def export(who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    campaigns = who.runtime.store.campaigns.all()
    return render(
        "export.html",
        who,
        current=PREFIX + EXPORT,
        campaigns=campaigns if len(campaigns) > 1 else [],
        by_campaign=gettext(who.language, "One campaign's findings:"),
    )


@page("/findings.csv", roles=FACILITATORS)
def findings_csv(campaign: str | None = None, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    web = who.texts.web
    labels = csv_labels(
        who.language,
        load_codebook(who.runtime.settings.codebook),
        web.finding_statuses,
        web.finding_origins,
    )
    return Response(
        as_csv(_rows(who, "csv", campaign), labels),
        media_type="text/csv; charset=utf-8",
        headers=_attachment("terrain-findings.csv"),
    )


@page("/findings.json", roles=FACILITATORS)
def findings_json(campaign: str | None = None, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    return Response(
        as_json(_rows(who, "json", campaign)),
        media_type="application/json",
        headers=_attachment("terrain-findings.json"),
    )
