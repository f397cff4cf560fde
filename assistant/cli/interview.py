"""`terrain interview`: the interview in a terminal, or scripted through standard input."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import JsonFlag, console, errors, fail, print_json, settings
from assistant.errors import TerrainError

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncIterator

    from assistant.config import Settings
    from assistant.interview.events import SessionEvent
    from assistant.interview.guide import Guide
    from assistant.interview.session import InterviewSession

EXIT_INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl-C

# The employee's actions besides answering, typed as a line of their own.
COMMANDS_HINT = (
    "Commandes / commands: /strike N (retirer le point N du résumé / strike summary point N), "
    "/correct TEXTE (corriger le résumé / correct the summary), /stop, "
    "/withdraw (tout effacer / erase everything)"
)


def interview(
    lang: Annotated[
        str | None, typer.Option("--lang", help="Interview language: fr or en.")
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Continue the interview with this id.")
    ] = None,
    campaign: Annotated[
        str | None,
        typer.Option(
            "--campaign",
            help="The open campaign the interview joins, in its language unless --lang "
            "(default: the campaign named 'default').",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Hold an interview in the terminal, with the same guide and rules as the web app.

    When standard input is not a terminal, each line is one employee message and the session
    ends at the end of input, so that interviews can be scripted; with --json the transcript
    (speaker, text, phase, scripted flag) is printed at the end. Every message is saved as it
    is sent: an interrupted interview continues with --resume ID.

    Besides answering, a line can be one of these commands: /strike N takes point N out of the
    closing summary, /correct TEXT corrects the summary, /stop ends the interview now, and
    /withdraw erases the interview and everything said in it (after a confirmation line: yes).
    """
    import asyncio

    config = settings()
    language = lang or config.language
    campaign_id = None
    if campaign is not None and resume is None:
        campaign_id, language = _campaign(config, campaign, lang)
    if language not in ("fr", "en"):
        fail(f"Unknown language {language!r}: use fr or en.")
    interactive = sys.stdin.isatty()
    # One event loop for the whole interview, entered for each reply only: while the terminal
    # waits for the employee, Ctrl-C interrupts at once (inside a reply, asyncio turns the first
    # Ctrl-C into a cancellation; around a blocking read it would swallow it).
    with asyncio.Runner() as runner:
        try:
            _run(
                runner,
                config,
                language,
                resume,
                interactive=interactive,
                as_json=as_json,
                campaign_id=campaign_id,
            )
        except TerrainError as error:
            fail(error)


def _run(
    runner: asyncio.Runner,
    config: Settings,
    language: str,
    resume: str | None,
    *,
    interactive: bool,
    as_json: bool,
    campaign_id: str | None = None,
) -> None:
    session = runner.run(_open(config, language, resume, campaign_id))
    quiet = as_json and not interactive
    view = TerminalView(session.guide)
    try:
        if not quiet:
            errors.print(
                f"[dim]Interview {session.interview.id} ({session.interview.pseudonym})[/]"
            )
            for turn in runner.run(session.transcript()):
                _show_stored(turn.speaker.value, turn.text)
            errors.print(COMMANDS_HINT, style="dim", markup=False, highlight=False, soft_wrap=True)
        if resume:
            # A message left without a reply (the terminal was killed while the model answered)
            # gets it now.
            pending = session.answer_unanswered()
            if runner.run(_show_events(session, pending, None if quiet else view)) and _withdraw(
                runner, session, interactive, quiet=quiet
            ):
                return
        # A resumed interview that is over still takes /withdraw, until the end of input.
        over_already = session.is_over
        while over_already or not session.is_over:
            line = _read(interactive)
            if line is None:
                break
            asked = line.strip().casefold() == "/withdraw"
            if not asked:
                # The employee may also ask to withdraw in their own words: the same confirmation.
                asked = runner.run(_reply(session, line, None if quiet else view))
            if asked and _withdraw(runner, session, interactive, quiet=quiet):
                return
    except KeyboardInterrupt:
        console.print()  # the prompt or a streamed answer may have left a line open
        errors.print(
            f"Interrupted; the interview is kept. Continue with: {_resume_command(session)}",
            style="dim",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if as_json:
        turns = runner.run(session.transcript())
        print_json(
            {
                "id": session.interview.id,
                "pseudonym": session.interview.pseudonym,
                "status": session.interview.status,
                "phase": session.interview.phase,
                "turns": [
                    {
                        "speaker": turn.speaker,
                        "text": turn.text,
                        "phase": turn.phase,
                        "scripted": turn.scripted,
                        "complete": turn.complete,
                        "guard_rule": turn.guard_rule,
                    }
                    for turn in turns
                ],
            }
        )
    elif not session.is_over:
        errors.print(
            f"Paused. Continue with: {_resume_command(session)}", style="dim", soft_wrap=True
        )


def _campaign(config: Settings, name: str, lang: str | None) -> tuple[str, str]:
    """The open campaign named ``name`` (its id) and the interview's language."""
    from assistant.store import Store

    try:
        with Store.open(config) as store:
            chosen = store.campaigns.named(name)
            today = store.now().date()
    except TerrainError as error:
        fail(error)
    if not chosen.is_open_on(today):
        fail(f"The campaign {chosen.name!r} is not open today: see terrain campaign show.")
    return chosen.id, lang or chosen.language or config.language


async def _open(
    config: Settings, language: str, resume: str | None, campaign_id: str | None = None
) -> InterviewSession:
    from assistant.interview.factory import session_deps
    from assistant.interview.session import InterviewSession
    from assistant.schemas import DEFAULT_CAMPAIGN_ID

    deps = await session_deps(config)
    if resume:
        return await InterviewSession.resume(deps, resume)
    return await InterviewSession.begin(
        deps, language=language, campaign_id=campaign_id or DEFAULT_CAMPAIGN_ID
    )


def _events_for(session: InterviewSession, line: str) -> AsyncIterator[SessionEvent]:
    """What the session does with the line: a command, or the employee's answer."""
    command, _, rest = line.strip().partition(" ")
    command = command.casefold()
    if command == "/stop" and not rest.strip():
        return session.stop()
    if command == "/strike" and rest.strip().isdigit():
        return session.strike_point(int(rest))
    if command == "/correct" and rest.strip():
        return session.correct_summary(rest)
    return session.respond(line)


async def _reply(session: InterviewSession, line: str, view: TerminalView | None) -> bool:
    """Show the session's answer; whether the employee asked to withdraw."""
    return await _show_events(session, _events_for(session, line), view)


async def _show_events(
    session: InterviewSession, events: AsyncIterator[SessionEvent], view: TerminalView | None
) -> bool:
    """Show the events; whether the employee asked to withdraw."""
    from assistant.interview.events import EventKind

    asked = False
    async for event in events:
        asked = asked or event.kind == EventKind.WITHDRAWAL_REQUESTED
        if view is not None:
            view.show(event)
    if view is not None:
        view.guide = session.guide  # the employee may have asked for the other language
    return asked


def _withdraw(
    runner: asyncio.Runner, session: InterviewSession, interactive: bool, *, quiet: bool
) -> bool:
    """Erase the interview once the employee confirms (a line: yes/oui); whether it was."""
    from assistant import i18n

    language = session.interview.language
    errors.print(i18n.gettext(language, "Erase everything? Type yes to confirm."), style="yellow")
    answer = _read(interactive)
    if answer is None or answer.strip().casefold() not in ("yes", "oui", "y", "o"):
        errors.print(i18n.gettext(language, "Nothing was erased."), style="dim")
        return False
    withdrawal = runner.run(session.withdraw())
    if quiet:
        print_json({"id": session.interview.id, "withdrawn": True, "turns": withdrawal.turns})
    else:
        erased = i18n.ngettext(
            language,
            "Erased: {pseudonym}, {count} message.",
            "Erased: {pseudonym}, {count} messages.",
            withdrawal.turns,
        )
        errors.print(
            erased.format(pseudonym=withdrawal.pseudonym, count=withdrawal.turns), highlight=False
        )
    return True


def _resume_command(session: InterviewSession) -> str:
    return f"terrain interview --resume {session.interview.id}"


def _read(interactive: bool) -> str | None:
    try:
        if interactive:
            return console.input("[bold cyan]Vous / You:[/] ")
        line = sys.stdin.readline()
    except EOFError:
        return None
    return line.rstrip("\n") if line else None


def _show_stored(speaker: str, text: str) -> None:
    label = "Terrain" if speaker == "interviewer" else "Vous / You"
    console.print(f"[bold]{label}:[/] ", end="")
    # No line breaks of Rich's own: the terminal wraps, and a copied message stays whole.
    console.print(text, markup=False, highlight=False, soft_wrap=True)


class TerminalView:
    """Shows session events: streamed pieces as they come, then what the stream did not say."""

    def __init__(self, guide: Guide) -> None:
        self.guide = guide
        self._streamed = ""

    def show(self, event: SessionEvent) -> None:
        from assistant.interview.events import EventKind
        from assistant.interview.progress import step_line

        if event.kind == EventKind.TOKEN:
            if not self._streamed:
                console.print("[bold]Terrain:[/] ", end="")
            self._streamed += event.text
            console.print(event.text, end="", markup=False, highlight=False, soft_wrap=True)
        elif event.kind == EventKind.MESSAGE:
            if self._streamed:
                # The stored message may end differently (cut to one question, or interrupted).
                rest = event.text.removeprefix(self._streamed)
                console.print(
                    rest if rest != event.text else "",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
                if rest == event.text:
                    _show_stored("interviewer", event.text)
                self._streamed = ""
            else:
                _show_stored("interviewer", event.text)
        elif event.kind == EventKind.NOTICE:
            errors.print(event.text, style="yellow", markup=False, highlight=False, soft_wrap=True)
        elif event.kind in (EventKind.REVISED, EventKind.WITHDRAWAL_REQUESTED):
            _show_stored("interviewer", event.text)
        elif event.kind == EventKind.STRUCK:
            errors.print(
                f"Retiré / Struck: {event.text}", markup=False, highlight=False, soft_wrap=True
            )
        elif event.kind == EventKind.PHASE and event.phase:
            step = step_line(self.guide, event.phase)
            if step is not None:
                errors.print(f"— {step} —", style="dim", markup=False, soft_wrap=True)
