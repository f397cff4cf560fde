"""`terrain import`: transcripts of interviews held elsewhere, stored as closed interviews."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from assistant.cli.common import JsonFlag, console, errors, fail, print_json, settings
from assistant.errors import TerrainError
from assistant.vocabulary import Phase
from assistant.wording import counted

if TYPE_CHECKING:
    from assistant.schemas import Interview
    from assistant.store.errors import DuplicateTranscriptError
    from assistant.transcripts import ImportedTranscript

# Imported turns are all at this phase: see store.interviews.import_transcript.
IMPORTED_PHASE = Phase.EPISODE
IMPORTED_CONSENT_VERSION = "imported"


def import_transcripts(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Transcripts: JSON, WebVTT (.vtt), or text/Markdown with speaker labels.",
            show_default=False,
        ),
    ],
    as_json: JsonFlag = False,
    language: Annotated[
        str | None,
        typer.Option(
            "--lang", help="Language of every file (fr or en), instead of the file's or a guess."
        ),
    ] = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option(
            "--allow-duplicate",
            help="Import a transcript even if the same turns were imported before, making a "
            "second interview of them.",
        ),
    ] = False,
    job: Annotated[
        str | None,
        typer.Option("--job", help="The employees' job, for every file (instead of its 'role')."),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option("--site", help="The employees' site, for every file (instead of its own)."),
    ] = None,
    team: Annotated[
        str | None,
        typer.Option("--team", help="The employees' team, for every file (instead of its own)."),
    ] = None,
    campaign: Annotated[
        str | None,
        typer.Option(
            "--campaign",
            help="The campaign the interviews join (`terrain campaign list`; default: the "
            "campaign named 'default').",
        ),
    ] = None,
) -> None:
    """Import transcripts of interviews held elsewhere, one closed interview per file.

    Every file is read and checked before anything is stored, and a file with a problem is
    reported (the file, the line, what is wrong) and imported not at all; the others are still
    imported. Speakers come from labels such as 'Intervieweur :' and 'Salarié(e) :', or from
    WebVTT voice tags; when a file names exactly two people and no role, the first to speak is
    taken as the interviewer. The labels (often names) are not stored. The consent of imported
    interviews is recorded as given, version 'imported': import only interviews whose
    participants agreed. Their findings are extracted with `terrain extract`, like any other.

    A transcript whose turns were imported before (the same file again, even renamed or in
    another format) is refused, naming the interview it became; --allow-duplicate imports it
    anyway, as a second interview.

    Each interview keeps the employee's profile, which reports group people by: a JSON file's
    `role` (the job), `site` and `team`, or what --job, --site and --team give for every file.

    Prints each new interview's id (with --json, a list of {id, source, …}). Exits with status
    1 if any file could not be imported.
    """
    from assistant.store import Store
    from assistant.store.errors import DuplicateTranscriptError
    from assistant.transcripts import SUPPORTED_LANGUAGES, TranscriptFormatError, parse_transcript

    if language is not None and language not in SUPPORTED_LANGUAGES:
        fail(escape(f"Unknown language {language!r}: use {' or '.join(SUPPORTED_LANGUAGES)}."))
    from assistant.schemas import DEFAULT_CAMPAIGN_ID, Profile

    try:
        given = Profile(job=_given(job), site=_given(site), team=_given(team))
    except ValueError as error:
        fail(escape(f"Invalid --job, --site or --team: {error}"))
    config = settings()
    parsed: list[tuple[Path, ImportedTranscript]] = []
    failed = 0
    for path in files:
        try:
            parsed.append((path, parse_transcript(path, language=language)))
        except TranscriptFormatError as error:
            failed += 1
            _report(error)
    imported: list[tuple[ImportedTranscript, Interview]] = []
    if parsed:
        try:
            store = Store.open(config)
        except TerrainError as error:
            fail(escape(str(error)))
        with store:
            try:
                campaign_id = (
                    DEFAULT_CAMPAIGN_ID if campaign is None else store.campaigns.named(campaign).id
                )
            except TerrainError as error:
                fail(escape(str(error)))
            for path, transcript in parsed:
                try:
                    interview = store.interviews.import_transcript(
                        language=transcript.language,
                        source=transcript.source,
                        turns=[(turn.speaker, turn.text) for turn in transcript.turns],
                        phase=IMPORTED_PHASE,
                        consent_version=IMPORTED_CONSENT_VERSION,
                        content_digest=transcript.content_digest,
                        allow_duplicate=allow_duplicate,
                        profile=transcript.profile.merged(given),
                        campaign_id=campaign_id,
                    )
                except DuplicateTranscriptError as error:
                    failed += 1
                    _report(_already_imported(path, error))
                    continue
                except TerrainError as error:
                    failed += 1
                    _report(error)
                    continue
                imported.append((transcript, interview))
    if as_json:
        print_json(
            [
                {
                    "id": interview.id,
                    "source": transcript.source,
                    "pseudonym": interview.pseudonym,
                    "language": interview.language,
                    "turns": len(transcript.turns),
                    **interview.profile.model_dump(),
                }
                for transcript, interview in imported
            ]
        )
    else:
        for transcript, interview in imported:
            _show(transcript, interview)
        if imported:
            _say_extraction_queued(len(imported))
    if failed:
        fail(
            f"{failed} of {len(files)} file{'s' if len(files) > 1 else ''} "
            f"{'were' if failed > 1 else 'was'} not imported (see above)."
        )


def _say_extraction_queued(count: int) -> None:
    """Imported transcripts have ended: the store queued their extraction with them."""
    console.print(
        f"Extraction queued for {counted(count, 'interview')}: a running `terrain serve` "
        "extracts them by itself; otherwise `terrain extract --all-pending` does.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _given(value: str | None) -> str | None:
    return (" ".join(value.split()) or None) if value is not None else None


def _report(error: TerrainError) -> None:
    errors.print(f"[bold red]Error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)


def _already_imported(path: Path, error: DuplicateTranscriptError) -> TerrainError:
    return TerrainError(
        f"Cannot import {path}: its turns were already imported as interview "
        f"{error.existing_id} (from {error.source!r}, on {error.imported_at:%Y-%m-%d}).",
        fix="Leave the file out; to import it again anyway, as a second interview, add "
        "--allow-duplicate.",
    )


def _show(transcript: ImportedTranscript, interview: Interview) -> None:
    guessed = " (guessed)" if transcript.language_guessed else ""
    console.print(
        f"[green]✓[/] {escape(transcript.source)} → interview {interview.id} "
        f"({interview.pseudonym}), {len(transcript.turns)} turns, "
        f"language {interview.language}{guessed}"
        + "".join(
            f", {field} {escape(value)}"
            for field, value in interview.profile.model_dump().items()
            if value
        ),
        highlight=False,
        soft_wrap=True,
    )
    if transcript.speakers:
        sides = ", ".join(
            f"{escape(label)} = {side.value}" for label, side in transcript.speakers.items()
        )
        console.print(f"  speakers: {sides}", style="dim", highlight=False, soft_wrap=True)
