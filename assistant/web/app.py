"""The Chainlit app: sign-in, the data layer, and one handler per event, checked by role.

Started by ``terrain serve`` (see :mod:`assistant.web.launch`). Every handler reads the signed-in
user's role from the store again (a token outlives a role change) and refuses what the role
does not allow; the pages only hide what the server would refuse anyway.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import chainlit as cl
from chainlit.data.base import BaseDataLayer
from chainlit.oauth_providers import get_configured_oauth_providers
from chainlit.server import app as chainlit_server
from chainlit.types import ThreadDict
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers

from assistant import i18n
from assistant.auth import (
    Account,
    SignInLimits,
    SignInPaused,
    authenticate,
    end_sessions,
    single_sign_on_account,
)
from assistant.profiles import sign_on_sources, update_from_sign_on
from assistant.schemas import UserRole
from assistant.web import employee, pages, sessions, staff
from assistant.web.datalayer import TerrainDataLayer
from assistant.web.launch import install_security_headers
from assistant.web.pages.routes import PASSWORD_PAGE, PREFIX
from assistant.web.runtime import Runtime, runtime
from assistant.web.texts import Texts, language_from, texts_for

log = logging.getLogger("terrain.web")
WORKER_THREADS = 16
# Chainlit logs at INFO; model requests (one per message) are not worth a line each.
logging.getLogger("httpx").setLevel(logging.WARNING)


def _chainlit_user(account: Account) -> cl.User:
    return cl.User(
        identifier=account.name,
        display_name=account.display_name or account.name,
        metadata={"role": account.role.value, sessions.TOKEN_VERSION: account.token_version},
    )


def _language() -> str:
    browser = getattr(cl.context.session, "language", None)
    return language_from(browser if isinstance(browser, str) else None, runtime().settings.language)


def _texts() -> Texts:
    return texts_for(_language())


async def _account() -> Account | None:
    """The signed-in user as the store knows them now (None if the account is gone)."""
    user = cl.user_session.get("user")
    identifier = getattr(user, "identifier", None)
    return await runtime().account(identifier if isinstance(identifier, str) else None)


# -- set-up ----------------------------------------------------------------------------------


@cl.data_layer
def _data_layer() -> BaseDataLayer:
    return TerrainDataLayer(runtime())


class _NoPause:
    """Chainlit's message and step constructors sleep 1 ms (to space their timestamps), which
    blocks the event loop for every message of every conversation. Terrain orders messages
    itself (turn indexes), so they get the time module without the pause."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        return None


setattr(sys.modules["chainlit.message"], "time", _NoPause())  # noqa: B010
setattr(sys.modules["chainlit.step"], "time", _NoPause())  # noqa: B010


@cl.on_app_startup
async def _startup() -> None:
    # Store, retrieval and password checks run in worker threads: enough of them that a
    # conversation never waits behind fifty others (each holds a thread only briefly).
    workers = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="terrain")
    _start_all(workers)
    asyncio.get_running_loop().set_default_executor(workers)
    # Build the model, tokenizer and retrieval before accepting anyone: done lazily, their
    # imports and loading (about a second of CPU) landed on the first conversations.
    try:
        await runtime().deps()
    except Exception as error:  # interviews will retry; the app must still start
        log.warning("Could not prepare interviews: %s", error)
    # What start-up loaded (Chroma, LangChain, tokenizer tables: some 300,000 objects) lives as
    # long as the process. Frozen, the garbage collector no longer walks it: a full collection
    # then took 220 ms, during which every conversation waited.
    gc.collect()
    gc.freeze()


def _start_all(workers: ThreadPoolExecutor) -> None:
    """Start every worker thread now: a pool starts them on demand, and starting a thread
    blocks the event loop until it runs, which under load takes tens of milliseconds."""
    barrier = threading.Barrier(WORKER_THREADS + 1)
    for _ in range(WORKER_THREADS):
        workers.submit(barrier.wait)
    barrier.wait()


install_security_headers()
pages.install(chainlit_server)
sessions.install(runtime().settings, lambda: runtime().store)


# -- sign-in ---------------------------------------------------------------------------------


async def _checked_login(username: str, password: str) -> cl.User | None:
    """The user if the password is right; :class:`SignInPaused` while throttled."""
    rt = runtime()
    account = await asyncio.to_thread(
        lambda: authenticate(
            rt.store,
            username,
            password,
            address=sessions.CLIENT_ADDRESS.get(),
            limits=SignInLimits.of(rt.settings),
        )
    )
    return None if account is None else _chainlit_user(account)


@cl.password_auth_callback
async def _password_login(username: str, password: str) -> cl.User | None:
    # Chainlit's own /login, should it be reached: it turns any exception into a failure.
    try:
        return await _checked_login(username, password)
    except SignInPaused:
        return None


async def _login(request: Request) -> Response:
    """The sign-in form's POST, ahead of Chainlit's: the same answers, and while sign-in is
    throttled a 429 (the sign-in page looks its text up by the status text, "Too Many
    Requests": ``auth.login.errors`` in .chainlit/translations)."""
    from chainlit.auth import create_jwt, set_auth_cookie

    form = await request.form()
    username, password = form.get("username"), form.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return JSONResponse({"detail": "credentialssignin"}, status_code=401)
    try:
        user = await _checked_login(username, password)
    except SignInPaused as paused:
        detail = "signinlocked" if paused.locked else "signinpaused"
        headers = {"Retry-After": str(paused.seconds)}
        return JSONResponse({"detail": detail}, status_code=429, headers=headers)
    if user is None:
        return JSONResponse({"detail": "credentialssignin"}, status_code=401)
    response = JSONResponse({"success": True})
    set_auth_cookie(request, response, create_jwt(user))
    return response


chainlit_server.add_api_route("/login", _login, methods=["POST"], include_in_schema=False)
chainlit_server.router.routes.insert(0, chainlit_server.router.routes.pop())


@cl.on_logout
async def _logout(request: Request, response: Response) -> dict[str, bool]:
    """Signing out ends every open session of the account, not only this browser's."""
    from chainlit.auth import get_token_from_cookies

    rt = runtime()
    account = await asyncio.to_thread(
        sessions.account_of_token, rt.store, get_token_from_cookies(dict(request.cookies))
    )
    if account is not None:
        await asyncio.to_thread(end_sessions, rt.store, account.name)
    return {"success": True}


async def _header_login(headers: Headers) -> cl.User | None:
    header = runtime().settings.auth_header
    name = headers.get(header) if header else None
    if not name:
        return None
    account = await asyncio.to_thread(single_sign_on_account, runtime().store, name)
    if account is not None:
        await _profile_from_sign_on(account.name, {k.casefold(): v for k, v in headers.items()})
    return None if account is None else _chainlit_user(account)


async def _profile_from_sign_on(name: str, given: dict[str, object]) -> None:
    """The job, site and team the proxy's headers or the provider's claims give, when the
    setting names them (TERRAIN_AUTH_PROFILE_FIELDS)."""
    setting = runtime().settings.auth_profile_fields
    if not setting:
        return
    try:
        named = sign_on_sources(setting)
    except ValueError:  # `terrain doctor` and the lead's review name it; sign-on goes on
        return
    sources = {field: source.casefold() for field, source in named.items()}
    folded = {str(key).casefold(): value for key, value in given.items()}
    await asyncio.to_thread(update_from_sign_on, runtime().store, name, sources, folded)


if runtime().settings.auth_header:
    cl.header_auth_callback(_header_login)


async def _oauth_login(
    provider_id: str,
    token: str,
    raw_user_data: dict[str, str],
    default_user: cl.User,
    id_token: str | None = None,
) -> cl.User | None:
    """Single sign-on through a provider configured with Chainlit's OAUTH_* variables."""
    account = await asyncio.to_thread(
        single_sign_on_account, runtime().store, default_user.identifier
    )
    if account is not None:
        await _profile_from_sign_on(account.name, dict(raw_user_data))
    return None if account is None else _chainlit_user(account)


if get_configured_oauth_providers():
    cl.oauth_callback(_oauth_login)


# -- conversations ---------------------------------------------------------------------------


async def _password_told(account: Account) -> bool:
    """A password an administrator gave opens nothing but the page to choose one's own: say so,
    with the link, and take no answer (True) until it is done."""
    if not account.password_temporary:
        return False
    language = _language()
    said = i18n.gettext(
        language,
        "The password you signed in with was given to you by an administrator, who knows it. "
        "Before anything else, [choose your own password]({address}): from then on, nobody "
        "but you knows it.",
    ).format(address=PREFIX + PASSWORD_PAGE)
    await employee.tell_page(employee.STAFF_SIGNAL)  # no answer box
    await cl.Message(content=said, author=_texts().assistant_name).send()
    return True


@cl.on_chat_start
@employee.store_failures_told(_texts)
async def _chat_start() -> None:
    texts = _texts()
    account = await _account()
    if account is None:
        await cl.Message(content=texts.no_account, author=texts.assistant_name).send()
        return
    if await _password_told(account):
        return
    if account.role == UserRole.EMPLOYEE:
        await employee.start(runtime(), account.name, _language())
    else:
        await employee.tell_page(employee.STAFF_SIGNAL)  # no answer box, no employee footer
        await staff.staff_home(account, texts, runtime().settings)


@cl.on_chat_resume
@employee.store_failures_told(_texts)
async def _chat_resume(thread: ThreadDict) -> None:
    texts = _texts()
    account = await _account()
    rt = runtime()
    interview = None
    if account is not None:
        interview = await rt.employee_owns(account.name, thread["id"])
    if account is not None and await _password_told(account):
        return
    if account is not None and account.role != UserRole.EMPLOYEE:
        await employee.tell_page(employee.STAFF_SIGNAL)
    if account is None or interview is None:
        await cl.Message(content=texts.not_found, author=texts.assistant_name).send()
        return
    await employee.resume(rt, account.name, interview)


@cl.on_message
@employee.store_failures_told(_texts)
async def _on_message(message: cl.Message) -> None:
    texts = _texts()
    account = await _account()
    if account is None:
        await cl.Message(content=texts.no_account, author=texts.assistant_name).send()
        return
    if await _password_told(account):
        return
    rt = runtime()
    if account.role == UserRole.EMPLOYEE:
        chat = employee.current_chat()
        if chat is None or chat.user_name != account.name:
            await staff.refuse(texts)
            return
        await employee.on_message(rt, chat, message.content)
    else:
        await staff.staff_home(account, texts, runtime().settings)


# -- buttons ---------------------------------------------------------------------------------


async def _employee_chat(action: cl.Action) -> tuple[Runtime, employee.EmployeeChat] | None:
    """The caller's own conversation, if the caller is an employee and the button is theirs."""
    texts = _texts()
    account = await _account()
    chat = employee.current_chat()
    rt = runtime()
    if (
        account is None
        or account.role != UserRole.EMPLOYEE
        or chat is None
        or chat.user_name != account.name
        or action.payload.get("interview") != chat.interview_id
    ):
        await staff.refuse(texts)
        return None
    if chat.session is not None and not rt.owners.owns(account.name, chat.session.interview):
        await staff.refuse(texts)
        return None
    return rt, chat


@employee.store_failures_told(_texts)
async def _employee_action(action: cl.Action) -> None:
    found = await _employee_chat(action)
    if found is None:
        return
    rt, chat = found
    name = action.name
    if name == employee.CAMPAIGN:
        campaign = action.payload.get("campaign")
        if isinstance(campaign, str):
            await employee.choose_campaign(rt, chat, campaign)
    elif name in (employee.AGREE, employee.DECLINE):
        await employee.consent(rt, chat, given=name == employee.AGREE)
    elif name == employee.STOP:
        await employee.stop(chat)
    elif name == employee.WITHDRAW:
        await employee.ask_withdrawal(chat)
    elif name == employee.WITHDRAW_CONFIRM:
        await employee.withdraw(chat)
    elif name == employee.WITHDRAW_CANCEL:
        await employee.cancel_withdrawal(chat)
    elif name == employee.SUMMARY_CONFIRM:
        await employee.confirm_summary(chat)
    elif name == employee.SUMMARY_CORRECT:
        await employee.correct_summary(chat)
    elif name == employee.SUMMARY_STRIKE:
        point = action.payload.get("point")
        if isinstance(point, int):
            await employee.strike_point(chat, point)


for _name in employee.ACTIONS:
    cl.action_callback(_name)(_employee_action)
