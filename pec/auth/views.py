"""Area Clienti: login both ways, logout, password recovery, language (docs/rules.md, member journey 2)."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from pec.auth import session as member_session
from pec.auth.forms import LoginForm, RecoverForm, ResetForm
from pec.domain import accounts, clock
from pec.extensions import limiter
from pec.member_mail import MemberMail
from pec.rendering import render_page

bp = Blueprint("auth", __name__)

# Per client address, and per login typed (so many addresses cannot guess one password).
LOGIN_LIMITS = "10 per minute;50 per hour"
PER_IDENTIFIER_LIMIT = "20 per hour"


def _identifier_key() -> str:
    return "id:" + (request.form.get("identifier") or "").strip().lower()


def safe_next(default_endpoint: str = "mailboxes.index") -> str:
    """A local path to go back to, never another site."""
    target = request.values.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(default_endpoint)


@bp.route("/")
def home():
    if member_session.current_principal() is not None:
        return redirect(url_for("mailboxes.index"))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
@limiter.limit(PER_IDENTIFIER_LIMIT, methods=["POST"], key_func=_identifier_key)
def login():
    form = LoginForm()
    if request.method == "GET" and request.args.get("login"):
        form.identifier.data = request.args["login"]  # the reminder's prefilled link
    if form.validate_on_submit():
        principal = accounts.authenticate(form.identifier.data, form.password.data)
        if principal is not None:
            member_session.begin(principal)
            return redirect(safe_next(), 303)
        form.password.errors.append(_("Login o password non corretti."))
    status = 422 if form.errors else 200
    return render_page(
        "auth/login.html", status=status, form=form, next=request.values.get("next", "")
    )


@bp.post("/logout")
def logout():
    member_session.end()
    flash(_("Sei uscito dall'Area Clienti."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/recover", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
@limiter.limit(PER_IDENTIFIER_LIMIT, methods=["POST"], key_func=_identifier_key)
def recover():
    form = RecoverForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.identifier.data, clock.now(), notices=MemberMail())
        # The same answer whether or not the login exists (no enumeration).
        flash(
            _(
                "Se il dato inserito corrisponde a un'utenza, abbiamo inviato all'e-mail di "
                "riferimento un link per scegliere una nuova password. Il link vale un'ora."
            ),
            "info",
        )
        return redirect(url_for("auth.login"), 303)
    status = 422 if form.errors else 200
    return render_page("auth/recover.html", status=status, form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
def reset(token: str):
    if accounts.find_reset_token(token, clock.now()) is None:
        return render_page("auth/reset_invalid.html", status=410)
    form = ResetForm()
    if form.validate_on_submit():
        if accounts.reset_password(token, form.password.data, clock.now()):
            flash(_("Password aggiornata. Ora puoi accedere."), "info")
            return redirect(url_for("auth.login"), 303)
        return render_page("auth/reset_invalid.html", status=410)
    status = 422 if form.errors else 200
    return render_page("auth/reset.html", status=status, form=form, token=token)


@bp.post("/language")
def language():
    """Choose the interface language; it sticks (session, and the account if logged in)."""
    chosen = request.form.get("lang", "it")
    if chosen in accounts.LANGUAGES:
        session["lang"] = chosen
        principal = member_session.current_principal()
        if principal is not None:
            accounts.choose_language(principal.account(), chosen)
    return redirect(safe_next("auth.home"), 303)
