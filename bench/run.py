"""Benchmarks for the budgets of docs/rules.md, Qualities, each printed beside a baseline measured in the
same run on the same machine. Run with `make bench`. Prints figures; asserts nothing
(tests check sizes and query counts). The parts, run in this order:

  load     req/s under gunicorn (2 workers × 4 threads) loaded by wrk: the login page, the
           mailbox list (3 and 300 mailboxes) and each wizard step (page and htmx
           fragment), beside Flask's hello world and a flaskr-style page served the same
           way; medians of interleaved rounds and their ratios, also written as JSON under
           bench/results/ (needs wrk: apt-get install -y wrk). About 10 minutes.
  weight   gzipped bytes: login page + assets, each wizard step fragment, the whole renewal
  speed    server time per request, in-process (WSGI), against a bare Flask route
  jobs     daily jobs at N mailboxes against the same jobs at N/100 mailboxes

Examples:
  bench/run.py --only load                      the load table alone
  bench/run.py --only load --duration 3 --rounds 1     a quick look (figures are noisy)
  bench/run.py --skip load --mailboxes 1000000  the other parts, jobs at full size
"""

import argparse
import datetime as dt
import gzip
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pec import (
    create_app,  # noqa: E402
    database,  # noqa: E402
)
from pec.database import db  # noqa: E402
from pec.demo import load_demo  # noqa: E402
from pec.domain import clock  # noqa: E402

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def make_app(folder: Path, **extra):
    config = {
        "TESTING": False,
        "SECRET_KEY": "bench",
        "PEC_DATABASE_URL": f"sqlite:///{folder / 'pec.sqlite3'}",
        "PEC_DOCUMENTS_DIR": str(folder / "documents"),
        "PEC_SCHEDULER": False,
        "RATELIMIT_ENABLED": False,
    }
    config.update(extra)
    app = create_app(config)

    @app.get("/__bench_baseline")
    def _baseline():  # the same stack (headers, compression, session) with no work
        return "ok"

    database.migrate()
    return app


def gz(client, path, **kw):
    response = client.get(path, headers={"Accept-Encoding": "gzip", **kw.pop("headers", {})}, **kw)
    body = response.data
    response.close()
    return len(body), (
        gzip.decompress(body) if response.headers.get("Content-Encoding") == "gzip" else body
    )


def login(client, identifier="mario.rossi@example.org", password="demo-password"):
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    client.post(
        "/login", data={"identifier": identifier, "password": password, "csrf_token": token}
    )
    return token


def weight(app) -> None:
    print("\n== weight (gzip, cold cache) ==")
    client = app.test_client()
    size, html = gz(client, "/login")
    total = size
    for asset in ASSET_RE.findall(html.decode()):
        total += gz(client, asset)[0]
    print(
        f"login page + all assets   {total / 1024:7.1f} KB   budget 30 KB   (htmx alone "
        f"{gz(client, ASSET_RE.findall(html.decode())[1])[0] / 1024:.1f} KB)"
    )
    try:
        from bench import wizard
    except ImportError:
        print("wizard steps              (wizard benchmark not available)")
        return
    wizard.weight(app, gz, login)


def timed(client, path, n, **kw):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path, **kw)
        response.close()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def speed(app, n: int) -> None:
    print(f"\n== speed (in-process WSGI, {n} requests each, ms: median / p95) ==")

    client = app.test_client()
    login(client)
    rows = [
        ("baseline: bare Flask route", "/__bench_baseline"),
        ("login page (GET)", "/login"),
        ("Gestione PEC (3 mailboxes)", "/mailboxes/"),
    ]
    for label, path in rows:
        median, p95 = timed(client, path, n)
        print(f"{label:34s} {median:6.2f} / {p95:6.2f}")
    try:
        from bench import wizard
    except ImportError:
        return
    wizard.speed(app, client, timed, n)


def fill(count: int, today: dt.date) -> None:
    """`count` mailboxes with expiries spread evenly over three years around today."""
    from pec.models import (
        Account,
        Convention,
        Mailbox,
    )

    convention = Convention.get(Convention.code == "FNOMCeO")
    with db.atomic():
        accounts = [
            {
                "convention": convention.id,
                "login": f"bench{i}@example.org",
                "reference_email": f"bench{i}@example.org",
                "first_name": "B",
                "last_name": str(i),
            }
            for i in range(count // 2)
        ]
        for start in range(0, len(accounts), 5000):
            Account.insert_many(accounts[start : start + 5000]).execute()
        first = Account.select(Account.id).where(Account.login == "bench0@example.org").scalar()
        span = 3 * 365
        rows = [
            {
                "account": first + i // 2,
                "address": f"bench{i}@pec.bench.it",
                "expires_on": today + dt.timedelta(days=(i % span) - 120),
            }
            for i in range(count)
        ]
        for start in range(0, len(rows), 5000):
            Mailbox.insert_many(rows[start : start + 5000]).execute()
        # Everything already overdue was handled by earlier runs (as in a live system).
        Mailbox.update(deactivated_on=Mailbox.expires_on + 1).where(
            Mailbox.expires_on < today - dt.timedelta(days=1)
        ).execute()


def jobs_at(count: int, today: dt.date) -> tuple[float, dict]:
    from pec import jobs
    from pec.models import OutboxMessage

    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        with app.app_context(), db.connection_context():
            load_demo(today)
            fill(count, today)
            yesterday = today - dt.timedelta(days=1)
            with clock.frozen(yesterday):  # catch-up burst, untimed: a live system's past
                jobs.run_daily(yesterday)
            before = OutboxMessage.select().count()
            queries = {"n": 0}
            original = db.obj.execute_sql

            def counting(sql, params=None, *a, **k):
                queries["n"] += 1
                return original(sql, params, *a, **k)

            db.obj.execute_sql = counting
            start = time.perf_counter()
            with clock.frozen(today):
                runs = jobs.run_daily(today)
            elapsed = time.perf_counter() - start
            db.obj.execute_sql = original
            counts = {r.job: r.counts for r in runs}
            counts["outbox"] = OutboxMessage.select().count() - before
            counts["queries"] = queries["n"]
        return elapsed, counts


def jobs_bench(count: int) -> None:
    today = clock.today()
    small = max(count // 100, 1000)
    print(
        f"\n== daily jobs (all four, an ordinary day after a catch-up), {small:,} vs {count:,} mailboxes =="
    )
    for n in (small, count):
        elapsed, counts = jobs_at(n, today)
        print(
            f"{n:>10,} mailboxes  {elapsed:7.2f} s  {counts['queries']:6d} queries  "
            f"reminders={counts['reminders']} deactivate={counts['deactivate']} "
            f"cease={counts['cease']} e-mails={counts['outbox']}"
        )


PARTS = ("load", "weight", "speed", "jobs")


def parts_to_run(args) -> list[str]:
    chosen = args.only or list(PARTS)
    if args.jobs_only:
        chosen = ["jobs"]
    skipped = set(args.skip or []) | ({"jobs"} if args.skip_jobs else set())
    return [part for part in PARTS if part in chosen and part not in skipped]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run this part (repeatable); default all"
    )
    parser.add_argument("--skip", action="append", choices=PARTS, help="skip this part")
    load = parser.add_argument_group("load")
    load.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    load.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    load.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before it (2)")
    load.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    load.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    other = parser.add_argument_group("speed and jobs")
    other.add_argument("--requests", type=int, default=300, help="requests per page (speed)")
    other.add_argument("--mailboxes", type=int, default=100_000, help="N for the jobs part")
    other.add_argument("--skip-jobs", action="store_true", help="same as --skip jobs")
    other.add_argument("--jobs-only", action="store_true", help="same as --only jobs")
    args = parser.parse_args()
    parts = parts_to_run(args)
    if "load" in parts:
        from bench import load as load_bench

        load_bench.main(
            {
                "rounds": args.rounds,
                "duration": args.duration,
                "warmup": args.warmup,
                "connections": args.connections,
                "threads": args.threads,
            }
        )
    if "weight" in parts or "speed" in parts:
        with tempfile.TemporaryDirectory() as folder:
            app = make_app(Path(folder))
            with app.app_context(), db.connection_context():
                load_demo(clock.today())
            if "weight" in parts:
                weight(app)
            if "speed" in parts:
                speed(app, args.requests)
    if "jobs" in parts:
        jobs_bench(args.mailboxes)


if __name__ == "__main__":
    main()
