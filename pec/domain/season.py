"""The season at a glance, for the operators' charts: mailboxes expiring in each of the
next twelve months (renewed in advance, ordered, or nothing yet), renewals per week,
money received by payment method, and the renewal rate.

The season is the calendar year of `today` (1 January to today, Europe/Rome). Each
figure is a handful of COUNT/SUM queries on indexed columns or a scan of this season's
paid orders, never a scan of every mailbox.
"""

import datetime as dt
from dataclasses import dataclass

from peewee import JOIN, SQL, fn

from pec.domain import clock
from pec.models import Mailbox, Order, OrderLine, Payment
from pec.vocabulary import OrderStatus, PaymentMethod, PaymentStatus


def season_start(today: dt.date) -> dt.date:
    return dt.date(today.year, 1, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthExpiries:
    """Mailboxes whose term ends in `month` (its first day)."""

    month: dt.date
    paid: int  # renewed in advance: the renewal is paid, the term already extended
    ordered: int  # on an order awaiting payment
    nothing: int  # no order yet (or only a wizard left as a draft)

    @property
    def total(self) -> int:
        return self.paid + self.ordered + self.nothing


def _awaiting_order():
    return fn.EXISTS(
        OrderLine.select(SQL("1"))
        .join(Order)
        .where(
            (OrderLine.open_mailbox == Mailbox.id) & (Order.status == OrderStatus.AWAITING_PAYMENT)
        )
    )


def expiries_by_month(today: dt.date, months: int = 12) -> list[MonthExpiries]:
    """This month and the next ones: how many terms end in each, and how far their
    renewal has got. A paid renewal moves the expiry on (rule R2), so the renewed ones are
    counted by the expiry their order started from."""
    result = []
    for n in range(months):
        first, after = _add_months(today, n), _add_months(today, n + 1)
        in_month = (
            (Mailbox.expires_on >= first)
            & (Mailbox.expires_on < after)
            & Mailbox.ceased_on.is_null()
        )
        ordered = Mailbox.select().where(in_month & _awaiting_order()).count()
        still = Mailbox.select().where(in_month).count()
        paid = (
            OrderLine.select()
            .join(Order)
            .where(
                (Order.status == OrderStatus.PAID)
                & (OrderLine.old_expires_on >= first)
                & (OrderLine.old_expires_on < after)
            )
            .count()
        )
        result.append(MonthExpiries(first, paid=paid, ordered=ordered, nothing=still - ordered))
    return result


@dataclass(frozen=True)
class WeekRenewals:
    monday: dt.date
    renewals: int  # mailboxes whose renewal was paid that week


def renewals_by_week(today: dt.date) -> list[WeekRenewals]:
    """Each week of the season (from the Monday of 1 January's week to this week) with
    the mailboxes renewed in it, by the day the renewal was paid (Europe/Rome)."""
    start = season_start(today)
    first_monday = start - dt.timedelta(days=start.weekday())
    weeks = {
        first_monday + dt.timedelta(weeks=n): 0 for n in range((today - first_monday).days // 7 + 1)
    }
    paid_orders = (
        Order.select(Order.paid_at, fn.COUNT(OrderLine.id).alias("lines"))
        .join(OrderLine, JOIN.INNER)
        .where(
            (Order.status == OrderStatus.PAID)
            & (Order.paid_at >= clock.start_of_day(start))
            & (Order.paid_at < clock.start_of_day(today + dt.timedelta(days=1)))
        )
        .group_by(Order.id, Order.paid_at)
        .objects()
    )
    for order in paid_orders:
        day = order.paid_at.astimezone(clock.ROME).date()
        monday = day - dt.timedelta(days=day.weekday())
        if monday in weeks:
            weeks[monday] += order.lines
    return [WeekRenewals(monday, count) for monday, count in sorted(weeks.items())]


@dataclass(frozen=True)
class MethodMoney:
    method: PaymentMethod
    cents: int
    payments: int


def money_by_method(today: dt.date) -> list[MethodMoney]:
    """Registered payments of the season (by the day the money was paid), by method;
    every method the vocabulary knows, in its order, zeros included."""
    rows = (
        Payment.select(
            Payment.method,
            fn.SUM(Payment.amount_cents).alias("cents"),
            fn.COUNT(Payment.id).alias("n"),
        )
        .where(
            (Payment.status == PaymentStatus.REGISTERED)
            & (Payment.paid_on >= season_start(today))
            & (Payment.paid_on <= today)
        )
        .group_by(Payment.method)
        .objects()
    )
    found = {PaymentMethod(row.method): (int(row.cents or 0), row.n) for row in rows}
    return [MethodMoney(m, *found.get(m, (0, 0))) for m in PaymentMethod]


@dataclass(frozen=True)
class RenewalRate:
    """Of the terms that ended this season before today, how many were renewed."""

    renewed: int  # paid, whenever (in advance, on time or late)
    lapsed: int  # not renewed (deactivated, or ceased)
    in_advance: int  # terms ending later this season, already renewed

    @property
    def due(self) -> int:
        return self.renewed + self.lapsed

    @property
    def percent(self) -> int | None:
        return round(100 * self.renewed / self.due) if self.due else None


def renewal_rate(today: dt.date) -> RenewalRate:
    start = season_start(today)
    paid_lines = OrderLine.select().join(Order).where(Order.status == OrderStatus.PAID)
    renewed = paid_lines.where(
        (OrderLine.old_expires_on >= start) & (OrderLine.old_expires_on < today)
    ).count()
    in_advance = (
        OrderLine.select()
        .join(Order)
        .where(
            (Order.status == OrderStatus.PAID)
            & (OrderLine.old_expires_on >= today)
            & (OrderLine.old_expires_on < dt.date(today.year + 1, 1, 1))
        )
        .count()
    )
    lapsed = (
        Mailbox.select().where((Mailbox.expires_on >= start) & (Mailbox.expires_on < today)).count()
    )
    return RenewalRate(renewed=renewed, lapsed=lapsed, in_advance=in_advance)
