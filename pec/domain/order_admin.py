"""Operators' actions on orders: find them, reject a member's payment report. Money is
registered only through pec.domain.payments; cancelling is pec.domain.renewal's.
"""

from dataclasses import dataclass

from peewee import SQL

from pec.database import write_transaction
from pec.domain import audit
from pec.domain.balance import partially_paid_condition, to_refund_condition
from pec.domain.notices import Notices
from pec.domain.payments import pending_report
from pec.models import (
    Account,
    Mailbox,
    Order,
    OrderLine,
    Payment,
)
from pec.vocabulary import OrderStatus, PaymentStatus

# The operators' ready-made views of the orders list.
VIEW_AWAITING = "awaiting"  # awaiting payment
VIEW_REPORTED = "reported"  # a member declared a transfer or slip: register or reject it
VIEW_PARTIAL = "partial"  # part of the money arrived: the member was asked for the rest
VIEW_TO_REFUND = "to_refund"  # money received and not applied (R12): refund or accept it
VIEWS = (VIEW_AWAITING, VIEW_REPORTED, VIEW_PARTIAL, VIEW_TO_REFUND)


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    method: str = ""
    number: str = ""
    holder: str = ""  # name, fiscal code, login, reference e-mail or PEC address
    view: str = ""


def _with_payment(status: str):
    return Order.id.in_(Payment.select(Payment.order).where(Payment.status == status))


def search_orders(filters: OrderFilters):
    """Confirmed orders (drafts have no number), newest first, narrowed by `filters`;
    the money-to-refund view also lists a draft that somehow received money."""
    confirmed = Order.number.is_null(False)
    if filters.view == VIEW_TO_REFUND:
        confirmed = SQL("1 = 1")
    query = Order.select().where(confirmed).order_by(Order.id.desc())
    if filters.status:
        query = query.where(Order.status == filters.status)
    if filters.method:
        query = query.where(Order.payment_method == filters.method)
    if filters.number:
        query = query.where(Order.number.startswith(filters.number.strip().upper()))
    if filters.holder:
        text = filters.holder.strip()
        accounts = Account.select(Account.id).where(
            Account.login.contains(text)
            | Account.reference_email.contains(text)
            | Account.fiscal_code.contains(text.upper())
            | Account.last_name.contains(text)
            | Account.first_name.contains(text)
            | Account.company_name.contains(text)
        )
        boxes = (
            OrderLine.select(OrderLine.order)
            .join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
            .where(Mailbox.address.contains(text.lower()))
        )
        query = query.where(Order.account.in_(accounts) | Order.id.in_(boxes))
    if filters.view == VIEW_AWAITING:
        query = query.where(Order.status == OrderStatus.AWAITING_PAYMENT)
    elif filters.view == VIEW_REPORTED:
        query = query.where(_with_payment(PaymentStatus.REPORTED))
    elif filters.view == VIEW_PARTIAL:
        query = query.where(partially_paid_condition())
    elif filters.view == VIEW_TO_REFUND:
        query = query.where(to_refund_condition())
    return query


def default_reference(order: Order) -> str:
    """What the register form proposes: the CRO/TRN or slip number the member reported."""
    report = pending_report(order)
    return report.reference or "" if report is not None else ""


# --- Rejecting a member's report ------------------------------------------------------------

REPORT_REJECTED = "rejected"
NOT_A_REPORT = "not_a_report"  # registered, rejected or decided by another operator first


def reject_report(
    payment: Payment,
    reason: str,
    *,
    actor: str,
    notices: Notices,
    ip: str = "",
) -> str:
    """Close a member's report that matches no money received, with the reason (the
    member is told, in this transaction). The order stays awaiting payment; the R5
    declared-payment hold ends with the report."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a rejection needs a reason")
    with write_transaction():
        changed = (
            Payment.update(status=PaymentStatus.REJECTED, rejection_reason=reason)
            .where((Payment.id == payment.id) & (Payment.status == PaymentStatus.REPORTED))
            .execute()
        )
        if changed != 1:
            return NOT_A_REPORT
        rejected = Payment.get_by_id(payment.id)
        audit.record(
            actor,
            "payment.report_rejected",
            rejected.order,
            {
                "payment_id": rejected.id,
                "order_number": rejected.order.number,
                "reference": rejected.reference,
                "amount_cents": rejected.amount_cents,
                "paid_on": rejected.paid_on.isoformat() if rejected.paid_on else None,
                "reason": reason,
            },
            ip=ip,
        )
        notices.payment_rejected(rejected)
        return REPORT_REJECTED
