"""Paying an order: online checkout, reported transfers/slips, prefilled slip, receipt.

Every page shows one order the member may see (others' are 404). Nothing here registers
money: that is pec.domain.payments.register_payment, reached from a verified gateway
notification (webhooks.py) or by an operator.
"""

import logging

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from pec.auth.session import current_principal, member_required
from pec.domain import access, clock
from pec.domain import payments as domain
from pec.domain.balance import balance
from pec.domain.renewal import lines_of
from pec.labels import COUNTRY_LABEL
from pec.language import current_language
from pec.language import lazy_gettext as _l
from pec.links import pay_endpoint
from pec.models import (
    Invoice,
    Order,
    Payment,
)
from pec.payments.forms import ReportForm
from pec.payments.gateways import GatewayUnavailable, current_gateway
from pec.payments.words import euro_in_words
from pec.rendering import render_page
from pec.vocabulary import InvoiceKind, OrderStatus, PaymentStatus

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__, url_prefix="/payments")

BILLING_LABELS = (
    ("company_name", _l("Ragione sociale")),
    ("first_name", _l("Nome")),
    ("last_name", _l("Cognome")),
    ("fiscal_code", _l("Codice Fiscale")),
    ("vat_number", _l("Partita IVA")),
    ("address", _l("Indirizzo")),
    ("postal_code", _l("CAP")),
    ("city", _l("Comune")),
    ("province", _l("Provincia")),
    ("country", COUNTRY_LABEL),
    ("einvoice_recipient", _l("Codice destinatario o PEC per la fattura")),
    ("email", _l("Email")),
)


def _order_or_404(order_id: int) -> Order:
    """An order this login may see, once confirmed (a draft is still the wizard's)."""
    order = access.visible_order(current_principal(), order_id)
    if order is None or order.status == OrderStatus.DRAFT:
        abort(404)
    return order


def _actor() -> str:
    return f"member:{current_principal().key}"


def pay_url(order: Order) -> str:
    """The page where this order's chosen method is paid or reported."""
    return url_for(pay_endpoint(order.payment_method), order_id=order.id)


def _elsewhere(order: Order, ceased=()):
    """A paid order goes to its receipt; a cancelled one, or one renewing a ceased
    mailbox (R6), says it cannot be paid."""
    if order.status == OrderStatus.PAID:
        return redirect(url_for("payments.receipt", order_id=order.id), 303)
    return render_page("payments/not_payable.html", order=order, ceased=ceased, status=409)


@bp.app_template_global()
def order_pay_url(order) -> str:
    return pay_url(order)


@bp.route("/<int:order_id>/checkout", methods=["GET", "POST"])
@member_required
def checkout(order_id: int):
    """Card / PayPal: start the gateway's hosted payment for the order."""
    order = _order_or_404(order_id)
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return _elsewhere(order)
    if not order.payment_method.is_online:
        return redirect(pay_url(order), 303)
    lines = lines_of(order)
    ceased = domain.ceased_on_order(order, clock.today(), lines)
    if ceased:
        return _elsewhere(order, ceased)
    form = FlaskForm()
    if form.validate_on_submit():
        gateway = current_gateway()
        try:
            attempt = domain.start_attempt(
                order, provider=gateway.name, actor=_actor(), today=clock.today()
            )
        except domain.NotPayable:
            return redirect(url_for("payments.checkout", order_id=order.id), 303)
        try:  # the network call, outside any transaction
            session = gateway.start_checkout(
                order,
                attempt,
                return_url=url_for("payments.returned", order_id=order.id),
                cancel_url=url_for("payments.checkout", order_id=order.id),
                language=current_language(),
            )
        except GatewayUnavailable as error:
            log.warning("gateway %s refused order %s: %s", gateway.name, order.number, error)
            domain.fail_attempt(attempt, "unavailable")
            error_message = _(
                "Il servizio di pagamento non risponde. Nessun importo è stato addebitato: "
                "riprova tra qualche minuto."
            )
            return _checkout_page(order, lines, form, 503, error_message)
        domain.attach_reference(attempt, session.reference)
        return redirect(session.url, 303)
    return _checkout_page(order, lines, form)


def _checkout_page(order, lines, form, status=200, error_message=None):
    return render_page(
        "payments/checkout.html",
        status=status,
        order=order,
        lines=lines,
        money=balance(order),
        form=form,
        error_message=error_message,
    )


@bp.get("/<int:order_id>/return")
@member_required
def returned(order_id: int):
    """Where the provider sends the browser back. It only shows what the verified
    notification did; the browser's return never registers anything (anyone can open
    this URL: only the gateway's signed notification registers money)."""
    order = _order_or_404(order_id)
    if order.status == OrderStatus.PAID:
        flash(_("Pagamento ricevuto: il rinnovo è stato applicato."), "info")
        return redirect(url_for("payments.receipt", order_id=order.id), 303)
    reference = request.args.get("session", "")
    attempt = (
        Payment.get_or_none((Payment.order == order) & (Payment.reference == reference))
        if reference
        else None
    )
    if attempt is not None and attempt.status == PaymentStatus.FAILED:
        flash(
            _(
                "Il pagamento non è andato a buon fine e nessun importo è stato addebitato. "
                "La casella non è cambiata: puoi riprovare."
            ),
            "error",
        )
        return redirect(url_for("payments.checkout", order_id=order.id), 303)
    # Money received that did not pay the order (R12): the member was told by e-mail.
    received = attempt is not None and attempt.status == PaymentStatus.REGISTERED
    return render_page(
        "payments/returned.html", order=order, received=received, money=balance(order)
    )


@bp.route("/<int:order_id>/report", methods=["GET", "POST"])
@member_required
def report(order_id: int):
    """Pagamenti: the member reports a bank transfer or a blank slip (docs/rules.md, member journey 10)."""
    order = _order_or_404(order_id)
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return _elsewhere(order)
    waiting = domain.pending_report(order)
    form = ReportForm(order=order, today=clock.today())
    if request.method == "GET" and order.payment_method.is_reportable:
        form.method.data = order.payment_method
    if waiting is None and form.validate_on_submit():
        outcome = domain.report_payment(
            order,
            method=form.method.data,
            amount_cents=form.amount_cents,
            paid_on=form.paid_on_date,
            reference=form.reference_value,
            actor=_actor(),
            ip=request.remote_addr or "",
        )
        if outcome.code == domain.DUPLICATE_REFERENCE:
            form.reference.errors.append(
                _("Questo riferimento è già stato segnalato per un altro ordine: controllalo.")
            )
        elif outcome.code == domain.NOT_PAYABLE:
            return _elsewhere(outcome.order)
        else:
            flash(
                _(
                    "Grazie: abbiamo ricevuto la segnalazione. Il pagamento sarà registrato "
                    "appena la convenzione lo avrà verificato."
                ),
                "info",
            )
            return redirect(url_for("payments.report", order_id=order.id), 303)
    return render_page(
        "payments/report.html",
        status=422 if form.errors else 200,
        order=order,
        convention=order.convention,
        money=balance(order),
        form=form,
        waiting=waiting,
    )


@bp.get("/<int:order_id>/slip")
@member_required
def slip(order_id: int):
    """The printable prefilled postal slip (Bollettino precompilato)."""
    order = _order_or_404(order_id)
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return _elsewhere(order)
    billing = order.billing or {}
    payer = billing.get("company_name") or " ".join(
        x for x in (billing.get("first_name"), billing.get("last_name")) if x
    )
    return render_page(
        "payments/slip.html",
        order=order,
        convention=order.convention,
        money=balance(order),
        amount_words=euro_in_words(balance(order).missing_cents),
        payer=payer or order.account.display_name,
        billing=billing,
    )


@bp.get("/<int:order_id>/receipt")
@member_required
def receipt(order_id: int):
    """The printable receipt of a paid order (docs/rules.md, member journey 11)."""
    order = _order_or_404(order_id)
    if order.status == OrderStatus.AWAITING_PAYMENT:
        return redirect(pay_url(order), 303)
    if order.status != OrderStatus.PAID:
        return _elsewhere(order)
    payment = (
        Payment.select()
        .where((Payment.order == order) & (Payment.status == PaymentStatus.REGISTERED))
        .order_by(Payment.id.desc())
        .first()
    )
    billing = order.billing or {}
    return render_page(
        "payments/receipt.html",
        order=order,
        convention=order.convention,
        lines=lines_of(order),
        payment=payment,
        invoices=list(order.invoices.order_by(Invoice.year, Invoice.number)),
        billing_rows=[(label, billing[key]) for key, label in BILLING_LABELS if billing.get(key)],
    )


@bp.get("/<int:order_id>/invoices/<int:invoice_id>")
@member_required
def invoice(order_id: int, invoice_id: int):
    """The courtesy copy of an invoice or credit note (rule R13), naming the seller; the
    valid document is the electronic one delivered through SDI."""
    order = _order_or_404(order_id)
    document = Invoice.get_or_none((Invoice.id == invoice_id) & (Invoice.order == order))
    if document is None:
        abort(404)
    billing = order.billing or {}
    return render_page(
        "payments/invoice.html",
        order=order,
        invoice=document,
        seller=document.seller,
        lines=lines_of(order) if document.kind == InvoiceKind.INVOICE else [],
        billing_rows=[(label, billing[key]) for key, label in BILLING_LABELS if billing.get(key)],
    )
