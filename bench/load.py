"""Requests per second under the README's deployment, beside two baselines (docs/rules.md, Qualities).

Three gunicorn servers run side by side with the same settings (2 workers × 4 threads,
gthread, loopback): Flask's hello world, a flaskr-style page (bench/baselines/) and the
portal on a temporary copy of the demo data. wrk, in another process, loads one URL at a
time; every target is measured once per round, rounds interleave baselines and pages, and
each target's figure is the median of its rounds. Ratios are taken against the
flaskr-style page and hello world of the same run.

Before and after each wrk run one plain request must answer exactly 200 (a 302/303 to the
login page or a 404 would measure the wrong page; wrk itself counts 3xx as success), and
wrk must report no non-2xx/3xx answer and no socket error; a run that breaks either is
marked in the table and in the JSON. A run in which one gunicorn worker did nearly all
the work (wrk's connections all landed on it) is run again: see MIN_WORKER_SHARE.
"""

import datetime as dt
import gzip
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GUNICORN = Path(sys.executable).parent / "gunicorn"
HTMX = {"HX-Request": "true", "HX-Target": "panel"}
WIZARD_STEPS = ("service", "contracts", "billing", "payment", "confirm")
BIG_ACCOUNT = "bench.300@example.org"
BIG_ACCOUNT_MAILBOXES = 300


# --- A minimal browser: one cookie jar, forms submitted as shown --------------------------


class _Forms(HTMLParser):
    """Each <form>'s action and the fields a browser would submit as the page stands."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[list[str]]]] = []
        self._fields = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._fields = []
            self.forms.append((a.get("action") or "", self._fields))
        elif self._fields is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "reset", "file", "image"}:
                return
            if kind in {"radio", "checkbox"} and "checked" not in a:
                return
            self._fields.append([a["name"], a.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "select":
            self._select = [a["name"], None]
            self._fields.append(self._select)
        elif tag == "option" and self._select is not None:
            if self._select[1] is None or "selected" in a:
                self._select[1] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
            self._fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, action: str) -> dict[str, str]:
    """The fields of the form posting to `action`, as a browser would send them unchanged."""
    parser = _Forms()
    parser.feed(html)
    for form_action, fields in parser.forms:
        if form_action == action:
            return {name: value or "" for name, value in fields}
    raise LookupError(f"no form posting to {action}")


@dataclass
class Answer:
    status: int
    headers: dict
    raw: bytes  # as sent on the wire (gzipped when the server compressed it)

    @property
    def text(self) -> str:
        body = self.raw
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode("utf-8", "replace")


class Visitor:
    """A browser-like client for the set-up: keeps the cookies, follows no redirect."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method, path, headers=None, body=None) -> Answer:
        sent = {"Accept-Encoding": "gzip", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = self.cookie_header
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            raw = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, headers, raw)
        finally:
            connection.close()

    def get(self, path, headers=None) -> Answer:
        return self.request("GET", path, headers)

    def submit(self, page_path, action, **changes) -> Answer:
        """Open `page_path` and submit its form posting to `action` with `changes`."""
        page = self.get(page_path)
        expect(page, 200, f"GET {page_path}")
        fields = form_fields(page.text, action) | changes
        return self.request("POST", action, body=urlencode(fields))


def expect(answer: Answer, status: int, what: str) -> None:
    if answer.status != status:
        raise SystemExit(
            f"bench set-up: {what} answered {answer.status}, expected {status}:\n"
            f"{answer.headers.get('location', '')}{answer.text[:500]}"
        )


# --- Servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """One gunicorn as the README deploys it, started as a child process."""

    def __init__(self, name, app, env, folder: Path, ready_path="/", port=None):
        self.name, self.app, self.env, self.ready_path = name, app, env, ready_path
        self.port = port or free_port()
        self.log = folder / f"gunicorn-{name}.log"
        self.process = None

    def command(self) -> list[str]:
        return [
            str(GUNICORN),
            "--workers=2",
            "--threads=4",
            "--worker-class=gthread",
            f"--bind=127.0.0.1:{self.port}",
            f"--chdir={ROOT}",
            f"--error-logfile={self.log}",
            "--log-level=warning",
            self.app,
        ]

    def __enter__(self):
        self.process = subprocess.Popen(
            self.command(), env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if Visitor(self.port).get(self.ready_path).status < 500:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        log = self.log.read_text() if self.log.exists() else ""
        raise SystemExit(f"gunicorn ({self.name}) did not start:\n{log[-3000:]}")

    def worker_cpu(self) -> list[int]:
        """CPU time used so far by each worker process, in clock ticks (Linux /proc; an
        empty list elsewhere, and then no run is checked for balance)."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            stats = [Path(f"/proc/{child}/stat").read_text() for child in children]
        except OSError:
            return []
        # utime and stime, the 14th and 15th fields (the 2nd, the name, may hold spaces).
        return [sum(int(n) for n in stat.rsplit(")", 1)[1].split()[11:13]) for stat in stats]

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def clean_environment(**values) -> dict:
    """This process's environment without any portal setting, plus `values`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PEC_", "MAIL_", "STRIPE_", "BENCH_"))
    }
    env.update({k: str(v) for k, v in values.items()})
    return env


# --- The portal's data -------------------------------------------------------------------


def load_portal_data(url: str) -> None:
    """The demo data (`pec demo`), plus an account like Mario's holding 300 mailboxes."""
    from pec import database
    from pec.database import db, open_database
    from pec.demo import DEMO_PASSWORD, load_demo
    from pec.domain import clock, passwords
    from pec.models import Account, Mailbox

    db.initialize(open_database(url))
    database.migrate()
    today = clock.today()
    with db.connection_context():
        load_demo(today)
        mario = Account.get(Account.login == "mario.rossi@example.org")
        with db.atomic():
            big = Account.create(
                convention=mario.convention_id,
                login=BIG_ACCOUNT,
                password_hash=passwords.hash_password(DEMO_PASSWORD),
                person_type=mario.person_type,
                first_name="Studio",
                last_name="Trecento",
                fiscal_code=mario.fiscal_code,
                address=mario.address,
                postal_code=mario.postal_code,
                city=mario.city,
                province=mario.province,
                reference_email=BIG_ACCOUNT,
            )
            rows = []
            for i in range(BIG_ACCOUNT_MAILBOXES):
                # Spread like a real studio's boxes: some expiring soon, most active,
                # a few deactivated after their expiry.
                expires_on = today + dt.timedelta(days=(i * 37) % 1000 - 60)
                deactivated = expires_on < today
                rows.append(
                    {
                        "account": big.id,
                        "address": f"box{i:03d}@pec.bench.it",
                        "expires_on": expires_on,
                        "deactivated_on": expires_on + dt.timedelta(days=1)
                        if deactivated
                        else None,
                    }
                )
            Mailbox.insert_many(rows).execute()
    db.close()


def login(port: int, identifier: str, password: str = "demo-password") -> Visitor:
    visitor = Visitor(port)
    answer = visitor.submit("/login", "/login", identifier=identifier, password=password)
    expect(answer, 303, f"login as {identifier}")
    return visitor


def draft_order_at_confirm(visitor: Visitor) -> str:
    """Renew Mario's first mailbox up to the last step, as a person would: afterwards
    every step of the draft answers 200 (earlier steps stay editable). Returns its URL."""
    page = visitor.get("/mailboxes/")
    expect(page, 200, "GET /mailboxes/")
    box = re.search(r'name="only" value="(\d+)"', page.text).group(1)
    started = visitor.submit("/mailboxes/", "/renewals/start", only=box)
    expect(started, 303, "RINNOVA")
    order = started.headers["location"].rsplit("/", 1)[0]
    order = re.sub(r"^https?://[^/]+", "", order)
    contracts_page = visitor.get(f"{order}/contracts")
    expect(contracts_page, 200, "GET contracts")
    answers = {name: "yes" for name in re.findall(r'name="(doc_\d+)"', contracts_page.text)}
    expect(visitor.submit(f"{order}/contracts", f"{order}/contracts", **answers), 303, "contracts")
    expect(visitor.submit(f"{order}/billing", f"{order}/billing"), 303, "billing")
    expect(
        visitor.submit(f"{order}/payment", f"{order}/payment", method="bank_transfer"),
        303,
        "payment",
    )
    return order


# --- wrk ---------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    server: str  # "hello", "flaskr" or "portal"
    path: str
    headers: dict = field(default_factory=dict)
    goal: float | None = None  # × the flaskr-style page (docs/rules.md, Qualities)
    fragment: bool = False
    # The signed-in visitor whose cookie wrk sends: fetched again just before each run,
    # so wrk replays the cookie a browser would hold then, not the one from the login
    # (whose idle clock a browser would have moved long ago: see pec/sessions.py).
    visitor: "Visitor | None" = None


@dataclass
class Run:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    bad_status: int
    socket_errors: int
    before: int
    after: int
    wire_bytes: int
    loadavg: float
    worker_shares: list = field(default_factory=list)  # each worker's part of the CPU
    lopsided_runs_redone: int = 0

    @property
    def balanced(self) -> bool:
        """Both workers took a fair part of the run (see MIN_WORKER_SHARE)."""
        return not self.worker_shares or min(self.worker_shares) >= MIN_WORKER_SHARE

    @property
    def ok(self) -> bool:
        answered = self.bad_status == 0 and self.socket_errors == 0
        return answered and self.before == self.after == 200 and self.balanced


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output: str) -> dict:
    def first(pattern, default=None):
        found = re.search(pattern, output)
        return found.groups() if found else default

    errors = first(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    return {
        "rps": float(first(r"Requests/sec:\s+([\d.]+)")[0]),
        "requests": int(first(r"(\d+) requests in")[0]),
        "p50_ms": _ms(first(r"\n\s+50%\s+(\S+)")[0]),
        "p99_ms": _ms(first(r"\n\s+99%\s+(\S+)")[0]),
        "bad_status": int(first(r"Non-2xx or 3xx responses: (\d+)", ("0",))[0]),
        "socket_errors": sum(int(n) for n in errors) if errors else 0,
    }


def wrk(url: str, headers: dict, seconds: int, connections: int, threads: int) -> dict:
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    result = subprocess.run(command + [url], capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def check(port: int, target: Target) -> Answer:
    """One plain request as wrk will send it: the status, and the size on the wire."""
    visitor = target.visitor or Visitor(port)
    return visitor.get(target.path, target.headers)


def sent_headers(target: Target) -> dict:
    """What wrk sends: gzip accepted, the target's headers, the visitor's cookie now."""
    cookie = {"Cookie": target.visitor.cookie_header} if target.visitor else {}
    return {"Accept-Encoding": "gzip", **target.headers, **cookie}


# wrk opens its connections at the start of a run and keeps them; gunicorn's two workers
# race to accept them, and now and then one worker takes all of them and serves the whole
# run on one core while the other idles (seen in /proc: 428 and 2 ticks). Such a run
# measures half the deployment, whatever the page, and made earlier results bimodal. A
# run in which a worker did less than this share of the work is run again, after a
# second's pause (up to LOPSIDED_RETRIES times; about one run in six is lopsided, and
# they come in streaks), for the baselines and the portal alike; the JSON keeps each
# run's shares and how many runs were redone, and a run still lopsided is flagged.
MIN_WORKER_SHARE = 1 / 3
LOPSIDED_RETRIES = 8


def _shares(before: list[int], after: list[int]) -> list[float]:
    used = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(used)
    return [round(u / total, 3) for u in used] if total else []


def measure(server: "Gunicorn", target: Target, settings: dict) -> Run:
    port = server.port
    before = check(port, target)
    if before.status == 200:
        is_page = before.text.lstrip()[:15].lower() == "<!doctype html>"
        if is_page == target.fragment and target.server == "portal":
            raise SystemExit(
                f"{target.name}: expected a {'fragment' if target.fragment else 'page'}"
            )
    url = f"http://127.0.0.1:{port}{target.path}"
    headers = sent_headers(target)
    if settings["warmup"]:
        wrk(url, headers, settings["warmup"], settings["connections"], settings["threads"])
    redone = 0
    while True:
        cpu_before = server.worker_cpu()
        figures = wrk(
            url, headers, settings["duration"], settings["connections"], settings["threads"]
        )
        shares = _shares(cpu_before, server.worker_cpu()) if cpu_before else []
        if not shares or min(shares) >= MIN_WORKER_SHARE or redone == LOPSIDED_RETRIES:
            break
        redone += 1
        time.sleep(1)
    after = check(port, target)
    return Run(
        **figures,
        before=before.status,
        after=after.status,
        wire_bytes=len(before.raw),
        loadavg=os.getloadavg()[0],
        worker_shares=shares,
        lopsided_runs_redone=redone,
    )


# --- The run -----------------------------------------------------------------------------


def targets(order: str, visitors: dict) -> list[Target]:
    mario = visitors["mario"]
    rows = [
        Target("hello world (baseline)", "hello", "/"),
        Target("flaskr-style page (baseline)", "flaskr", "/", visitor=visitors["flaskr"]),
        Target("login page (GET, anonymous)", "portal", "/login", goal=1.0),
        Target("Gestione PEC, 3 mailboxes", "portal", "/mailboxes/", goal=0.5, visitor=mario),
        Target(
            f"Gestione PEC, {BIG_ACCOUNT_MAILBOXES} mailboxes",
            "portal",
            "/mailboxes/",
            goal=0.5,
            visitor=visitors["big"],
        ),
    ]
    for step in WIZARD_STEPS:
        path = f"{order}/{step}"
        rows.append(Target(f"wizard {step}, page", "portal", path, goal=0.5, visitor=mario))
        rows.append(
            Target(
                f"wizard {step}, htmx fragment",
                "portal",
                path,
                HTMX,
                goal=0.5,
                fragment=True,
                visitor=mario,
            )
        )
    return rows


def machine() -> dict:
    cpu = ""
    try:
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "commit": commit + ("-dirty" if dirty else ""),
        "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0],
        "loadavg_at_start": os.getloadavg(),
    }


def summarise(rows: list[Target], runs: dict[str, list[Run]]) -> list[dict]:
    medians = {t.name: statistics.median(r.rps for r in runs[t.name]) for t in rows}
    flaskr = medians["flaskr-style page (baseline)"]
    hello = medians["hello world (baseline)"]
    summary = []
    for t in rows:
        median = medians[t.name]
        summary.append(
            {
                "name": t.name,
                "path": t.path,
                "htmx": t.fragment,
                "median_rps": round(median, 1),
                "vs_flaskr": round(median / flaskr, 3),
                "vs_hello": round(median / hello, 3),
                "goal_vs_flaskr": t.goal,
                "meets_goal": None if t.goal is None else median / flaskr >= t.goal,
                "all_runs_ok": all(r.ok for r in runs[t.name]),
                "wire_bytes": runs[t.name][0].wire_bytes,
                "median_p50_ms": round(statistics.median(r.p50_ms for r in runs[t.name]), 2),
                "lopsided_runs_redone": sum(r.lopsided_runs_redone for r in runs[t.name]),
                "runs": [asdict(r) | {"ok": r.ok} for r in runs[t.name]],
            }
        )
    return summary


def table(summary: list[dict]) -> str:
    lines = [
        f"{'target':34s} {'req/s':>8s}  {'rounds':23s} {'×flaskr':>7s} {'×hello':>7s}  "
        f"{'goal':6s} {'p50 ms':>7s} {'bytes':>6s}"
    ]
    for row in summary:
        rounds = " ".join(f"{r['rps']:.0f}" for r in row["runs"])
        goal = "" if row["goal_vs_flaskr"] is None else f"≥{row['goal_vs_flaskr']:.1f}"
        if goal:
            goal += " ok" if row["meets_goal"] else " no"
        flag = (
            "" if row["all_runs_ok"] else "  ! a run was not all 200 or was lopsided: see the JSON"
        )
        if row["lopsided_runs_redone"]:
            flag += f"  ({row['lopsided_runs_redone']} lopsided run(s) redone)"
        lines.append(
            f"{row['name']:34s} {row['median_rps']:8.1f}  {rounds:23s} {row['vs_flaskr']:7.2f} "
            f"{row['vs_hello']:7.3f}  {goal:6s} {row['median_p50_ms']:7.1f} "
            f"{row['wire_bytes']:6d}{flag}"
        )
    return "\n".join(lines)


def main(settings: dict) -> dict:
    """Set up, measure every target `rounds` times, print the table, write the JSON."""
    if shutil.which("wrk") is None:
        raise SystemExit("the load benchmark needs wrk: apt-get install -y wrk")
    from bench.baselines.flaskr_page import create_database

    started = dt.datetime.now().astimezone()
    host = machine()
    print(
        f"\n== load (gunicorn 2 workers × 4 threads, gthread; wrk {settings['threads']} threads, "
        f"{settings['connections']} connections, {settings['duration']} s after "
        f"{settings['warmup']} s warm-up; {settings['rounds']} rounds) =="
    )
    with tempfile.TemporaryDirectory(prefix="pec-bench-") as tmp:
        folder = Path(tmp)
        create_database(str(folder / "flaskr.sqlite3"))
        portal_url = f"sqlite:///{folder / 'pec.sqlite3'}"
        load_portal_data(portal_url)
        baseline_env = clean_environment(
            BENCH_FLASKR_DATABASE=folder / "flaskr.sqlite3", BENCH_SECRET_KEY=secrets.token_hex(16)
        )
        portal_port = free_port()
        portal_env = clean_environment(
            PEC_DATABASE_URL=portal_url,
            PEC_SECRET_KEY=secrets.token_hex(32),
            PEC_SCHEDULER="off",
            PEC_BASE_URL=f"http://127.0.0.1:{portal_port}",
            PEC_DOCUMENTS_DIR=folder / "documents",
            PEC_ROSTER_DIR=folder / "roster",
            PEC_STATEMENT_DIR=folder / "statements",
            # The cookie recorded at login is replayed for the whole run: no idle timeout
            # may end it (each run checks a 200 before and after).
            PEC_SESSION_IDLE_MINUTES=24 * 60,
        )
        hello = Gunicorn("hello", "bench.baselines.hello:app", baseline_env, folder)
        flaskr = Gunicorn("flaskr", "bench.baselines.flaskr_page:app", baseline_env, folder)
        portal = Gunicorn("portal", "app:app", portal_env, folder, "/login", portal_port)
        with hello, flaskr, portal:
            servers = {"hello": hello, "flaskr": flaskr, "portal": portal}
            flaskr_visitor = Visitor(flaskr.port)
            expect(flaskr_visitor.get("/login?user=1"), 302, "flaskr-style login")
            mario = login(portal.port, "mario.rossi@example.org")
            order = draft_order_at_confirm(mario)
            visitors = {
                "flaskr": flaskr_visitor,
                "mario": mario,
                "big": login(portal.port, BIG_ACCOUNT),
            }
            rows = targets(order, visitors)
            runs: dict[str, list[Run]] = {t.name: [] for t in rows}
            for round_number in range(1, settings["rounds"] + 1):
                print(f"round {round_number}/{settings['rounds']}", end="", flush=True)
                for t in rows:
                    run = measure(servers[t.server], t, settings)
                    runs[t.name].append(run)
                    print("." if run.ok else "!", end="", flush=True)
                print()
    summary = summarise(rows, runs)
    print(table(summary))
    result = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": host | {"loadavg_at_end": os.getloadavg()},
        "settings": settings,
        "deployment": "gunicorn --workers 2 --threads 4 --worker-class gthread, 127.0.0.1",
        "targets": summary,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"load-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {path.relative_to(ROOT)}")
    return result
