"""`terrain serve` (the web app) and `terrain users` (who may sign in, with which role)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from rich.markup import escape

from assistant.cli.common import (
    JsonFlag,
    console,
    errors,
    fail,
    print_json,
    progress_bar,
    settings,
)
from assistant.errors import TerrainError
from assistant.vocabulary import UserRole

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.schemas import User
    from assistant.store import Store


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Run an extraction worker beside the app (the default); --no-worker for a "
            "replica behind a proxy, with `terrain worker` processes run apart.",
        ),
    ] = True,
) -> None:
    """Start the web app: employees' interviews, facilitators' reading, sign-in by role.

    Headless (no browser is opened). Accounts come from `terrain users add`; there are no
    default credentials. Stop it with Ctrl-C. Several replicas (--no-worker) can share one
    database, one Chroma server and one TERRAIN_SECRET_KEY behind a proxy with sticky
    sessions: see docs/deploying-replicas.md.
    """
    from assistant.store import Store
    from assistant.web.launch import check_address
    from assistant.web.launch import serve as serve_web

    config = settings()
    try:
        _check_not_the_model_server(config, host, port)
        check_address(host, port)
        with Store.open(config):  # migrated and reachable before anyone signs in
            pass
        console.print(f"Terrain web app on http://{host}:{port} (Ctrl-C to stop)", highlight=False)
        serve_web(config, host, port, with_worker=worker)
    except TerrainError as error:
        fail(error)


def _check_not_the_model_server(config: Settings, host: str, port: int) -> None:
    """vLLM's default port is Terrain's too: the web app must not take the address the model
    server is configured at on this machine (its requests would reach Terrain)."""
    from assistant.llm import model_server

    url, setting = model_server(config)
    model = urlsplit(url)
    local = {"127.0.0.1", "localhost", "::1", "0.0.0.0", host}  # noqa: S104 - names compared
    if model.hostname in local and (model.port or 80) == port:
        raise TerrainError(
            f"The model server's address ({url}, {setting}) is this machine's port {port}, "
            "where the web app would listen.",
            fix="Start the web app on another port (`terrain serve --port 8080`), or the "
            f"model server on another one and set {setting} to it.",
        )


users_app = typer.Typer(
    help="Manage who can sign in to the web app, and with which role.", no_args_is_help=True
)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Password again", hide_input=True)
    if first != second:
        fail("The two passwords differ; nothing was changed.")
    return str(first)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name used to sign in.")],
    role: Annotated[UserRole, typer.Option(help="What the user may see and do.")],
    display_name: Annotated[
        str | None, typer.Option(help="Name shown in the web app (default: the user name).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password", help="No password: the account signs in through single sign-on only."
        ),
    ] = False,
    temporary: Annotated[
        bool,
        typer.Option(
            "--temporary",
            help="The password is handed to someone else: they must choose their own at their "
            "first sign-in, before anything else (give it for any account you make for another "
            "person).",
        ),
    ] = False,
) -> None:
    """Add a user. The password is asked twice, never echoed: at least 10 characters, and
    not easy to guess (common passwords, repeats, the user's own name are refused).

    Roles: employee (their own interviews), facilitator (pseudonymised transcripts),
    leadership (reports only), admin (users and erasure).
    """
    from assistant.auth import AuthError, add_user, check_password_rules, check_user_name
    from assistant.store import Store

    config = settings()
    try:
        name = check_user_name(name)
        password = None if no_password else _read_password(password_stdin)
        if password is not None:
            check_password_rules(password, (name, display_name))
        with Store.open(config) as store:
            user = add_user(
                store, name, role, password, display_name=display_name, temporary=temporary
            )
    except (AuthError, TerrainError) as error:
        fail(error)
    then = " They choose their own password at their first sign-in." if temporary else ""
    console.print(f"Added {user.name} ({user.role.value}).{then}", highlight=False)


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """List the users: name, role, display name, creation date, disabled, job · site · team
    (never passwords)."""
    from assistant.store import Store

    config = settings()
    try:
        with Store.open(config) as store:
            users = store.accounts.all()
    except TerrainError as error:
        fail(error)
    if as_json:
        print_json([user.model_dump(mode="json") for user in users])
        return
    if not users:
        errors.print("No users yet: add one with `terrain users add NAME --role ROLE`.")
        return
    for user in users:
        shown = f" ({user.display_name})" if user.display_name else ""
        state = "\tdisabled" if user.disabled else ""
        profile = " · ".join(value for value in user.profile.model_dump().values() if value)
        profile = f"\t{profile}" if profile else ""
        console.print(
            f"{user.name}{shown}\t{user.role.value}\t{user.created_at:%Y-%m-%d}{state}{profile}",
            highlight=False,
        )


def _change_account(name: str, change: Callable[[Store], User]) -> User:
    """Apply ``change`` to the store; the user named, or a clear error (unknown user...)."""
    from assistant.auth import AuthError
    from assistant.store import Store

    config = settings()
    try:
        with Store.open(config) as store:
            return change(store)
    except (AuthError, TerrainError) as error:
        fail(error)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Disable an account: it can no longer sign in (password, header or OAuth), and its open
    sessions are refused at their next request. Its interviews are kept."""
    from assistant.auth import set_disabled

    user = _change_account(name, lambda store: set_disabled(store, name, True))
    console.print(f"Disabled {user.name}: they can no longer sign in.", highlight=False)


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Enable a disabled account again."""
    from assistant.auth import set_disabled

    user = _change_account(name, lambda store: set_disabled(store, name, False))
    console.print(f"Enabled {user.name} ({user.role.value}).", highlight=False)


@users_app.command("reset-password")
def users_reset_password(
    name: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
) -> None:
    """Give a user a new password, asked twice, never echoed (the same rules as `users add`).
    The old one stops working at once, and the user's open sessions end. The new one is
    temporary: you know it, so the user chooses their own at their next sign-in."""
    from assistant.auth import AuthError, check_password_rules, check_user_name, reset_password

    try:
        name = check_user_name(name)
        password = _read_password(password_stdin)
        check_password_rules(password, (name,))
    except AuthError as error:
        fail(error)
    user = _change_account(name, lambda store: reset_password(store, name, password))
    console.print(
        f"New password set for {user.name}: they choose their own at their next sign-in.",
        highlight=False,
    )


@users_app.command("set-role")
def users_set_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[UserRole, typer.Argument(help="The new role.")],
) -> None:
    """Give a user another role; their next request in the web app already has it."""
    from assistant.auth import set_role

    user = _change_account(name, lambda store: set_role(store, name, role))
    console.print(f"{user.name} is now {user.role.value}.", highlight=False)


@users_app.command("unlock")
def users_unlock(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Lift the lock that failed sign-ins put on an account, and forget those failures."""
    from assistant.auth import AuthError, check_user_name, unlock
    from assistant.store import Store

    config = settings()
    try:
        name = check_user_name(name)
        with Store.open(config) as store:
            if store.accounts.get(name) is None:
                fail(f"No user named {name!r}.")
            had = unlock(store, name)
    except (AuthError, TerrainError) as error:
        fail(error)
    said = "unlocked, its failed sign-ins forgotten" if had else "was not locked"
    console.print(f"{name} {said}.", highlight=False)


@users_app.command("import")
def users_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV file: a header line (name,role,display_name,job,site,team), then one "
            "line per user.",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check every line and say what would be done; change nothing."
        ),
    ] = False,
    sign_on_only: Annotated[
        bool,
        typer.Option(
            "--sign-on-only",
            help="No passwords: the new accounts sign in through single sign-on only.",
        ),
    ] = False,
    passwords_file: Annotated[
        Path | None,
        typer.Option(
            "--passwords-file",
            help="Write the new accounts' invitation passwords to this new file (CSV "
            "name,password, readable by you only) instead of printing them.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create or update accounts in bulk from a CSV file.

    Every line is checked first (user name, role, display name, job, site, team); a line with a
    problem is reported by its number and left out, and the good lines are stored together, in
    one transaction. A line naming an existing user changes its role, display name and profile
    (empty cells leave them as they are). Each new account gets an invitation password to hand
    out (printed, or written to --passwords-file), or none with --sign-on-only.

    Exits with status 1 if any line was refused.
    """
    from assistant.account_import import AccountFileError, LineAction, import_accounts
    from assistant.store import Store

    if passwords_file is not None and passwords_file.exists():
        fail(escape(f"{passwords_file} exists already: name a new file for the passwords."))
    config = settings()
    try:
        text = _read_accounts_file(file)
        with Store.open(config) as store, ExitStack() as stack:
            progress = stack.enter_context(progress_bar()) if sys.stdout.isatty() else None
            task = progress.add_task("Hashing passwords", total=0) if progress else None

            def planned(total: int) -> None:
                if progress is not None and task is not None:
                    progress.update(task, total=total)

            def hashed() -> None:
                if progress is not None and task is not None:
                    progress.advance(task)

            result = import_accounts(
                store,
                text,
                dry_run=dry_run,
                sign_on_only=sign_on_only,
                on_planned=planned,
                on_hashed=hashed,
            )
    except (AccountFileError, TerrainError) as error:
        fail(escape(str(error)))
    passwords = [(line.name, line.password) for line in result.lines if line.password]
    if passwords_file is not None and passwords:
        _write_passwords(passwords_file, passwords)
    shown = passwords_file is None
    if as_json:
        print_json(
            {
                "dry_run": result.dry_run,
                **{action.value: result.count(action) for action in LineAction},
                "lines": [
                    {
                        "line": line.line,
                        "name": line.name,
                        "action": line.action.value,
                        "problem": line.problem,
                        **({"password": line.password} if shown and line.password else {}),
                    }
                    for line in result.lines
                ],
            }
        )
    else:
        for line in result.lines:
            if line.action is LineAction.REFUSED:
                problem = escape(line.problem or "")
                errors.print(
                    f"[red]✗[/] line {line.line} ({escape(line.name)}): {problem}",
                    highlight=False,
                    soft_wrap=True,
                )
            elif line.password and shown:
                console.print(
                    f"line {line.line}: {line.action.value} {escape(line.name)}\t"
                    f"invitation password: {line.password}",
                    highlight=False,
                    soft_wrap=True,
                )
        would = "would be " if dry_run else ""
        console.print(
            f"{result.count(LineAction.CREATED)} {would}created, "
            f"{result.count(LineAction.UPDATED)} {would}updated, "
            f"{result.count(LineAction.UNCHANGED)} unchanged, "
            f"{result.count(LineAction.REFUSED)} refused"
            + (" (dry run: nothing was changed)." if dry_run else "."),
            highlight=False,
        )
        if passwords_file is not None and passwords:
            console.print(f"Invitation passwords written to {passwords_file}.", highlight=False)
    if result.refused:
        lines = ", ".join(str(line.line) for line in result.refused)
        errors.print(
            f"Refused line{'s' if len(result.refused) > 1 else ''}: {lines} "
            "(fix them and import the file again: the lines stored are not changed twice).",
            highlight=False,
        )
        raise typer.Exit(1)


def _read_accounts_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(escape(f"Cannot read {path}: it is not UTF-8 text. Save it as CSV UTF-8."))
    except OSError as error:
        fail(escape(f"Cannot read {path}: {error.strerror or error}."))


def _write_passwords(path: Path, passwords: list[tuple[str, str]]) -> None:
    """A new file only its owner can read: the invitation passwords, one per line."""
    import csv
    import os

    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "password"])
        writer.writerows(passwords)
