"""Where one page's time goes: pyinstrument around the WSGI call, in-process, on the same
data as the load benchmark (demo data, Mario's draft order at its last step).

  .venv/bin/python bench/profile.py                     the billing step, plain page
  .venv/bin/python bench/profile.py contracts --htmx    a step's htmx fragment
  .venv/bin/python bench/profile.py list300             the mailbox list, 300 mailboxes
  .venv/bin/python bench/profile.py login --html        also write bench/results/profile-login.html
  .venv/bin/python bench/profile.py all                 every page: ms per request, queries, bytes
  .venv/bin/python bench/profile.py layers              what each layer of a step's fragment adds
  .venv/bin/python bench/profile.py ab --ref HEAD       templates as at HEAD against the working
                                                        tree's, every page, in one process

Prints the SQL one request runs, then pyinstrument's call tree over --requests requests.
For the same view under gunicorn, `py-spy record --pid <worker pid>` while `make bench`
loads it (needs ptrace permission).
"""

import argparse
import os
import re
import secrets
import subprocess
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

PAGES = (
    *WIZARD_STEPS,
    *("login", "list3", "list300", "orders", "done", "report", "all", "layers", "ab"),
)
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
    "zlib_ng": "gzip",
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
    # Then the page the login leads to, as a browser follows it, keeping the cookie that
    # page sets (the session's CSRF token starts there). Replaying the cookie from the
    # login itself would start that token again on every request measured; the load
    # benchmark fetches each page once with its visitor before wrk replays the cookie.
    assert visitor.get(answer.headers["location"]).status == 200
    return visitor


def confirmed_order(visitor: InProcess) -> str:
    """Anna (a PEC-address login) renews her mailbox and confirms, paying by bank
    transfer: her order awaits payment. Returns its URL."""
    page = visitor.get("/mailboxes/")
    box = re.search(r'name="only" value="(\d+)"', page.text).group(1)
    started = visitor.submit("/mailboxes/", "/renewals/start", only=box)
    order = re.sub(r"^https?://[^/]+", "", started.headers["location"].rsplit("/", 1)[0])
    contracts_page = visitor.get(f"{order}/contracts")
    answers = {name: "yes" for name in re.findall(r'name="(doc_\d+)"', contracts_page.text)}
    visitor.submit(f"{order}/contracts", f"{order}/contracts", **answers)
    visitor.submit(f"{order}/billing", f"{order}/billing")
    visitor.submit(f"{order}/payment", f"{order}/payment", method="bank_transfer")
    answer = visitor.submit(f"{order}/confirm", f"{order}/confirm")
    assert answer.status == 303, answer.status
    return order


def pages(app) -> dict[str, tuple[str, dict]]:
    """Every page measured: name → (path, headers), on the load benchmark's data."""
    mario = login(app, "mario.rossi@example.org")
    draft = draft_order_at_confirm(mario)
    anna = login(app, "anna.bianchi@pec.demo.it")
    confirmed = confirmed_order(anna)
    number = confirmed.rsplit("/", 1)[1]
    big = login(app, BIG_ACCOUNT)

    def cookie(visitor):
        return {"Cookie": f"session={visitor.client.get_cookie('session').value}"}

    found = {
        "login": ("/login", {}),
        "list3": ("/mailboxes/", cookie(mario)),
        "list300": ("/mailboxes/", cookie(big)),
    }
    for step in WIZARD_STEPS:
        found[step] = (f"{draft}/{step}", cookie(mario))
        found[f"{step} --htmx"] = (f"{draft}/{step}", cookie(mario) | HTMX)
    found["orders"] = ("/orders/", cookie(anna))
    found["done"] = (f"{confirmed}/done", cookie(anna))
    found["report"] = (f"/payments/{number}/report", cookie(anna))
    return found


def make_app(folder: Path):
    from pec import create_app

    url = f"sqlite:///{folder / 'pec.sqlite3'}"
    load_portal_data(url)
    os.environ["PEC_SECRET_KEY"] = secrets.token_hex(32)
    return create_app(
        {
            "PEC_DATABASE_URL": url,
            "PEC_SCHEDULER": False,
            "PEC_DOCUMENTS_DIR": str(folder / "documents"),
            "PEC_ROSTER_DIR": str(folder / "roster"),
        }
    )


def caller(app, path: str, headers: dict):
    """One request straight through the WSGI app: (status, body as sent)."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        path=path, headers={"Accept-Encoding": "gzip", **headers}
    ).get_environ()

    def call():
        statuses = []
        body = app(dict(environ), lambda status, _headers, *_: statuses.append(status))
        data = b"".join(body)
        getattr(body, "close", lambda: None)()
        return statuses[0], data

    return call


def recorded_sql(call) -> tuple[tuple, list[str]]:
    """What one call answers, and the SQL it ran."""
    from pec.database import db

    statements = []
    original = db.obj.execute_sql

    def recording(sql, params=None, *a, **k):
        statements.append(sql)
        return original(sql, params, *a, **k)

    db.obj.execute_sql = recording
    try:
        answer = call()
    finally:
        db.obj.execute_sql = original
    return answer, statements


def cpu_ms(call, requests: int, warm: int, batches: int) -> float:
    """CPU milliseconds per call: the best of `batches` runs of `requests` calls, after
    `warm` calls that fill the caches (CPU time, so other work on the machine counts less)."""
    for _ in range(warm):
        call()
    times = []
    for _ in range(batches):
        start = time.process_time()
        for _ in range(requests):
            call()
        times.append((time.process_time() - start) / requests * 1000)
    return min(times)


def time_every_page(app, folder: Path, requests: int) -> None:
    """Each page's status, queries, bytes and CPU milliseconds per request (best of three
    batches, one thread, no profiler; CPU time, so that other work on the machine counts
    less): the figures to compare before and after a change."""
    from bench.baselines.flaskr_page import app as flaskr
    from bench.baselines.flaskr_page import create_database

    flaskr.config["DATABASE"] = str(folder / "flaskr.sqlite3")
    create_database(flaskr.config["DATABASE"])
    flaskr_cookie = flaskr.test_client().get("/login?user=1").headers["Set-Cookie"]
    targets = {"flaskr (baseline)": (flaskr, "/", {"Cookie": flaskr_cookie.split(";")[0]})}
    targets |= {name: (app, path, headers) for name, (path, headers) in pages(app).items()}
    print(f"{'page':22s} {'status':7s} {'queries':>7s} {'bytes':>7s} {'ms/request':>10s}")
    for name, (wsgi, path, headers) in targets.items():
        call = caller(wsgi, path, headers)
        (status, data), statements = recorded_sql(call)
        best = cpu_ms(call, requests, warm=10, batches=3)
        print(f"{name:22s} {status[:3]:7s} {len(statements):7d} {len(data):7d} {best:10.2f}")


def time_layers(app, requests: int) -> None:
    """CPU ms per request of bare routes that stop after each layer of a signed-in page
    (Flask and our hooks; the session check; the order; its step and lines; the CSRF
    token), then of the service step's htmx fragment: what each layer adds."""
    from flask_wtf.csrf import generate_csrf

    from pec.auth.session import member_required
    from pec.domain import renewal
    from pec.renewal.views import _order

    @app.get("/__layers/hooks")
    def hooks():
        return "x"

    @app.get("/__layers/<int:depth>/<int:order_id>")
    @member_required
    def signed_in(depth, order_id):
        """The session check, then the first `depth` of: the order, its step and lines,
        the CSRF token."""
        if depth >= 1:
            found = _order(order_id)
        if depth >= 2:
            renewal.current_step(found)
            renewal.lines_of(found)
        if depth >= 3:
            generate_csrf()
        return "x"

    path, headers = pages(app)["service --htmx"]
    number = path.split("/")[2]
    layers = {
        "Flask and our hooks": "/__layers/hooks",
        "+ the session check": f"/__layers/0/{number}",
        "+ the order": f"/__layers/1/{number}",
        "+ its step and lines": f"/__layers/2/{number}",
        "+ the CSRF token": f"/__layers/3/{number}",
        "the service fragment": path,
    }
    print(f"{'layer':24s} {'ms/request':>10s}")
    for name, url in layers.items():
        call = caller(app, url, headers)
        status, _ = call()
        assert status.startswith("200"), (url, status)
        print(f"{name:24s} {cpu_ms(call, requests, warm=20, batches=5):10.3f}")


def templates_at(ref: str, folder: Path) -> list[str]:
    """Write into `folder` the templates that differ between `ref` and the working tree,
    as they are at `ref`; returns their names."""
    root = Path(__file__).resolve().parent.parent
    changed = subprocess.run(
        # Modified, deleted or retyped since `ref`: one added since has no version there
        # (both sides then use today's), and a rename counts as a deletion and an addition.
        ["git", "diff", "--name-only", "--no-renames", "--diff-filter=MDT", ref, "--", "templates"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in changed:
        old = subprocess.run(
            ["git", "show", f"{ref}:{name}"], cwd=root, capture_output=True, check=True
        ).stdout
        target = folder / Path(name).relative_to("templates")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(old)
    return changed


def compare_templates(app, folder: Path, ref: str, requests: int, rounds: int = 5) -> None:
    """CPU ms per request of each member page with the templates of `ref` and with the
    working tree's, in one process, the two alternating `rounds` times (best of each): a
    template change measured apart from the noise between two processes, some 5 %."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    changed = templates_at(ref, folder / "templates-at-ref")
    print(f"templates changed since {ref}: {', '.join(changed) or 'none'}")
    now = app.jinja_env.loader
    loaders = {
        ref: ChoiceLoader([FileSystemLoader(str(folder / "templates-at-ref")), now]),
        "now": now,
    }
    print(f"{'page':22s} {ref:>10s} {'now':>10s} {'change':>8s}")
    for name, (path, headers) in pages(app).items():
        best = {}
        for _ in range(rounds):  # the two versions of a page one after the other
            for label, loader in loaders.items():
                app.jinja_env.loader = loader
                app.jinja_env.cache.clear()
                # the kept page and page parts (pec.page_cache), rendered anew by each
                app.extensions.pop("pec.page_cache", None)
                app.extensions.pop("pec.page_parts", None)
                ms = cpu_ms(caller(app, path, headers), requests, warm=20, batches=3)
                best[label] = min(best.get(label, ms), ms)
        before, after = best[ref], best["now"]
        print(f"{name:22s} {before:10.3f} {after:10.3f} {(after - before) / before:+8.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("page", nargs="?", default="billing", choices=PAGES)
    parser.add_argument("--htmx", action="store_true", help="the step's htmx fragment")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", action="store_true", help="also write an HTML report")
    parser.add_argument("--all", action="store_true", help="show library frames in the tree")
    parser.add_argument("--flat", action="store_true", help="functions by own time, not a tree")
    parser.add_argument("--ref", default="HEAD", help="ab: the git ref whose templates to compare")
    args = parser.parse_args()

    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory(prefix="pec-profile-") as tmp:
        app = make_app(Path(tmp))
        if args.page == "all":
            time_every_page(app, Path(tmp), max(args.requests // 3, 20))
            return
        if args.page == "layers":
            time_layers(app, args.requests)
            return
        if args.page == "ab":
            compare_templates(app, Path(tmp), args.ref, max(args.requests // 2, 20))
            return
        name = f"{args.page} --htmx" if args.htmx and args.page in WIZARD_STEPS else args.page
        path, headers = pages(app)[name]
        call = caller(app, path, headers)
        (status, data), statements = recorded_sql(call)
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
                unicode=True,
                color=False,
                show_all=args.all,
                time="percent_of_total",
                flat=args.flat,
            )
        )
        if args.html:
            RESULTS.mkdir(exist_ok=True)
            out = RESULTS / f"profile-{args.page}{'-htmx' if args.htmx else ''}.html"
            out.write_text(profiler.output_html())
            print(f"written to {out}")


if __name__ == "__main__":
    main()
