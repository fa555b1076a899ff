"""register_payment's exactly-once on PostgreSQL, where writers really run concurrently
(no SQLite write lock): the unique payment key and the order's compare-and-set decide."""

import datetime as dt

import pytest

from pec.database import db
from pec.domain import clock
from pec.models import (
    GatewayEvent,
    Mailbox,
    Order,
    OutboxMessage,
    Payment,
)
from tests.conftest import make_app
from tests.domain.test_invoices import race_invoice_numbers
from tests.domain.test_money_received import race_partial_payments, race_replayed_payments
from tests.factories import make_account, make_convention, make_mailbox, make_order
from tests.test_gateway import (
    demo_notification,
    post_demo,
    run_in_threads,
    ten_events_for_one_checkout_register_it_once,
)
from tests.test_postgres import pg_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_order(tmp_path, pg_url):  # noqa: F811
    app = make_app(tmp_path, PEC_DATABASE_URL=pg_url)
    with clock.frozen(dt.date(2026, 3, 10)), db.connection_context():
        box = make_mailbox(make_account(make_convention()), expires_in=5)
        order = make_order([box], method="card")
    with clock.frozen(dt.date(2026, 3, 10)):
        yield app, box, order


def test_the_same_notification_from_ten_threads_extends_once_on_postgres(pg_order):
    app, box, order = pg_order
    body, headers = demo_notification(app, order)
    answers = run_in_threads(app, 10, lambda client, n: post_demo(client, body, headers))
    assert sorted(answers) == [(200, "applied")] + [(200, "duplicate_event")] * 9
    with db.connection_context():
        assert Mailbox.get_by_id(box.id).expires_on == dt.date(2029, 3, 15)
        assert GatewayEvent.select().count() == 1
        assert OutboxMessage.select().count() == 1


def test_ten_different_payments_at_once_apply_one_on_postgres(pg_order):
    app, box, order = pg_order
    notes = [demo_notification(app, order, session=f"demo_cs_{n}") for n in range(10)]
    answers = run_in_threads(app, 10, lambda client, n: post_demo(client, *notes[n]))
    assert sorted(answers) == [(200, "applied")] + [(200, "not_payable")] * 9
    with db.connection_context():
        assert Mailbox.get_by_id(box.id).expires_on == dt.date(2029, 3, 15)
        # R12: the nine others are money received too, to refund.
        assert Payment.select().where(Payment.status == "registered").count() == 10
        assert Order.get_by_id(order.id).received_cents == 4880


def test_two_events_for_one_checkout_at_once_register_it_once_on_postgres(pg_order):
    """E.g. Stripe's completed and async-succeeded events for the same session racing."""
    app, box, order = pg_order
    ten_events_for_one_checkout_register_it_once(app, box, order)


@pytest.fixture
def pg_app(tmp_path, pg_url):  # noqa: F811
    return make_app(tmp_path, PEC_DATABASE_URL=pg_url)


def test_partial_payments_racing_apply_the_renewal_once_on_postgres(pg_app):
    race_partial_payments(pg_app)


def test_replayed_partial_payments_racing_count_once_on_postgres(pg_app):
    race_replayed_payments(pg_app)


def test_concurrent_registrations_never_share_or_skip_an_invoice_number_on_postgres(pg_app):
    race_invoice_numbers(pg_app, threads=12)
