"""A statement import registers its lines together (payments.register_payments): one
transaction of a few queries whatever the number of lines, with every rule of a
registration one at a time (R2, R12, R13), and no line lost when one fails."""

import datetime as dt
import threading

import pytest
from peewee import OperationalError

from pec.database import db
from pec.domain import clock, invoices, statements
from pec.domain import payments as pay
from pec.domain.renewal import new_order_number
from pec.member_mail import MemberMail
from pec.models import Invoice, InvoiceCounter, Mailbox, Order, OutboxMessage, Payment
from tests.conftest import ON_BOTH_DATABASES, make_app
from tests.domain.test_invoices import PERSON, paid_order, seller_convention
from tests.factories import make_account, make_convention, make_mailbox, make_order
from tests.factories import pay as pay_by_hand
from tests.notices import RecordingNotices
from tests.test_postgres import pg_url  # noqa: F401  (fixture)

TODAY = dt.date(2026, 3, 10)
HEADER = "Data contabile;Data valuta;Importo;Causale;Descrizione;Riferimento\r\n"


@pytest.fixture
def pg_app(tmp_path, pg_url):  # noqa: F811
    return make_app(tmp_path, PEC_DATABASE_URL=pg_url)


def line(order: Order, reference: str, cents: int | None = None) -> str:
    """A bank CSV credit naming `order` (its whole amount unless `cents` says otherwise)."""
    cents = order.gross_cents if cents is None else cents
    return (
        f"09/03/2026;09/03/2026;{cents // 100},{cents % 100:02d};Bonifico a vostro favore;"
        f"Rinnovo PEC ordine {order.number};{reference}\r\n"
    )


def statement(*lines: str) -> statements.Statement:
    return statements.parse((HEADER + "".join(lines)).encode("cp1252"))


def orders_of_members(convention, count: int) -> list[Order]:
    """`count` orders awaiting payment, each of another member, each for one mailbox."""
    return [
        make_order(
            [make_mailbox(make_account(convention), expires_in=20)], number=new_order_number()
        )
        for _ in range(count)
    ]


def apply(parsed, today, notices=None):
    return statements.apply(
        parsed, today=today, actor="test", notices=notices or MemberMail(), filename="f"
    )


@ON_BOTH_DATABASES
def test_a_statement_numbers_its_invoices_consecutively_in_line_order(ctx, today):
    """R13: orders paid by one import take the next numbers, no gap, in the order of the
    file's lines (not of the orders' ids), as registering the lines one at a time does."""
    convention = seller_convention()
    earlier = paid_order(convention, PERSON)  # 1/2026, registered by hand before
    first, second, third, fourth = orders_of_members(convention, 4)
    in_file = [third, first, fourth, second]
    apply(statement(*(line(o, f"REF-{i}") for i, o in enumerate(in_file))), today)
    assert invoices.order_invoice(earlier).number == 1
    assert [invoices.order_invoice(o).label for o in in_file] == [
        "2/2026",
        "3/2026",
        "4/2026",
        "5/2026",
    ]
    assert InvoiceCounter.get_by_id(2026).last_number == 5
    courtesy = OutboxMessage.select().where(OutboxMessage.kind == "invoice_issued")
    assert [m.order_id for m in courtesy.order_by(OutboxMessage.id)] == [
        earlier.id,
        *(o.id for o in in_file),
    ]


@ON_BOTH_DATABASES
def test_a_batch_locks_the_invoice_counter_last_as_a_single_payment_does(ctx, today, monkeypatch):
    """A file paying one order twice is registered in two rounds. The invoices are issued
    after both, so the counter is the last row the batch locks, as for a single payment
    (its order, then the counter): a batch holding the counter while it waited for an
    order a webhook's payment holds, that payment waiting for the counter, would be a
    deadlock on PostgreSQL."""
    first, second, third = orders_of_members(seller_convention(), 3)
    statements_run = []
    execute = db.obj.execute_sql

    def recording(sql, *args, **kwargs):
        statements_run.append(sql)
        return execute(sql, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", recording)
    preview = apply(
        statement(
            line(first, "R1", 400),
            line(second, "R2"),
            line(first, "R3", first.gross_cents - 400),
            line(third, "R4"),
        ),
        today,
    )
    monkeypatch.undo()
    assert [d.outcome for d in preview.decisions] == ["partial", "applied", "applied", "applied"]
    orders_locked = [i for i, sql in enumerate(statements_run) if sql.startswith('UPDATE "order"')]
    counter = [i for i, sql in enumerate(statements_run) if '"invoice_counter"' in sql]
    assert len(orders_locked) >= 2 and counter  # two rounds, and invoices
    assert max(orders_locked) < min(counter)
    # numbered in the order of the payments that paid them
    assert [invoices.order_invoice(o).number for o in (second, first, third)] == [1, 2, 3]


@ON_BOTH_DATABASES
def test_a_line_that_fails_otherwise_stops_only_itself_and_after(ctx, today, monkeypatch):
    """Any other error in a batch (here one member's e-mail failing to render) rolls the
    batch back and the lines are registered one by one: the lines before the failing one
    are kept, and the error is the operator's to see."""
    first, failing, third = orders_of_members(make_convention(), 3)
    written = MemberMail.renewal_applied

    def renewal_applied(self, order, renewed):
        if order.id == failing.id:
            raise ValueError("a template error")
        return written(self, order, renewed)

    monkeypatch.setattr(MemberMail, "renewal_applied", renewal_applied)
    with pytest.raises(ValueError):
        apply(
            statement(*(line(o, f"REF-{i}") for i, o in enumerate((first, failing, third)))), today
        )
    assert [Order.get_by_id(o.id).status for o in (first, failing, third)] == [
        "paid",
        "awaiting_payment",
        "awaiting_payment",
    ]
    assert OutboxMessage.select().where(OutboxMessage.kind == "renewal_applied").count() == 1


@ON_BOTH_DATABASES
def test_each_member_gets_one_email_per_payment_of_a_statement(ctx, today):
    """One e-mail per payment, as one at a time: the renewal applied, what is missing
    (R12), or money to refund; two lines of one order add up (R12) and the renewal counts
    from the old expiry (R2). Importing the file again sends nothing."""
    full, partial, in_two, twice = orders_of_members(make_convention(), 4)
    expiry = {o.id: o.lines[0].mailbox.expires_on for o in (full, in_two, twice)}
    parsed = statement(
        line(full, "REF-1"),
        line(partial, "REF-2", 400),
        line(in_two, "REF-3", 400),
        line(twice, "REF-4"),
        line(in_two, "REF-5", 88),
        line(twice, "REF-6"),  # paid twice: the second is money to refund
    )
    preview = apply(parsed, today)
    assert [d.outcome for d in preview.decisions] == [
        "applied",
        "partial",
        "partial",
        "applied",
        "applied",
        "not_payable",
    ]
    mails = list(OutboxMessage.select().order_by(OutboxMessage.id))
    by_order = {o.id: [] for o in (full, partial, in_two, twice)}
    for mail in mails:
        by_order[mail.order_id].append(mail.kind)
        assert mail.to_address == Order.get_by_id(mail.order_id).account.reference_email
    assert by_order == {
        full.id: ["renewal_applied"],
        partial.id: ["payment_received"],
        in_two.id: ["payment_received", "renewal_applied"],
        twice.id: ["renewal_applied", "payment_received"],
    }
    missing = next(m for m in mails if m.order_id == in_two.id)
    assert "mancano 0,88" in missing.body_text.replace("\xa0", " ")
    for order in (full, in_two, twice):
        box = Mailbox.get_by_id(order.lines[0].mailbox_id)
        assert box.expires_on == expiry[order.id].replace(year=expiry[order.id].year + 3)
    assert Order.get_by_id(in_two.id).received_cents == 488
    assert Order.get_by_id(twice.id).received_cents == 976

    again = apply(parsed, today)
    assert {d.kind for d in again.decisions} == {statements.DONE}
    assert OutboxMessage.select().count() == len(mails)


def test_a_payment_whose_reference_another_order_holds_loses_no_other(ctx, today):
    """The one line that cannot be registered is answered as alone; the others are."""
    first, taken, third, other = orders_of_members(make_convention(), 4)
    pay_by_hand(other, reference="CRO-1", provider="statement", today=today)

    def money(order, reference):
        return pay.money(
            order,
            amount_cents=order.gross_cents,
            method="bank_transfer",
            provider="statement",
            reference=reference,
            today=today,
        )

    outcomes = pay.register_payments(
        [money(first, "CRO-0"), money(taken, "CRO-1"), money(third, "CRO-2")],
        today=today,
        actor="test",
        notices=RecordingNotices(),
    )
    assert [o.code for o in outcomes] == ["applied", "duplicate_reference", "applied"]
    assert [Order.get_by_id(o.id).status for o in (first, taken, third)] == [
        "paid",
        "awaiting_payment",
        "paid",
    ]
    assert not Payment.select().where(Payment.order == taken).exists()


@ON_BOTH_DATABASES
def test_a_batch_that_fails_midway_registers_every_line_on_its_own(ctx, today, monkeypatch):
    """A concurrent registration writes the reference of the file's second line between
    the batch's read and its write: the batch's INSERT fails and rolls back, and each line
    is then registered in a transaction of its own; none is lost."""
    first, second, third, other = orders_of_members(make_convention(), 4)
    read = pay._payments_named
    raced = []

    def racing(keys):
        found = read(keys)
        if not raced:
            raced.append(list(keys))
            provider, reference = raced[0][1]
            Payment.create(
                order=other,
                method="bank_transfer",
                provider=provider,
                reference=reference,
                amount_cents=1,
                status="reported",
            )
        return found

    monkeypatch.setattr(pay, "_payments_named", racing)
    preview = apply(
        statement(line(first, "REF-1"), line(second, "REF-2"), line(third, "REF-3")), today
    )
    assert len(raced[0]) == 3  # the three lines were read as one batch
    assert [d.outcome for d in preview.decisions] == ["applied"] * 3
    for order in (first, second, third):
        assert Order.get_by_id(order.id).status == "paid"
        assert Payment.get(Payment.order == order).status == "registered"
    # The raced row went with the batch's rollback; each member was told once.
    assert not Payment.select().where(Payment.order == other).exists()
    assert OutboxMessage.select().where(OutboxMessage.kind == "renewal_applied").count() == 3


@ON_BOTH_DATABASES
def test_a_batch_the_database_stops_registers_every_line_on_its_own(ctx, today, monkeypatch):
    """The database stops the batch's transaction (on PostgreSQL, a deadlock with another
    import that locks the same orders): each line is then registered on its own."""
    orders = orders_of_members(make_convention(), 3)
    mark_paid = pay._mark_paid
    calls = []

    def stopped_once(order_ids, now):
        calls.append(list(order_ids))
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return mark_paid(order_ids, now)

    monkeypatch.setattr(pay, "_mark_paid", stopped_once)
    preview = apply(statement(*(line(o, f"REF-{i}") for i, o in enumerate(orders))), today)
    assert len(calls[0]) == 3 and [len(c) for c in calls[1:]] == [1, 1, 1]
    assert [d.outcome for d in preview.decisions] == ["applied"] * 3
    assert all(Order.get_by_id(o.id).status == "paid" for o in orders)
    assert OutboxMessage.select().where(OutboxMessage.kind == "renewal_applied").count() == 3


def test_a_single_payment_the_database_stops_is_its_callers_error(ctx, today, monkeypatch):
    (order,) = orders_of_members(make_convention(), 1)

    def stopped(order_ids, now):
        raise OperationalError("database is locked")

    monkeypatch.setattr(pay, "_mark_paid", stopped)
    with pytest.raises(OperationalError):
        apply(statement(line(order, "REF-1")), today)
    assert Order.get_by_id(order.id).status == "awaiting_payment"


@pytest.mark.postgres
def test_the_same_statement_imported_from_four_threads_registers_each_line_once(pg_app):
    """PostgreSQL runs writers at once: the batches race on the orders' money and the
    payments' unique key; the losers fall back line by line and find every line done."""
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            with pg_app.app_context(), db.connection_context():
                barrier.wait()
                apply(data, TODAY)
        except Exception as error:  # shown by the assertion below
            errors.append(error)

    # The clock is frozen here, for every thread: it is one setting of the process, and
    # threads freezing it in turn would leave it frozen for the tests after this one.
    with clock.frozen(TODAY):
        with db.connection_context():
            paying = orders_of_members(seller_convention(), 6)
            data = statement(*(line(o, f"REF-{i}") for i, o in enumerate(paying)))
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    with db.connection_context():
        for order in paying:
            assert Order.get_by_id(order.id).received_cents == order.gross_cents
            assert Payment.select().where(Payment.order == order).count() == 1
        kinds = [m.kind for m in OutboxMessage.select()]
        assert sorted(kinds) == ["invoice_issued"] * 6 + ["renewal_applied"] * 6
        numbers = sorted(i.number for i in Invoice.select())
        assert numbers == [1, 2, 3, 4, 5, 6]
