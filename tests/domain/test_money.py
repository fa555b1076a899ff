import pytest

from pec.domain import money


def test_vat_on_four_euro_at_22_percent_is_88_cents():
    assert money.vat_cents(400, 2200) == 88


def test_vat_rounds_half_up_to_the_cent():
    assert money.vat_cents(25, 2200) == 6  # 5.5 → 6
    assert money.vat_cents(2, 2500) == 1  # 0.5 → 1
    assert money.vat_cents(1, 2200) == 0  # 0.22 → 0
    assert money.vat_cents(7, 2100) == 1  # 1.47 → 1


def test_totals_compute_vat_once_on_the_net_total():
    t = money.totals(400, 2, 2200)
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (800, 176, 976)
    # Per-line rounding would differ: 3 × vat(25) = 18, but vat(75) = 17.
    assert money.totals(25, 3, 2200).vat_cents == 17


def test_amounts_are_formatted_the_italian_way():
    assert money.format_eur(488).replace("\xa0", " ") == "4,88 €"
    assert money.format_eur(123456).replace("\xa0", " ") == "1.234,56 €"
    assert money.format_eur(488, "en") == "€4.88"


def test_rates_are_formatted_without_trailing_zeros():
    assert money.format_rate(2200) == "22%"
    assert money.format_rate(450) == "4,5%"
    assert money.format_rate(450, "en") == "4.5%"


@pytest.mark.parametrize(
    "text,cents",
    [("4,88", 488), ("4.88", 488), ("1.234,56", 123456), ("4,88 €", 488), ("9", 900), (",50", 50)],
)
def test_parse_eur_reads_what_people_type(text, cents):
    assert money.parse_eur(text) == cents


@pytest.mark.parametrize(
    "text", ["", "abc", "-1", "4,888", "Inf", "Infinity", "NaN", "1e3", "+4", "4.", ","]
)
def test_parse_eur_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        money.parse_eur(text)


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        money.vat_cents(-1, 2200)
