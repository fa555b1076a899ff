"""What the audit log's sentences are made of: people by name (looked up once per page),
stored values in words, and the registry of one formatter per action (`@says`).

Audit events are stored as evidence with an actor string ("operator:3",
"member:account:1", "system:deactivation") and JSON details (pec.domain.audit); they are
never shown like that.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from wtforms.fields.core import UnboundField

from pec.domain import money
from pec.labels import PAYMENT_METHOD_LABELS, PERSON_TYPE_LABELS
from pec.language import current_language
from pec.language import lazy_gettext as _l
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
from pec.operators.forms import ConventionForm, HolderForm, IdentityForm
from pec.operators.labels import ROLE_LABELS
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
    **_form_labels(IdentityForm),
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
    return money.format_eur(int(cents or 0), current_language())


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
        return money.format_rate(int(value), current_language())
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
