"""Where one page's time goes: pyinstrument around the WSGI call, in-process, on the same
data as the load benchmark (demo data, Mario's draft order at its last step).

  .venv/bin/python bench/profile.py                     the billing step, plain page
  .venv/bin/python bench/profile.py contracts --htmx    a step's htmx fragment
  .venv/bin/python bench/profile.py list300             the mailbox list, 300 mailboxes
  .venv/bin/python bench/profile.py login --html        also write bench/results/profile-login.html

Prints the SQL one request runs, then pyinstrument's call tree over --requests requests.
For the same view under gunicorn, `py-spy record --pid <worker pid>` while `make bench`
loads it (needs ptrace permission).
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import (  # noqa: E402
    BIG_ACCOUNT,
    HTMX,
    RESULTS,
    WIZARD_STEPS,
    Answer,
    Visitor,
    draft_order_at_confirm,
    load_portal_data,
)

PAGES = (*WIZARD_STEPS, "login", "list3", "list300")
STDLIB = str(Path(os.__file__).parent)

# Where a sample's own time is booked: the innermost frame from one of these packages
# (standard-library frames are booked to their caller, except gzip/zlib).
AREAS = {
    "peewee": "peewee: building SQL, rows into models",
    "jinja2": "Jinja: templates and macros",
    "markupsafe": "Jinja: templates and macros",
    "wtforms": "WTForms (fields rendered, CSRF)",
    "flask_wtf": "WTForms (fields rendered, CSRF)",
    "flask_babel": "Babel: translations, dates, numbers",
    "babel": "Babel: translations, dates, numbers",
    "itsdangerous": "session cookie: sign and verify",
    "flask_compress": "gzip",
    "gzip": "gzip",
    "zlib": "gzip",
    "flask": "Flask and Werkzeug",
    "werkzeug": "Flask and Werkzeug",
    "flask_htmx": "Flask and Werkzeug",
    "flask_limiter": "Flask-Limiter",
    "limits": "Flask-Limiter",
    "pec": "pec: our Python code",
}


def _package(path: str | None) -> str | None:
    """The package a frame's file belongs to; None for built-ins and the stdlib."""
    if not path or path.startswith("<"):
        return None
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if path.startswith(STDLIB):
        name = Path(path).stem
        return name if name in {"gzip", "zlib"} else None
    if path.endswith(".html"):
        return "jinja2"
    return "pec" if "/pec/" in path else None


def by_area(session) -> dict[str, float]:
    """Own time per area of the stack; opening and closing the database and running
    SQL in SQLite are told apart from peewee's Python."""
    totals: dict[str, float] = {}

    def walk(frame, stack):
        if frame.is_synthetic:
            owner = stack[-1] if stack else None
            if any(
                f.function in {"_connect", "_close"} and "pec/database.py" in (f.file_path or "")
                for f in stack
            ):
                area = "database: open/close a connection, pragmas"
            elif (
                owner is not None
                and owner.file_path == "<built-in>"
                and (owner.function.startswith(("Cursor.", "Connection.")))
            ):
                area = "SQLite: running the SQL"
            else:
                package = next((p for f in reversed(stack) if (p := _package(f.file_path))), "")
                area = AREAS.get(package, package or "other")
            totals[area] = totals.get(area, 0.0) + frame.time
            return
        for child in frame.children:
            walk(child, [*stack, frame])

    walk(session.root_frame(), [])
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


class InProcess(Visitor):
    """The set-up's browser, over Flask's test client instead of a socket."""

    def __init__(self, client):
        self.client = client

    def request(self, method, path, headers=None, body=None):
        response = self.client.open(
            path,
            method=method,
            headers=headers or {},
            data=body,
            content_type="application/x-www-form-urlencoded" if body is not None else None,
        )
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, headers, response.get_data())


def login(app, identifier: str) -> InProcess:
    visitor = InProcess(app.test_client())
    answer = visitor.submit("/login", "/login", identifier=identifier, password="demo-password")
    assert answer.status == 303, answer.status
    return visitor


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("page", nargs="?", default="billing", choices=PAGES)
    parser.add_argument("--htmx", action="store_true", help="the step's htmx fragment")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", action="store_true", help="also write an HTML report")
    parser.add_argument("--all", action="store_true", help="show library frames in the tree")
    args = parser.parse_args()

    from pyinstrument import Profiler
    from werkzeug.test import EnvironBuilder

    from pec import create_app
    from pec.database import db

    with tempfile.TemporaryDirectory(prefix="pec-profile-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'pec.sqlite3'}"
        load_portal_data(url)
        os.environ["PEC_SECRET_KEY"] = secrets.token_hex(32)
        app = create_app(
            {
                "PEC_DATABASE_URL": url,
                "PEC_SCHEDULER": False,
                "PEC_DOCUMENTS_DIR": str(folder / "documents"),
                "PEC_ROSTER_DIR": str(folder / "roster"),
            }
        )
        mario = login(app, "mario.rossi@example.org")
        order = draft_order_at_confirm(mario)
        visitor = {"list300": login(app, BIG_ACCOUNT), "login": None}.get(args.page, mario)
        path = {"login": "/login", "list3": "/mailboxes/", "list300": "/mailboxes/"}.get(
            args.page, f"{order}/{args.page}"
        )
        headers = {"Accept-Encoding": "gzip", **(HTMX if args.htmx else {})}
        if visitor is not None:
            headers["Cookie"] = f"session={visitor.client.get_cookie('session').value}"
        environ = EnvironBuilder(path=path, headers=headers).get_environ()

        def call():
            statuses = []
            body = app(dict(environ), lambda status, _headers, *_: statuses.append(status))
            data = b"".join(body)
            getattr(body, "close", lambda: None)()
            return statuses[0], data

        statements = []
        original = db.obj.execute_sql

        def recording(sql, params=None, *a, **k):
            statements.append(sql)
            return original(sql, params, *a, **k)

        db.obj.execute_sql = recording
        status, data = call()
        db.obj.execute_sql = original
        label = f"{path}{' (htmx fragment)' if args.htmx else ''}"
        print(f"GET {label}: {status}, {len(data)} bytes gzipped, {len(statements)} queries")
        for sql in statements:
            print("   ", sql[:160])
        if not status.startswith("200"):
            raise SystemExit("not a 200: nothing to profile")
        for _ in range(20):  # warm the template cache and the connection
            call()
        profiler = Profiler(interval=0.0005)
        start = time.perf_counter()
        with profiler:
            for _ in range(args.requests):
                call()
        elapsed = (time.perf_counter() - start) / args.requests * 1000
        print(f"\n{args.requests} requests, {elapsed:.2f} ms each under the profiler\n")
        areas = by_area(profiler.last_session)
        total = sum(areas.values())
        print("own time by area of the stack:")
        for area, seconds in areas.items():
            print(f"  {seconds / total * 100:5.1f} %  {area}")
        print()
        print(
            profiler.output_text(
                unicode=True, color=False, show_all=args.all, time="percent_of_total"
            )
        )
        if args.html:
            RESULTS.mkdir(exist_ok=True)
            out = RESULTS / f"profile-{args.page}{'-htmx' if args.htmx else ''}.html"
            out.write_text(profiler.output_html())
            print(f"written to {out}")


if __name__ == "__main__":
    main()
