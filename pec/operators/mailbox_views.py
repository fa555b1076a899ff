"""Mailboxes for operators: search and filters, one mailbox's whole history, and
edits of the holder's data (audited)."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from pec.domain import clock
from pec.domain.accounts import update_holder
from pec.domain.billing import HOLDER_FIELDS, check_holder
from pec.domain.mailboxes import mailbox_views
from pec.domain.operators import Filters, paginate, search_mailboxes
from pec.input_limits import arg_date, parse_id
from pec.models import (
    Account,
    AuditEvent,
    IdentityDocument,
    Mailbox,
    Order,
    OrderLine,
    OutboxMessage,
    Payment,
    ReminderSent,
)
from pec.operators import audit_words
from pec.operators.forms import HolderForm
from pec.operators.messages import holder_error_text
from pec.operators.session import actor, operator_required
from pec.rendering import render_page
from pec.vocabulary import MailboxStatus

bp = Blueprint("mailboxes", __name__)


def filters_from_request() -> Filters:
    status = request.args.get("status", "")
    return Filters(
        text=request.args.get("q", "").strip()[:100],
        status=MailboxStatus(status) if status in set(MailboxStatus) else None,
        expires_from=arg_date("from"),
        expires_to=arg_date("to"),
    )


@bp.get("/mailboxes")
@operator_required()
def mailboxes():
    today = clock.today()
    filters = filters_from_request()
    page = paginate(search_mailboxes(filters, today), request.args.get("page", 1, type=int))
    ids = [box.id for box in page.items]
    views = mailbox_views(Mailbox.select().where(Mailbox.id.in_(ids)), today) if ids else []
    return render_page(
        "operators/mailboxes.html", block="results", page=page, views=views, filters=filters
    )


def _history(mailbox: Mailbox) -> dict:
    account = mailbox.account
    order_ids = [
        line.order_id
        for line in OrderLine.select(OrderLine.order).where(OrderLine.mailbox == mailbox)
    ]
    orders = list(Order.select().where(Order.id.in_(order_ids)).order_by(Order.id.desc()))
    payments = list(
        Payment.select().where(Payment.order.in_(order_ids)).order_by(Payment.id.desc())
    )
    targets = (
        ((AuditEvent.target_type == "Mailbox") & (AuditEvent.target_id == mailbox.id))
        | ((AuditEvent.target_type == "Account") & (AuditEvent.target_id == account.id))
        | ((AuditEvent.target_type == "Order") & AuditEvent.target_id.in_(order_ids))
    )
    return dict(
        orders=orders,
        payments=payments,
        reminders=list(mailbox.reminders.order_by(ReminderSent.sent_on.desc())),
        emails=list(
            OutboxMessage.select()
            .where(
                (OutboxMessage.mailbox == mailbox)
                | (OutboxMessage.account == account)
                | OutboxMessage.order.in_(order_ids)
            )
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        ),
        entries=audit_words.entries(
            AuditEvent.select().where(targets).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        ),
        documents=list(
            IdentityDocument.select()
            .where(IdentityDocument.account == account)
            .order_by(IdentityDocument.uploaded_at.desc())
        ),
        others=list(Mailbox.of_account(account).where(Mailbox.id != mailbox.id)),
    )


@bp.get("/mailboxes/<int:mailbox_id>")
@operator_required()
def mailbox(mailbox_id: int):
    box = Mailbox.get_or_none(Mailbox.id == mailbox_id) or abort(404)
    view = mailbox_views(Mailbox.select().where(Mailbox.id == box.id), clock.today())[0]
    return render_page(
        "operators/mailbox.html", view=view, account=view.mailbox.account, **_history(box)
    )


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
@operator_required()
def edit_account(account_id: int):
    """The holder's data and reference e-mail; every change is audited with before/after."""
    account = Account.get_or_none(Account.id == account_id) or abort(404)
    back = parse_id(request.values.get("mailbox"))
    form = HolderForm(obj=account)
    if form.validate_on_submit():
        clean, problems = check_holder(
            {k: getattr(form, k).data or "" for k in HOLDER_FIELDS}, country=account.country
        )
        for name, code in problems.items():
            form[name].errors.append(holder_error_text(name, code))
        if not problems:
            changes = update_holder(account, clean, actor=actor(), ip=request.remote_addr or "")
            if changes:
                flash(_("Dati del titolare aggiornati."), "info")
            else:
                flash(_("Nessuna modifica."), "info")
            if back and Mailbox.get_or_none((Mailbox.id == back) & (Mailbox.account == account)):
                return redirect(url_for("operators.mailboxes.mailbox", mailbox_id=back), 303)
            return redirect(url_for("operators.members.account", account_id=account.id), 303)
    status = 422 if form.errors else 200
    return render_page(
        "operators/account_edit.html", status=status, form=form, account=account, back=back
    )
