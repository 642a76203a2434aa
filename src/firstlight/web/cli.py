"""``firstlight users``: console accounts (people; API keys are for machines)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from firstlight.web.models import ConsoleUser
from firstlight.web.users import ROLES, create_user

app = typer.Typer(help="Console users: create, list.", no_args_is_help=True)
console = Console()


@app.command("create")
def create(
    username: str,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the console")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a console user (the password is prompted for, or read from stdin)."""
    from firstlight.cli import open_database

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = open_database()
    with db.begin() as session:
        user = create_user(session, username=username, password=password, role=role,
                           display_name=display_name, actor="cli")
        console.print(f"Created {user.username} ({user.role})")


@app.command("list")
def list_users() -> None:
    """List console users and their roles."""
    from firstlight.cli import open_database

    db = open_database()
    table = Table("username", "name", "role", "disabled")
    with db.session() as session:
        for u in session.scalars(select(ConsoleUser).order_by(ConsoleUser.username)):
            table.add_row(u.username, u.display_name, u.role, "yes" if u.disabled else "")
    console.print(table)
