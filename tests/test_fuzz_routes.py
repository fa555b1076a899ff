"""Every route, every form field and query parameter, with generated hostile input.

Routes come from `app.url_map`, so a route added later is fuzzed without a change here.
For each route and method the fields to send are found the way a visitor (or an
attacker) finds them: the forms and links of every page, fetched as a signed-in member
and as a signed-in operator, plus the names a view reads from `request.args`,
`request.form` or `request.files` in its source. Each field then gets either the value
its page offers (so the request goes deep, past the first check) or hostile text: NUL
and control characters, huge or non-ASCII numbers, dates at the calendar's edges,
megabytes of text, odd file names and contents. Half of the requests come as htmx.

Each example fails the test on:
- a 500, or an exception that escapes the app (TESTING propagates them);
- a partial write: an answer of 400 or more that changed any table.

Bounded for CI (README "Tests"): PEC_FUZZ_EXAMPLES examples at most per route and
method (default 12), each with a deadline; the examples are derived from a fixed seed,
so a run is repeatable (PEC_FUZZ_RANDOM=1 draws new ones, for exploring). Runs on SQLite
and on PostgreSQL; prints the examples per route.
"""

import datetime as dt
import inspect
import os
import re
import sqlite3
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from pec import database
from pec.database import db
from pec.models import ALL_MODELS
from tests.conftest import (
    MemberActions,
    OperatorActions,
    WizardActions,
    csrf_token,
    make_app,
    make_operator,
    postgres_database,
)

EXAMPLES = int(os.environ.get("PEC_FUZZ_EXAMPLES", "12"))
RANDOM = os.environ.get("PEC_FUZZ_RANDOM") == "1"
ONLY = os.environ.get("PEC_FUZZ_ONLY", "")  # fuzz only the routes whose "METHOD /rule" has it
DEADLINE = timedelta(seconds=30)  # generous: CI shares 2 cores; a stuck request still fails
SKIPPED_ENDPOINTS = {"static"}  # files on disk, no input beyond the path

# --- What a page offers: its forms and links -----------------------------------------------


@dataclass
class Field:
    name: str
    kind: str = "text"  # text, file, choice
    values: list = field(default_factory=list)  # what the page offers


@dataclass
class Target:
    """One route and method, with the fields and the path values seen for it."""

    rule: object
    method: str
    fields: dict = field(default_factory=dict)
    paths: set = field(default_factory=set)  # concrete URLs seen on pages

    def add(self, name, kind="text", value=None):
        found = self.fields.setdefault(name, Field(name, kind))
        if kind == "file":
            found.kind = "file"
        if value not in (None, "") and value not in found.values and len(found.values) < 8:
            found.values.append(value)


class FormParser(HTMLParser):
    """<form>s with their fields, and <a href>s."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form, self._select = [], [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "action": attrs.get("action") or "",
                "method": (attrs.get("method") or "get").upper(),
                "fields": [],
            }
            self.forms.append(self._form)
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif self._form is not None and tag in ("input", "textarea", "select", "button"):
            name = attrs.get("name")
            if not name:
                return
            kind = "file" if attrs.get("type") == "file" else "text"
            self._form["fields"].append((name, kind, attrs.get("value")))
            if tag == "select":
                self._select = name
        elif tag == "option" and self._form is not None and self._select:
            self._form["fields"].append((self._select, "text", attrs.get("value")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


# Names a view reads straight from the request (not through a form class).
SOURCE_NAMES = re.compile(
    r"request\.(?:args|form|values|files)(?:\.get(?:list)?\(|\[)\s*[\"'](\w+)[\"']"
)


def names_in_source(view) -> list[str]:
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return []
    return SOURCE_NAMES.findall(source)


# --- The world the fuzz runs in ------------------------------------------------------------


@dataclass
class World:
    app: object
    member: MemberActions
    operator: OperatorActions
    targets: dict  # (rule string, method) -> Target
    ints: list  # ids of rows that exist
    words: list  # tokens and codes seen in URLs
    tokens: dict = field(default_factory=dict)  # each client's CSRF token
    unchanged: str | None = None  # the database's fingerprint, while known current


def build_world(app) -> World:
    """The demo data, a draft order at its last step, an order awaiting payment, an
    identity document, a roster and a statement waiting for confirmation; a member and
    an operator signed in; and every page of both areas read for forms and links."""
    from pec.demo import load_demo
    from pec.domain import clock
    from pec.models import Mailbox

    with db.connection_context():
        load_demo(clock.today())
        make_operator()
        mario = Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it")
        studio = Mailbox.get(Mailbox.address == "studio.rossi@pec.demo.it")
    member = MemberActions(app.test_client())
    assert member.login().status_code == 303
    wizard = WizardActions(member)
    wizard.renew(studio)  # an order awaiting payment
    draft = wizard.start(mario)
    wizard.up_to_confirm(draft)
    member.post(
        "/mailboxes/document",
        {"document": (BytesIO(b"%PDF-1.4\n%test\n"), "carta.pdf")},
        content_type="multipart/form-data",
    )
    operator = OperatorActions(app.test_client())
    assert operator.login().status_code == 303
    app.config["PEC_ROSTER_DIR"] = os.path.join(app.instance_path, "fuzz_roster")
    for url, name, data in (
        ("/operators/roster", "roster", b"pec_address;expires_on\nx@pec.it;01/01/2027\n"),
        ("/operators/statements", "statement", b"Data;Importo;Causale\n09/03/2026;4,88;x\n"),
    ):
        operator.post(url, {name: (BytesIO(data), "file.csv")}, content_type="multipart/form-data")

    targets: dict = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            target = Target(rule, method)
            for name in names_in_source(app.view_functions[rule.endpoint]):
                target.add(name)
            targets[(rule.rule, method)] = target
    with db.connection_context():
        ints = sorted(
            {row.id for model in ALL_MODELS if "id" in model._meta.fields for row in model.select()}
        )
    world = World(app, member, operator, targets, ints[:60] or [1], [])
    crawl(world)
    return world


def client_for(world: World, rule) -> object:
    return world.operator.client if rule.rule.startswith("/operators") else world.member.client


def crawl(world: World) -> None:
    """Read every GET page reachable with known ids, both areas, for forms and links."""
    adapter = world.app.url_map.bind("localhost")
    seen_urls: set = set()
    queue = []
    for (path, method), target in world.targets.items():
        if method == "GET" and not target.rule.arguments:
            queue.append(path)
    queue += ["/mailboxes/", "/operators/", "/operators/orders", "/operators/mailboxes"]
    while queue and len(seen_urls) < 400:
        url = queue.pop(0)
        if url in seen_urls:
            continue
        seen_urls.add(url)
        try:
            rule, _args = adapter.match(urlsplit(url).path, method="GET", return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        response = client_for(world, rule).get(url, follow_redirects=True)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            response.close()
            continue
        if response.request.path != urlsplit(url).path:  # redirected: note where it led
            url = response.request.path
            note(world, adapter, url, "GET", [])
        parser = FormParser()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = form["action"] or url
            note(world, adapter, action, form["method"], form["fields"])
        for href in parser.links:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/"):
                continue
            fields = [(k, "text", v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
            if note(world, adapter, href, "GET", fields):
                queue.append(parts.path)


def note(world, adapter, url, method, fields) -> bool:
    """Record a form or link's fields on its route; True if it is a route of ours."""
    parts = urlsplit(url)
    try:
        rule, args = adapter.match(parts.path, method=method, return_rule=True)
    except HTTPException:
        return False
    target = world.targets.get((rule.rule, method))
    if target is None:
        return False
    target.paths.add(parts.path)
    for value in args.values():
        if isinstance(value, str) and value not in world.words:
            world.words.append(value)
    for name, kind, value in fields:
        if name != "csrf_token":
            target.add(name, kind, value)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        target.add(name, "text", value)
    return True


# --- Hostile values ------------------------------------------------------------------------

CONTROL = st.sampled_from(["\x00", "\x01", "\x1b[31m", "\x7f", "\x85", "\u2028", "\ufeff"])
NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(
        ["0", "-1", "2147483648", "9223372036854775808", "١٢٣", "٤,٠٠", "１２", "1e309", "NaN"]
    ),
)
DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y") if d.year >= 1000 else d.isoformat()),
    st.sampled_from(["9999-12-31", "0001-01-01", "31/02/2026", "2026-13-01", "2026-02-29"]),
)
AMOUNTS = st.sampled_from(
    ["99999999999999999999,99", "4,88", "0,001", "-4,88", "4.88.88", "∞", "1e5", " ", "4,8€"]
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
HUGE = st.builds(
    lambda c, n: c * n, st.sampled_from(["x", "é", "€", "\x00"]), st.integers(0, 300_000)
)


def hostile_text():
    return st.one_of(
        PRINTABLE,
        TEXT,
        st.builds(lambda a, c, b: a + c + b, PRINTABLE, CONTROL, PRINTABLE),
        NUMBERS,
        DATES,
        AMOUNTS,
        HUGE,
    )


XML_DECLARATIONS = st.sampled_from(["UTF-8", "UTF-16", "UTF-7", "ISO-8859-1", "x-nope", "UTF-32"])
FILE_BODIES = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda b: b"%PDF-1.4\n" + b, st.binary(max_size=100)),
    st.builds(lambda b: b"\x89PNG\r\n\x1a\n" + b, st.binary(max_size=100)),
    st.builds(
        lambda e, body: f'<?xml version="1.0" encoding="{e}"?>'.encode() + body,
        XML_DECLARATIONS,
        st.sampled_from(
            [
                b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>',
                b"<a>&#0;</a>",
                b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
            ]
        ),
    ),
    st.builds(
        lambda cells: ("\n".join(";".join(row) for row in cells)).encode("utf-8", "replace"),
        st.lists(st.lists(hostile_text(), max_size=5), max_size=4),
    ),
    # Below 500 KB: Werkzeug's test client spools a larger multipart body to a temporary
    # file it never closes. Files over the 5 MB limit have their own tests.
    st.sampled_from([b"", b"\x00" * 64, b"a" * 300_000]),
)
FILE_NAMES = st.one_of(TEXT, st.sampled_from(["a\x00.pdf", "../../etc/passwd", "é\u2028.csv"]))


def value_strategy(spec: Field):
    if spec.kind == "file":
        return st.one_of(
            st.none(), st.builds(lambda b, n: (BytesIO(b), n), FILE_BODIES, FILE_NAMES)
        )
    offered = st.sampled_from(spec.values) if spec.values else st.just("")
    return st.one_of(st.none(), offered, offered, hostile_text())


def path_strategy(world: World, target: Target):
    """A URL for the route: one seen on a page, or its arguments filled in."""
    rule = target.rule

    def argument(name):
        if isinstance(rule._converters.get(name), IntegerConverter):
            return st.one_of(
                st.sampled_from(world.ints),
                st.sampled_from(world.ints),
                st.integers(0, 10**25),
                st.just(2**31),
            ).map(str)
        known = st.sampled_from(world.words) if world.words else PRINTABLE
        return st.one_of(known, known, PRINTABLE.filter(lambda t: "/" not in t), TEXT)

    def build(values):
        path = rule.rule
        for name, value in values.items():
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _m, v=value: quote(v), path)
        return path

    generated = st.fixed_dictionaries({name: argument(name) for name in rule.arguments}).map(build)
    if target.paths:
        seen = st.sampled_from(sorted(target.paths))
        return st.one_of(seen, seen, seen, generated)  # mostly rows that exist: deeper
    return generated


def quote(value: str) -> str:
    from urllib.parse import quote as url_quote

    return url_quote(value, safe="")


@st.composite
def requests_for(draw, world: World, target: Target):
    path = draw(path_strategy(world, target))
    data = {}
    for name, spec in sorted(target.fields.items()):
        value = draw(value_strategy(spec))
        if value is not None:
            data[name] = value
    extra = draw(st.dictionaries(st.sampled_from(["x", "next"]), PRINTABLE, max_size=1))
    data.update(extra)
    htmx = draw(st.booleans())
    return path, data, htmx


# --- Checking one request ------------------------------------------------------------------


FINGERPRINT_SECONDS = [0.0]
_WATCH: dict = {}


def fingerprint() -> str:
    """A value that changes whenever any table's content does.

    SQLite: `PRAGMA data_version` on a connection of our own changes exactly when another
    connection (the app's) committed a write. PostgreSQL: an md5 of every row of every
    table, computed by the server in one query."""
    started = time.perf_counter()
    if database.is_sqlite():
        path = db.obj.database
        if _WATCH.get("path") != path:
            _WATCH.update(path=path, connection=sqlite3.connect(path))
        value = str(_WATCH["connection"].execute("PRAGMA data_version").fetchone()[0])
    else:
        parts = " UNION ALL ".join(
            f"SELECT '{m._meta.table_name}' AS name, "
            f"md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS digest "
            f'FROM "{m._meta.table_name}" t'
            for m in ALL_MODELS
        )
        with db.connection_context():
            rows = db.execute_sql(f"SELECT string_agg(name || digest, '|') FROM ({parts}) s")
            value = rows.fetchone()[0]
    FINGERPRINT_SECONDS[0] += time.perf_counter() - started
    return value


def send(world: World, target: Target, request) -> int:
    path, data, htmx = request
    rule, method = target.rule, target.method
    client = client_for(world, rule)
    headers = {"HX-Request": "true", "HX-Target": "panel"} if htmx else {}
    # The last error's "after" is this request's "before" (nothing ran in between).
    before = world.unchanged or fingerprint()
    world.unchanged = None
    if method == "GET":
        query = {k: v for k, v in data.items() if not isinstance(v, tuple)}
        response = client.get(path, query_string=query, headers=headers)
    else:
        form = dict(data, csrf_token=world.tokens[id(client)])
        has_file = any(isinstance(v, tuple) for v in form.values())
        if has_file:  # keep the multipart body small (see FILE_BODIES)
            form = {k: v[:20_000] if isinstance(v, str) else v for k, v in form.items()}
        response = client.open(
            path,
            method=method,
            data=form,
            headers=headers,
            content_type="multipart/form-data" if has_file else None,
        )
    status = response.status_code
    response.close()
    assert status < 500, f"{method} {path} answered {status} to {data!r}"
    if status >= 400:
        after = fingerprint()
        assert after == before, (
            f"{method} {path} answered {status} but wrote to the database: {data!r}"
        )
        world.unchanged = after
    if "logout" in rule.endpoint or "login" in rule.endpoint:
        sign_in_again(world)
        world.unchanged = None
    return status


def sign_in_again(world: World) -> None:
    """A fuzzed logout (or login) may end the session: sign both in again."""
    world.member.login()
    world.operator.login()
    world.tokens = {id(c): csrf_token(c) for c in (world.member.client, world.operator.client)}


# --- The test ------------------------------------------------------------------------------


def fuzz(world: World, target: Target, key: str, examples: Counter, statuses: dict) -> None:
    """Up to EXAMPLES requests to one route and method."""

    @settings(
        max_examples=EXAMPLES,
        deadline=DEADLINE,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(requests_for(world, target))
    def survives(request):
        examples[key] += 1
        statuses[key][send(world, target, request)] += 1

    survives()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz_app(request, tmp_path):
    if request.param == "sqlite":
        app = make_app(tmp_path)
        yield request.param, app
        if not db.is_closed():
            db.close()
        return
    with postgres_database() as url:
        yield request.param, make_app(tmp_path, PEC_DATABASE_URL=url)


def destructive_last(item) -> tuple:
    """Routes that end what others need (cancelling the wizard's order) run last, so
    the wizard's steps are fuzzed on an order that is still open."""
    (path, method), _target = item
    return ("cancel" in path, path, method)


@pytest.mark.timeout(1200)
@pytest.mark.filterwarnings(
    "ignore:Generating overly large repr"
)  # the whole sweep; each example has its own DEADLINE
def test_every_route_survives_hostile_input_without_a_500_or_a_partial_write(fuzz_app, capsys):
    kind, app = fuzz_app
    world = build_world(app)
    sign_in_again(world)
    # The detector itself: a committed write shows.
    from pec.models import Lease

    unchanged = fingerprint()
    with db.connection_context():
        Lease.create(name="fuzz-probe", holder="test", expires_at=dt.datetime.now(dt.UTC))
    assert fingerprint() != unchanged
    examples: Counter = Counter()
    statuses: dict = defaultdict(Counter)
    failures = []
    started = time.monotonic()
    for (path, method), target in sorted(world.targets.items(), key=destructive_last):
        key = f"{method} {path}"
        if ONLY not in key:
            continue
        try:
            fuzz(world, target, key, examples, statuses)
        except Exception as error:  # every route is tried; all failures are shown below
            causes = getattr(error, "exceptions", None) or [error]
            failures.append(
                f"{key}: "
                + " | ".join("".join(traceback.format_exception(c))[-1500:] for c in causes)
            )
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nFuzz on {kind}: {sum(examples.values())} requests, {len(examples)} "
              f"routes and methods, {elapsed:.0f} s ({FINGERPRINT_SECONDS[0]:.0f} s "
              "comparing the tables)")  # fmt: skip
        for key in sorted(examples):
            answers = " ".join(f"{s}×{n}" for s, n in sorted(statuses[key].items()))
            print(f"  {examples[key]:4d}  {key}  [{answers}]")
    assert not failures, "\n".join(failures)
    assert ONLY or len(examples) == len(world.targets)
