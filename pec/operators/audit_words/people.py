"""The audit log's sentences about people and records: operators and their accounts,
members, mailboxes, documents, imports, e-mails and settings."""

from flask_babel import gettext as _
from flask_babel import ngettext

from pec.models import (
    Operator,
)
from pec.operators.audit_words.parts import (
    MAILBOX_FIELD_LABELS,
    changes,
    day,
    says,
    value_in_words,
)
from pec.operators.forms import CONTRACT_LABELS


@says("operator.login")
def _login(e):
    factor = e.details.get("second_factor")
    if factor == "totp":
        return _("%(who)s ha effettuato l'accesso con password e codice dell'app.", who=e.who), []
    if factor == "recovery_code":
        return _(
            "%(who)s ha effettuato l'accesso con password e un codice di recupero.", who=e.who
        ), []
    return _("%(who)s ha effettuato l'accesso.", who=e.who), []


@says("operator.logout")
def _logout(e):
    return _("%(who)s ha chiuso la sessione.", who=e.who), []


@says("operator.second_factor_failed")
def _second_factor_failed(e):
    return _("Codice di verifica sbagliato all'accesso di %(who)s.", who=e.who), []


@says("operator.invited")
def _invited(e):
    return _(
        "%(who)s ha invitato %(name)s (%(email)s) come %(role)s.",
        who=e.who,
        name=e.details.get("name") or e.details.get("email", ""),
        email=e.details.get("email", ""),
        role=value_in_words("role", e.details.get("role")),
    ), []


@says("operator.password_set")
def _password_set(e):
    if e.details.get("purpose") == "invite":
        return _("%(who)s ha accettato l'invito e scelto la password.", who=e.who), []
    return _("%(who)s ha scelto una nuova password.", who=e.who), []


def _operator_name(e) -> str:
    return e.target.display_name if isinstance(e.target, Operator) else _("un operatore")


@says("operator.updated")
def _operator_updated(e):
    return _(
        "%(who)s ha modificato l'account operatore di %(name)s.", who=e.who, name=_operator_name(e)
    ), changes(e.details)


@says("operator.disabled", "operator.enabled")
def _operator_active(e):
    if e.action == "operator.enabled":
        return _(
            "%(who)s ha riattivato l'account di %(name)s.", who=e.who, name=_operator_name(e)
        ), []
    return _("%(who)s ha disattivato l'account di %(name)s.", who=e.who, name=_operator_name(e)), []


@says("operator.password_reset")
def _operator_reset(e):
    return _(
        "%(who)s ha azzerato la password di %(name)s e gli ha inviato un link per sceglierne una nuova.",
        who=e.who,
        name=_operator_name(e),
    ), []


@says("operator.two_factor_reset")
def _operator_2fa_reset(e):
    return _(
        "%(who)s ha rimosso l'app di autenticazione di %(name)s.", who=e.who, name=_operator_name(e)
    ), []


@says("operator.two_factor_enabled")
def _2fa_enabled(e):
    return _("%(who)s ha attivato la verifica in due passaggi.", who=e.who), []


@says("operator.two_factor_disabled")
def _2fa_disabled(e):
    return _("%(who)s ha disattivato la verifica in due passaggi.", who=e.who), []


@says("operator.recovery_codes_renewed")
def _codes_renewed(e):
    return _("%(who)s ha generato nuovi codici di recupero.", who=e.who), []


@says("mailbox.deactivated")
def _deactivated(e):
    return _(
        "%(who)s ha disattivato la casella %(address)s, scaduta il %(date)s.",
        who=e.who,
        address=getattr(e.target, "address", ""),
        date=day(e.details.get("expires_on")),
    ), []


@says("mailbox.ceased")
def _ceased(e):
    cancelled = e.details.get("orders_cancelled") or 0
    fields = []
    if cancelled:
        fields.append(
            (
                _("Ordini annullati"),
                ngettext("%(num)d ordine", "%(num)d ordini", int(cancelled)),
            )
        )
    return _(
        "%(who)s ha cessato la casella %(address)s, scaduta il %(date)s.",
        who=e.who,
        address=getattr(e.target, "address", ""),
        date=day(e.details.get("expires_on")),
    ), fields


@says("member.created")
def _member_created(e):
    d = e.details
    return _(
        "%(who)s ha creato l'iscritto %(name)s con la casella %(address)s.",
        who=e.who,
        name=d.get("name") or e.holder(),
        address=d.get("address", ""),
    ), [(_("Login dell'account"), d.get("login", "")), (_("Scadenza"), day(d.get("expires_on")))]


@says("mailbox.created", "roster.mailbox_created")
def _mailbox_created(e):
    address = getattr(e.target, "address", "") or e.details.get("address", "")
    return _(
        "%(who)s ha aggiunto la casella %(address)s di %(holder)s.",
        who=e.who,
        address=address,
        holder=e.holder() or _("un iscritto"),
    ), [(_("Scadenza"), day(e.details.get("expires_on")))]


@says("mailbox.updated", "roster.mailbox_updated")
def _mailbox_updated(e):
    return _(
        "%(who)s ha modificato la casella %(address)s.",
        who=e.who,
        address=getattr(e.target, "address", ""),
    ), changes(e.details, MAILBOX_FIELD_LABELS)


@says("account.updated", "roster.account_updated")
def _account_updated(e):
    return _(
        "%(who)s ha modificato i dati del titolare %(holder)s.", who=e.who, holder=e.holder()
    ), changes(e.details)


@says("roster.account_created")
def _account_created(e):
    return _(
        "%(who)s ha creato l'account di %(holder)s dall'elenco iscritti.",
        who=e.who,
        holder=e.holder(),
    ), []


@says("roster.imported")
def _roster_imported(e):
    d = e.details
    counts = [
        ("lines", ngettext("%(num)d riga letta", "%(num)d righe lette", d.get("lines", 0))),
        (
            "bad_lines",
            ngettext("%(num)d riga con errori", "%(num)d righe con errori", d.get("bad_lines", 0)),
        ),
        (
            "new_accounts",
            ngettext("%(num)d account nuovo", "%(num)d account nuovi", d.get("new_accounts", 0)),
        ),
        (
            "updated_accounts",
            ngettext(
                "%(num)d account aggiornato",
                "%(num)d account aggiornati",
                d.get("updated_accounts", 0),
            ),
        ),
        (
            "new_mailboxes",
            ngettext("%(num)d casella nuova", "%(num)d caselle nuove", d.get("new_mailboxes", 0)),
        ),
        (
            "updated_mailboxes",
            ngettext(
                "%(num)d casella aggiornata",
                "%(num)d caselle aggiornate",
                d.get("updated_mailboxes", 0),
            ),
        ),
    ]
    return _(
        "%(who)s ha importato l'elenco iscritti %(file)s.",
        who=e.who,
        file=d.get("filename") or "",
    ), [(_("Risultato"), ", ".join(text for key, text in counts if d.get(key)))]


@says("statement.imported")
def _statement_imported(e):
    d = e.details
    outcomes = d.get("outcomes") or {}
    registered = outcomes.get("applied", 0)
    flagged = sum(v for k, v in outcomes.items() if k not in ("applied", "reconciled"))
    parts = [
        ngettext("%(num)d movimento", "%(num)d movimenti", d.get("entries", 0)),
        ngettext("%(num)d pagamento registrato", "%(num)d pagamenti registrati", registered),
    ]
    if flagged:
        parts.append(ngettext("%(num)d da verificare", "%(num)d da verificare", flagged))
    if d.get("manual"):
        parts.append(
            ngettext("%(num)d da abbinare a mano", "%(num)d da abbinare a mano", d["manual"])
        )
    if d.get("done_before"):
        parts.append(ngettext("%(num)d già importato", "%(num)d già importati", d["done_before"]))
    if d.get("bad_lines"):
        parts.append(
            ngettext("%(num)d riga non valida", "%(num)d righe non valide", d["bad_lines"])
        )
    return _(
        "%(who)s ha importato l'estratto conto %(file)s.", who=e.who, file=d.get("filename") or ""
    ), [(_("Risultato"), ", ".join(parts))]


@says("document.uploaded")
def _document_uploaded(e):
    return _("%(who)s ha caricato un documento d'identità.", who=e.who), []


@says("document.verified")
def _document_verified(e):
    return _(
        "%(who)s ha verificato il documento d'identità di %(holder)s.", who=e.who, holder=e.holder()
    ), []


@says("document.rejected")
def _document_rejected(e):
    return _(
        "%(who)s ha rifiutato il documento d'identità di %(holder)s.", who=e.who, holder=e.holder()
    ), [(_("Motivo"), e.details.get("reason") or "")]


@says("document.purged")
def _document_purged(e):
    return _(
        "%(who)s ha eliminato il file del documento d'identità di %(holder)s (tempo di conservazione scaduto).",
        who=e.who,
        holder=e.holder(),
    ), []


@says("outbox.retried")
def _outbox_retried(e):
    message = e.target
    return _(
        "%(who)s ha rimesso in coda l'e-mail «%(subject)s» per %(to)s.",
        who=e.who,
        subject=getattr(message, "subject", ""),
        to=getattr(message, "to_address", ""),
    ), []


@says("outbox.retried_failed")
def _outbox_retried_failed(e):
    n = int(e.details.get("messages") or 0)
    return ngettext(
        "%(who)s ha rimesso in coda %(num)d e-mail non inviata.",
        "%(who)s ha rimesso in coda %(num)d e-mail non inviate.",
        n,
        who=e.who,
    ), []


@says("convention.updated")
def _convention_updated(e):
    return _(
        "%(who)s ha modificato le impostazioni della convenzione %(code)s.",
        who=e.who,
        code=getattr(e.target, "code", ""),
    ), changes(e.details)


@says("contract.version_added")
def _contract_added(e):
    code = e.details.get("code", "")
    return _(
        "%(who)s ha pubblicato la versione %(version)s di «%(document)s».",
        who=e.who,
        version=e.details.get("version", ""),
        document=CONTRACT_LABELS.get(code, getattr(e.target, "title", "")),
    ), []


@says("mailbox.access_link_sent")
def _access_link_sent(e):
    return _(
        "%(who)s ha inviato a %(holder)s il link personale della casella %(address)s.",
        who=e.who,
        holder=e.holder() or _("un iscritto"),
        address=getattr(e.target, "address", ""),
    ), []


@says("account.access_email_sent")
def _access_email_sent(e):
    return _(
        "%(who)s ha inviato a %(holder)s l'e-mail per scegliere la password.",
        who=e.who,
        holder=e.holder() or _("un iscritto"),
    ), []


@says("account.links_revoked")
def _links_revoked(e):
    return _(
        "%(who)s ha revocato tutti i link di accesso di %(holder)s.",
        who=e.who,
        holder=e.holder() or _("un iscritto"),
    ), []


@says("account.password_set")
def _member_password_set(e):
    address = e.details.get("mailbox")
    if address:
        return _(
            "%(who)s ha scelto una nuova password per la casella %(address)s.",
            who=e.who,
            address=address,
        ), []
    return _("%(who)s ha scelto la password dell'account.", who=e.who), []


@says("convention.identity_updated")
def _identity_updated(e):
    return _(
        "%(who)s ha modificato venditore e contatti della convenzione %(code)s.",
        who=e.who,
        code=getattr(e.target, "code", ""),
    ), changes(e.details)


@says("convention.logo_set", "convention.logo_removed")
def _logo(e):
    code = getattr(e.target, "code", "")
    if e.action == "convention.logo_removed":
        return _("%(who)s ha rimosso il logo della convenzione %(code)s.", who=e.who, code=code), []
    return _("%(who)s ha caricato il logo della convenzione %(code)s.", who=e.who, code=code), []
