"""The audit log in the staff's words: who (people by name), what (a sentence per
action) and the details as readable fields.

Audit events are stored as evidence with an actor string ("operator:3",
"member:account:1", "system:deactivation") and JSON details (pec.domain.audit); they are
never shown like that. Every action has one formatter here, registered with `@says`;
an action without one still reads as a sentence with its details as fields, so a new
action never shows raw data. Names are looked up in a fixed number of queries per page.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from pec.domain import money
from pec.labels import PAYMENT_METHOD_LABELS, PERSON_TYPE_LABELS
from pec.models import (
    Account,
    AuditEvent,
    ContractDocument,
    Convention,
    IdentityDocument,
    Mailbox,
    Operator,
    Order,
    OutboxMessage,
)
from pec.operators.forms import CONTRACT_LABELS, ConventionForm, HolderForm
from pec.operators.labels import ORDER_STATUS_LABELS, ROLE_LABELS
from pec.web import format_date

# "un bonifico": a payment method as the object of a sentence.
METHOD_NOUNS = {
    "card": _l("un pagamento con carta"),
    "paypal": _l("un pagamento PayPal"),
    "prefilled_slip": _l("un bollettino precompilato"),
    "bank_transfer": _l("un bonifico"),
    "blank_slip": _l("un bollettino"),
}

# Who acted, when it was not a person: the part after "system:", "cli:", "gateway:".
SYSTEM_ACTORS = {
    "system:deactivation": _l("La disattivazione automatica"),
    "system:ceasing": _l("La cessazione automatica"),
    "system:cleanup": _l("La pulizia notturna"),
    "system:purge": _l("La pulizia notturna"),
    "cli:import-roster": _l("L'import dell'elenco da riga di comando"),
    "cli:import-statement": _l("L'import dell'estratto conto da riga di comando"),
    "gateway:stripe": _l("Il pagamento online (Stripe)"),
    "gateway:demo": _l("Il pagamento online di prova"),
}


def _form_labels(form_class) -> dict:
    return {
        name: value.kwargs.get("label") or value.args[0]
        for name, value in vars(form_class).items()
        if isinstance(value, UnboundField) and (value.args or value.kwargs.get("label"))
    }


FIELD_LABELS = {
    **_form_labels(HolderForm),
    **_form_labels(ConventionForm),
    "price_cents": ConventionForm.price.args[0],
    "vat_rate_bp": ConventionForm.vat_rate.args[0],
    "login": _l("Login dell'account"),
    "address": _l("Indirizzo"),
    "expires_on": _l("Scadenza"),
    "deactivated_on": _l("Disattivata il"),
    "ceased_on": _l("Cessata il"),
    "name": _l("Nome"),
    "role": _l("Ruolo"),
    "email": _l("E-mail"),
}
# A mailbox's own "address" is its PEC address, not the holder's street.
MAILBOX_FIELD_LABELS = {"address": _l("Indirizzo PEC")}


@dataclass(frozen=True)
class Entry:
    """One audit event as the staff read it."""

    at: dt.datetime
    who: str
    sentence: str
    fields: list = field(default_factory=list)  # (label, value) pairs
    link: tuple | None = None  # (text, url) of what the action was about


# The audit log's "what" filter: kinds of activity, by the actions they hold (a name
# ending in "." stands for every action under it).
KINDS = {
    "access": (
        _l("Accessi degli operatori"),
        ("operator.login", "operator.logout", "operator.second_factor_failed"),
    ),
    "staff": (
        _l("Account degli operatori"),
        (
            "operator.invited",
            "operator.password_set",
            "operator.updated",
            "operator.enabled",
            "operator.disabled",
            "operator.password_reset",
            "operator.two_factor_reset",
            "operator.two_factor_enabled",
            "operator.two_factor_disabled",
            "operator.recovery_codes_renewed",
        ),
    ),
    "payments": (
        _l("Pagamenti, rimborsi e fatture"),
        ("payment.", "payments.", "refund.", "invoice."),
    ),
    "orders": (_l("Ordini"), ("order.",)),
    "members": (_l("Iscritti e caselle"), ("member.", "mailbox.", "account.", "roster.")),
    "documents": (_l("Documenti d'identità"), ("document.",)),
    "emails": (_l("E-mail"), ("outbox.",)),
    "statements": (_l("Estratti conto"), ("statement.",)),
    "settings": (_l("Impostazioni della convenzione"), ("convention.", "contract.")),
}


def kind_condition(kind: str):
    """A WHERE condition on AuditEvent for the actions of one of KINDS."""
    conditions = [
        AuditEvent.action.startswith(name) if name.endswith(".") else AuditEvent.action == name
        for name in KINDS[kind][1]
    ]
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return condition


# --- Looking names up ---------------------------------------------------------------------


class Names:
    """The people and records a page of events mentions, fetched once per kind."""

    def __init__(self, events: list):
        wanted: dict[str, set] = {}
        for event in events:
            kind, _sep, rest = event.actor.partition(":")
            if kind == "operator" and rest.isdigit():
                wanted.setdefault("Operator", set()).add(int(rest))
            elif kind == "member":
                sub, _sep, raw = rest.partition(":")
                if raw.isdigit():
                    wanted.setdefault("Account" if sub == "account" else "Mailbox", set()).add(
                        int(raw)
                    )
            if event.target_type and event.target_id is not None:
                wanted.setdefault(event.target_type, set()).add(event.target_id)
        self.rows: dict[tuple[str, int], object] = {}
        for model in (
            Operator,
            Account,
            Mailbox,
            Order,
            IdentityDocument,
            ContractDocument,
            Convention,
            OutboxMessage,
        ):
            ids = wanted.get(model.__name__)
            if ids:
                for row in model.select().where(model.id.in_(sorted(ids))):
                    self.rows[model.__name__, row.id] = row
        # The holders of the mailboxes, documents and orders named above, in one query.
        account_ids = {
            row.account_id
            for (kind, _id), row in self.rows.items()
            if kind in ("Mailbox", "IdentityDocument", "Order")
        } - {i for (kind, i) in self.rows if kind == "Account"}
        if account_ids:
            for row in Account.select().where(Account.id.in_(sorted(account_ids))):
                self.rows["Account", row.id] = row

    @classmethod
    def of_actors(cls, actors: Iterable[str]) -> "Names":
        """Names for actor strings alone (e.g. who registered each payment)."""
        return cls([AuditEvent(actor=a) for a in actors if a])

    def get(self, kind: str, row_id):
        return self.rows.get((kind, row_id))

    def holder_of(self, row) -> str:
        account = self.get("Account", getattr(row, "account_id", None))
        return account.display_name if account is not None else ""

    def who(self, actor: str) -> str:
        """The actor by name: an operator, a member, or what the system was doing."""
        kind, _sep, rest = (actor or "").partition(":")
        if kind == "operator" and rest.isdigit():
            operator = self.get("Operator", int(rest))
            return operator.display_name if operator else _("Un operatore")
        if kind == "member":
            sub, _sep, raw = rest.partition(":")
            row = self.get("Account" if sub == "account" else "Mailbox", int(raw or 0))
            if isinstance(row, Mailbox):
                return self.holder_of(row) or _("L'iscritto")
            return row.display_name if row is not None else _("L'iscritto")
        if actor in SYSTEM_ACTORS:
            return str(SYSTEM_ACTORS[actor])
        if kind == "gateway":
            return _("Il pagamento online")
        if kind == "cli":
            return _("Un comando da riga di comando")
        return _("Il sistema")


# --- Values in words ----------------------------------------------------------------------


def eur(cents) -> str:
    return money.format_eur(int(cents or 0), str(get_locale() or "it"))


def day(value) -> str:
    if not value:
        return ""
    try:
        return format_date(dt.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def method(value) -> str:
    return str(PAYMENT_METHOD_LABELS.get(value, value or ""))


def value_in_words(name: str, value) -> str:
    """A stored value of field `name` as staff read it."""
    if value is None or value == "":
        return _("(vuoto)")
    if isinstance(value, bool):
        return _("sì") if value else _("no")
    if name == "person_type":
        return str(PERSON_TYPE_LABELS.get(value, value))
    if name == "role":
        return str(ROLE_LABELS.get(value, value))
    if name == "price_cents":
        return eur(value)
    if name == "vat_rate_bp":
        return money.format_rate(int(value), str(get_locale() or "it"))
    if name == "reminder_offsets":
        return _("%(days)s giorni", days=", ".join(str(value).split(",")))
    if name == "enabled_methods":
        return ", ".join(method(m) for m in str(value).split(",") if m)
    if name.endswith("_on") or name.endswith("_at"):
        return day(value)
    if name.endswith("_cents"):
        return eur(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {val}" for key, val in value.items())
    return str(value)


def label_of(name: str, labels: dict | None = None) -> str:
    labels = {**FIELD_LABELS, **(labels or {})}
    if name in labels:
        return str(labels[name])
    return name.replace("_", " ").capitalize()


def changes(details: dict, labels: dict | None = None) -> list:
    """Fields of a {"before": …, "after": …} change as "label: before → after"."""
    before, after = details.get("before") or {}, details.get("after") or {}
    return [
        (label_of(k, labels), f"{value_in_words(k, before.get(k))} → {value_in_words(k, after[k])}")
        for k in after
    ]


def plain_fields(details: dict | None, skip: Iterable[str] = ()) -> list:
    """Details that have no formatter of their own, each as a readable field."""
    skipped = set(skip)
    return [
        (label_of(k), value_in_words(k, v))
        for k, v in (details or {}).items()
        if k not in skipped and not k.endswith("_id")
    ]


# --- One formatter per action -------------------------------------------------------------


@dataclass
class Event:
    """What a formatter reads: the event, its actor's name and its target row."""

    action: str
    who: str
    details: dict
    target: object
    names: Names

    def number(self) -> str:
        if isinstance(self.target, Order):
            return self.target.number or _("(bozza)")
        return self.details.get("order_number") or self.details.get("number") or ""

    def holder(self) -> str:
        if isinstance(self.target, Account):
            return self.target.display_name
        return self.names.holder_of(self.target) if self.target is not None else ""


Formatter = Callable[[Event], tuple]
FORMATTERS: dict[str, Formatter] = {}


def says(*actions: str):
    """Register the formatter of `actions`: it returns (sentence, fields)."""

    def register(formatter: Formatter) -> Formatter:
        for action in actions:
            FORMATTERS[action] = formatter
        return formatter

    return register


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


@says("payment.reported")
def _reported(e):
    d = e.details
    fields = [
        (_("Riferimento"), d.get("reference") or ""),
        (_("Data del pagamento"), day(d.get("paid_on"))),
    ]
    if d.get("reopened_after_rejection"):
        fields.append((_("Nota"), _("di nuovo, dopo un rifiuto")))
    return _(
        "%(who)s ha segnalato %(what)s di %(amount)s per l'ordine %(number)s.",
        who=e.who,
        what=METHOD_NOUNS.get(d.get("method"), _("un pagamento")),
        amount=eur(d.get("amount_cents")),
        number=e.number(),
    ), fields


def _payment_fields(d: dict) -> list:
    fields = [
        (_("Modalità"), method(d.get("method"))),
        (_("Riferimento"), d.get("reference") or ""),
        (_("Data del pagamento"), day(d.get("paid_on"))),
    ]
    for box in d.get("mailboxes") or []:
        text = _(
            "nuova scadenza %(date)s (era %(old)s)",
            date=day(box.get("new_expires_on")),
            old=day(box.get("old_expires_on")),
        )
        if box.get("reactivated"):
            text += " · " + _("riattivata")
        fields.append((box.get("address", ""), text))
    return fields


@says("payment.registered")
def _registered(e):
    return _(
        "%(who)s ha registrato un pagamento di %(amount)s sull'ordine %(number)s: rinnovo applicato.",
        who=e.who,
        amount=eur(e.details.get("amount_cents")),
        number=e.number(),
    ), _payment_fields(e.details)


@says("payment.partial")
def _partial(e):
    d = e.details
    return _(
        "%(who)s ha registrato %(amount)s sull'ordine %(number)s: ricevuti %(received)s su "
        "%(total)s, mancano %(missing)s.",
        who=e.who,
        amount=eur(d.get("amount_cents")),
        number=e.number(),
        received=eur(d.get("received_cents")),
        total=eur(d.get("total_cents")),
        missing=eur(d.get("missing_cents")),
    ), _payment_fields(d)


@says(
    "payment.amount_mismatch",
    "payment.not_payable",
    "payment.window_closed",
    "payment.duplicate_reference",
    "payment.already_applied",
)
def _not_applied(e):
    d = e.details
    why = {
        "amount_mismatch": _(
            "l'importo è diverso dal totale (%(expected)s)", expected=eur(d.get("expected_cents"))
        ),
        "not_payable": _(
            "l'ordine non era in attesa di pagamento (%(status)s)",
            status=ORDER_STATUS_LABELS.get(d.get("order_status"), _("pagato nel frattempo")),
        ),
        "window_closed": _("una casella dell'ordine è cessata"),
        "duplicate_reference": _("il riferimento era già usato"),
        "already_applied": _("era già registrato"),
    }
    code = e.action.partition(".")[2]
    if code == "amount_mismatch":  # written before money received added up (rule R12)
        sentence = _(
            "%(who)s ha registrato %(amount)s sull'ordine %(number)s, ma il rinnovo non è "
            "applicato: %(why)s. Da verificare.",
            who=e.who,
            amount=eur(d.get("amount_cents")),
            number=e.number(),
            why=why[code],
        )
    else:
        sentence = _(
            "%(who)s ha registrato %(amount)s sull'ordine %(number)s, ma il rinnovo non è "
            "applicato: %(why)s. Il denaro è da rimborsare.",
            who=e.who,
            amount=eur(d.get("amount_cents")),
            number=e.number(),
            why=why.get(code, _("da verificare")),
        )
    return sentence, _payment_fields(d)


@says("refund.recorded")
def _refund_recorded(e):
    d = e.details
    return _(
        "%(who)s ha registrato un rimborso di %(amount)s per l'ordine %(number)s.",
        who=e.who,
        amount=eur(d.get("amount_cents")),
        number=e.number(),
    ), [
        (_("Data del rimborso"), day(d.get("refunded_on"))),
        (_("Riferimento"), d.get("reference") or ""),
        (_("Nota"), d.get("note") or ""),
        (_("Nota di credito"), d.get("credit_note") or ""),
    ]


@says("refund.accepted")
def _refund_accepted(e):
    d = e.details
    return _(
        "%(who)s ha trattenuto %(amount)s dell'ordine %(number)s invece di rimborsarli.",
        who=e.who,
        amount=eur(d.get("amount_cents")),
        number=e.number(),
    ), [(_("Motivo"), d.get("reason") or "")]


@says("invoice.issued", "invoice.credit_note_issued")
def _invoice_issued(e):
    d = e.details
    values = dict(
        who=e.who, label=d.get("number", ""), amount=eur(d.get("gross_cents")), number=e.number()
    )
    if e.action == "invoice.credit_note_issued":
        sentence = _(
            "%(who)s ha emesso la nota di credito N° %(label)s di %(amount)s per l'ordine "
            "%(number)s.",
            **values,
        )
    else:
        sentence = _(
            "%(who)s ha emesso la fattura N° %(label)s di %(amount)s per l'ordine %(number)s.",
            **values,
        )
    return sentence, [(_("File per il Sistema di Interscambio"), d.get("file") or "")]


@says("invoice.not_issued")
def _invoice_not_issued(e):
    return _(
        "Fattura non emessa per l'ordine %(number)s: nelle impostazioni della convenzione "
        "mancano dati del venditore.",
        number=e.number(),
    ), []


@says("payment.report_rejected")
def _report_rejected(e):
    d = e.details
    return _(
        "%(who)s ha rifiutato il pagamento di %(amount)s segnalato per l'ordine %(number)s.",
        who=e.who,
        amount=eur(d.get("amount_cents")),
        number=e.number(),
    ), [
        (_("Motivo"), d.get("reason") or ""),
        (_("Riferimento"), d.get("reference") or ""),
        (_("Data del pagamento"), day(d.get("paid_on"))),
    ]


@says("payment.checkout_started")
def _checkout(e):
    return _(
        "%(who)s ha avviato il pagamento online dell'ordine %(number)s.",
        who=e.who,
        number=e.number(),
    ), []


@says("payment.declined")
def _declined(e):
    return _(
        "%(who)s: il pagamento online dell'ordine %(number)s non è andato a buon fine.",
        who=e.who,
        number=e.number(),
    ), [(_("Motivo"), e.details.get("reason") or "")]


@says("order.confirmed")
def _confirmed(e):
    return _(
        "%(who)s ha confermato l'ordine %(number)s (%(method)s).",
        who=e.who,
        number=e.number(),
        method=method(e.details.get("method")),
    ), []


@says("order.method_switched")
def _switched(e):
    return _(
        "%(who)s ha scelto di pagare l'ordine %(number)s con: %(method)s.",
        who=e.who,
        number=e.number(),
        method=method(e.details.get("method")),
    ), []


@says("order.cancelled")
def _cancelled(e):
    reason = e.details.get("reason") or ""
    return _("%(who)s ha annullato l'ordine %(number)s.", who=e.who, number=e.number()), (
        [(_("Motivo"), reason)] if reason else []
    )


@says("order.draft_cancelled")
def _draft_cancelled(e):
    return _(
        "%(who)s ha annullato una bozza d'ordine abbandonata di %(holder)s.",
        who=e.who,
        holder=e.holder() or _("un iscritto"),
    ), []


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


@says("payments.exported")
def _payments_exported(e):
    d = e.details
    return ngettext(
        "%(who)s ha esportato i pagamenti dal %(start)s al %(end)s (%(num)d riga).",
        "%(who)s ha esportato i pagamenti dal %(start)s al %(end)s (%(num)d righe).",
        int(d.get("rows") or 0),
        who=e.who,
        start=day(d.get("from")),
        end=day(d.get("to")),
    ), []


def _fallback(e):
    return _("%(who)s ha registrato un'attività.", who=e.who), plain_fields(e.details)


# --- Links to what an event was about -----------------------------------------------------


def _link(target, names: Names) -> tuple | None:
    if isinstance(target, Order):
        return (
            _("Ordine %(number)s", number=target.number or _("(bozza)")),
            url_for("operators.orders.order", order_id=target.id),
        )
    if isinstance(target, Mailbox):
        return target.address, url_for("operators.mailboxes.mailbox", mailbox_id=target.id)
    if isinstance(target, Account):
        return target.display_name, url_for("operators.members.account", account_id=target.id)
    if isinstance(target, IdentityDocument):
        return (
            names.holder_of(target),
            url_for("operators.members.account", account_id=target.account_id),
        )
    if isinstance(target, OutboxMessage):
        return target.subject, url_for("operators.outbox.outbox_message", message_id=target.id)
    return None


def entries(events: Iterable) -> list[Entry]:
    """The events, newest first as given, in words."""
    events = list(events)
    names = Names(events)
    result = []
    for event in events:
        target = names.get(event.target_type, event.target_id)
        details = event.details if isinstance(event.details, dict) else {}
        formatter = FORMATTERS.get(event.action, _fallback)
        who = names.who(event.actor)
        sentence, fields = formatter(Event(event.action, who, details, target, names))
        fields = [(label, value) for label, value in fields if value not in (None, "")]
        result.append(Entry(event.at, who, sentence, fields, _link(target, names)))
    return result
