"""Fixtures: a real file database per test, a client, and helpers that act like a person."""

import contextlib
import datetime as dt
import functools
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from playhouse.migrations import Runner
from werkzeug.serving import make_server

from pec import create_app, database, model_rows
from pec.database import db
from pec.domain import clock as clock_module

IN_CI = os.environ.get("CI") == "true"
# Every test app sets its own SECRET_KEY, but the factory reads the environment first and,
# without this, makes instance/secret_key: test workers starting together on a clean clone
# would race to create that file.
os.environ.setdefault("PEC_SECRET_KEY", "test-secret")
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
# Every row the prepared page queries build themselves is also built by peewee and
# compared, in every test that shows a page (pec.model_rows).
model_rows.CHECK = True


def skip_or_fail(reason: str):
    """In CI a missing browser or database is a failure, never a silent skip."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


# Test databases: each test gets its own SQLite file, a copy of one migrated at the start
# of the session: a file copy per test instead of running every migration per test.
#
# They live on a RAM-backed folder when the machine has one with room: with our pragmas
# (WAL, synchronous=FULL) every commit waits for an fsync and so does the checkpoint when
# the last connection closes, ~4 ms and ~12 ms on a VM disk, thousands of times a run. On
# tmpfs these cost nothing; the engine, the pragmas and the SQL are the same.
# PEC_TEST_DB_DIR picks the folder ("" = next to each test's tmp_path, on disk).
RAM_FOLDER = "/dev/shm"
RAM_NEEDED = 512 * 1024 * 1024  # the suite's databases, with room to spare


@functools.cache
def _databases_root() -> Path | None:
    """The folder holding this session's test databases; None for each test's tmp_path."""
    chosen = os.environ.get("PEC_TEST_DB_DIR")
    if chosen is None:
        if not os.access(RAM_FOLDER, os.W_OK):
            return None
        stats = os.statvfs(RAM_FOLDER)
        if stats.f_bavail * stats.f_frsize < RAM_NEEDED:
            return None
        chosen = RAM_FOLDER
    if not chosen:
        return None
    return Path(tempfile.mkdtemp(prefix="pec-tests-", dir=chosen))


_test_folders: list[Path] = []  # database folders made during the current test


def _database_folder(tmp_path) -> Path:
    """Where the test owning `tmp_path` keeps its database (the same for repeated calls)."""
    root = _databases_root()
    if root is None:
        return Path(tmp_path)
    folder = root / str(tmp_path).strip(os.sep).replace(os.sep, "_")
    if not folder.exists():
        folder.mkdir(parents=True)
        _test_folders.append(folder)
    return folder


@functools.cache
def _migrated_template() -> Path:
    """One SQLite file with every migration applied, made once per session.

    Written through SQLite's backup API, so the copy is one self-contained file (nothing
    left in a -wal file beside it) that a test can copy with a plain file copy."""
    folder = Path(tempfile.mkdtemp(prefix="pec-template-", dir=_databases_root()))
    built = database.open_database(f"sqlite:///{folder / 'migrated.sqlite3'}")
    with built.connection_context():
        Runner(built, database.MIGRATIONS_DIR).up()
    template = folder / "template.sqlite3"
    with (
        contextlib.closing(sqlite3.connect(folder / "migrated.sqlite3")) as source,
        contextlib.closing(sqlite3.connect(template)) as copy,
    ):
        source.backup(copy)
    return template


def _copy_template_to(url: str) -> bool:
    """Give a new SQLite file database the migrated schema; False when the URL is not one
    (PostgreSQL, in memory) or the file already exists (a second app on the same data)."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return False
    path = Path(url[len("sqlite:///") :])
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_template(), path)
    return True


@pytest.fixture(autouse=True)
def _drop_test_databases():
    """A test's databases go with it (RAM is not for keeping 500 of them)."""
    yield
    while _test_folders:
        shutil.rmtree(_test_folders.pop(), ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _drop_session_databases():
    yield
    if _migrated_template.cache_info().currsize:
        shutil.rmtree(_migrated_template().parent, ignore_errors=True)
    if _databases_root.cache_info().currsize and _databases_root() is not None:
        shutil.rmtree(_databases_root(), ignore_errors=True)


class SessionBytecodeCache(BytecodeCache):
    """Compiled templates kept for the whole session. Each test's app has its own Jinja
    environment, which would otherwise parse and compile again every template it renders;
    Jinja checks each entry against the template's source before using it."""

    def __init__(self):
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SessionBytecodeCache()


@contextlib.contextmanager
def postgres_database():
    """A fresh database on the server named by PEC_TEST_POSTGRES_URL (its URL), dropped
    afterwards; in CI a missing server fails the test instead of skipping it."""
    admin_url = os.environ.get("PEC_TEST_POSTGRES_URL")
    if not admin_url:
        skip_or_fail("PEC_TEST_POSTGRES_URL is not set")
    import uuid

    import psycopg2

    name = f"pec_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        if not db.is_closed():
            db.close()
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_app(request, tmp_path):
    """The app on SQLite, then on PostgreSQL: for what the two databases treat apart
    (PostgreSQL refuses a NUL in text, and integers past 2**31 in an integer column)."""
    if request.param == "sqlite":
        app = make_app(tmp_path)
        yield app
        if not db.is_closed():
            db.close()
        return
    with postgres_database() as url:
        yield make_app(tmp_path, PEC_DATABASE_URL=url)


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PEC_DOCUMENTS_DIR": str(tmp_path / "documents"),
        "PEC_SCHEDULER": False,
        "PEC_BASE_URL": "https://portal.example.org",
        "RATELIMIT_ENABLED": False,
        "MAIL_DEFAULT_SENDER": "noreply@portal.example.org",
    }
    config.update(overrides)
    if "PEC_DATABASE_URL" not in config:
        config["PEC_DATABASE_URL"] = f"sqlite:///{_database_folder(tmp_path) / 'pec.sqlite3'}"
    copied = _copy_template_to(config["PEC_DATABASE_URL"])
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    if not copied:
        database.migrate()
    return app


@pytest.fixture
def app(request, tmp_path):
    """The app on a fresh file database. No app context is held open: requests must
    each get their own, as in production (a shared one would share `g`). Use `ctx`
    for code that renders templates or e-mails outside a request.

    A test marked `@ON_BOTH_DATABASES` gets it on SQLite, then on a fresh PostgreSQL
    database, and so does every fixture built on it (ctx, client, member, operator,
    runner, demo)."""
    if getattr(request, "param", "sqlite") == "postgres":
        with postgres_database() as url:
            yield make_app(tmp_path, PEC_DATABASE_URL=url)
        return
    app = make_app(tmp_path)
    yield app
    if not db.is_closed():
        db.close()


# For the acceptance tests that must hold on both databases we support (a PostgreSQL
# database costs ~0.5 s to create and drop, so not for every test).
ON_BOTH_DATABASES = pytest.mark.parametrize(
    "app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def today():
    """A fixed 'today' for tests that reason about dates (a Tuesday, not near DST)."""
    day = dt.date(2026, 3, 10)
    with clock_module.frozen(day):
        yield day


def csrf_token(client) -> str:
    """The session's CSRF token, read from a page as a browser would."""
    page = client.get("/login").get_data(as_text=True)
    return CSRF_RE.search(page).group(1)


_TYPED_OR_TOKEN = re.compile(r'value="[^"]*"|(?<=name="csrf-token" )content="[^"]*"')


def page_without_typed_values(response) -> str:
    """The page minus what the visitor typed and the CSRF token (timestamped), to
    compare two answers for sameness (no account enumeration)."""
    return _TYPED_OR_TOKEN.sub("", response.get_data(as_text=True))


class ClientActions:
    """Someone using the portal through the test client: forms carry the CSRF token."""

    def __init__(self, client):
        self.client = client

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(self.client))
        return self.client.post(url, data=data, **kwargs)


class MemberActions(ClientActions):
    """A member using the portal through the test client."""

    def login(self, identifier="mario.rossi@example.org", password="demo-password"):
        return self.post("/login", {"identifier": identifier, "password": password})

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def member(client):
    return MemberActions(client)


@pytest.fixture
def demo(app, today):
    """The demo data of README, Commands and Demo logins, as of the frozen `today`."""
    from pec.demo import load_demo

    load_demo(today)
    return today


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port in a thread, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the loop's next look at its stop flag: every 0.5 s by default.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def demo_server(app, live_server):
    """The served app with the demo data as of the real today (the browser's clock)."""
    from pec.demo import load_demo

    with db.connection_context():
        load_demo(clock_module.today())
    return live_server


CHROMIUM = os.environ.get("PEC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright (never a downloaded browser build)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        skip_or_fail(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


AXE_PATH = os.path.join(os.path.dirname(__file__), "..", "node_modules", "axe-core", "axe.min.js")


def axe_violations(page) -> list:
    """Run axe-core (WCAG 2.1 A/AA rules) in the page; returns the violations."""
    if not os.path.exists(AXE_PATH):
        skip_or_fail("axe-core is not installed (npm ci)")
    # Evaluated through the DevTools protocol, so our CSP (no inline script) still holds.
    with open(AXE_PATH, encoding="utf-8") as fh:
        page.evaluate(fh.read())
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}})"
    )
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


HTMX_PANEL = {"HX-Request": "true", "HX-Target": "panel"}
ORDER_URL_RE = re.compile(r"/renewals/(\d+)/")


class WizardActions:
    """A member going through the renewal wizard (docs/rules.md, member journey 4–9) with the test client.

    Each step helper posts like the browser would; `headers=HTMX_PANEL` posts like htmx.
    """

    def __init__(self, member):
        self.member = member
        self.client = member.client

    def start(self, *mailboxes, only=True):
        if only and len(mailboxes) == 1:
            data = {"only": str(mailboxes[0].id)}
        else:
            data = {"mailbox": [str(m.id) for m in mailboxes]}
        response = self.member.post("/renewals/start", data)
        assert response.status_code == 303, response.status_code
        match = ORDER_URL_RE.search(response.location)
        return int(match.group(1)) if match else None

    def document_fields(self, order_id):
        page = self.client.get(f"/renewals/{order_id}/contracts").get_data(as_text=True)
        return sorted(set(re.findall(r'name="(doc_\d+)"', page)))

    def accept_contracts(self, order_id, headers=None, **answers):
        data = {name: "yes" for name in self.document_fields(order_id)}
        data.update(answers)
        return self.member.post(f"/renewals/{order_id}/contracts", data, headers=headers)

    def submit_billing(self, order_id, headers=None, **overrides):
        from tests.factories import VALID_BILLING

        data = dict(VALID_BILLING, **overrides)
        return self.member.post(f"/renewals/{order_id}/billing", data, headers=headers)

    def choose_method(self, order_id, method="bank_transfer", headers=None):
        return self.member.post(
            f"/renewals/{order_id}/payment", {"method": method}, headers=headers
        )

    def confirm(self, order_id, headers=None):
        return self.member.post(f"/renewals/{order_id}/confirm", {}, headers=headers)

    def up_to_confirm(self, order_id, method="bank_transfer", **billing):
        assert self.accept_contracts(order_id).status_code == 303
        assert self.submit_billing(order_id, **billing).status_code == 303
        assert self.choose_method(order_id, method).status_code == 303

    def renew(self, *mailboxes, method="bank_transfer", **billing):
        """The whole wizard; returns the confirmed order id."""
        order_id = self.start(*mailboxes, only=len(mailboxes) == 1)
        self.up_to_confirm(order_id, method, **billing)
        response = self.confirm(order_id)
        assert response.status_code == 303 and response.location.endswith("/done")
        return order_id


@pytest.fixture
def wizard(member):
    return WizardActions(member)


def totp_code(email: str, when=None) -> str:
    """The authenticator code an operator's phone would show now, for a step later than
    the last one the portal accepted (a code works once: tests sign in several times
    within 30 seconds, so the replay guard is reset when no fresh step is left)."""
    import datetime as dt

    import pyotp

    from pec.models import Operator

    operator = Operator.get(Operator.email == email)
    totp = pyotp.TOTP(operator.totp_secret)
    now = when or dt.datetime.now(dt.UTC)
    current = totp.timecode(now)
    last = operator.totp_last_step
    fresh = [step for step in (current, current + 1) if last is None or step > last]
    if not fresh:
        Operator.update(totp_last_step=None).where(Operator.id == operator.id).execute()
        fresh = [current]
    return totp.generate_otp(fresh[0])


def sign_in_operator(page, server, email="admin@example.org", password="admin-password"):
    """An operator signs in through the browser: password, then (when they use two-step
    verification) the code their authenticator shows."""
    from pec.database import db

    page.goto(server + "/operators/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(re.compile(r".*/operators/(login/code)?$"))
    if page.url.endswith("/operators/login/code"):
        with db.connection_context():
            code = totp_code(email)
        page.get_by_label("Codice").fill(code)
        page.get_by_role("button", name="Verifica").click()
        page.wait_for_url("**/operators/")


class OperatorActions(ClientActions):
    """An operator using the operators' area through the test client. An operator with
    two-factor authentication answers the code step with their authenticator's code."""

    def login(self, email="admin@example.org", password="admin-password"):
        response = self.post("/operators/login", {"email": email, "password": password})
        if response.status_code == 303 and response.location.endswith("/operators/login/code"):
            response = self.post("/operators/login/code", {"code": totp_code(email)})
        return response

    def logout(self):
        return self.post("/operators/logout")

    def page(self, url, **kwargs) -> str:
        response = self.client.get(url, **kwargs)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)


# Admins must use two-factor authentication: test admins are enrolled with this secret
# (the demo admin with pec.demo.DEMO_TOTP_SECRET), so `operator.login()` can answer it.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_operator(email="admin@example.org", password="admin-password", role="admin", name=""):
    """An operator row (reused when it exists, e.g. created by the demo data); an admin
    comes with two-factor authentication enrolled."""
    import datetime as dt

    from pec.models import Operator
    from tests.factories import _hash

    found = Operator.get_or_none(Operator.email == email)
    if found is not None:
        return found
    two_factor = (
        {"totp_secret": TEST_TOTP_SECRET, "totp_enabled_at": dt.datetime.now(dt.UTC)}
        if role == "admin"
        else {}
    )
    return Operator.create(
        email=email, password_hash=_hash(password), role=role, name=name, **two_factor
    )


@pytest.fixture
def operator(app, client, tmp_path):
    """The admin operator of the demo data, not yet signed in (call .login())."""
    app.config["PEC_ROSTER_DIR"] = str(tmp_path / "roster_uploads")
    make_operator(name="Giulia Verdi")
    return OperatorActions(client)
