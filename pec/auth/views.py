"""Area Clienti: login both ways, logout, recovery and first access, language
(docs/rules.md, member journey 2, R11); personal links in pec/auth/link_views.py."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from pec.auth import session as member_session
from pec.auth.forms import LoginForm, RecoverForm, ResetForm
from pec.auth.link_views import bp as links_bp
from pec.auth.safety import local_path, safe_next
from pec.auth.timing import AnswerFloor
from pec.domain import accounts, clock
from pec.extensions import limiter
from pec.member_mail import MemberMail
from pec.page_cache import shared_page
from pec.pages.views import current_brand, page_key
from pec.rendering import render_page

bp = Blueprint("auth", __name__)
bp.register_blueprint(links_bp)
# Recovery and first access answer in the same time whether or not anyone was found.
bp.record_once(lambda state: AnswerFloor.install(state.app, ("/recover", "/first-access")))

# Per client address; per identifier typed; and per account, whichever of its logins
# and PEC addresses is typed (one password cannot be guessed through each address).
LOGIN_LIMITS = "10 per minute;50 per hour"
PER_IDENTIFIER_LIMIT = "20 per hour"
PER_ACCOUNT_LIMIT = "20 per hour"


def _identifier_key() -> str:
    return "id:" + (request.form.get("identifier") or "").strip().lower()


def _account_key() -> str:
    return "login:" + accounts.holder_key(request.form.get("identifier") or "")


def _holder_key() -> str:
    """Recovery also names the holder by reference e-mail or codice fiscale."""
    return "recover:" + accounts.holder_key(request.form.get("identifier") or "", wide=True)


@bp.route("/")
def home():
    if member_session.current_principal() is not None:
        return redirect(url_for("mailboxes.index"))
    return redirect(url_for("auth.login"))


@bp.get("/login")
def login():
    """The sign-in page. Its limits count attempts only (`sign_in`), so showing it is
    left to Flask's routing alone."""
    if request.method == "GET" and not request.query_string and "_flashes" not in session:
        # The page every visitor sees alike (pec.page_cache): no prefilled login, no
        # page to go back to, no message. Not a HEAD: base.html's language switch links
        # back to a GET's address only, and a HEAD's page would be kept for every GET.
        key = page_key(current_brand())
        return shared_page("login", key, lambda: _login_page(LoginForm()))
    form = LoginForm()
    if request.args.get("login"):
        form.identifier.data = request.args["login"]  # a prefilled link
    return _login_page(form)


@bp.post("/login")
@limiter.limit(LOGIN_LIMITS)
@limiter.limit(PER_IDENTIFIER_LIMIT, key_func=_identifier_key)
@limiter.limit(PER_ACCOUNT_LIMIT, key_func=_account_key)
def sign_in():
    form = LoginForm()
    if form.validate_on_submit():
        principal = accounts.authenticate(form.identifier.data, form.password.data)
        if principal is not None:
            member_session.begin(principal)
            return redirect(safe_next(), 303)
        form.password.errors.append(_("Login o password non corretti."))
    return _login_page(form)


def _login_page(form: LoginForm):
    return render_page(
        "auth/login.html",
        status=422 if form.errors else 200,
        form=form,
        next=local_path(request.values.get("next")) or "",
    )


@bp.post("/logout")
def logout():
    member_session.end()
    flash(_("Sei uscito dall'Area Clienti."), "info")
    return redirect(url_for("auth.login"), 303)


def _access_limits(view):
    """Recovery and first access share their counters (one cannot double the other)."""
    for limit, scope, key in (
        (LOGIN_LIMITS, "access-ip", None),
        (PER_IDENTIFIER_LIMIT, "access-id", _identifier_key),
        (PER_ACCOUNT_LIMIT, "access-holder", _holder_key),
    ):
        view = limiter.shared_limit(limit, scope, key_func=key, methods=["POST"])(view)
    return view


def _access_request(template: str):
    """Recovery and first access: the same request, the same answer whether or not the
    identifier names anyone (no enumeration), in the same time (pec.auth.timing)."""
    form = RecoverForm()
    if form.validate_on_submit():
        accounts.request_access(form.identifier.data, clock.now(), notices=MemberMail())
        flash(
            _(
                "Se il dato inserito corrisponde a un'utenza, abbiamo inviato all'e-mail di "
                "riferimento il login, un link per scegliere la password e i link personali "
                "per rinnovare senza password. Controlla la posta (anche lo spam)."
            ),
            "info",
        )
        return redirect(url_for("auth.login"), 303)
    status = 422 if form.errors else 200
    return render_page(template, status=status, form=form)


@bp.route("/recover", methods=["GET", "POST"])
@_access_limits
def recover():
    """ "Recupera dati di accesso" (also where an expired personal link sends to)."""
    return _access_request("auth/recover.html")


@bp.route("/first-access", methods=["GET", "POST"])
@_access_limits
def first_access():
    """ "Primo accesso": an account created without a password gets a link to set one."""
    return _access_request("auth/first_access.html")


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
def reset(token: str):
    found = accounts.find_reset_token(token, clock.now())
    if found is None:
        return render_page("auth/reset_invalid.html", status=410)
    first_access = found.mailbox_id is None and not found.account.password_hash
    form = ResetForm()
    if form.validate_on_submit():
        account = accounts.reset_password(token, form.password.data, clock.now())
        if account is None:
            return render_page("auth/reset_invalid.html", status=410)
        login = found.mailbox.address if found.mailbox_id else account.login
        flash(_("Password salvata. Ora puoi accedere con il login %(login)s.", login=login), "info")
        return redirect(url_for("auth.login", login=login), 303)
    status = 422 if form.errors else 200
    return render_page(
        "auth/reset.html",
        status=status,
        form=form,
        token=token,
        first_access=first_access,
        login=found.mailbox.address if found.mailbox_id else found.account.login,
    )


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
