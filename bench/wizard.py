"""Wizard figures for bench/run.py: bytes on the wire in real Chromium (gzip, cold
cache) from the login page to "L'ordine è andato a buon fine.", with and without
JavaScript, and each htmx step fragment; plus server time per wizard step."""

import os
import threading

from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PEC_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


def _renew(page, base):
    """Mario renews mario.rossi@pec.demo.it by bank transfer, as a person would."""
    page.goto(base + "/login")
    page.fill("#identifier", "mario.rossi@example.org")
    page.fill("#password", "demo-password")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/mailboxes/")
    page.get_by_role("button", name="Rinnova mario.rossi@pec.demo.it").click()
    page.wait_for_url("**/service")
    page.get_by_role("link", name="Prosegui").click()
    page.wait_for_url("**/contracts")
    for radio in page.locator("input[type=radio][value=yes]").all():
        radio.check()
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url("**/billing")
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url("**/payment")
    page.locator("input[value=bank_transfer]").check()
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_url("**/confirm")
    page.get_by_role("button", name="Prosegui").click()
    page.wait_for_selector("text=andato a buon fine")


def _flow_bytes(browser, base, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    seen = []
    page.on("requestfinished", lambda request: seen.append(request))
    _renew(page, base)
    page.wait_for_load_state("networkidle")
    rows = []
    for request in seen:
        sizes = request.sizes()
        wire = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        rows.append(
            (
                request.method,
                request.url.replace(base, ""),
                request.headers.get("hx-request") == "true",
                sizes["responseBodySize"],
                wire,
            )
        )
    context.close()
    return rows


def weight(app, gz, login):
    if not os.path.exists(CHROMIUM):
        print(f"wizard (browser)          skipped: no Chromium at {CHROMIUM}")
        return
    import logging

    from playwright.sync_api import sync_playwright

    from pec.database import db
    from pec.demo import load_demo
    from pec.domain import clock
    from pec.models import Order, OrderLine

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log in the figures
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for javascript in (True, False):
                with app.app_context(), db.connection_context():
                    # Start each flow from the same demo state: no open order.
                    OrderLine.delete().execute()
                    Order.delete().execute()
                    load_demo(clock.today())
                rows = _flow_bytes(browser, base, javascript)
                label = "with JavaScript (htmx)" if javascript else "without JavaScript"
                body = sum(r[3] for r in rows)
                wire = sum(r[4] for r in rows)
                print(
                    f"renewal, login → confirmation, {label:23s} {body / 1024:6.1f} KB bodies, "
                    f"{wire / 1024:6.1f} KB with headers, {len(rows)} requests   budget 80 KB"
                )
                if javascript:
                    for method, url, is_htmx, size, _ in rows:
                        if is_htmx:
                            print(
                                f"    htmx fragment {method:4s} {url:32s} {size:6d} B   budget 5120 B"
                            )
            browser.close()
    finally:
        server.shutdown()


def speed(app, client, timed, n):
    """Server time to show each step of a draft order (GET, full page and fragment)."""
    import re

    page = client.get("/mailboxes/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    box = re.search(r'name="only" value="(\d+)"', page).group(1)
    response = client.post("/renewals/start", data={"only": box, "csrf_token": token})
    order_url = response.location.rsplit("/", 1)[0]
    for step in ("service", "contracts"):
        median, p95 = timed(client, f"{order_url}/{step}", n)
        print(f"wizard step {step:11s} page          {median:6.2f} / {p95:6.2f}")
        median, p95 = timed(
            client, f"{order_url}/{step}", n, headers={"HX-Request": "true", "HX-Target": "panel"}
        )
        print(f"wizard step {step:11s} htmx fragment {median:6.2f} / {p95:6.2f}")
