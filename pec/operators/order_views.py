"""Orders for operators (docs/rules.md, Operators): the filtered list and one order's page, where an
operator registers a payment (through payments.register_payment, R3), rejects a
member's payment report with a reason, or cancels the order. Every outcome is said in
words; every action is audited by the domain."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from pec.domain import clock, money, order_admin, renewal
from pec.domain import payments as pay
from pec.domain.balance import balance
from pec.domain.operators import paginate
from pec.language import lazy_gettext as _l
from pec.member_mail import MemberMail
from pec.models import (
    Account,
    AuditEvent,
    Invoice,
    Mailbox,
    Order,
    OrderLine,
    OutboxMessage,
    Payment,
    Settlement,
)
from pec.operators import audit_words
from pec.operators.forms import (
    AcceptMoneyForm,
    CancelOrderForm,
    RefundForm,
    RegisterPaymentForm,
    RejectReportForm,
)
from pec.operators.labels import PAYMENT_ORIGINS
from pec.operators.messages import outcome_text
from pec.operators.session import actor, operator_required
from pec.rendering import render_page
from pec.vocabulary import OrderStatus, PaymentMethod

bp = Blueprint("orders", __name__)

ORDER_STATUSES = (
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.CANCELLED,
    OrderStatus.DRAFT,
)
VIEW_LABELS = {
    order_admin.VIEW_AWAITING: _l("In attesa di pagamento"),
    order_admin.VIEW_REPORTED: _l("Con un pagamento segnalato"),
    order_admin.VIEW_PARTIAL: _l("Pagati in parte"),
    order_admin.VIEW_TO_REFUND: _l("Da rimborsare"),
}


def _filters() -> order_admin.OrderFilters:
    args = request.args
    status = args.get("status", "")
    method = args.get("method", "")
    view = args.get("view", "")
    return order_admin.OrderFilters(
        status=status if status in ORDER_STATUSES else "",
        method=method if method in tuple(PaymentMethod) else "",
        number=args.get("number", "").strip()[:20],
        holder=args.get("holder", "").strip()[:100],
        view=view if view in order_admin.VIEWS else "",
    )


@bp.get("/orders")
@operator_required()
def orders():
    """Confirmed orders, filtered; the ready-made views answer "what needs me now"."""
    filters = _filters()
    page = paginate(order_admin.search_orders(filters), request.args.get("page", 1, type=int))
    ids = [order.id for order in page.items]
    holders = Account.select().where(Account.id.in_([o.account_id for o in page.items]))
    by_id = {account.id: account for account in holders}
    for order in page.items:
        order.account = by_id[order.account_id]  # one query for the page's holders
    payments, lines = {}, {}
    for payment in Payment.select().where(Payment.order.in_(ids)).order_by(Payment.id):
        payments.setdefault(payment.order_id, []).append(payment)
    for line in OrderLine.select(OrderLine, Mailbox).join(Mailbox).where(OrderLine.order.in_(ids)):
        lines.setdefault(line.order_id, []).append(line)
    return render_page(
        "operators/orders.html",
        block="results",
        page=page,
        filters=filters,
        payments=payments,
        lines=lines,
        statuses=ORDER_STATUSES,
        methods=tuple(PaymentMethod),
        views=VIEW_LABELS,
    )


def _order(order_id: int) -> Order:
    return Order.get_or_none(Order.id == order_id) or abort(404)


def _euros(cents: int) -> str:
    """An amount as the forms propose it: 4,88."""
    return money.format_eur(cents).replace("\xa0€", "").strip()


def _order_page(
    order: Order,
    status=200,
    register=None,
    reject=None,
    cancel=None,
    refund=None,
    accept=None,
    open_action="",
):
    """The order page; `open_action` names the action whose form is shown open (the
    one that was just refused, with its errors)."""
    lines = list(
        OrderLine.select(OrderLine, Mailbox)
        .join(Mailbox, on=(OrderLine.mailbox == Mailbox.id))
        .where(OrderLine.order == order)
        .order_by(Mailbox.address)
    )
    report = pay.pending_report(order)
    payments = list(Payment.select().where(Payment.order == order).order_by(Payment.id))
    funds = balance(order)
    settlements = list(Settlement.select().where(Settlement.order == order).order_by(Settlement.id))
    if register is None:
        register = RegisterPaymentForm(
            formdata=None,
            amount=_euros(funds.missing_cents or order.gross_cents),
            paid_on=report.paid_on if report and report.paid_on else clock.today(),
            method=order.payment_method if order.payment_method in tuple(PaymentMethod) else None,
            reference=order_admin.default_reference(order),
        )
    return render_page(
        "operators/order.html",
        status=status,
        order=order,
        account=order.account,
        lines=lines,
        report=report,
        payments=payments,
        emails=list(
            OutboxMessage.select()
            .where(OutboxMessage.order == order)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        ),
        entries=audit_words.entries(
            AuditEvent.select()
            .where((AuditEvent.target_type == "Order") & (AuditEvent.target_id == order.id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        ),
        names=audit_words.Names.of_actors(
            [p.registered_by for p in payments] + [s.actor for s in settlements]
        ),
        register=register,
        reject=reject or RejectReportForm(formdata=None),
        cancel=cancel or CancelOrderForm(formdata=None),
        refund=refund
        or RefundForm(
            formdata=None, refund_amount=_euros(funds.to_refund_cents), refunded_on=clock.today()
        ),
        accept=accept
        or AcceptMoneyForm(formdata=None, accept_amount=_euros(funds.to_refund_cents)),
        money=funds,
        settlements=settlements,
        invoices=list(
            Invoice.select().where(Invoice.order == order).order_by(Invoice.year, Invoice.number)
        ),
        is_payable=order.status == OrderStatus.AWAITING_PAYMENT,
        open_action=open_action,
        origins=PAYMENT_ORIGINS,
        is_open=order.status in OrderStatus.open(),
    )


@bp.get("/orders/<int:order_id>")
@operator_required()
def order(order_id: int):
    return _order_page(_order(order_id))


def _back(order: Order):
    return redirect(url_for("operators.orders.order", order_id=order.id), 303)


@bp.post("/orders/<int:order_id>/payments")
@operator_required()
def register_payment(order_id: int):
    """Money received (a transfer, a slip): registered, flagged or refused, and said so."""
    order = _order(order_id)
    form = RegisterPaymentForm()
    amount_cents = None
    valid = form.validate()
    if valid:
        try:
            amount_cents = money.parse_eur(form.amount.data)
        except (ValueError, ArithmeticError):
            form.amount.errors.append(
                _("Importo non valido: scrivi euro e centesimi, per esempio 4,88.")
            )
        if amount_cents == 0:
            form.amount.errors.append(_("L'importo deve essere maggiore di zero."))
        if form.paid_on.data and form.paid_on.data > clock.today():
            form.paid_on.errors.append(_("La data del pagamento non può essere futura."))
    if not valid or any(f.errors for f in form):
        return _order_page(order, status=422, register=form, open_action="register")
    outcome = pay.register_payment(
        order,
        amount_cents=amount_cents,
        method=form.method.data,
        provider="operator",
        reference=form.reference.data.strip(),
        today=clock.today(),
        actor=actor(),
        notices=MemberMail(),
        paid_on=form.paid_on.data,
        note=(form.note.data or "").strip(),
    )
    flash(outcome_text(outcome), "success" if outcome.applied else "error")
    return _back(order)


@bp.post("/orders/<int:order_id>/payments/<int:payment_id>/reject")
@operator_required()
def reject_report(order_id: int, payment_id: int):
    """A member's report that matches no money: the reason is e-mailed to them."""
    order = _order(order_id)
    payment = Payment.get_or_none((Payment.id == payment_id) & (Payment.order == order)) or abort(
        404
    )
    form = RejectReportForm()
    if not form.validate():
        return _order_page(order, status=422, reject=form, open_action="reject")

    done = order_admin.reject_report(
        payment,
        form.reject_reason.data,
        actor=actor(),
        notices=MemberMail(),
        ip=request.remote_addr or "",
    )
    if done == order_admin.REPORT_REJECTED:
        flash(
            _("Segnalazione rifiutata: il motivo è stato inviato all'iscritto per e-mail."),
            "info",
        )
    else:
        flash(
            _("Questo pagamento non è più una segnalazione in attesa: nulla è cambiato."), "error"
        )
    return _back(order)


@bp.post("/orders/<int:order_id>/cancel")
@operator_required()
def cancel_order(order_id: int):
    """Cancel a draft or an order awaiting payment: its mailboxes are free again (R4)."""
    order = _order(order_id)
    form = CancelOrderForm()
    if not form.validate():
        return _order_page(order, status=422, cancel=form, open_action="cancel")
    try:
        renewal.cancel_order(
            order,
            now=clock.now(),
            actor=actor(),
            ip=request.remote_addr or "",
            reason=(form.cancel_reason.data or "").strip(),
            notices=MemberMail() if form.notify.data else None,
            money_to_refund=True,  # R12: money already received becomes to refund
        )
    except renewal.RenewalError as error:
        if error.code == "payment_reported":
            message = _(
                "L'iscritto ha segnalato un pagamento per questo ordine: registralo o "
                "rifiuta la segnalazione prima di annullare."
            )
        else:
            message = _("L'ordine non è aperto (già pagato o annullato): non si può annullare.")
        flash(message, "error")
        return _back(order)
    flash(_("Ordine annullato: le caselle possono essere rinnovate con un nuovo ordine."), "info")
    return _back(order)
