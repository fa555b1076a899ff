"""The order e-mails of SPEC §2.9, queued in the transaction that confirms the order."""

from flask import request
from flask_babel import lazy_gettext as _l

from pec.auth.session import current_principal
from pec.domain import audit, clock
from pec.domain import renewal as wizard
from pec.mail import queue_order_email
from pec.models import Order


def _context(order: Order) -> dict:
    account = order.account
    acceptances = sorted(order.acceptances, key=lambda a: a.document_id)
    return dict(
        convention=order.convention,
        account=account,
        lines=wizard.lines_of(order),
        ordered_on=order.confirmed_at.astimezone(clock.ROME).date(),
        documents=[a.document for a in acceptances],
        acceptances=acceptances,
        rome=clock.ROME,
    )


def queue_confirmation(order: Order):
    """ "La presente a conferma dell'ordine di rinnovo N° …": number, amount, how to pay,
    next expiry and the accepted conditions (the order receipt e-commerce law asks for)."""
    return queue_order_email(
        "order_confirmed",
        order,
        subject=_l("Conferma dell'ordine di rinnovo PEC N° %(number)s", number=order.number),
        dedupe_key=f"order-confirmed:{order.id}",
        switched=False,
        **_context(order),
    )


def queue_method_switched(order: Order):
    """The same order, new payment instructions (R4: the number does not change)."""
    return queue_order_email(
        "order_confirmed",
        order,
        subject=_l(
            "Nuove istruzioni di pagamento per l'ordine PEC N° %(number)s", number=order.number
        ),
        switched=True,
        **_context(order),
    )


def _audit(action: str, order: Order) -> None:
    principal = current_principal()
    actor = f"member:{principal.key}" if principal else "member"
    details = {"number": order.number, "method": order.payment_method}
    audit.record(actor, action, order, details, ip=request.remote_addr or "")


def on_confirmed(order: Order) -> None:
    """Inside confirm_order's transaction: the e-mail and the audit trail (R10)."""
    queue_confirmation(order)
    _audit("order.confirmed", order)


def on_method_switched(order: Order) -> None:
    queue_method_switched(order)
    _audit("order.method_switched", order)


def on_cancelled(order: Order) -> None:
    _audit("order.cancelled", order)
