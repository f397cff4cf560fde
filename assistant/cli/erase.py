"""`terrain erase`: an administrator acts on a person's erasure request."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import JsonFlag, console, errors, fail, print_json, settings
from assistant.errors import TerrainError
from assistant.wording import counted

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.schemas import Interview
    from assistant.store import Store


def erase(
    user: Annotated[
        str | None, typer.Option("--user", help="Erase every interview of this user name.")
    ] = None,
    pseudonym: Annotated[
        str | None, typer.Option("--pseudonym", help="Erase the interview with this pseudonym.")
    ] = None,
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            min=0,
            metavar="DAYS",
            help="Erase every interview that ended more than DAYS days ago (the retention the "
            "worker applies with TERRAIN_RETENTION_DAYS).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --older-than: say what would go, erase nothing.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Erase without asking for confirmation (scripts).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Erase a person's interviews, with their turns, findings and jobs, for good.

    By user name (--user: every interview of theirs, found through their owner key; their
    account is kept, `terrain users disable` closes it) or by pseudonym (--pseudonym: one
    interview). Says what will be erased (interviews, turns, findings, and the report versions
    that drew on them, withdrawn at once and republished without them by the worker) and asks
    before erasing, unless --yes. Exits with status 1 if nothing was erased.

    --older-than DAYS erases, the same way and without asking, every interview that ended more
    than DAYS days ago (published reports stay; the versions that drew on them are republished
    without them); --dry-run only lists them.
    """
    from assistant.privacy import erasure_plan
    from assistant.store import Store

    if sum(given is not None for given in (user, pseudonym, older_than)) != 1:
        fail("Give one of --user NAME, --pseudonym P or --older-than DAYS.")
    if dry_run and older_than is None:
        fail("--dry-run goes with --older-than DAYS.")
    config = settings()
    if older_than is not None:
        _erase_older_than(config, older_than, dry_run=dry_run, as_json=as_json)
        return
    try:
        with Store.open(config) as store:
            interviews = _targets(store, config, user=user, pseudonym=pseudonym)
            who = f"user {user!r}" if user is not None else f"pseudonym {pseudonym!r}"
            if not interviews:
                fail(f"Nothing to erase: no interview of {who}.")
            plan = erasure_plan(store, interviews)
            turns, findings = plan.turns, plan.findings
            what = (
                f"{counted(len(interviews), 'interview')}, {counted(turns, 'turn')} and "
                f"{counted(findings, 'finding')} of {who}"
            )
            reports = _reports_line(plan.versions, plan.discards_draft)
            if not yes:
                _confirm(what, interviews, reports)
            erased = _erase(store, config, interviews, user=user)
    except TerrainError as error:
        fail(error)
    if as_json:
        print_json(
            {
                "erased_interviews": [interview.id for interview in erased],
                "pseudonyms": [interview.pseudonym for interview in erased],
                "turns": turns,
                "findings": findings,
                "withdrawn_report_versions": plan.versions,
                "draft_discarded": plan.discards_draft,
            }
        )
    else:
        console.print(f"Erased {what}.", highlight=False)
        if reports:
            console.print(reports, highlight=False, soft_wrap=True)


def _erase_older_than(config: Settings, days: int, *, dry_run: bool, as_json: bool) -> None:
    from assistant.privacy import erase_past_retention
    from assistant.store import Store

    try:
        with Store.open(config) as store:
            interviews = erase_past_retention(store, config, days=days, dry_run=dry_run)
    except TerrainError as error:
        fail(error)
    if as_json:
        print_json(
            {
                "older_than_days": days,
                "dry_run": dry_run,
                "erased_interviews": [] if dry_run else [i.id for i in interviews],
                "pseudonyms": [interview.pseudonym for interview in interviews],
            }
        )
        return
    ended = f"{counted(len(interviews), 'interview')} ended more than {days} days ago"
    names = ", ".join(interview.pseudonym for interview in interviews)
    if dry_run:
        console.print(f"Would erase {ended}{': ' + names if names else ''}.", highlight=False)
    else:
        console.print(f"Erased {ended}{': ' + names if names else ''}.", highlight=False)


def _targets(
    store: Store, config: Settings, *, user: str | None, pseudonym: str | None
) -> list[Interview]:
    from assistant.privacy import interviews_of_user

    if user is not None:
        if not user.strip():
            fail("The user name is empty.")
        return interviews_of_user(store, config, user)
    found = store.interviews.by_pseudonym(pseudonym or "")
    return [] if found is None else [found]


def _reports_line(versions: list[int], discards_draft: bool) -> str:
    """What the erasure does to the report, or nothing when it used none of them."""
    parts = []
    if versions:
        numbers = ", ".join(str(number) for number in versions)
        parts.append(
            f"Report {'version' if len(versions) == 1 else 'versions'} {numbers}: withdrawn "
            "at once, then republished without them by the worker (`terrain worker`, which "
            "`terrain serve` runs)."
        )
    if discards_draft:
        parts.append("The report's draft drew on them: it is discarded; build it again.")
    return " ".join(parts)


def _confirm(what: str, interviews: list[Interview], reports: str) -> None:
    if not sys.stdin.isatty():
        fail(f"This would erase {what}; add --yes to erase without a terminal to confirm.")
    names = ", ".join(interview.pseudonym for interview in interviews)
    errors.print(f"This erases {what} ({names}), for good.", highlight=False)
    if reports:
        errors.print(reports, highlight=False, soft_wrap=True)
    if not typer.confirm("Erase?", default=False):
        errors.print("Nothing was erased.")
        raise typer.Exit(1)


def _erase(
    store: Store, config: Settings, interviews: list[Interview], *, user: str | None
) -> list[Interview]:
    """Erase through the core, which also does what erasure entails beyond the rows."""
    from assistant.privacy import erase_interview, erase_user

    if user is not None:
        return erase_user(store, config, user)
    erase_interview(store, config, interviews[0].id)  # withdraws, queues the republishing
    return interviews
