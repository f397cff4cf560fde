"""`terrain serve` (the web app) and `terrain users` (who may sign in, with which role)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assistant.cli.common import JsonFlag, console, errors, fail, print_json, settings
from assistant.errors import TerrainError
from assistant.vocabulary import UserRole


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Start the web app: employees' interviews, facilitators' reading, sign-in by role.

    Headless (no browser is opened). Accounts come from `terrain users add`; there are no
    default credentials. Stop it with Ctrl-C.
    """
    from assistant.store import Store
    from assistant.web.launch import check_address
    from assistant.web.launch import serve as serve_web

    config = settings()
    try:
        check_address(host, port)
        with Store.open(config):  # migrated and reachable before anyone signs in
            pass
        console.print(f"Terrain web app on http://{host}:{port} (Ctrl-C to stop)", highlight=False)
        serve_web(config, host, port)
    except TerrainError as error:
        fail(error)


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
) -> None:
    """Add a user. The password is asked twice (at least 10 characters), never echoed.

    Roles: employee (their own interviews), facilitator (pseudonymised transcripts),
    leadership (reports only), admin (users and erasure).
    """
    from assistant.auth import AuthError, add_user, check_password_rules, check_user_name
    from assistant.store import Store

    config = settings()
    try:
        check_user_name(name)
        password = None if no_password else _read_password(password_stdin)
        if password is not None:
            check_password_rules(password)
        with Store.open(config) as store:
            user = add_user(store, name, role, password, display_name=display_name)
    except (AuthError, TerrainError) as error:
        fail(error)
    console.print(f"Added {user.name} ({user.role.value}).", highlight=False)


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """List the users: name, role, display name, creation date (never passwords)."""
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
        console.print(
            f"{user.name}{shown}\t{user.role.value}\t{user.created_at:%Y-%m-%d}", highlight=False
        )
