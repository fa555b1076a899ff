"""Getting into the operators' area beyond the password: the second factor (a code of
the authenticator app, or a single-use recovery code), an admin's enrolment at first
sign-in, and the e-mailed link with which an invited (or reset) operator chooses a
password. The sign-in form itself is in pec.operators.views."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from pec.auth.views import LOGIN_LIMITS
from pec.domain import clock, operator_accounts, two_factor
from pec.domain.operators import record_login
from pec.extensions import limiter
from pec.operators import session as operator_session
from pec.operators.enrolment import enrol_page, wall_clock
from pec.operators.forms import ChoosePasswordForm, CodeForm
from pec.rendering import render_page
from pec.vocabulary import OperatorLinkPurpose

bp = Blueprint("access", __name__)

# Per signed-in-by-password operator: a 6-digit code cannot be guessed in the time the
# pending sign-in lasts (5 minutes) at 5 tries a minute (1 in 40,000).
CODE_LIMITS = "5 per minute;20 per hour"


def _pending_key() -> str:
    pending = session.get("operator_pending")
    who = pending.get("id") if isinstance(pending, dict) else None
    return f"operator-code:{who or request.remote_addr}"


def _start_over():
    flash(_("La verifica è scaduta: inserisci di nuovo e-mail e password."), "info")
    return redirect(url_for("operators.login"), 303)


def _signed_in(operator, second_factor: str) -> str:
    """Begin the session proper; returns where to go."""
    next_url = operator_session.pending_next() or url_for("operators.dashboard")
    operator_session.begin(operator)
    record_login(operator, ip=request.remote_addr or "", second_factor=second_factor)
    return next_url


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
@limiter.limit(CODE_LIMITS, methods=["POST"], key_func=_pending_key)
def second_factor():
    """The code of the authenticator app, or a recovery code."""
    operator = operator_session.pending_operator()
    if operator is None or not operator.has_two_factor:
        return _start_over()
    form = CodeForm()
    if form.validate_on_submit():
        now = wall_clock()
        if two_factor.verify(operator, form.code.data, now=now):
            return redirect(_signed_in(operator, "totp"), 303)
        if two_factor.use_recovery_code(operator, form.code.data, now=now):
            left = two_factor.codes_left(operator)
            flash(
                _(
                    "Hai usato un codice di recupero: te ne restano %(n)d. Se hai perso il "
                    "telefono, chiedi a un amministratore di rimuovere l'app e registrane una "
                    "nuova.",
                    n=left,
                ),
                "info",
            )
            return redirect(_signed_in(operator, "recovery_code"), 303)
        two_factor.record_failure(operator, ip=request.remote_addr or "")
        form.code.errors.append(
            _("Codice non valido o già usato. Controlla l'ora del telefono e riprova.")
        )
    status = 422 if form.errors else 200
    return render_page("operators/second_factor.html", status=status, form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
@limiter.limit(CODE_LIMITS, methods=["POST"], key_func=_pending_key)
def enrol():
    """An admin without two-factor authentication sets it up before getting in."""
    operator = operator_session.pending_operator()
    if operator is None:
        return _start_over()
    if operator.has_two_factor:
        return redirect(url_for("operators.access.second_factor"), 303)
    return enrol_page(
        operator,
        action=url_for("operators.access.enrol"),
        then=lambda: _signed_in(operator, "totp"),
        at_sign_in=True,
    )


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
def welcome(token: str):
    """The e-mailed link of an invitation or a reset: choose a password."""
    link = operator_accounts.find_link(token, clock.now())
    if link is None:
        return render_page("operators/welcome_invalid.html", status=404)
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        operator = operator_accounts.set_password_from_link(
            token, form.password.data, clock.now(), ip=request.remote_addr or ""
        )
        if operator is None:
            return render_page("operators/welcome_invalid.html", status=404)
        flash(_("Password salvata: ora accedi con la tua e-mail e la nuova password."), "success")
        return redirect(url_for("operators.login"), 303)
    return render_page(
        "operators/welcome.html",
        status=422 if form.errors else 200,
        form=form,
        operator=link.operator,
        is_invitation=link.purpose == OperatorLinkPurpose.INVITE,
    )
