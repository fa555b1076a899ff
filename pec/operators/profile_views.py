"""An operator's own account: two-factor authentication (enrol, new recovery codes,
turn off where allowed). Admins must have it: until they enrol, every other page of the
area sends them here (pec.operators.session.operator_required)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from pec.domain import two_factor
from pec.extensions import limiter
from pec.operators.access_views import CODE_LIMITS
from pec.operators.enrolment import enrol_page, wall_clock
from pec.operators.session import current_operator, operator_required
from pec.rendering import render_page

bp = Blueprint("profile", __name__)


def _operator_key() -> str:
    operator = current_operator()
    return f"operator-enrol:{operator.id if operator else request.remote_addr}"


@bp.get("/profile")
@operator_required()
def profile():
    operator = current_operator()
    return render_page(
        "operators/profile.html",
        operator=operator,
        codes_left=two_factor.codes_left(operator) if operator.has_two_factor else 0,
        is_required=two_factor.is_required(operator),
        form=FlaskForm(),
    )


@bp.route("/profile/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@operator_required()
@limiter.limit(CODE_LIMITS, methods=["POST"], key_func=_operator_key)
def enrol_two_factor():
    """Enrol an authenticator app: scan the QR code, type the code it shows."""
    operator = current_operator()
    if operator.has_two_factor:
        return redirect(url_for("operators.profile.profile"), 303)
    return enrol_page(
        operator,
        action=url_for("operators.profile.two_factor"),
        then=lambda: url_for("operators.profile.profile"),
        at_sign_in=False,
        is_required=two_factor.is_required(operator),
    )


@bp.post("/profile/two-factor/codes")
@operator_required()
def recovery_codes():
    """New recovery codes (the old ones stop working), shown once."""
    operator = current_operator()
    if not operator.has_two_factor:
        return redirect(url_for("operators.profile.two_factor"), 303)
    codes = two_factor.regenerate_codes(operator, now=wall_clock(), ip=request.remote_addr or "")
    return render_page(
        "operators/recovery_codes.html", codes=codes, next_url=url_for("operators.profile.profile")
    )


@bp.post("/profile/two-factor/disable")
@operator_required()
def disable_two_factor():
    operator = current_operator()
    if two_factor.disable(operator, ip=request.remote_addr or ""):
        flash(_("Verifica in due passaggi disattivata."), "info")
    else:
        flash(_("Gli amministratori devono usare la verifica in due passaggi."), "error")
    return redirect(url_for("operators.profile.profile"), 303)
