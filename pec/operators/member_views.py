"""Members by hand: a new holder with their account and first mailbox, another mailbox
for an account, a mailbox's address or expiry corrected, and the account's page (its
holder, mailboxes and history). The holder's data follow the roster's rules, judged in
one place (pec.domain.billing.check_holder)."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from pec.domain import clock, members
from pec.domain.billing import HOLDER_FIELDS, check_holder
from pec.domain.mailboxes import mailbox_views
from pec.language import lazy_gettext as _l
from pec.models import Account, AuditEvent, Convention, Mailbox, Order
from pec.operators import audit_words
from pec.operators.forms import MailboxForm, MemberForm
from pec.operators.messages import holder_error_text
from pec.operators.session import actor, operator_required
from pec.rendering import render_page

bp = Blueprint("members", __name__)

MEMBER_ERRORS = {
    members.ADDRESS_INVALID: _l("Indirizzo PEC non valido."),
    members.ADDRESS_TAKEN: _l(
        "Questo indirizzo appartiene già a un'altra casella o è il login di un altro titolare."
    ),
    members.LOGIN_INVALID: _l("Il login è una parola sola, senza spazi (di solito l'e-mail)."),
    members.LOGIN_TAKEN: _l(
        "Questo login (se vuoto, l'e-mail di riferimento) è già usato da un altro account o è "
        "la casella PEC di un altro titolare: scrivine un altro."
    ),
}


def _account(account_id: int) -> Account:
    return Account.get_or_none(Account.id == account_id) or abort(404)


def _holder_values(form) -> tuple[dict, bool]:
    """The holder's fields checked by the roster's rules; problems go to the fields."""
    clean, problems = check_holder({k: getattr(form, k).data or "" for k in HOLDER_FIELDS})
    for name, code in problems.items():
        form[name].errors.append(holder_error_text(name, code))
    return clean, not problems


@bp.route("/members/new", methods=["GET", "POST"])
@operator_required()
def new_member():
    """A holder, their account (no password: they get in by link or first access) and
    their first mailbox, in one form."""
    conventions = list(Convention.select().order_by(Convention.code))
    form = MemberForm()
    form.convention.validators = []
    form.convention.choices = [(c.id, f"{c.code} — {c.name}") for c in conventions]
    if request.method == "GET" and conventions:
        form.convention.data = conventions[0].id
    if form.validate_on_submit():
        if len(conventions) == 1:
            convention = conventions[0]  # the usual case: no choice to make
        else:
            convention = next((c for c in conventions if c.id == form.convention.data), None)
        if convention is None:
            form.convention.errors.append(_("Scegli la convenzione."))
        holder, holder_ok = _holder_values(form)
        address, problem = members.check_address(form.pec_address.data)
        if problem:
            form.pec_address.errors.append(MEMBER_ERRORS[problem])
        login, login_problem = members.check_login(
            form.login.data or holder.get("reference_email", ""), address=address
        )
        if login_problem and (form.login.data or holder_ok):
            form.login.errors.append(MEMBER_ERRORS[login_problem])
        if not any(f.errors for f in form):
            try:
                box = members.create_member(
                    convention,
                    holder,
                    login,
                    members.NewMailbox(address, form.expires_on.data),
                    actor=actor(),
                    ip=request.remote_addr or "",
                )
            except members.MemberError as error:
                _show(form, error.problems)
            else:
                flash(
                    _(
                        "Iscritto creato: %(name)s con la casella %(address)s.",
                        name=box.account.display_name,
                        address=box.address,
                    ),
                    "success",
                )
                return redirect(
                    url_for("operators.members.account", account_id=box.account_id), 303
                )
    return render_page(
        "operators/member_new.html",
        status=422 if form.errors or any(f.errors for f in form) else 200,
        form=form,
        several_conventions=len(conventions) > 1,
    )


def _show(form, problems: dict) -> None:
    fields = {"address": form.pec_address if hasattr(form, "pec_address") else form.address}
    if hasattr(form, "login"):
        fields["login"] = form.login
    for name, code in problems.items():
        fields[name].errors.append(MEMBER_ERRORS[code])


@bp.get("/accounts/<int:account_id>")
@operator_required()
def account(account_id: int):
    """The holder, their mailboxes with status, and the latest of what happened to the
    account, its mailboxes and its orders."""
    holder = _account(account_id)
    views = mailbox_views(Mailbox.of_account(holder), clock.today())
    box_ids = [view.mailbox.id for view in views]
    order_ids = [order.id for order in Order.select(Order.id).where(Order.account == holder)]
    targets = ((AuditEvent.target_type == "Account") & (AuditEvent.target_id == holder.id)) | (
        (AuditEvent.target_type == "Mailbox") & AuditEvent.target_id.in_(box_ids)
    )
    if order_ids:
        targets |= (AuditEvent.target_type == "Order") & AuditEvent.target_id.in_(order_ids)
    events = (
        AuditEvent.select()
        .where(targets)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(50)
    )
    return render_page(
        "operators/account.html",
        account=holder,
        views=views,
        entries=audit_words.entries(events),
    )


@bp.route("/accounts/<int:account_id>/mailboxes/new", methods=["GET", "POST"])
@operator_required()
def new_mailbox(account_id: int):
    holder = _account(account_id)
    form = MailboxForm()
    if form.validate_on_submit():
        address, problem = members.check_address(form.address.data, account=holder)
        if problem:
            form.address.errors.append(MEMBER_ERRORS[problem])
        else:
            try:
                box = members.add_mailbox(
                    holder,
                    members.NewMailbox(address, form.expires_on.data),
                    actor=actor(),
                    ip=request.remote_addr or "",
                )
            except members.MemberError as error:
                _show(form, error.problems)
            else:
                flash(_("Casella %(address)s aggiunta.", address=box.address), "success")
                return redirect(url_for("operators.mailboxes.mailbox", mailbox_id=box.id), 303)
    return render_page(
        "operators/mailbox_form.html",
        status=422 if form.errors else 200,
        form=form,
        account=holder,
        mailbox=None,
    )


@bp.route("/mailboxes/<int:mailbox_id>/edit", methods=["GET", "POST"])
@operator_required()
def edit_mailbox(mailbox_id: int):
    """Correct a mailbox's PEC address or expiry (audited with before and after)."""
    box = Mailbox.get_or_none(Mailbox.id == mailbox_id) or abort(404)
    form = MailboxForm(obj=box)
    if form.validate_on_submit():
        address, problem = members.check_address(
            form.address.data, mailbox=box, account=box.account
        )
        if problem:
            form.address.errors.append(MEMBER_ERRORS[problem])
        else:
            try:
                changed = members.update_mailbox(
                    box,
                    address=address,
                    expires_on=form.expires_on.data,
                    actor=actor(),
                    ip=request.remote_addr or "",
                )
            except members.MemberError as error:
                _show(form, error.problems)
            else:
                flash(_("Casella aggiornata.") if changed else _("Nessuna modifica."), "info")
                return redirect(url_for("operators.mailboxes.mailbox", mailbox_id=box.id), 303)
    return render_page(
        "operators/mailbox_form.html",
        status=422 if form.errors else 200,
        form=form,
        account=box.account,
        mailbox=box,
    )
