"""Getting a member in, on an operator's request (rule R11): the personal link that
opens a mailbox's renewal, a first-access e-mail to choose the account's password, or
every link of the account revoked. Each is audited by the domain verb it calls."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from pec.domain import access_links, accounts, clock
from pec.member_mail import MemberMail
from pec.models import Account, Mailbox
from pec.operators.session import actor, operator_required

bp = Blueprint("member_access", __name__)


def _account(account_id: int) -> Account:
    return Account.get_or_none(Account.id == account_id) or abort(404)


@bp.post("/mailboxes/<int:mailbox_id>/access-link")
@operator_required()
def send_access_link(mailbox_id: int):
    """E-mail the holder the personal link that opens this mailbox's renewal."""
    box = Mailbox.get_or_none(Mailbox.id == mailbox_id) or abort(404)
    access_links.send_access_link(
        box, notices=MemberMail(), actor=actor(), ip=request.remote_addr or ""
    )
    flash(
        _(
            "Link personale per %(address)s inviato a %(email)s.",
            address=box.address,
            email=box.account.reference_email,
        ),
        "success",
    )
    return _back_to(box.account, box)


@bp.post("/accounts/<int:account_id>/first-access")
@operator_required()
def send_first_access(account_id: int):
    """E-mail the holder a single-use link to choose the account's password."""
    holder = _account(account_id)
    accounts.send_first_access(
        holder, clock.now(), notices=MemberMail(), actor=actor(), ip=request.remote_addr or ""
    )
    flash(
        _("E-mail per scegliere la password inviata a %(email)s.", email=holder.reference_email),
        "success",
    )
    return _back_to(holder)


@bp.post("/accounts/<int:account_id>/revoke-links")
@operator_required()
def revoke_links(account_id: int):
    """Every personal and password link of the account stops working (a forwarded or
    leaked e-mail), and so do the sessions opened with one."""
    holder = _account(account_id)
    access_links.revoke_links(holder, actor=actor(), ip=request.remote_addr or "")
    flash(
        _(
            "Link revocati: i link già inviati a %(name)s non funzionano più.",
            name=holder.display_name,
        ),
        "success",
    )
    return _back_to(holder)


def _back_to(holder: Account, box: Mailbox | None = None):
    """Back to the mailbox page the action came from, else the account's page."""
    came_from = request.form.get("mailbox", type=int) or (box.id if box else None)
    if came_from and Mailbox.get_or_none((Mailbox.id == came_from) & (Mailbox.account == holder)):
        return redirect(url_for("operators.mailboxes.mailbox", mailbox_id=came_from), 303)
    return redirect(url_for("operators.members.account", account_id=holder.id), 303)
