"""Rows of the prepared page queries built as peewee builds them (pec.model_rows).

The whole suite runs with `model_rows.CHECK` on, so every page any test shows compares
each row built here with peewee's; these tests pin the cases a page may not reach (an
outer join with nothing on the other side, every kind of column) and that the check
itself fails on a difference.
"""

import datetime as dt

import pytest
from peewee import JOIN

from pec import model_rows
from pec.database import Prepared, Slot, db
from pec.models import Account, Convention, Mailbox, Order, OrderLine
from pec.vocabulary import OrderStatus, PaymentMethod
from tests.factories import make_account, make_mailbox, make_order


def built_twice(prepared: Prepared, **values) -> list:
    """The rows from peewee (first run), then from pec.model_rows (checked against
    peewee's), which must be the builder in use."""
    first = prepared(**values)
    again = prepared(**values)
    assert prepared._builders, "pec.model_rows did not take this query"
    assert [row.__data__ for row in again] == [row.__data__ for row in first]
    return again


@pytest.fixture
def order(ctx):
    with db.connection_context():
        account = make_account(person_type="company", company_name="Studio Rossi")
        boxes = [make_mailbox(account, expires_in=days) for days in (5, 400)]
        boxes[1].deactivated_on = dt.date(2026, 1, 1)
        boxes[1].save()
        yield make_order(boxes, method="prefilled_slip", billing={"vat_number": "01234567890"})


def test_a_model_with_every_kind_of_column(order):
    prepared = Prepared(lambda: Order.select().where(Order.id == Slot("id")))
    (row,) = built_twice(prepared, id=order.id)
    assert row.status is OrderStatus.AWAITING_PAYMENT  # an enum member, not its text
    assert row.payment_method is PaymentMethod.PREFILLED_SLIP
    assert row.billing == {"vat_number": "01234567890"}  # JSON
    assert row.confirmed_at.tzinfo is dt.UTC  # an aware datetime
    assert row.paid_at is None
    assert row.account_id == order.account_id and row._dirty == set()


def test_joined_models_and_an_outer_join_with_nothing_on_the_other_side(order):
    prepared = Prepared(
        lambda: (
            OrderLine.select(OrderLine, Mailbox, Order, Account, Convention)
            .join_from(OrderLine, Mailbox, JOIN.LEFT_OUTER, on=OrderLine.open_mailbox)
            .join_from(OrderLine, Order)
            .join_from(Order, Account)
            .join_from(Account, Convention)
            .where(OrderLine.order == Slot("order"))
            .order_by(OrderLine.id)
        )
    )
    OrderLine.update(open_mailbox=None).where(OrderLine.id == order.lines[0].id).execute()
    closed, still_open = built_twice(prepared, order=order.id)
    assert closed.__rel__["open_mailbox"] is None and closed.open_mailbox_id is None
    assert still_open.open_mailbox.expires_on == still_open.old_expires_on
    assert still_open.open_mailbox.deactivated_on == dt.date(2026, 1, 1)
    assert still_open.order.account.convention.name == "Ordine di prova"
    assert still_open.order.account.company_name == "Studio Rossi"


def test_a_select_into_dicts_or_tuples_is_left_to_peewee(order):
    for rows in (lambda q: q.dicts(), lambda q: q.tuples()):
        prepared = Prepared(lambda rows=rows: rows(Order.select().where(Order.id == Slot("id"))))
        prepared(id=order.id)
        assert prepared(id=order.id)[0] is not None
        assert not prepared._builders


def test_a_row_built_unlike_peewees_is_an_error(order):
    query = Mailbox.select().where(Mailbox.account == order.account_id).order_by(Mailbox.id)
    cursor = db.execute_sql(*query.sql())
    rows, description = cursor.fetchall(), cursor.description
    build = model_rows.builder(_initialized(query))
    assert [box.address for box in model_rows.checked(build, query, description)(rows)] == [
        box.address for box in query
    ]

    def wrong(rows):
        built = build(rows)
        built[1].__data__["expires_on"] += dt.timedelta(days=1)
        return built

    with pytest.raises(AssertionError, match=r"row\.__data__"):
        model_rows.checked(wrong, query, description)(rows)


def _initialized(query):
    wrapper = query._get_cursor_wrapper(db.execute_sql(*query.sql()))
    list(wrapper)
    return wrapper


def test_an_enum_read_without_its_converter_is_left_to_peewee(order):
    """peewee's enum descriptor turns the text into the member on assignment: stored as
    read, it would stay text."""
    prepared = Prepared(
        lambda: Order.select(Order.id, Order.status.coerce(False)).where(Order.id == Slot("id"))
    )
    prepared(id=order.id)
    (row,) = prepared(id=order.id)
    assert not prepared._builders
    assert row.status is OrderStatus.AWAITING_PAYMENT


def test_a_value_equal_but_of_another_type_is_an_error(order):
    """A StrEnum member equals its text: the check compares types too."""
    query = Order.select().where(Order.id == order.id)
    cursor = db.execute_sql(*query.sql())
    rows, description = cursor.fetchall(), cursor.description
    build = model_rows.builder(_initialized(query))

    def as_text(rows):
        built = build(rows)
        built[0].__data__["status"] = str(built[0].__data__["status"])
        return built

    with pytest.raises(AssertionError, match=r"row\.status: 'awaiting_payment' is not"):
        model_rows.checked(as_text, query, description)(rows)


def test_only_integer_and_text_columns_skip_their_converter():
    """A column whose converter is peewee's integer or text one is stored as the database
    gave it, when it gave that type (or NULL); every other converter still runs: dates,
    enums, JSON, aware datetimes, and any field class with a python_value or adapt of
    its own."""
    from peewee import CharField, DateField, IntegerField

    from pec.models import UtcDateTimeField

    class Padded(IntegerField):
        def adapt(self, value):
            return int(value) + 1

    class Shouting(CharField):
        def python_value(self, value):
            return value.upper()

    kept = model_rows._kept_types
    assert kept(Mailbox.id.python_value) == {int, type(None)}
    assert kept(Mailbox.account.python_value) == {int, type(None)}  # a foreign key's id
    assert kept(Mailbox.address.python_value) == {str, type(None)}
    for field in (
        Mailbox.expires_on,
        Mailbox.created_at,
        Order.status,
        Order.billing,
        Padded(),
        Shouting(),
        DateField(),
        UtcDateTimeField(),
    ):
        assert kept(field.python_value) == frozenset(), field
