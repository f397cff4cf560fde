"""`terrain audit`: the access log, for an administrator or a data-protection officer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

from assistant.cli.common import JsonFlag, console, fail, print_json, settings
from assistant.errors import TerrainError

_DAYS = re.compile(r"(\d+)\s*d", re.IGNORECASE)


def since_moment(text: str, now: datetime) -> datetime:
    """``--since``: a date (2026-12-01), a date and time (2026-12-01T09:30, UTC unless it says
    otherwise) or a number of days back (7d). ValueError otherwise."""
    text = text.strip()
    days = _DAYS.fullmatch(text)
    if days:
        return now - timedelta(days=int(days.group(1)))
    if "T" in text or " " in text:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def audit(
    user: Annotated[
        str | None, typer.Option("--user", help="Only this account's accesses.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only accesses from then on: a date (2026-12-01), a date and time "
            "(2026-12-01T09:30, UTC) or a number of days back (7d).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the access log, newest first: each staff read of an interview, each export and
    each download of the report, with who and when. It holds nothing of what was read; an
    erased interview's entries no longer name it."""
    from assistant.store import Store

    start = None
    if since is not None:
        try:
            start = since_moment(since, datetime.now(UTC))
        except ValueError:
            fail(f"--since {since!r} is not a date (2026-12-01), a date and time or days (7d).")
    config = settings()
    try:
        with Store.open(config) as store:
            entries = store.access.entries(actor=user, since=start)
    except TerrainError as error:
        fail(error)
    if as_json:
        print_json(entries)
        return
    if not entries:
        console.print("No access recorded" + (" for these filters." if user or since else "."))
        return
    for entry in entries:
        details = [
            part
            for part in (
                entry.file_format,
                None if entry.report_version is None else f"version {entry.report_version}",
                entry.pseudonym or ("(interview erased)" if entry.kind == "transcript" else None),
            )
            if part
        ]
        line = f"{entry.at.isoformat(timespec='seconds')}  {entry.actor}  {entry.kind.value}"
        if details:
            line += "  " + ", ".join(details)
        console.print(line, highlight=False, markup=False, soft_wrap=True)
