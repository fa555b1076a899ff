"""The renewal wizard (SPEC §2.4–2.9). A placeholder page until the wizard lands."""

from flask import Blueprint, abort
from flask_wtf import FlaskForm

from pec.auth.session import current_principal, member_required
from pec.models import Mailbox
from pec.rendering import render_page

bp = Blueprint("renewal", __name__, url_prefix="/renewals")


@bp.post("/start")
@member_required
def start():
    """RINNOVA: the wizard will create a draft order here."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    from flask import request

    ids = [int(x) for x in request.form.getlist("mailbox") if x.isdigit()]
    mailboxes = list(current_principal().mailboxes().where(Mailbox.id.in_(ids)))
    if not mailboxes or len(mailboxes) != len(ids):
        abort(404)
    return render_page("renewal/coming_soon.html", mailboxes=mailboxes)
