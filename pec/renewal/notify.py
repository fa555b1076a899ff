"""The order e-mails of SPEC §2.9, queued in the transaction that confirms the order."""

from flask_babel import lazy_gettext as _l

from pec.domain import clock
from pec.domain import renewal as wizard
from pec.mail import queue_email
from pec.models import Order


def _context(order: Order) -> dict:
    account = order.account
    acceptances = sorted(order.acceptances, key=lambda a: a.document_id)
    return dict(
        order=order,
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
    account = order.account
    return queue_email(
        "order_confirmed",
        to=account.reference_email,
        language=order.language,
        subject=_l("Conferma dell'ordine di rinnovo PEC N° %(number)s", number=order.number),
        dedupe_key=f"order-confirmed:{order.id}",
        links={"account": account, "order": order},
        switched=False,
        **_context(order),
    )


def queue_method_switched(order: Order):
    """The same order, new payment instructions (R4: the number does not change)."""
    account = order.account
    return queue_email(
        "order_confirmed",
        to=account.reference_email,
        language=order.language,
        subject=_l(
            "Nuove istruzioni di pagamento per l'ordine PEC N° %(number)s", number=order.number
        ),
        links={"account": account, "order": order},
        switched=True,
        **_context(order),
    )
