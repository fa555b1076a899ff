"""Money for operators beyond registering it (rules R12, R13): refunds and acceptances
of money to refund on an order's page, the month's electronic invoices for the SDI
intermediary, and the month's paid orders as CSV for whoever invoices them."""

import csv
import datetime as dt
import io
import re

from flask import Blueprint, Response, abort, flash, request
from flask_babel import gettext as _

from pec.domain import clock, exports, invoices, money, refunds
from pec.language import lazy_gettext as _l
from pec.member_mail import MemberMail
from pec.models import Convention, Invoice
from pec.operators.forms import AcceptMoneyForm, RefundForm
from pec.operators.order_views import _back, _order, _order_page
from pec.operators.session import actor, operator_required
from pec.rendering import render_page

bp = Blueprint("money", __name__)


REFUND_ERRORS = {
    "amount": _l("Importo non valido: al massimo quanto l'ordine ha ricevuto e non è già chiuso."),
    "reason": _l("Scrivi il motivo."),
    "reference": _l("Inserisci il riferimento del rimborso."),
    "changed": _l(
        "Un altro operatore ha appena registrato un rimborso su questo ordine: ricontrolla."
    ),
}


def _amount(field) -> int | None:
    """The euro amount typed in `field`, or None with the error at the field."""
    try:
        cents = money.parse_eur(field.data or "")
    except (ValueError, ArithmeticError):
        field.errors.append(_("Importo non valido: scrivi euro e centesimi, per esempio 5,12."))
        return None
    if cents <= 0:
        field.errors.append(_("L'importo deve essere maggiore di zero."))
        return None
    return cents


@bp.post("/orders/<int:order_id>/refunds")
@operator_required()
def record_refund(order_id: int):
    """Money to refund paid back (R12): the member is e-mailed; invoiced money gets a
    credit note (R13)."""
    order = _order(order_id)
    form = RefundForm()
    valid = form.validate()
    cents = _amount(form.refund_amount) if valid else None
    if valid and form.refunded_on.data > clock.today():
        form.refunded_on.errors.append(_("La data del rimborso non può essere futura."))
    if not valid or cents is None or any(f.errors for f in form):
        return _order_page(order, status=422, refund=form, open_action="refund")
    try:
        refunds.record_refund(
            order,
            amount_cents=cents,
            refunded_on=form.refunded_on.data,
            reference=form.refund_reference.data,
            note=form.refund_note.data or "",
            actor=actor(),
            notices=MemberMail(),
            today=clock.today(),
            ip=request.remote_addr or "",
        )
    except refunds.RefundError as error:
        field = form.refund_reference if error.code == "reference" else form.refund_amount
        field.errors.append(REFUND_ERRORS[error.code])
        return _order_page(order, status=422, refund=form, open_action="refund")
    flash(_("Rimborso registrato: l'iscritto riceve un'e-mail."), "success")
    return _back(order)


@bp.post("/orders/<int:order_id>/acceptances")
@operator_required()
def accept_money(order_id: int):
    """Money to refund that the convention keeps, with the reason (R12), audited."""
    order = _order(order_id)
    form = AcceptMoneyForm()
    valid = form.validate()
    cents = _amount(form.accept_amount) if valid else None
    if not valid or cents is None:
        return _order_page(order, status=422, accept=form, open_action="accept")
    try:
        refunds.accept_money(
            order,
            amount_cents=cents,
            reason=form.accept_reason.data,
            actor=actor(),
            today=clock.today(),
            ip=request.remote_addr or "",
        )
    except refunds.RefundError as error:
        field = form.accept_reason if error.code == "reason" else form.accept_amount
        field.errors.append(REFUND_ERRORS[error.code])
        return _order_page(order, status=422, accept=form, open_action="accept")
    flash(_("Importo trattenuto: non è più da rimborsare."), "success")
    return _back(order)


# --- The month's invoices and paid orders ----------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(text: str | None) -> tuple[int, int]:
    """YYYY-MM from the query, else this month (Europe/Rome); 404 for nonsense."""
    if not text:
        today = clock.today()
        return today.year, today.month
    match = _MONTH.match(text)
    if not match or not (1 <= int(match.group(2)) <= 12) or not 2000 <= int(match.group(1)) < 2600:
        abort(404)
    return int(match.group(1)), int(match.group(2))


def _invoicing_convention() -> Convention | None:
    return Convention.select().where(Convention.seller == "convention").first()


@bp.get("/invoices")
@operator_required()
def invoices_month():
    """The month's invoices and credit notes, the ZIP for SDI, the paid orders' CSV."""
    year, month = _month(request.args.get("month"))
    previous = dt.date(year, month, 1) - dt.timedelta(days=1)
    following = dt.date(year, month, 28) + dt.timedelta(days=4)
    return render_page(
        "operators/invoices.html",
        year=year,
        month=month,
        month_value=f"{year}-{month:02d}",
        previous=f"{previous.year}-{previous.month:02d}",
        following=f"{following.year}-{following.month:02d}",
        documents=list(invoices.month_invoices(year, month)),
        paid=exports.paid_orders(year, month),
        seller=_invoicing_convention(),
        conventions=list(Convention.select().order_by(Convention.code)),
    )


@bp.get("/invoices/<month>.zip")
@operator_required()
def invoices_zip(month: str):
    """One ZIP of the month's FatturaPA files, each named as SDI expects."""
    year, number = _month(month)
    seller = _invoicing_convention()
    documents = list(invoices.month_invoices(year, number))
    if seller is None or not documents:
        abort(404)
    name = invoices.month_zip_name(seller, year, number)
    return Response(
        invoices.month_zip(documents),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/invoices/<int:invoice_id>.xml")
@operator_required()
def invoice_xml(invoice_id: int):
    document = Invoice.get_or_none(Invoice.id == invoice_id) or abort(404)
    return Response(
        document.xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{document.file_name}"'},
    )


@bp.get("/paid-orders/<month>.csv")
@operator_required()
def paid_orders_csv(month: str):
    """The month's paid orders in Excel's CSV (UTF-8 with BOM, `;`): for the provider
    when it invoices, or for the accountant."""
    year, number = _month(month)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(exports.COLUMNS)
    writer.writerows(exports.paid_order_rows(year, number))
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="ordini-pagati-{year}-{number:02d}.csv"'
        },
    )
