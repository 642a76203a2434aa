"""The review console in a real browser (Debian's Chromium driven by Playwright) against a real server.

A reviewer signs in, claims a case made by the real upload pipeline, reveals one item with a reason (the
audit log records it), confirms it and sees the report draft; a compliance lead opens the dashboard and its
plot renders. With ``FIRSTLIGHT_SCREENSHOTS=DIR`` the main pages are saved there (how docs/screenshots/ is
refreshed).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from pipeline_server import Server, prepare, wait_for

from firstlight.intake.samples import benign_image
from firstlight.store import Database
from firstlight.web import create_user

pytestmark = pytest.mark.e2e
CHROMIUM = os.environ.get("FIRSTLIGHT_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "a long test password"


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("FIRSTLIGHT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.fixture
def console(tmp_path):
    data = tmp_path / "data"
    known = benign_image(7)
    headers = prepare(data, [known])
    db = Database(f"sqlite:///{data / 'firstlight.db'}")
    with db.begin() as session:
        create_user(session, username="riley", password=PASSWORD, role="reviewer",
                    display_name="Riley Reviewer", actor="test")
        create_user(session, username="casey", password=PASSWORD, role="compliance",
                    display_name="Casey Compliance", actor="test")
    db.dispose()
    server = Server(data, {}).start()
    try:
        client = httpx.Client(base_url=server.url, timeout=30)
        response = client.post(
            "/v1/uploads", headers=headers["platform"],
            files={"file": ("photo.jpg", known, "image/jpeg")},
            data={"id": "up-console-1", "content_id": "post-9", "account_id": "user-9"},
        )
        assert response.status_code == 202, response.text
        wait_for(lambda: client.get("/v1/cases", headers=headers["reviewer"]).json(),
                 timeout=60, what="a case in the queue")
        yield server, client, headers
    finally:
        server.stop()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_reviewer_claims_reveals_confirms_and_sees_the_report_draft(browser, console) -> None:
    server, client, headers = console
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _sign_in(page, server.url, "riley")
    page.wait_for_url(f"{server.url}/queue")
    assert page.get_by_role("heading", name="Review queue").is_visible()
    assert page.locator("#queue tbody tr").count() == 1
    assert "user-9" in page.locator("#queue").inner_text()
    _screenshot(page, "queue")

    page.get_by_role("button", name="Claim").click()
    page.wait_for_url(f"{server.url}/cases/*")
    assert page.locator("#case-status").inner_text() == "in review"
    preview = page.get_by_alt_text("Blurred greyscale preview of item 1")
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "standins" in page.content()  # the explanation names the bank
    _screenshot(page, "case")

    page.get_by_label("Reason to reveal the original").fill("confirm the category")
    page.get_by_role("button", name="Reveal original").click()
    revealed = page.get_by_alt_text("Original of item 1, revealed")
    revealed.wait_for()
    assert "Originals revealed today: 1" in page.locator("#exposure").inner_text()
    audit = client.get("/v1/audit", params={"object_type": "evidence"}, headers=headers["admin"]).json()
    reveals = [e for e in audit if e["action"] == "evidence.reveal"]
    assert len(reveals) == 1
    assert reveals[0]["actor"] == "user:riley"
    assert reveals[0]["details"]["reason"] == "confirm the category"

    page.get_by_label("Category").select_option("B")
    page.keyboard.press("Escape")
    page.locator("body").focus()
    page.keyboard.press("y")  # the shortcut for Confirm CSEA
    page.wait_for_selector("#report-task")
    assert page.locator("#case-status").inner_text() == "confirmed"
    page.get_by_role("link", name="Open the report draft").click()
    page.wait_for_url(f"{server.url}/reports/tasks/*")
    draft = page.frame_locator("iframe[title='Report draft']")
    assert "user-9" in draft.locator("body").inner_text()
    _screenshot(page, "report-draft")
    page.close()


def test_pages_need_sign_in_and_the_right_role(browser, console) -> None:
    server, _, _ = console
    page = browser.new_page()
    page.goto(f"{server.url}/queue")
    assert page.url.startswith(f"{server.url}/login")
    _sign_in(page, server.url, "riley")
    page.wait_for_url(f"{server.url}/queue")
    response = page.goto(f"{server.url}/reports")
    assert response.status == 403
    assert "Not allowed" in page.content()
    page.close()


def test_compliance_lead_opens_the_dashboard_and_its_plots_render(browser, console) -> None:
    server, client, headers = console
    profile = {
        "service": {
            "name": "Kite Live", "service_types": ["1a"], "children_can_access": True,
            "functionalities": ["3a", "4a", "5a", "5b", "5d"], "uk_mau": 40000,
            "age_determination": "self_declared",
        },
    }
    stored = client.put("/v1/compliance/profile", json=profile, headers=headers["admin"])
    assert stored.status_code in (200, 201), stored.text
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _sign_in(page, server.url, "casey")
    page.wait_for_url(f"{server.url}/compliance")
    assert page.get_by_role("heading", name="Online Safety Act compliance").is_visible()
    levels = page.locator("section[aria-labelledby='risk-h']").inner_text()
    assert "medium" in levels or "high" in levels
    # a confirmed case would be needed for a CSEA finding; here the other harms are unassessed
    assert page.locator("#check-result").is_visible()
    plot = page.get_by_alt_text("Transparency chart: detections")
    plot.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector(\"img[alt='Transparency chart: detections']\");"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert plot.evaluate("img => img.naturalWidth") > 100
    _screenshot(page, "compliance")
    assert page.get_by_role("link", name="Review queue").count() == 0  # compliance never sees media
    page.close()
