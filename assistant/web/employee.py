"""The employee's side: consent, the streamed interview, progress, summary review, withdrawal.

One :class:`EmployeeChat` per Chainlit conversation. Its id is the interview's id, chosen when
the conversation opens, so that the conversation list, a reload and a server restart all find
the interview again. Nothing is stored before the employee has answered the consent question.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import chainlit as cl

from assistant.campaigns import open_to
from assistant.errors import TerrainError
from assistant.i18n import N_, gettext
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.guide import Guide, load_guide
from assistant.interview.session import InterviewSession, answers_consent
from assistant.schemas import DEFAULT_CAMPAIGN_ID, Interview, InterviewStatus, Phase, Speaker
from assistant.store import InterviewNotFoundError, StoreError
from assistant.web import render
from assistant.web.buttons import Button
from assistant.web.chat_page import CLOSED_SIGNAL, OPEN_SIGNAL, tell_store_failure
from assistant.web.chat_page import STAFF_SIGNAL as STAFF_SIGNAL  # the app's handlers use these
from assistant.web.chat_page import store_failures_told as store_failures_told
from assistant.web.chat_page import tell_page as tell_page
from assistant.web.datalayer import step_id
from assistant.web.runtime import Runtime
from assistant.web.texts import Texts, texts_for

CHAT_KEY = "terrain_employee"
_NO_CAMPAIGN_YET = N_(
    "Choose a campaign first; with none open to you, there is no interview to hold."
)

AGREE = "terrain_consent_yes"
DECLINE = "terrain_consent_no"
STOP = "terrain_stop"
WITHDRAW = "terrain_withdraw"
WITHDRAW_CONFIRM = "terrain_withdraw_confirm"
WITHDRAW_CANCEL = "terrain_withdraw_cancel"
SUMMARY_CONFIRM = "terrain_summary_confirm"
SUMMARY_CORRECT = "terrain_summary_correct"
SUMMARY_STRIKE = "terrain_summary_strike"
CAMPAIGN = "terrain_campaign"
ACTIONS = (
    CAMPAIGN,
    AGREE,
    DECLINE,
    STOP,
    WITHDRAW,
    WITHDRAW_CONFIRM,
    WITHDRAW_CANCEL,
    SUMMARY_CONFIRM,
    SUMMARY_CORRECT,
    SUMMARY_STRIKE,
)


@dataclass
class EmployeeChat:
    user_name: str
    language: str
    interview_id: str
    campaign_id: str | None = None  # chosen before consent: the campaign the interview joins
    session: InterviewSession | None = None
    erased: bool = False
    awaiting_correction: bool = False
    ended: bool = False  # the interview ended in this conversation or before it was reopened
    anchor: str | None = None  # the message under which the buttons are shown
    said: str | None = None  # the interviewer's latest message
    shown: list[cl.Action] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def texts(self) -> Texts:
        return texts_for(self.language)

    @property
    def guide(self) -> Guide:
        return load_guide(self.language)


def current_chat() -> EmployeeChat | None:
    chat = cl.user_session.get(CHAT_KEY)
    return chat if isinstance(chat, EmployeeChat) else None


def _button(name: str, payload: dict[str, Any], label: str, icon: str | None = None) -> Button:
    """A button whose page id starts with its name: the stylesheet sets withdrawal apart by it,
    and the page's script puts the keyboard on the consent question's first answer."""
    extra = {"icon": icon} if icon else {}
    return Button(id=f"{name}-{uuid.uuid4().hex}", name=name, payload=payload, label=label, **extra)


def _say(text: str, texts: Texts, **extra: Any) -> cl.Message:
    return cl.Message(content=text, author=texts.assistant_name, **extra)


# -- opening and resuming ------------------------------------------------------------------


async def start(runtime: Runtime, user_name: str, language: str) -> None:
    """A new conversation: the framing, and the consent buttons. Nothing stored yet.

    An employee who comes back to the app's first page while an interview is going on is
    first offered that interview: a new one begins only if they choose it.
    """
    interview_id = uuid.uuid4().hex
    cl.context.session.thread_id = interview_id
    chat = EmployeeChat(user_name=user_name, language=language, interview_id=interview_id)
    cl.user_session.set(CHAT_KEY, chat)
    texts = chat.texts
    ongoing = await runtime.store.run_read(
        runtime.store.interviews.where,
        owner_key=runtime.owners.key_of(user_name),
        status=InterviewStatus.IN_PROGRESS,
        limit=1,
    )
    if ongoing:
        interview = ongoing[0]
        line = texts.ongoing.format(date=render.when(texts, interview.created_at))
        link = f"[{render.literal(texts.ongoing_link)}](/thread/{interview.id})"
        await _say(f"{render.literal(line)} {link}", texts).send()
    account = await runtime.store.run_read(runtime.store.accounts.get, user_name)
    offered = await runtime.store.run_read(open_to, runtime.store, account)
    if not offered:
        plain = gettext(language, "No interview campaign is open to you at the moment.")
        await _say(render.literal(plain), texts).send()
        return
    if len(offered) > 1:  # the employee chooses; the framing follows their choice
        asked = _say(
            render.literal(gettext(language, "Which campaign is this interview for?")), texts
        )
        await asked.send()
        chat.anchor = asked.id
        buttons = [
            _button(CAMPAIGN, {"interview": interview_id, "campaign": c.id}, c.name)
            for c in offered
        ]
        await _show(chat, buttons)
        return
    await _open_campaign(runtime, chat, offered[0].id)


async def choose_campaign(runtime: Runtime, chat: EmployeeChat, campaign_id: str) -> None:
    async with chat.lock:
        await _open_campaign(runtime, chat, campaign_id)


async def _open_campaign(runtime: Runtime, chat: EmployeeChat, campaign_id: str) -> None:
    """The campaign the interview will join (one of those open to the employee), then the
    framing and the consent buttons, in the campaign's language when it has one."""
    if chat.session is not None or chat.campaign_id is not None:
        return  # chosen already (a second click)
    account = await runtime.store.run_read(runtime.store.accounts.get, chat.user_name)
    offered = {c.id: c for c in await runtime.store.run_read(open_to, runtime.store, account)}
    if campaign_id not in offered:
        return
    chat.campaign_id = campaign_id
    chat.language = offered[campaign_id].language or chat.language
    texts = chat.texts
    await tell_page(OPEN_SIGNAL, chat.interview_id)
    welcome = _say(render.message(chat.guide.welcome(runtime.settings)), texts)
    await welcome.send()
    chat.anchor = welcome.id
    await _show(chat, _consent_actions(chat))


async def resume(runtime: Runtime, user_name: str, interview: Interview) -> None:
    """The interview behind a reopened conversation; its history is shown by Chainlit."""
    deps = await runtime.deps()
    session = await InterviewSession.resume(deps, interview.id)
    chat = EmployeeChat(
        user_name=user_name,
        language=interview.language,
        interview_id=interview.id,
        session=session,
    )
    cl.user_session.set(CHAT_KEY, chat)
    turns = await session.transcript()
    last = next((t for t in reversed(turns) if t.speaker == Speaker.INTERVIEWER), None)
    chat.anchor = chat.said = step_id(interview.id, last.index) if last else None
    await _show(chat, _actions_for(chat))
    if session.is_over:
        await show_closed(chat)
        return
    await tell_page(OPEN_SIGNAL, interview.id)
    if await session.unanswered() is not None:
        # The employee's last message was never answered (the server stopped while the model
        # answered, or the connection was cut): it is answered now, as it would have been.
        async with chat.lock:
            await _respond(chat, session.answer_unanswered())


# -- what the employee does ------------------------------------------------------------------


async def on_message(runtime: Runtime, chat: EmployeeChat, text: str) -> None:
    async with chat.lock:
        texts = chat.texts
        if chat.erased:
            await _say(texts.erased, texts).send()
            return
        if chat.session is None and chat.campaign_id is None:
            await _say(render.literal(gettext(chat.language, _NO_CAMPAIGN_YET)), texts).send()
            return
        if chat.session is None:
            if answers_consent(chat.language, text):  # a typed yes or no counts as the button
                await _consent(runtime, chat, text)
            else:
                await _say(render.literal(texts.consent_first), texts).send()
            return
        session = chat.session
        if chat.awaiting_correction:
            chat.awaiting_correction = False
            await _respond(chat, session.correct_summary(text))
            return
        await _respond(chat, session.respond(text))


async def consent(runtime: Runtime, chat: EmployeeChat, *, given: bool) -> None:
    async with chat.lock:
        if chat.erased:
            return
        if chat.session is not None and chat.session.phase != Phase.CONSENT:
            return  # already answered (a second click)
        said = chat.texts.agree_said if given else chat.texts.decline_said
        await cl.Message(content=said, author=chat.user_name, type="user_message").send()
        await _consent(runtime, chat, said)


async def _consent(runtime: Runtime, chat: EmployeeChat, said: str) -> None:
    """Open the interview (framing first, as shown) and answer its consent question.

    The session reads the answer from the words, as it would typed ones: the buttons' texts
    are the guide's plain yes and no.
    """
    if chat.session is None:
        deps = await runtime.deps()
        account = await runtime.store.run_read(runtime.store.accounts.get, chat.user_name)
        chat.session = await InterviewSession.begin(
            deps,
            language=chat.language,
            owner_key=runtime.owners.key_of(chat.user_name),
            interview_id=chat.interview_id,
            profile=account.profile if account is not None else None,
            campaign_id=chat.campaign_id or DEFAULT_CAMPAIGN_ID,
        )
    await _respond(chat, chat.session.respond(said))


async def stop(chat: EmployeeChat) -> None:
    async with chat.lock:
        session = chat.session
        if chat.erased or session is None or session.is_over:
            return
        await _respond(chat, session.stop())


async def ask_withdrawal(chat: EmployeeChat, asked: str | None = None) -> None:
    """The confirmation before erasure: the button's question, or the session's ``asked``
    when the employee asked to withdraw in a message."""
    texts = chat.texts
    if chat.session is None or chat.erased:
        await _say(texts.nothing_to_withdraw, texts).send()
        return
    payload = {"interview": chat.interview_id}
    question = _say(render.literal(asked or texts.withdraw_confirm), texts)
    await question.send()
    # The question's two answers take the place of every other button: whichever is chosen,
    # both leave, and nothing else can be pressed in between.
    chat.anchor = question.id
    await _show(
        chat,
        [
            _button(WITHDRAW_CONFIRM, payload, texts.withdraw_yes, "trash-2"),
            _button(WITHDRAW_CANCEL, payload, texts.withdraw_no, "undo-2"),
        ],
    )


async def withdraw(chat: EmployeeChat) -> None:
    """Erase the interview for good, and say exactly what was erased."""
    async with chat.lock:
        await _show(chat, [])
        texts = chat.texts
        if chat.session is None or chat.erased:
            await _say(texts.nothing_to_withdraw, texts).send()
            return
        try:
            withdrawal = await chat.session.withdraw()
        except InterviewNotFoundError:  # erased already (from the conversation list)
            withdrawal = None
        chat.erased = True
        chat.session = None
        await _show(chat, [])
        await show_closed(chat)
        if withdrawal is None:
            await _say(texts.erased, texts).send()
            return
        done = texts.withdrawn.format(
            pseudonym=withdrawal.pseudonym,
            date=render.when(texts, withdrawal.created_at),
            turns=withdrawal.turns,
        )
        await _say(render.literal(done), texts).send()


async def cancel_withdrawal(chat: EmployeeChat) -> None:
    async with chat.lock:
        texts = chat.texts
        if chat.erased or chat.session is None:
            await _show(chat, [])
            await _say(texts.erased if chat.erased else texts.nothing_to_withdraw, texts).send()
            return
        answer = _say(texts.withdraw_cancelled, texts)
        await answer.send()
        chat.anchor = answer.id
        await _show(chat, _actions_for(chat))


async def confirm_summary(chat: EmployeeChat) -> None:
    async with chat.lock:
        session = chat.session
        if not _reviewing(chat) or session is None:
            return
        said = chat.texts.summary_confirm_said
        await cl.Message(content=said, author=chat.user_name, type="user_message").send()
        await _respond(chat, session.respond(said))


async def correct_summary(chat: EmployeeChat) -> None:
    if not _reviewing(chat):
        return
    chat.awaiting_correction = True
    await _say(chat.texts.correct_prompt, chat.texts).send()


async def strike_point(chat: EmployeeChat, number: int) -> None:
    """Take point ``number`` (from 1) out of the summary: the session does it, in one commit."""
    async with chat.lock:
        session = chat.session
        if not _reviewing(chat) or session is None:
            return
        await _respond(chat, session.strike_point(number))


def _reviewing(chat: EmployeeChat) -> bool:
    return chat.session is not None and not chat.erased and chat.session.is_reviewing_summary


# -- showing the session's answer ------------------------------------------------------------


async def _respond(chat: EmployeeChat, events: AsyncIterator[SessionEvent]) -> None:
    try:
        asked = await _render(chat, events)
        if chat.session is not None:  # the employee may have asked for the other language
            chat.language = chat.session.interview.language
        if asked is not None:
            await ask_withdrawal(chat, asked)
            return
    except InterviewNotFoundError:
        chat.erased = True
        chat.session = None
        await _show(chat, [])
        await _say(chat.texts.erased, chat.texts).send()
    except StoreError as error:
        await tell_store_failure(error, chat.texts)
    except TerrainError as error:
        await _say(render.literal(error.message), chat.texts).send()
    await _show(chat, _actions_for(chat))
    if chat.ended or chat.erased:
        await show_closed(chat)


async def _render(chat: EmployeeChat, events: AsyncIterator[SessionEvent]) -> str | None:
    """Show the session's events; the withdrawal question when the employee asked to withdraw
    (the caller asks for confirmation). The interviewer's reply, checked whole by the session
    before any of it is given here, is streamed into its message, then replaced by the text as
    stored."""
    texts = chat.texts
    streaming: cl.Message | None = None
    withdrawal_asked = None
    async for event in events:
        if event.kind == EventKind.TOKEN:
            streaming = streaming or _say("", texts)
            await streaming.stream_token(render.fragment(event.text, line_start=True))
        elif event.kind == EventKind.MESSAGE:
            message = streaming or _say("", texts)
            message.content = render.message(event.text)
            await message.send()
            chat.anchor = chat.said = message.id
            streaming = None
        elif event.kind == EventKind.NOTICE:
            await _say(f"_{render.literal(event.text)}_", texts).send()
        elif event.kind == EventKind.REVISED and chat.said is not None:
            await _say(render.message(event.text), texts, id=chat.said).update()
        elif event.kind == EventKind.STRUCK:
            notice = _say(render.literal(texts.struck.format(point=event.text)), texts)
            await notice.send()
            chat.anchor = notice.id
        elif event.kind == EventKind.PHASE and event.phase is not None:
            line = render.progress(chat.guide, event.phase)
            if line is not None:
                await _say(line, texts).send()
        elif event.kind == EventKind.WITHDRAWAL_REQUESTED:
            withdrawal_asked = event.text
        elif event.kind == EventKind.ENDED:
            chat.ended = True
    if streaming is not None:  # a stream with no final message: keep what was shown
        await streaming.send()
    return withdrawal_asked


# -- the page around the conversation --------------------------------------------------------


async def show_closed(chat: EmployeeChat) -> None:
    """The interview ended, was refused or was erased: the page closes its message box, and
    the conversation list is read again, so that it shows the interview's new status (its
    name) at once, not after a reload. Chainlit reads the list again on a new value of its
    "first interaction"."""
    await tell_page(CLOSED_SIGNAL, chat.interview_id)
    await cl.context.emitter.emit(
        "first_interaction",
        {"interaction": f"ended-{uuid.uuid4().hex}", "thread_id": chat.interview_id},
    )


# -- buttons ---------------------------------------------------------------------------------


def _consent_actions(chat: EmployeeChat) -> list[cl.Action]:
    payload = {"interview": chat.interview_id}
    texts = chat.texts
    return [
        _button(AGREE, payload, texts.agree_label, "check"),
        _button(DECLINE, payload, texts.decline_label, "x"),
    ]


def _actions_for(chat: EmployeeChat) -> list[cl.Action]:
    """The buttons that fit where the interview is."""
    session = chat.session
    if chat.erased:
        return []
    if session is None:
        return _consent_actions(chat)
    texts = chat.texts
    payload = {"interview": chat.interview_id}
    withdraw = _button(WITHDRAW, payload, texts.withdraw_label, "trash-2")
    if session.interview.status == InterviewStatus.DECLINED:
        return []  # a refusal kept nothing of the interview: there is nothing to withdraw
    if session.is_over:
        return [withdraw]
    if session.phase == Phase.CONSENT:
        return [*_consent_actions(chat), withdraw]
    actions: list[cl.Action] = []
    if _reviewing(chat):
        actions.append(_button(SUMMARY_CONFIRM, payload, texts.summary_confirm_label, "check"))
        actions.append(_button(SUMMARY_CORRECT, payload, texts.summary_correct_label, "pencil"))
        actions += [
            _button(
                SUMMARY_STRIKE,
                {**payload, "point": number},
                texts.summary_strike_label.format(number=number),
                "eraser",
            )
            for number in range(1, len(session.state.summary) + 1)
        ]
    stop_action = _button(STOP, payload, texts.stop_label, "circle-stop")
    return [*actions, stop_action, withdraw]


async def _show(chat: EmployeeChat, actions: Sequence[cl.Action]) -> None:
    """Show ``actions`` under the latest message, in place of the previous buttons."""
    for action in chat.shown:
        await action.remove()
    chat.shown = []
    if chat.anchor is None:
        return
    for action in actions:
        await action.send(for_id=chat.anchor)
    chat.shown = list(actions)
