"""The findings exported for the facilitators' own analysis: a page, a CSV and a JSON file."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import Response

from assistant.findings.codebook import load_codebook
from assistant.findings.export import as_csv, as_json, csv_labels, exported
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.interviews import FACILITATORS
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render

EXPORT = "/export"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@page(EXPORT, roles=FACILITATORS, nav="export")
def export(who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    return render("export.html", who, current=PREFIX + EXPORT)


@page("/findings.csv", roles=FACILITATORS)
def findings_csv(who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    store = who.runtime.store
    rows = exported(store.interviews.where(), store.findings.where())
    web = who.texts.web
    labels = csv_labels(
        who.language,
        load_codebook(who.runtime.settings.codebook),
        web.finding_statuses,
        web.finding_origins,
    )
    return Response(
        as_csv(rows, labels),
        media_type="text/csv; charset=utf-8",
        headers=_attachment("terrain-findings.csv"),
    )


@page("/findings.json", roles=FACILITATORS)
def findings_json(who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    store = who.runtime.store
    rows = exported(store.interviews.where(), store.findings.where())
    return Response(
        as_json(rows), media_type="application/json", headers=_attachment("terrain-findings.json")
    )
