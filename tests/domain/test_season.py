"""The season's figures behind the operators' charts."""

import datetime as dt

from pec.domain import clock, season
from pec.models import Mailbox, Order
from tests import factories
from tests.factories import make_account, make_mailbox, make_order


def pay(order, today, amount=None, method="bank_transfer", reference=None):
    return factories.pay(
        order,
        amount,
        reference=reference or f"REF-{order.id}",
        today=today,
        method=method,
        paid_on=today,
    )


def test_expiring_mailboxes_per_month_by_how_far_their_renewal_got(app, today):
    account = make_account()
    nothing = make_mailbox(account, expires_in=5)  # 15/03/2026
    ordered = make_mailbox(account, expires_in=10)
    early = make_mailbox(account, expires_in=40)  # 19/04/2026, renewed in advance
    make_mailbox(account, expires_in=400)  # beyond the twelve months
    make_order([ordered])
    pay(make_order([early]), today)
    months = season.expiries_by_month(today)
    assert [m.month for m in months][:2] == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    assert len(months) == 12 and months[-1].month == dt.date(2027, 2, 1)
    assert (months[0].paid, months[0].ordered, months[0].nothing) == (0, 1, 1)
    assert (months[1].paid, months[1].ordered, months[1].nothing) == (1, 0, 0)
    assert sum(m.total for m in months) == 3
    assert nothing.expires_on.month == 3


def test_renewals_per_week_and_money_by_method(app, today):
    account = make_account()
    boxes = [make_mailbox(account, expires_in=20 + n) for n in range(3)]
    pay(make_order(boxes[:2]), today)  # a Tuesday: the week of Monday 9 March
    with clock.frozen(dt.date(2026, 1, 2)):
        pay(make_order(boxes[2:], method="card"), dt.date(2026, 1, 2), method="card")
    weeks = season.renewals_by_week(today)
    assert weeks[0].monday == dt.date(2025, 12, 29)  # the week of 1 January
    assert weeks[-1].monday == dt.date(2026, 3, 9)
    by_week = {w.monday: w.renewals for w in weeks}
    assert by_week[dt.date(2026, 3, 9)] == 2 and by_week[dt.date(2025, 12, 29)] == 1
    assert sum(by_week.values()) == 3
    money = {m.method: (m.cents, m.payments) for m in season.money_by_method(today)}
    assert money["bank_transfer"] == (976, 1) and money["card"] == (488, 1)
    assert money["paypal"] == (0, 0)


def test_the_renewal_rate_counts_terms_that_ended_this_season(app, today):
    account = make_account()
    renewed_late = make_mailbox(account, expires_in=-10, deactivated_on=today)
    make_mailbox(account, expires_in=-20)  # lapsed
    make_mailbox(account, expires_in=-80)  # last year: not this season
    in_advance = make_mailbox(account, expires_in=30)
    pay(make_order([renewed_late]), today)
    pay(make_order([in_advance]), today)
    rate = season.renewal_rate(today)
    assert (rate.renewed, rate.lapsed, rate.in_advance) == (1, 1, 1)
    assert rate.percent == 50
    assert Mailbox.get_by_id(renewed_late.id).expires_on.year == 2029
    assert Order.select().count() == 2
