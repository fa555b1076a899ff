"""Convention settings and contract versions: admins only, every change audited."""

from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from playhouse.shortcuts import model_to_dict

from pec.domain import convention_settings as settings
from pec.domain import invoices, seller
from pec.domain.money import format_rate, parse_eur
from pec.language import lazy_gettext as _l
from pec.models import ContractDocument, Convention
from pec.operators.forms import (
    CONTRACT_LABELS,
    ContractForm,
    ConventionForm,
    IdentityForm,
    LogoForm,
)
from pec.operators.session import actor, operator_required
from pec.rendering import render_page
from pec.vocabulary import Role, Seller

bp = Blueprint("settings", __name__)


def _convention(convention_id: int) -> Convention:
    return Convention.get_or_none(Convention.id == convention_id) or abort(404)


@bp.get("/conventions")
@operator_required(Role.ADMIN)
def conventions():
    items = list(Convention.select().order_by(Convention.code))
    if len(items) == 1:
        return redirect(url_for("operators.settings.convention", convention_id=items[0].id), 303)
    return render_page("operators/conventions.html", conventions=items)


def _form_values(form: ConventionForm, item: Convention) -> dict:
    """The form as model values; parse errors go to the fields, {} if any."""
    values = {}
    parsers = {
        "price": ("price_cents", parse_eur, _("Un importo in euro, per esempio 4,00.")),
        "vat_rate": (
            "vat_rate_bp",
            settings.parse_rate,
            _("Un'aliquota tra 0 e 100, per esempio 22."),
        ),
        "reminder_offsets": (
            "reminder_offsets",
            settings.parse_offsets,
            _("Giorni tra 0 e 365 separati da virgole, per esempio 60, 30, 15, 7, 1."),
        ),
        "iban": ("iban", settings.parse_iban, _("IBAN non valido.")),
        "postal_account": (
            "postal_account",
            settings.parse_postal_account,
            _("Il conto corrente postale è fatto di sole cifre."),
        ),
    }
    for name, (key, parse, message) in parsers.items():
        try:
            values[key] = parse(getattr(form, name).data or "")
        except (ValueError, ArithmeticError):
            getattr(form, name).errors.append(message)
    for name in (
        "duration_years",
        "expiring_window_days",
        "restore_window_days",
        "declared_payment_hold_days",
        "document_retention_days",
    ):
        values[name] = getattr(form, name).data
    values["beneficiary"] = (form.beneficiary.data or "").strip()
    values["enabled_methods"] = settings.methods_value(form.enabled_methods.data)
    # Who invoices: a value not offered keeps what is saved.
    values["seller"] = form.seller.data if form.seller.data in tuple(Seller) else item.seller
    regime = form.tax_regime.data
    values["tax_regime"] = regime if regime in settings.TAX_REGIMES else item.tax_regime
    if form.errors:
        return {}
    if values["seller"] == Seller.CONVENTION:
        # R13: invoices need the seller's identity (the settings above, as saved or sent).
        seen = SimpleNamespace(**{**model_to_dict(item, recurse=False), **values})
        if invoices.missing_seller_fields(seen):
            form.seller.errors.append(
                _(
                    "Per emettere le fatture servono ragione sociale, partita IVA, indirizzo, "
                    "CAP e comune del venditore."
                )
            )
    for name in settings.missing_payment_details(values):
        getattr(form, name).errors.append(
            _("Serve per le modalità di pagamento attive (bonifico o bollettino).")
        )
    return {} if form.errors else values


@bp.route("/conventions/<int:convention_id>", methods=["GET", "POST"])
@operator_required(Role.ADMIN)
def convention(convention_id: int):
    item = _convention(convention_id)
    if request.method == "GET":
        plain = [f for f in settings.SETTINGS if f in ConventionForm.__dict__]
        form = ConventionForm(
            data={f: getattr(item, f) for f in plain},
            price=f"{item.price_cents // 100},{item.price_cents % 100:02d}",
            vat_rate=format_rate(item.vat_rate_bp).rstrip("%"),
            reminder_offsets=", ".join(str(d) for d in item.offsets),
            enabled_methods=item.methods,
        )
    else:
        form = ConventionForm()
    if form.validate_on_submit() and (values := _form_values(form, item)):
        changed = settings.update_convention(item, values, actor=actor(), ip=request.remote_addr)
        if changed:
            flash(_("Impostazioni salvate: valgono per i nuovi ordini."), "info")
        else:
            flash(_("Nessuna modifica."), "info")
        return redirect(url_for("operators.settings.convention", convention_id=item.id), 303)
    status = 422 if form.errors else 200
    return render_page(
        "operators/convention.html",
        status=status,
        form=form,
        convention=item,
        documents=_documents(item),
        contract_form=ContractForm(),
        contract_labels=CONTRACT_LABELS,
    )


def _documents(item: Convention) -> list[ContractDocument]:
    return list(
        ContractDocument.select()
        .where(ContractDocument.convention == item)
        .order_by(ContractDocument.code, ContractDocument.version.desc())
    )


@bp.route("/conventions/<int:convention_id>/contracts", methods=["GET", "POST"])
@operator_required(Role.ADMIN)
def contract_version(convention_id: int):
    """A new version of a contract document (the old one stays as members accepted it)."""
    item = _convention(convention_id)
    form = ContractForm()
    if request.method == "GET" and request.args.get("code") in CONTRACT_LABELS:
        current = (
            ContractDocument.current_for(item)
            .where(ContractDocument.code == request.args["code"])
            .first()
        )
        form.code.data = request.args["code"]
        if current is not None:
            # The operator edits what they wrote, placeholders included.
            form.title.data = current.title
            form.body.data = current.template or current.body
    if form.validate_on_submit():
        document = settings.add_contract_version(
            item,
            form.code.data,
            form.title.data,
            form.body.data,
            actor=actor(),
            ip=request.remote_addr,
        )
        flash(
            _(
                "Nuova versione %(version)d pubblicata: vale per i nuovi ordini.",
                version=document.version,
            ),
            "info",
        )
        return redirect(url_for("operators.settings.convention", convention_id=item.id), 303)
    status = 422 if form.errors else 200
    return render_page(
        "operators/contract_form.html",
        status=status,
        form=form,
        convention=item,
        documents=_documents(item),
    )


# --- Who sells and who to call ------------------------------------------------------------

IDENTITY_ERRORS = {
    "invalid": _l("Valore non valido."),
    "checksum": _l("Il carattere di controllo non corrisponde."),
    "company_cf": _l("Il codice fiscale di un'azienda ha 11 cifre."),
    "cap": _l("Il CAP è formato da 5 cifre."),
    "province": _l("Sigla di provincia inesistente: usa la sigla di 2 lettere, ad es. RM."),
    seller.LOCAL_SENDER: _l(
        "Un indirizzo su localhost non riceve risposte e fa sembrare le e-mail un tentativo "
        "di phishing: usa un indirizzo del dominio della convenzione."
    ),
    seller.CONTROL: _l("Senza a capo né caratteri di controllo."),
    seller.TOO_LONG: _l("Al massimo 200 caratteri."),
}
LOGO_ERRORS = {
    "missing": _l("Scegli il file del logo."),
    "too_large": _l("Il logo supera i 6 KB: la pagina di accesso deve restare leggera."),
    "type": _l("Il logo deve essere un'immagine PNG o JPEG (SVG non è accettato)."),
    "broken": _l("Il file non è un'immagine PNG o JPEG leggibile."),
}


def _identity_page(item, form, logo_form, status=200):
    return render_page(
        "operators/convention_identity.html",
        status=status,
        convention=item,
        form=form,
        logo_form=logo_form,
        placeholders=seller.PLACEHOLDERS,
    )


@bp.route("/conventions/<int:convention_id>/identity", methods=["GET", "POST"])
@operator_required(Role.ADMIN)
def convention_identity(convention_id: int):
    """The seller, contacts, privacy controller and e-mail sender; a change that alters
    a contract text publishes its new version (past acceptances keep theirs)."""
    item = _convention(convention_id)
    if request.method == "GET":
        form = IdentityForm(data={f: getattr(item, f) for f in seller.IDENTITY_FIELDS})
        return _identity_page(item, form, LogoForm())
    form = IdentityForm()
    if form.validate_on_submit():
        values, problems = seller.check_identity(form.data)
        for name, code in problems.items():
            getattr(form, name).errors.append(IDENTITY_ERRORS.get(code, IDENTITY_ERRORS["invalid"]))
        if not problems:
            before = {d.id for d in ContractDocument.current_for(item)}
            changed = settings.update_identity(item, values, actor=actor(), ip=request.remote_addr)
            published = [d for d in ContractDocument.current_for(item) if d.id not in before]
            if not changed:
                flash(_("Nessuna modifica."), "info")
            elif published:
                flash(
                    _(
                        "Dati salvati. Pubblicate nuove versioni di: %(titles)s (chi ha già "
                        "accettato resta legato alla versione precedente).",
                        titles=", ".join(d.title for d in published),
                    ),
                    "info",
                )
            else:
                flash(_("Dati salvati."), "info")
            return redirect(
                url_for("operators.settings.convention_identity", convention_id=item.id), 303
            )
    return _identity_page(item, form, LogoForm(), 422)


@bp.post("/conventions/<int:convention_id>/logo")
@operator_required(Role.ADMIN)
def convention_logo(convention_id: int):
    """Upload (checked by content) or remove the convention's logo."""
    item = _convention(convention_id)
    form = LogoForm()
    back = url_for("operators.settings.convention_identity", convention_id=item.id)
    if request.form.get("remove"):
        settings.set_logo(item, None, actor=actor(), ip=request.remote_addr)
        flash(_("Logo rimosso."), "info")
        return redirect(back, 303)
    upload = request.files.get("logo")
    try:
        if upload is None or not upload.filename:
            raise seller.LogoError("missing")
        logo = seller.check_logo(upload.stream.read(seller.LOGO_MAX_BYTES + 1))
    except seller.LogoError as error:
        form.logo.errors = [LOGO_ERRORS[error.code]]
        identity = IdentityForm(data={f: getattr(item, f) for f in seller.IDENTITY_FIELDS})
        return _identity_page(item, identity, form, 422)
    settings.set_logo(item, logo, actor=actor(), ip=request.remote_addr)
    flash(_("Logo caricato."), "info")
    return redirect(back, 303)
