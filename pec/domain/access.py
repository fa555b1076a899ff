"""Who may see an order: the one rule behind the wizard, the payment pages and the links
of "Gestione PEC" (anything else is answered 404, as if the order did not exist).

An account login sees every order of its account. A PEC-address login acts for that one
mailbox (rule R4: it renews that mailbox alone), so it sees the orders whose every line
is its own mailbox; an order that also renews another mailbox of the account is the
account holder's, not this login's.
"""

from collections.abc import Iterable

from pec.database import Prepared, Slot
from pec.domain.accounts import CONVENTION_WITHOUT_LOGO, Principal
from pec.models import Account, Convention, Order, OrderLine
from pec.vocabulary import OrderStatus


def _mailbox_ids(order_ids: list[int]) -> dict[int, set[int]]:
    """order id → the mailboxes it renews, in one query."""
    found: dict[int, set[int]] = {order_id: set() for order_id in order_ids}
    if order_ids:
        lines = OrderLine.select(OrderLine.order, OrderLine.mailbox).where(
            OrderLine.order.in_(order_ids)
        )
        for line in lines:
            found[line.order_id].add(line.mailbox_id)
    return found


# An order with its account and convention: every page about an order shows them.
_ORDER_WITH_HOLDER = Prepared(
    lambda: (
        Order.select(Order, Account, *CONVENTION_WITHOUT_LOGO)
        .join_from(Order, Account)
        .join_from(Order, Convention)
        .where(Order.id == Slot("id"))
    )
)
# The order alone, for a login whose account and convention came with the session check.
_ORDER = Prepared(lambda: Order.select(Order).where(Order.id == Slot("id")))


def may_see(principal: Principal, order: Order) -> bool:
    """Whether this login may see `order`."""
    return order.id in visible_order_ids(principal, [order])


def visible_order_ids(principal: Principal, orders: Iterable[Order]) -> set[int]:
    """The ids of the `orders` this login may see (at most one query, for the lines)."""
    orders = list(orders)
    if principal.kind == "account":
        return {o.id for o in orders if o.account_id == principal.id}
    renews = _mailbox_ids(sorted({o.id for o in orders}))
    return {o.id for o in orders if renews[o.id] == {principal.id}}


def visible_order(principal: Principal, order_id: int) -> Order | None:
    """The order if this login may see it, else None (the caller answers 404)."""
    order = _with_holder(principal, order_id)
    if order is None or not may_see(principal, order):
        return None
    return order


def _with_holder(principal: Principal, order_id: int) -> Order | None:
    """The order with its account and convention. When they are the login's own (the
    usual case), the login's rows, read by the session check, are used again instead of
    being read a second time with the order (some sixty columns)."""
    account = principal.account() if principal.loaded_row is not None else None
    if account is None:
        return _ORDER_WITH_HOLDER.first(id=order_id)
    order = _ORDER.first(id=order_id)
    if order is None:
        return None
    if (order.account_id, order.convention_id) != (account.id, account.convention_id):
        return _ORDER_WITH_HOLDER.first(id=order_id)
    order.account, order.convention = account, account.convention
    return order


def visible_orders(principal: Principal) -> list[Order]:
    """Every order this login may see ("I miei ordini"), newest first: the confirmed
    ones and a draft still open; a discarded draft was never an order for the member."""
    shown = Order.number.is_null(False) | (Order.status == OrderStatus.DRAFT)
    if principal.kind == "account":
        query = Order.select().where((Order.account == principal.id) & shown)
    else:
        mine = OrderLine.select(OrderLine.order).where(OrderLine.mailbox == principal.id)
        query = Order.select().where(Order.id.in_(mine) & shown)
    orders = list(query.order_by(Order.created_at.desc(), Order.id.desc()))
    visible = visible_order_ids(principal, orders)
    return [o for o in orders if o.id in visible]
