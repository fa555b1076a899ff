"""Every page of the operators' area in a real Chromium: axe finds no violation, and
no page shows an internal id or raw JSON. With PEC_SHOTS_DIR set, each page is also
saved as a screenshot at 1280 and 390 px wide, for people to look at."""

import os
import re
from pathlib import Path

import pytest

from pec.database import db
from pec.domain import clock
from tests.conftest import axe_violations, make_operator, totp_code
from tests.operator_pages import developer_speak, page_urls, populate

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("PEC_SHOTS_DIR")


def sign_in(page, server, email="admin@example.org", password="admin-password"):
    page.goto(server + "/operators/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/operators/login/code")
    with db.connection_context():
        code = totp_code(email)
    page.get_by_label("Codice").fill(code)
    page.get_by_role("button", name="Verifica").click()
    page.wait_for_url("**/operators/")


def shoot(page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def slug(url: str) -> str:
    if "/welcome/" in url:
        return "welcome"
    return (
        re.sub(r"[^a-z0-9]+", "-", url.removeprefix("/operators").lower()).strip("-") or "dashboard"
    )


def test_every_operator_page_is_axe_clean_and_in_words(browser, app, demo_server):
    ids = populate(app, clock.today())  # its daily jobs run in an app context of their own
    if not db.is_closed():
        db.close()
    urls = page_urls(app, ids)
    context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(demo_server + "/operators/login")
    assert axe_violations(page) == []
    shoot(page, "login")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Password").fill("admin-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/operators/login/code")
    assert axe_violations(page) == []
    shoot(page, "login-code")
    with db.connection_context():
        code = totp_code("admin@example.org")
    page.get_by_label("Codice").fill(code)
    page.get_by_role("button", name="Verifica").click()
    page.wait_for_url("**/operators/")
    problems = {}
    for url in urls:
        response = page.goto(demo_server + url)
        assert response.status == 200, (url, response.status)
        violations = axe_violations(page)
        words = developer_speak(page.locator("body").inner_text())
        if violations or words:
            problems[url] = (violations, words)
        shoot(page, slug(url))
    # An operator without two-factor authentication: the enrolment page, and the 403 of
    # an admins' page.
    with db.connection_context():
        make_operator("clerk@example.org", "clerk-password", role="operator", name="Luca Neri")
    page.get_by_role("button", name="Esci").click()
    page.wait_for_url("**/operators/login")
    page.get_by_label("E-mail").fill("clerk@example.org")
    page.get_by_label("Password").fill("clerk-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/operators/")
    for url, status in (("/operators/profile/two-factor", 200), ("/operators/staff", 403)):
        response = page.goto(demo_server + url)
        assert response.status == status, url
        assert axe_violations(page) == [], url
        shoot(page, slug(url) + ("-forbidden" if status == 403 else ""))
    assert problems == {}
    context.close()
