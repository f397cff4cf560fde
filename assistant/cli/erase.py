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
    """
    from assistant.privacy import erasure_plan
    from assistant.store import Store

    if (user is None) == (pseudonym is None):
        fail("Give either --user NAME or --pseudonym P.")
    config = settings()
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
