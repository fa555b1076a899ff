"""Open orders that a statement line the import could not match may be paying, best
first, so an operator applies one with a click instead of typing its number.

Ranked by amount (the line pays exactly what the order still misses, rule R12) and by
holder name (the holder's surname, name or company in the remittance text). A line that
matches neither suggests nothing: every order of a convention costs the same, so an
amount alone would suggest them all.
"""

import re
from dataclasses import dataclass

from peewee import fn

from pec.domain.balance import missing_cents
from pec.domain.statements.entries import Entry
from pec.models import Account, Order
from pec.vocabulary import OrderStatus

LIMIT = 3
_WORD = re.compile(r"[A-ZÀ-Ý']{3,}")


@dataclass(frozen=True)
class Suggestion:
    order: Order
    amount_matches: bool
    name_matches: bool

    @property
    def missing_cents(self) -> int:
        return missing_cents(self.order)

    @property
    def score(self) -> int:
        return 2 * self.amount_matches + 2 * self.name_matches


def _words(text: str) -> set[str]:
    return set(_WORD.findall((text or "").upper()))


def _names_in(account: Account, words: set[str]) -> bool:
    if account.company_name:
        company = _words(account.company_name)
        return bool(company) and len(company & words) >= min(2, len(company))
    return bool(account.last_name) and account.last_name.upper() in words


def suggest(entry: Entry, limit: int = LIMIT) -> list[Suggestion]:
    """Up to `limit` orders awaiting payment this line may pay, best first."""
    words = sorted(_words(entry.text))[:20]
    amount = (Order.gross_cents - Order.received_cents) == entry.amount_cents
    named = fn.UPPER(Account.last_name).in_(words) if words else None
    for word in words:
        named = named | fn.UPPER(Account.company_name).contains(word)
    wanted = amount | named if named is not None else amount
    candidates = (
        Order.select(Order, Account)
        .join(Account)
        .where((Order.status == OrderStatus.AWAITING_PAYMENT) & wanted)
        .order_by(Order.id.desc())
        .limit(200)
    )
    found = []
    for order in candidates:
        suggestion = Suggestion(
            order=order,
            amount_matches=order.gross_cents - order.received_cents == entry.amount_cents,
            name_matches=_names_in(order.account, set(words)),
        )
        if suggestion.name_matches:
            found.append(suggestion)
    found.sort(key=lambda s: (-s.score, -s.order.id))
    return found[:limit]
