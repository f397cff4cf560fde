"""Administrators: accounts (add, disable or enable, reset a password, change a role) and
erasure by user name or pseudonym, with a page saying what will be erased before a POST
erases it. The same core as `terrain users` and `terrain erase`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Depends, Form
from fastapi.responses import RedirectResponse, Response

from assistant.auth import AuthError, add_user, reset_password, set_disabled, set_role
from assistant.errors import TerrainError
from assistant.privacy import erase_interview, erase_user, erasure_plan, interviews_of_user
from assistant.profiles import profile_of, set_profile
from assistant.schemas import Interview, UserRole
from assistant.store import InterviewNotFoundError
from assistant.text import shortened
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.profile_texts import profile_texts
from assistant.web.pages.report_texts import report_page_texts
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render

ADMINS = (UserRole.ADMIN,)
ACCOUNTS = "/admin/accounts"
ERASE = "/admin/erase"


def _saved(name: str) -> Response:
    return RedirectResponse(f"{PREFIX}{ACCOUNTS}?{urlencode({'done': name})}", status_code=303)


async def _accounts_view(
    who: Viewer, *, done: str | None = None, problem: str | None = None
) -> Response:
    """The accounts page; with ``problem``, the reason a change was refused (nothing changed)."""
    store = who.runtime.store
    users = await asyncio.to_thread(store.accounts.all)
    suggested = await asyncio.to_thread(store.accounts.profile_values)
    return render(
        "accounts.html",
        who,
        status_code=400 if problem else 200,
        current=PREFIX + ACCOUNTS,
        r=report_page_texts(who.language),
        users=users,
        roles=list(UserRole),
        done=done,
        problem=problem,
        p=profile_texts(who.language),
        suggested=suggested,
    )


@page(ACCOUNTS, roles=ADMINS, nav="accounts")
async def accounts(done: str | None = None, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    return await _accounts_view(who, done=done)


async def _change(who: Viewer, name: str, change: Callable[[], object]) -> Response:
    """Apply one account change; refused on one's own account (an administrator must not
    lock themselves out), and any refusal of the core shown with its reason."""
    if name == who.account.name:
        return await _accounts_view(who, problem=report_page_texts(who.language).not_yourself)
    try:
        await asyncio.to_thread(change)
    except (TerrainError, ValueError) as error:
        return await _accounts_view(who, problem=_said(error, who))
    return _saved(name)


@page(ACCOUNTS, roles=ADMINS, method="POST")
async def add_account(
    name: str = Form(""),
    role: str = Form(UserRole.EMPLOYEE.value),
    password: str = Form(""),
    display_name: str = Form(""),
    job: str = Form(""),
    site: str = Form(""),
    team: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    store = who.runtime.store
    try:
        chosen = UserRole(role)
        profile = profile_of({"job": job, "site": site, "team": team})
        await asyncio.to_thread(
            lambda: add_user(
                store,
                name,
                chosen,
                password,
                display_name=display_name.strip() or None,
                profile=profile,
                # The administrator typed it: the person chooses their own at first sign-in.
                temporary=True,
            )
        )
    except (TerrainError, ValueError) as error:
        return await _accounts_view(who, problem=_said(error, who))
    return _saved(name.strip())


@page(ACCOUNTS + "/{name}/role", roles=ADMINS, method="POST")
async def change_role(
    name: str,
    role: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    store = who.runtime.store
    return await _change(who, name, lambda: set_role(store, name, UserRole(role)))


@page(ACCOUNTS + "/{name}/disabled", roles=ADMINS, method="POST")
async def change_disabled(
    name: str,
    disabled: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    store = who.runtime.store
    return await _change(who, name, lambda: set_disabled(store, name, disabled == "true"))


@page(ACCOUNTS + "/{name}/password", roles=ADMINS, method="POST")
async def change_password(
    name: str,
    password: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    store = who.runtime.store
    return await _change(who, name, lambda: reset_password(store, name, password))


@page(ACCOUNTS + "/{name}/profile", roles=ADMINS, method="POST")
async def change_profile(
    name: str,
    job: str = Form(""),
    site: str = Form(""),
    team: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """A profile says nothing of who may sign in: an administrator may change their own."""
    store = who.runtime.store
    values = {"job": job, "site": site, "team": team}
    try:
        await asyncio.to_thread(set_profile, store, name, values)
    except (TerrainError, ValueError) as error:
        return await _accounts_view(who, problem=_said(error, who))
    return _saved(name)


def _said(error: Exception, who: Viewer) -> str:
    """The error in the reader's language when it is one of the catalogs' (auth's)."""
    return error.in_language(who.language) if isinstance(error, AuthError) else str(error)


# -- erasure ---------------------------------------------------------------------------------


def _targets(who: Viewer, user: str, pseudonym: str) -> list[Interview]:
    runtime = who.runtime
    if user:
        return interviews_of_user(runtime.store, runtime.settings, user)
    found = runtime.store.interviews.by_pseudonym(pseudonym)
    return [] if found is None else [found]


@page(ERASE, roles=ADMINS, nav="erase")
async def erase_page(
    user: str = "",
    pseudonym: str = "",
    done: str | None = None,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """The form; with a user name or a pseudonym, what erasing would take away, to confirm."""
    user, pseudonym = user.strip(), pseudonym.strip()
    plan = None
    if user or pseudonym:
        interviews = await asyncio.to_thread(_targets, who, user, pseudonym)
        plan = await asyncio.to_thread(erasure_plan, who.runtime.store, interviews)
    return render(
        "erase.html",
        who,
        current=PREFIX + ERASE,
        r=report_page_texts(who.language),
        user=user,
        pseudonym=pseudonym,
        asked=(f"« {shortened(user)} »" if user else f"« {shortened(pseudonym)} »")
        if user or pseudonym
        else "",
        plan=plan,
        done=done,
    )


@page(ERASE, roles=ADMINS, method="POST")
async def erase(
    user: str = Form(""),
    pseudonym: str = Form(""),
    interviews: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """Erase what the confirmation page showed: if it changed since (another interview of the
    person, one already erased), nothing is erased and the page shows how it stands now."""
    user, pseudonym = user.strip(), pseudonym.strip()
    runtime = who.runtime
    targets = await asyncio.to_thread(_targets, who, user, pseudonym)
    confirmed = {i for i in interviews.split(",") if i}
    again = urlencode({"user": user} if user else {"pseudonym": pseudonym})
    if not targets or {i.id for i in targets} != confirmed:
        return RedirectResponse(f"{PREFIX}{ERASE}?{again}", status_code=303)
    try:
        if user:
            await asyncio.to_thread(erase_user, runtime.store, runtime.settings, user)
        else:
            await asyncio.to_thread(erase_interview, runtime.store, runtime.settings, targets[0].id)
    except InterviewNotFoundError:
        return RedirectResponse(f"{PREFIX}{ERASE}?{again}", status_code=303)
    erased = ", ".join(i.pseudonym for i in targets)
    return RedirectResponse(f"{PREFIX}{ERASE}?{urlencode({'done': erased})}", status_code=303)
