"""How many queries a request runs: a fixed number per page, whatever the number of
mailboxes on the account, lines on the order or rows in a bank statement. A page that
starts running a query per row, or a second copy of what it already read, fails here
(the figures are pinned: a change that lowers one updates the test).

Counted on SQLite, through the database's `execute_sql` (every peewee query passes there;
opening a pooled connection runs its PRAGMAs on the side, and only once per connection)."""

import contextlib
import gzip
from io import BytesIO

import pytest

from pec.database import db
from pec.domain import clock
from pec.domain.renewal import cancel_order, new_order_number
from pec.models import Account, Convention, Invoice, Mailbox, Order
from tests.conftest import HTMX_PANEL
from tests.domain.test_invoices import SELLER
from tests.factories import make_mailbox, make_order, pay

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


# A signed-in member's page starts with one query: the login with its account and the
# account's convention (the session check, the header and the footer all use them).


def test_the_login_page_runs_one_query(demo, client, counted):
    assert len(queries_of(counted, client, "/login")) == 1  # the convention shown


def test_the_mailbox_list_runs_6_queries_whatever_the_number_of_mailboxes(demo, member, counted):
    member.login()
    three = queries_of(counted, member.client, "/mailboxes/")
    for _ in range(60):
        make_mailbox(mario(), expires_in=20)
    many = queries_of(counted, member.client, "/mailboxes/")
    second_page = queries_of(counted, member.client, "/mailboxes/?page=2&q=pec")
    # login, count, the page's mailboxes, their open orders, their paid orders (receipts
    # and recent renewals), the identity document (+ reported payments when an order
    # awaits payment)
    assert len(three) == len(many) == len(second_page) == 6, str(many)


STEP_QUERIES = {"service": 4, "contracts": 6, "billing": 4, "payment": 4, "confirm": 4}


@pytest.mark.parametrize("headers", [None, HTMX_PANEL], ids=["page", "htmx fragment"])
def test_each_wizard_step_runs_a_fixed_number_of_queries(demo, member, wizard, counted, headers):
    boxes = [box("mario.rossi@pec.demo.it"), box("studio.rossi@pec.demo.it")]
    member.login()
    order_id = wizard.start(*boxes, only=False)
    wizard.up_to_confirm(order_id)
    for step, expected in STEP_QUERIES.items():
        # login (with its account and convention, which the order reuses), the order,
        # its step, its lines (+ the contracts step: the documents, the answers given)
        queries = queries_of(counted, member.client, f"/renewals/{order_id}/{step}", headers)
        assert len(queries) == expected, f"{step}:\n{queries}"


def test_orders_done_receipt_and_report_pages(demo, member, wizard, counted):
    member.login()
    waiting = wizard.renew(box("mario.rossi@pec.demo.it"))
    paid = wizard.renew(box("studio.rossi@pec.demo.it"))
    order = Order.get_by_id(paid)
    pay(order, reference="R1", today=clock.today(), provider="test", actor="test")
    pages = {
        "/orders/": 6,  # login, orders, their mailboxes, payments, settlements, invoices
        f"/renewals/{waiting}/done": 3,  # login, order, lines
        f"/payments/{paid}/receipt": 5,  # login, order, payments, lines, invoices
        f"/payments/{waiting}/report": 3,  # login, order, payments
    }
    for url, expected in pages.items():
        queries = queries_of(counted, member.client, url)
        assert len(queries) == expected, f"{url}:\n{queries}"
    # A third order on the list costs no query more.
    make_order([make_mailbox(mario())], number=new_order_number())
    assert len(queries_of(counted, member.client, "/orders/")) == pages["/orders/"]


@pytest.mark.parametrize("url", ["/first-access", "/recover", "/help", "/links/expired"])
def test_the_pages_before_signing_in_run_one_query(demo, client, counted, url):
    assert len(queries_of(counted, client, url)) == 1  # the convention shown


def test_the_privacy_page_runs_two_queries(demo, client, counted):
    # the convention shown, and its privacy notice in force (a contract document)
    assert len(queries_of(counted, client, "/privacy")) == 2


def test_the_payment_pages_cost_the_same_for_one_mailbox_and_for_two(demo, member, wizard, counted):
    """The card checkout, the prefilled slip, the printable contract, the courtesy copy of
    the invoice and the wizard's resume link: the same queries for an order of one mailbox
    as for an order of two."""
    Convention.update(**SELLER).execute()  # the convention invoices: the paid order has one
    member.login()
    boxes = list(Mailbox.select().where(Mailbox.account == mario()).order_by(Mailbox.id))
    found = {}
    for size, group in (("one", boxes[:1]), ("two", boxes[1:3])):
        card = wizard.renew(*group, method="card")
        # Each page: the login (with its account and convention) and the order, then
        expected = {
            f"/payments/{card}/checkout": 3,  # its lines (read once: shown and checked, R6)
            f"/renewals/{card}/documents/privacy": 4,  # the answer given, the document
        }
        counts = {u: len(queries_of(counted, member.client, u)) for u in expected}
        resume = f"/renewals/{card}/"  # an order past its wizard: off to where it is now
        expected[resume] = 2  # nothing more
        counts[resume] = len(queries_of(counted, member.client, resume, status=303))
        # Given up: its mailboxes are free for the slip's order.
        cancel_order(Order.get_by_id(card), now=clock.now(), actor="test")
        slip = wizard.renew(*group, method="prefilled_slip")
        expected[f"/payments/{slip}/slip"] = 2  # nothing more
        counts[f"/payments/{slip}/slip"] = len(
            queries_of(counted, member.client, f"/payments/{slip}/slip")
        )
        pay(Order.get_by_id(slip), reference=f"R{slip}", today=clock.today())
        invoice = f"/payments/{slip}/invoices/{Invoice.get(Invoice.order == slip).id}"
        expected[invoice] = 4  # the invoice, its lines
        counts[invoice] = len(queries_of(counted, member.client, invoice))
        assert counts == expected, size
        found[size] = list(counts.values())
    assert found["one"] == found["two"]


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
    assert len(sent) < len(page) / 2  # the 14 KB page goes out as less than 5 KB
    plain = wizard.accept_contracts(order_id, doc_1="no")  # a client that asks no gzip
    assert plain.status_code == 422 and "Content-Encoding" not in plain.headers


# --- Bank statements ----------------------------------------------------------------------

HEADER = "Data contabile;Data valuta;Importo;Causale;Descrizione;Riferimento\r\n"


def orders_to_pay(count: int) -> list[Order]:
    account = mario()
    return [
        make_order([make_mailbox(account, expires_in=20)], number=new_order_number())
        for _ in range(count)
    ]


def statement_paying(orders, extra: str = "") -> bytes:
    """A bank CSV with one credit paying each order in full (and `extra` lines)."""
    rows = [
        f"09/03/2026;09/03/2026;{o.gross_cents // 100},{o.gross_cents % 100:02d};"
        f"Bonifico a vostro favore;Rinnovo PEC ordine {o.number};REF-{o.number}\r\n"
        for o in orders
    ]
    return (HEADER + "".join(rows) + extra).encode("cp1252")


def test_a_statement_preview_costs_the_same_for_10_and_100_lines(demo, counted):
    from pec.domain import statements

    ten = statements.parse(statement_paying(orders_to_pay(10)))
    hundred = statements.parse(statement_paying(orders_to_pay(100)))
    with counted() as for_ten:
        planned = statements.plan(ten, demo)
    with counted() as for_hundred:
        planned_100 = statements.plan(hundred, demo)
    assert [d.kind for d in planned.decisions] == ["matched"] * 10
    assert [d.kind for d in planned_100.decisions] == ["matched"] * 100
    # payments already stored under the lines' references, the orders named (with their
    # convention), their lines with their mailboxes
    assert len(for_ten) == len(for_hundred) == 3, str(for_hundred)


# An import registers the lines' payments together, in one transaction
# (payments.register_payments): the payments, their orders' money and status, the
# renewal of their mailboxes, the members' e-mails and the audit records are each written
# for all lines at once, so the import costs the same for 10 lines as for 100. Pinned:
# the convention and the operator, the file's plan (3), the stored references, the money
# added to the orders, the orders with their lines (2), waiting reports, the payments written and read
# back, orders paid, duplicate reports closed, mailboxes and lines renewed, the audit
# records, the orders as changed (2), the e-mails, and the import's own audit record.
QUERIES_TO_IMPORT = 21


def upload_statement(operator, data: bytes) -> str:
    response = operator.post(
        "/operators/statements",
        {"statement": (BytesIO(data), "estratto.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    return response.location


def test_the_statement_pages_of_100_lines_and_their_import(demo, operator, counted):
    operator.login()
    ten_url = upload_statement(operator, statement_paying(orders_to_pay(10)))
    hundred_url = upload_statement(operator, statement_paying(orders_to_pay(100)))
    # the operator, stored payments, orders, their lines
    assert len(queries_of(counted, operator.client, ten_url)) == 4
    assert len(queries_of(counted, operator.client, hundred_url)) == 4
    with counted() as ten:
        assert operator.post(ten_url + "/apply").status_code == 303
    with counted() as hundred:
        assert operator.post(hundred_url + "/apply").status_code == 303
    assert len(ten) == len(hundred) == QUERIES_TO_IMPORT, str(hundred)
    # Shown again after the import: every line done, still a fixed number of queries
    # (+ the paid orders' payments, to tell a second bank line of an order).
    assert len(queries_of(counted, operator.client, hundred_url)) == 5
