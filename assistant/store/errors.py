"""The store's errors: each says what went wrong and how to fix it, never a raw SQL traceback."""

from __future__ import annotations

from datetime import datetime

from assistant.errors import TerrainError

DATABASE_URL_FIX = (
    "Check TERRAIN_DATABASE_URL (e.g. postgresql+psycopg://user:password@host/terrain), or "
    "leave it unset to use SQLite in the data folder (TERRAIN_DATA_DIR)."
)


class StoreError(TerrainError):
    """The database could not be opened, migrated, read or written."""


class InterviewNotFoundError(StoreError):
    """No interview has this id (it may have been erased)."""

    def __init__(self, interview_id: str) -> None:
        super().__init__(f"No interview with id {interview_id!r}: it does not exist or was erased.")
        self.interview_id = interview_id


class InterviewChangedError(StoreError):
    """The interview was written since the time its writer said it last saw it, or is no longer
    in progress: nothing was written, read it again before deciding."""

    def __init__(self, interview_id: str) -> None:
        super().__init__(f"Interview {interview_id!r} changed since it was last read.")
        self.interview_id = interview_id


class TurnNotFoundError(StoreError):
    """No turn has this id."""

    def __init__(self, turn_id: int) -> None:
        super().__init__(f"No turn with id {turn_id}: it does not exist or was erased.")
        self.turn_id = turn_id


class FindingNotFoundError(StoreError):
    """No finding has this id (it may have been replaced by a new extraction, or erased)."""

    def __init__(self, finding_id: str) -> None:
        super().__init__(
            f"No finding with id {finding_id!r}: it does not exist, was replaced by a new "
            "extraction, or was erased with its interview."
        )
        self.finding_id = finding_id


class JobNotFoundError(StoreError):
    """No job has this id (it may have been erased with its interview)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"No job with id {job_id!r}: it does not exist or was erased with its interview."
        )
        self.job_id = job_id


class JobClaimLostError(StoreError):
    """The job is no longer this worker's: its lease ran out and another worker claimed it
    (or it was queued again or erased meanwhile). Whatever this worker found is dropped."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"The job {job_id!r} is no longer this worker's: its lease ran out and it was "
            "claimed again, or it was erased."
        )
        self.job_id = job_id


class JobBusyError(StoreError):
    """Another job of the same kind is already queued or running, and that kind runs one at a
    time (a report build): ``busy`` is that job."""

    def __init__(self, busy_id: str) -> None:
        super().__init__(
            f"Another job of this kind ({busy_id!r}) is already queued or running; it runs one "
            "at a time.",
            fix="Wait for it to end (the jobs page, /staff/jobs, shows it), then try again.",
        )
        self.busy_id = busy_id


class UserNotFoundError(StoreError):
    """No account has this user name."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"No user named {name!r}.", fix="See the accounts with `terrain users list`."
        )
        self.name = name


class DuplicateTranscriptError(StoreError):
    """The turns of a transcript being imported were imported before, as another interview."""

    def __init__(self, existing_id: str, source: str, imported_at: datetime) -> None:
        super().__init__(
            f"These turns were already imported as interview {existing_id} (from {source!r}, "
            f"on {imported_at:%Y-%m-%d}).",
            fix="Leave the transcript out, or import it again on purpose as a second interview.",
        )
        self.existing_id = existing_id
        self.source = source
        self.imported_at = imported_at


class UserExistsError(StoreError):
    """A user with this name already exists."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"A user named {name!r} already exists.", fix="Choose another name for the new user."
        )
        self.name = name


class StorageUnavailableError(StoreError):
    """The database cannot be written at all for now (a full disk, a read-only file or
    database), whatever is written: nothing is lost of what was committed before, and writes
    work again once the administrator has fixed it. ``kind`` says which (``full``,
    ``read_only``)."""

    def __init__(self, kind: str, doing: str, where: str, detail: str) -> None:
        if kind == "full":
            message = f"The database ({where}) cannot be written, its disk is full, while {doing}"
            fix = (
                "Free space on the disk that holds it (TERRAIN_DATA_DIR for SQLite, the "
                "database server's otherwise), then try again: `terrain doctor` shows the free "
                "space. Nothing saved before is lost."
            )
        else:
            message = f"The database ({where}) is read-only, while {doing}"
            fix = (
                "Make the database file, its folder and its -wal and -shm files writable by the "
                "user running Terrain (SQLite), or the database writable (a server in read-only "
                "mode or a standby), then try again. Nothing saved before is lost."
            )
        super().__init__(f"{message}: {detail}.", fix=fix)
        self.kind = kind
