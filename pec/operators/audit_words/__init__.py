"""The audit log in the staff's words: who (people by name), what (a sentence per
action) and the details as readable fields.

Every action has one formatter, registered with `@says` in money.py or people.py (a
new audit action gets one there); an action without one still reads as a sentence with
its details as fields, so no page ever shows raw data. Names are looked up in a fixed
number of queries per page (parts.Names).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _

from pec.language import lazy_gettext as _l
from pec.models import (
    Account,
    AuditEvent,
    IdentityDocument,
    Mailbox,
    Order,
    OutboxMessage,
)

# Importing them registers their formatters.
from pec.operators.audit_words import money as _money_sentences  # noqa: F401
from pec.operators.audit_words import people as _people_sentences  # noqa: F401
from pec.operators.audit_words.parts import FORMATTERS, Event, Names, plain_fields

__all__ = ["FORMATTERS", "KINDS", "Entry", "Names", "entries", "kind_condition"]


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
