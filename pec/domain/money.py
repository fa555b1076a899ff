"""Money in integer cents (R9): VAT half-up to the cent, Italian formatting."""

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency


def vat_cents(net_cents: int, rate_bp: int) -> int:
    """VAT on a net amount at a rate in basis points, rounded half-up to the cent."""
    if net_cents < 0 or rate_bp < 0:
        raise ValueError("amounts and rates are never negative")
    return (net_cents * rate_bp + 5_000) // 10_000


@dataclass(frozen=True)
class Totals:
    net_cents: int
    vat_cents: int
    gross_cents: int
    vat_rate_bp: int


def totals(unit_price_cents: int, quantity: int, rate_bp: int) -> Totals:
    """An order's totals: VAT is computed once on the net total, not per line (R9)."""
    net = unit_price_cents * quantity
    vat = vat_cents(net, rate_bp)
    return Totals(net, vat, net + vat, rate_bp)


@functools.lru_cache(maxsize=4096)
def format_eur(cents: int, locale: str = "it") -> str:
    """4,88 € in Italian, €4.88 in English (never through a float). Cached: Babel takes
    ~30 µs per amount, and pages show the same few prices again and again."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


def format_rate(rate_bp: int, locale: str = "it") -> str:
    """22% / 4,5% — a VAT rate for display."""
    whole, rest = divmod(rate_bp, 100)
    if not rest:
        return f"{whole}%"
    sep = "," if locale == "it" else "."
    return f"{whole}{sep}{rest:02d}".rstrip("0") + "%"


# "0,50" and ",50" alike; ASCII digits only (\d would take Arabic-Indic digits too).
_AMOUNT = re.compile(r"^([0-9]+(\.[0-9]{1,2})?|\.[0-9]{1,2})$", re.ASCII)
# No amount we take is larger: one million euro. Beyond it a typing error (or an attack)
# would overflow an integer column on PostgreSQL (2**31 cents).
MAX_CENTS = 100_000_000


def parse_eur(text: str) -> int:
    """'4,88', '4.88', '1.234,56', '4,88 €' → cents. Raises ValueError on anything else
    (signs, exponents, infinities, more than two decimals, more than MAX_CENTS)."""
    cleaned = text.replace("€", "").replace("\xa0", "").replace(" ", "").strip()
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    if len(cleaned) > 20 or not _AMOUNT.match(cleaned):
        raise ValueError("not an amount in euro and cents")
    cents = int(Decimal(cleaned) * 100)
    if cents > MAX_CENTS:
        raise ValueError("more than any amount we take")
    return cents
