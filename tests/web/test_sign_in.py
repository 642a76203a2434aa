"""Console sign-in: roles, sessions and CSRF protection."""

import re

import pytest

from firstlight.errors import Invalid, Unauthorized
from firstlight.web import authenticate_user, create_user
from firstlight.web.users import hash_password, verify_password

PASSWORD = "correct horse battery"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def test_password_hash_is_salted_and_verifies() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and PASSWORD not in first
    assert verify_password(PASSWORD, first)
    assert not verify_password("wrong password!", first)


def test_user_roles_and_weak_passwords(db) -> None:
    with db.begin() as session:
        create_user(session, username="Alice", password=PASSWORD, role="reviewer")
        with pytest.raises(Invalid, match="role"):
            create_user(session, username="bob", password=PASSWORD, role="overlord")
        with pytest.raises(Invalid, match="at least"):
            create_user(session, username="carol", password="short", role="reviewer")
    with db.session() as session:
        alice = authenticate_user(session, "alice", PASSWORD)
        assert alice.can("reveal") and not alice.can("compliance")
        with pytest.raises(Unauthorized):
            authenticate_user(session, "alice", "not the password")


def test_sign_in_needs_csrf_and_lands_on_the_role_home(app_client, db) -> None:
    with db.begin() as session:
        create_user(session, username="comp", password=PASSWORD, role="compliance")
    page = app_client.get("/login")
    assert page.status_code == 200 and "Sign in" in page.text
    no_token = app_client.post("/login", data={"username": "comp", "password": PASSWORD},
                               follow_redirects=False)
    assert no_token.status_code == 403
    wrong = app_client.post(
        "/login",
        data={"username": "comp", "password": "nope nope nope", "csrf_token": _csrf(page.text)},
    )
    assert wrong.status_code == 401 and "wrong username or password" in wrong.text
    signed_in = app_client.post(
        "/login",
        data={"username": "comp", "password": PASSWORD, "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/compliance"


def test_pages_redirect_to_sign_in_and_next_cannot_leave_the_site(app_client, db) -> None:
    response = app_client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/"
    with db.begin() as session:
        create_user(session, username="rev", password=PASSWORD, role="reviewer")
    page = app_client.get("/login")
    signed_in = app_client.post(
        "/login",
        data={"username": "rev", "password": PASSWORD, "csrf_token": _csrf(page.text),
              "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == "/queue"
