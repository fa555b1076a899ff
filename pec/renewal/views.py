"""The renewal wizard (docs/rules.md, member journey 4–9): one view and one template per step.

The draft order is the wizard's only state (nothing in the session or in hidden fields):
each view loads the member's order (404 otherwise), redirects a step asked too early to
the current one, validates its form, calls one domain function and moves on — 303 for
plain clients, the next panel with HX-Push-Url for htmx, 422 with the form for invalid
input. The CSRF token of every POST is checked before any view runs (CSRFProtect).
A step shown again after a new login comes back with what the member had typed on it
when the session expired (pec.auth.session).
"""

from flask import Blueprint, abort, flash, make_response, redirect, request, url_for

from pec.auth.session import current_principal, member_required, take_typed_form
from pec.domain import access, access_links, accounts, clock
from pec.domain import billing as billing_rules
from pec.domain import renewal as wizard
from pec.domain.balance import balance
from pec.domain.mailboxes import recent_renewals
from pec.input_limits import parse_id
from pec.labels import PAYMENT_METHOD_LABELS
from pec.language import current_language
from pec.language import lazy_gettext as _l
from pec.member_mail import MemberMail
from pec.models import ContractDocument, Mailbox, Order
from pec.rendering import render_page, wants_fragment
from pec.renewal import forms
from pec.renewal.labels import ERRORS, STEP_LABELS, method_details

bp = Blueprint("renewal", __name__, url_prefix="/renewals")

PANEL = "panel"


def _order(order_id: int):
    order = access.visible_order(current_principal(), order_id)
    if order is None:
        abort(404)
    return order


def _render(order, step: str, status: int = 200, **context):
    """The step's template: the whole page, or only its panel for an htmx swap.

    `current` (the step the order is at) and `lines`, when the view already has them, are
    not read again; after a write the view passes neither."""
    current = context.pop("current", None) or wizard.current_step(order)
    lines = context.pop("lines", None) or wizard.lines_of(order)
    return render_page(
        f"renewal/{step}.html",
        block=PANEL,
        status=status,
        fragment=wants_fragment(PANEL),
        order=order,
        lines=lines,
        step=step,
        current=current,
        steps=wizard.STEPS[:-1],
        step_labels=STEP_LABELS,
        convention=order.convention,
        account=order.account,
        **context,
    )


def _go(order, step: str, **context):
    """Move to `step`: 303 for a plain client, the panel + HX-Push-Url for htmx."""
    url = url_for(f"renewal.{step}", order_id=order.id)
    if not wants_fragment(PANEL):
        return redirect(url, 303)
    response = VIEWS[step](order, **context)
    response.headers["HX-Push-Url"] = url
    return response


def _guard(order, step: str) -> tuple[str, object]:
    """The step the order is at, and a response that sends a too-early (or frozen) step
    there (None when `step` may be shown)."""
    current = wizard.current_step(order)
    if wizard.reachable(order, step, current):
        return current, None
    return current, _go(order, current)


def _actor() -> str:
    return f"member:{current_principal().key}"


def _acting() -> dict:
    """What a verb that may tell the member and is audited needs from this request."""
    return dict(now=clock.now(), notices=MemberMail(), actor=_actor(), ip=request.remote_addr or "")


def _next(step: str) -> str:
    return wizard.STEPS[wizard.STEPS.index(step) + 1]


# --- Start ------------------------------------------------------------------------------


@bp.post("/start")
@member_required
def start():
    """RINNOVA (one mailbox, `only`) or the chosen `mailbox` checkboxes: one draft order."""
    only = request.form.get("only")
    raw = [only] if only else request.form.getlist("mailbox")
    if not raw:
        flash(ERRORS["no_mailboxes"], "error")
        return redirect(url_for("mailboxes.index"), 303)
    ids = {number for x in raw if (number := parse_id(x)) is not None}
    principal = current_principal()
    mailboxes = list(principal.mailboxes().where(Mailbox.id.in_(list(ids))))
    if not mailboxes or len(mailboxes) != len(ids) or len(ids) != len(raw):
        abort(404)
    if not request.form.get("again"):
        recent = recent_renewals([m.id for m in mailboxes], clock.today())
        if recent:
            return _renew_again(mailboxes, recent, principal.account().convention, only)
    return _start(principal, mailboxes)


def _start(principal, mailboxes):
    """The draft order for `mailboxes` (R4: or the open one that holds them), and the
    redirect to where it stands."""
    account = principal.account()
    language = current_language()
    if account.language != language:  # e-mails follow the member's current choice
        accounts.choose_language(account, language)
    started_by = principal.record() if principal.kind == "mailbox" else None
    try:
        outcome = wizard.start_renewal(
            account,
            mailboxes,
            today=clock.today(),
            now=clock.now(),
            started_by=started_by,
            language=language,
        )
    except wizard.RenewalError as error:
        flash(ERRORS[error.code], "error")
        return redirect(url_for("mailboxes.index"), 303)
    order = outcome.order
    if outcome.code == "awaiting_payment":
        if not access.may_see(principal, order):
            flash(ERRORS["not_open"], "error")
            return redirect(url_for("mailboxes.index"), 303)
        return redirect(url_for("renewal.done", order_id=order.id), 303)
    if outcome.code == "resumed":
        return redirect(url_for("renewal.resume", order_id=order.id), 303)
    return redirect(url_for("renewal.service", order_id=order.id), 303)


def open_renewal(principal, mailbox):
    """Where a personal link lands (R11): the mailbox's open order or a new Riepilogo
    servizio in its renewal season; Gestione PEC otherwise (just renewed, or ceased), and
    when the open order also renews other mailboxes (the account holder's: a link never
    replaces it)."""
    if not access_links.wants_renewal(mailbox, clock.today()):
        return redirect(url_for("mailboxes.index"), 303)
    open_order = Order.open_for(mailbox)
    if open_order is not None and not access.may_see(principal, open_order):
        return redirect(url_for("mailboxes.index"), 303)
    return _start(principal, [mailbox])


def _renew_again(mailboxes, recent, convention, only):
    """RINNOVA on a mailbox renewed in the last days: say so, with the expiry it already
    has, and renew only if the member confirms (some ordered and paid twice)."""
    rows = [
        (box, recent[box.id], clock.add_years(box.expires_on, convention.duration_years))
        for box in mailboxes
        if box.id in recent
    ]
    return render_page(
        "renewal/renew_again.html",
        rows=rows,
        mailboxes=mailboxes,
        only=only,
    )


@bp.get("/<int:order_id>/")
@member_required
def resume(order_id: int):
    """Coming back later: straight to where the member left off."""
    order = _order(order_id)
    return redirect(url_for(f"renewal.{wizard.current_step(order)}", order_id=order.id), 303)


# --- Steps ------------------------------------------------------------------------------


def _service(order, **context):
    return _render(order, "service", **context)


@bp.get("/<int:order_id>/service")
@member_required
def service(order_id: int):
    """Riepilogo servizio: mailboxes, convention, duration, totals (docs/rules.md, member journey 4)."""
    order = _order(order_id)
    current, redirect_response = _guard(order, "service")
    return redirect_response or _service(order, current=current)


def _contracts(order, form=None, status=200, **context):
    documents = wizard.current_documents(order.convention_id)
    if form is None and (typed := take_typed_form()) is not None:
        form = forms.contracts_form(documents, formdata=typed)
    if form is None:
        accepted = wizard.accepted_document_ids(order)
        form = forms.contracts_form(documents, accepted_ids=accepted, formdata=None)
    return _render(order, "contracts", status, form=form, documents=documents, **context)


@bp.route("/<int:order_id>/contracts", methods=["GET", "POST"])
@member_required
def contracts(order_id: int):
    """Contratti: Accetto / Non accetto on each document, all three required (R10)."""
    order = _order(order_id)
    current, redirect_response = _guard(order, "contracts")
    if redirect_response:
        return redirect_response
    if request.method == "GET":
        return _contracts(order, current=current)
    documents = wizard.current_documents(order.convention_id)
    form = forms.contracts_form(documents)
    if not form.validate():
        return _contracts(order, form, 422, current=current)
    try:
        wizard.accept_contracts(
            order,
            form.accepted_ids(),
            now=clock.now(),
            ip=request.remote_addr or "",
            user_agent=request.user_agent.string,
        )
    except wizard.RenewalError as error:
        return _after_error(order, error, "contracts")
    return _go(order, _next("contracts"))


def _billing(order, form=None, status=200, **context):
    if form is None and (typed := take_typed_form()) is not None:
        form = forms.BillingForm(formdata=typed)
    if form is None:
        data = billing_rules.from_snapshot(order.billing) or billing_rules.from_account(
            order.account
        )
        form = forms.billing_form(data, formdata=None)
    return _render(order, "billing", status, form=form, **context)


@bp.route("/<int:order_id>/billing", methods=["GET", "POST"])
@member_required
def billing(order_id: int):
    """Dati di fatturazione, prefilled from the holder (docs/rules.md, member journey 6)."""
    order = _order(order_id)
    current, redirect_response = _guard(order, "billing")
    if redirect_response:
        return redirect_response
    if request.method == "GET":
        return _billing(order, current=current)
    form = forms.BillingForm()
    if not form.validate():
        return _billing(order, form, 422, current=current)
    try:
        wizard.save_billing(order, form.data_for_domain(), now=clock.now())
    except wizard.RenewalError as error:
        return _after_error(order, error, "billing")
    return _go(order, _next("billing"))


def _payment(order, form=None, status=200, **context):
    methods = order.convention.methods
    if form is None and (typed := take_typed_form()) is not None:
        form = forms.payment_form(methods, PAYMENT_METHOD_LABELS, formdata=typed)
    if form is None:
        form = forms.payment_form(
            methods, PAYMENT_METHOD_LABELS, selected=order.payment_method, formdata=None
        )
    lines = wizard.lines_of(order)
    return _render(
        order,
        "payment",
        status,
        lines=lines,
        form=form,
        method_details=method_details(),
        expiry_warning=wizard.slow_method_warning(lines, clock.today()),
        **context,
    )


@bp.route("/<int:order_id>/payment", methods=["GET", "POST"])
@member_required
def payment(order_id: int):
    """Modalità di pagamento: the convention's methods with their delays (docs/rules.md, member journey 7)."""
    order = _order(order_id)
    current, redirect_response = _guard(order, "payment")
    if redirect_response:
        return redirect_response
    if request.method == "GET":
        return _payment(order, current=current)
    form = forms.payment_form(order.convention.methods, PAYMENT_METHOD_LABELS)
    if not form.validate():
        return _payment(order, form, 422, current=current)
    try:
        wizard.choose_payment_method(order, form.method.data, **_acting())
    except wizard.RenewalError as error:
        return _after_error(order, error, "payment")
    return _go(order, _next("payment"))


def _confirm(order, status=200, **context):
    return _render(
        order,
        "confirm",
        status,
        billing_data=billing_rules.from_snapshot(order.billing),
        **context,
    )


@bp.route("/<int:order_id>/confirm", methods=["GET", "POST"])
@member_required
def confirm(order_id: int):
    """Riepilogo e conferma ordine → the order number, e-mail in the outbox (docs/rules.md, member journey 8–9)."""
    order = _order(order_id)
    current, redirect_response = _guard(order, "confirm")
    if redirect_response:
        return redirect_response
    if request.method == "GET":
        return _confirm(order, current=current)
    outcome = wizard.confirm_order(order, **_acting())
    if outcome.code == "prices_changed":
        return _confirm(outcome.order, notice=ERRORS["prices_changed"])
    return _go(outcome.order, wizard.current_step(outcome.order))


def _done(order, status=200, **context):
    method_form = context.pop("method_form", None) or forms.payment_form(
        order.convention.methods,
        PAYMENT_METHOD_LABELS,
        selected=order.payment_method,
        formdata=None,
    )
    return _render(
        order,
        "done",
        status,
        method_form=method_form,
        method_details=method_details(),
        money=balance(order),
        **context,
    )


@bp.get("/<int:order_id>/done")
@member_required
def done(order_id: int):
    """ "L'ordine è andato a buon fine.": the number and how to pay it (R4: shown again
    whenever the member starts a renewal of a mailbox on this order)."""
    order = _order(order_id)
    current, redirect_response = _guard(order, "done")
    return redirect_response or _done(order, current=current)


@bp.post("/<int:order_id>/method")
@member_required
def switch_method(order_id: int):
    """Change how an order awaiting payment is paid; the number stays (R4)."""
    order = _order(order_id)
    form = forms.payment_form(order.convention.methods, PAYMENT_METHOD_LABELS)
    if not form.validate():
        return _done(order, 422, method_form=form)
    try:
        outcome = wizard.choose_payment_method(order, form.method.data, **_acting())
    except wizard.RenewalError as error:
        return _after_error(order, error, "done")
    if outcome == "chosen":  # still a draft: it was the wizard's payment step
        return _go(order, wizard.current_step(order))
    flash(PAYMENT_SWITCHED, "info")
    return redirect(url_for("renewal.done", order_id=order.id), 303)


@bp.post("/<int:order_id>/cancel")
@member_required
def cancel(order_id: int):
    """Annulla l'ordine: cancelled, its mailboxes free for a new renewal (R4)."""
    order = _order(order_id)
    try:
        wizard.cancel_order(order, now=clock.now(), actor=_actor(), ip=request.remote_addr or "")
    except wizard.RenewalError as error:
        flash(ERRORS[error.code], "error")
        return redirect(url_for("renewal.resume", order_id=order.id), 303)
    flash(ORDER_CANCELLED_NOTICE if order.number else DRAFT_CANCELLED_NOTICE, "info")
    return redirect(url_for("mailboxes.index"), 303)


def _after_error(order, error, step):
    """A rule refused (the order changed meanwhile): say why, show where things are."""
    flash(ERRORS.get(error.code, ERRORS["not_draft"]), "error")
    return (
        _go(order, wizard.current_step(order))
        if step != "done"
        else redirect(url_for("renewal.done", order_id=order.id), 303)
    )


# --- Contract documents ------------------------------------------------------------------


def _document(order, code: str):
    """The version this order accepted, else the convention's current one."""
    for acceptance in order.acceptances:
        if acceptance.document_code == code:
            return acceptance.document
    doc = (
        ContractDocument.current_for(order.convention_id)
        .where(ContractDocument.code == code)
        .first()
    )
    if doc is None:
        abort(404)
    return doc


@bp.get("/<int:order_id>/documents/<code>")
@member_required
def document(order_id: int, code: str):
    """A contract document as a printable page (docs/rules.md, member journey 5: the member keeps a copy)."""
    order = _order(order_id)
    return render_page("renewal/document.html", order=order, doc=_document(order, code))


@bp.get("/<int:order_id>/documents/<code>/download")
@member_required
def document_text(order_id: int, code: str):
    """The same text as a download, byte for byte what was shown (its SHA-256 is kept)."""
    order = _order(order_id)
    doc = _document(order, code)
    body = f"{doc.title}\n(v{doc.version})\n\n{doc.body}\n"
    response = make_response(body)
    response.mimetype = "text/plain"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{doc.code}-v{doc.version}.txt"'
    )
    return response


VIEWS = {
    "service": _service,
    "contracts": _contracts,
    "billing": _billing,
    "payment": _payment,
    "confirm": _confirm,
    "done": _done,
}

PAYMENT_SWITCHED = _l("Modalità di pagamento aggiornata: ti abbiamo inviato le nuove istruzioni.")
ORDER_CANCELLED_NOTICE = _l("Ordine annullato. Puoi avviare un nuovo rinnovo quando vuoi.")
DRAFT_CANCELLED_NOTICE = _l("Rinnovo annullato: nessun ordine è stato creato.")
