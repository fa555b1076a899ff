"""Public sample exports of the banks the importer recognises (tests/data/banks/*/SOURCES):
each reads with the right credits, debits, dates and amounts, and a credit carrying a
real order number applies the renewal once; importing it again registers nothing."""

import datetime as dt
from pathlib import Path

import pytest

from pec.domain import statements
from pec.models import Mailbox, Order, Payment
from tests.factories import make_order
from tests.notices import RecordingNotices

BANKS = Path(__file__).parent.parent / "data" / "banks"
RIGHT = "K7M4Q9X2"  # an order number with its check character (tests/domain/test_statements.py)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# file, format, profile, credits, debits, cents in, cents out, first and last booking day,
# lines skipped as balances, totals or zero amounts
SAMPLES = [
    ("intesa_sanpaolo/csv_intesa_example_format2_20240522.csv", "csv",
     "Intesa Sanpaolo (Movimenti conto)", 9, 2, 330660, 7088, "2024-04-18", "2024-04-28", 2),
    ("intesa_sanpaolo/csv_intesa_example_format2_20251211.csv", "csv",
     "Intesa Sanpaolo (Movimenti conto)", 2, 3, 1201, 1461, "2025-11-03", "2025-11-03", 2),
    ("intesa_sanpaolo/csv_intesa_example_format1_20232209.csv", "csv",
     "Intesa Sanpaolo (Lista operazioni)", 2, 28, 780227, 396003, "2023-09-09", "2023-09-22", 0),
    ("intesa_sanpaolo/csv_intesa_example_format1_20240527.csv", "csv",
     "Intesa Sanpaolo (Lista operazioni)", 1, 2, 26000, 21957, "2024-05-17", "2024-05-23", 0),
    ("intesa_sanpaolo/csv_intesa_example_formatCc1_20241227.csv", "csv",
     "", 0, 4, 0, 13953, "2024-09-27", "2024-11-28", 0),
    ("unicredit/csv_unicredit_example_format1_20240403.csv", "csv",
     "UniCredit (xls salvato come CSV)", 0, 4, 0, 12494, "2023-11-01", "2023-11-10", 0),
    ("unicredit/csv_unicredit_example_format1_20240521.csv", "csv",
     "UniCredit (xls salvato come CSV)", 0, 3, 0, 261734, "2024-01-02", "2024-01-02", 0),
    ("unicredit/csv_unicredit_example_format2_20250225.csv", "csv",
     "UniCredit", 3, 17, 304111, 1109136, "2024-12-27", "2025-02-19", 0),
    ("fineco/ch.banana.filter.import.finecobank#example_01.csv", "csv",
     "Fineco", 3, 19, 365192, 168658, "2021-11-22", "2021-11-30", 0),
    ("fineco/example_02.txt", "csv",
     "Fineco", 4, 6, 366321, 249094, "2021-11-10", "2021-11-30", 0),
    ("bancoposta/bancoposta.csv", "csv",
     "BancoPosta", 1, 3, 25000, 25390, "2018-01-03", "2018-01-23", 2),
    ("bancoposta/addebito_diretto.csv", "csv",
     "BancoPosta", 0, 2, 0, 40000, "2018-08-01", "2018-08-02", 2),
    ("bancoposta/bonifico.csv", "csv",
     "BancoPosta", 3, 5, 260105, 170205, "2018-08-01", "2018-08-05", 2),
    ("bancoposta/postagiro.csv", "csv",
     "BancoPosta", 3, 2, 58000, 35000, "2018-08-01", "2018-08-04", 2),
    ("credit_agricole_italia/xls_creditagricole_example_format1_20241230.csv", "csv",
     "Crédit Agricole Italia", 1, 3, 75000, 80003, "2024-11-29", "2024-12-16", 3),
    ("banca_popolare_di_sondrio/File_per_Ass.Banana.csv", "csv",
     "Banca Popolare di Sondrio", 80, 73, 16840200, 26961029, "2025-05-21", "2025-06-04", 0),
    ("banca_sella/sella_from_layout.csv", "csv",
     "Banca Sella", 2, 2, 12488, 2445, "2025-11-03", "2025-11-05", 1),
    ("bcc_inbank/csv_bancaannia_example_format1_20230619.csv", "csv",
     "BCC (Inbank)", 31, 24, 3781491, 771060, "2023-01-02", "2023-05-31", 0),
    ("bcc_inbank/xls_cassaruralevallagarina_example_format1_20250627.csv", "csv",
     "BCC (Inbank, xls salvato come testo)", 13, 13, 1930801, 168934, "2024-07-01",
     "2025-06-27", 0),
    ("hype/hype_from_layout.csv", "csv",
     "Hype", 3, 2, 7988, 4470, "2025-12-02", "2025-12-07", 0),
    ("n26/n26-download.csv", "csv", "N26", 1, 2, 123454, 1995, "2024-12-12", "2024-12-27", 0),
    ("n26/n26.csv", "csv", "N26", 3, 5, 414117, 51024, "2024-10-26", "2024-10-30", 0),
    ("revolut/2022-january.csv", "csv",
     "Revolut", 1, 7, 50000, 53159, "2022-01-02", "2022-01-15", 1),
    ("revolut/2021-october.csv", "csv",
     "Revolut", 1, 6, 50000, 33469, "2021-09-05", "2021-09-08", 0),
    ("camt053/test-camt053", "camt053", "", 1, 3, 140531, 141830, "2014-01-05", "2014-01-05", 0),
    ("camt053/gcamp6.xml", "camt053", "", 5, 0, 1301000, 0, "2016-04-23", "2016-12-31", 0),
    ("camt053/test-camt053-txdtls", "camt053",
     "", 2, 0, 348300, 0, "2017-03-22", "2017-03-22", 0),
    ("camt053/davider80.xml", "camt053", "", 1, 15, 36800, 404785, "2017-04-01", "2017-04-11", 0),
    ("camt053/v06-from-test-camt053-txdtls.xml", "camt053",
     "", 2, 0, 348300, 0, "2017-03-22", "2017-03-22", 0),
    ("camt053/camt053.xml", "camt053", "", 1, 0, 128430, 0, "2023-01-25", "2023-01-25", 0),
    ("camt053/2024-03-07.xml", "camt053",
     "", 1, 2, 82853198, 579417, "2024-03-07", "2024-03-07", 0),
    ("camt053/v10-from-camt053.xml", "camt053",
     "", 1, 0, 128430, 0, "2023-01-25", "2023-01-25", 0),
    ("camt054/test-camt054", "camt054", "", 1, 0, 500, 0, "2022-01-26", "2022-01-26", 0),
    ("mt940/abnamro.sta", "mt940", "", 0, 10, 0, 34593, "2011-05-23", "2011-05-24", 0),
    ("mt940/mt940.txt", "mt940", "", 3, 5, 282890, 277196, "2020-01-01", "2020-01-31", 0),
]  # fmt: skip


@pytest.mark.parametrize("sample", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_every_public_sample_reads_with_its_credits_debits_dates_and_amounts(sample):
    path, kind, profile, credits, debits, cents_in, cents_out, first, last, skipped = sample
    parsed = statements.parse((BANKS / path).read_bytes())
    assert (parsed.format, parsed.profile) == (kind, profile)
    assert parsed.problems == []
    assert (len(parsed.credits), len(parsed.debits)) == (credits, debits)
    assert sum(e.amount_cents for e in parsed.credits) == cents_in
    assert sum(e.amount_cents for e in parsed.debits) == cents_out
    days = [e.booked_on for e in parsed.entries]
    assert (min(days), max(days)) == (d(first), d(last))
    assert len(parsed.skipped) == skipped
    # Every entry has an identity of its own: nothing is merged.
    assert len({e.reference for e in parsed.entries}) == len(parsed.entries)


@pytest.mark.parametrize(
    "path, line, expected",
    [
        # two-digit years, dot decimals, the debit written negative in "Addebiti"
        ("intesa_sanpaolo/csv_intesa_example_format2_20240522.csv", 38, ("2024-04-26", 2288, False)),
        ("intesa_sanpaolo/csv_intesa_example_format2_20251211.csv", 33, ("2025-11-03", 1, True)),
        # a header over two lines, Italian thousands
        ("unicredit/csv_unicredit_example_format1_20240521.csv", 6, ("2024-01-02", 143874, False)),
        # no trailing zeros, tab-separated
        ("fineco/ch.banana.filter.import.finecobank#example_01.csv", 15, ("2021-11-27", 1380, False)),
        ("bancoposta/bonifico.csv", 4, ("2018-08-02", 200000, True)),
        ("credit_agricole_italia/xls_creditagricole_example_format1_20241230.csv", 16,
         ("2024-11-29", 75000, True)),
        ("bcc_inbank/xls_cassaruralevallagarina_example_format1_20250627.csv", 10,
         ("2025-02-25", 14640, False)),
        # nine decimals
        ("n26/n26.csv", 4, ("2024-10-26", 2250, True)),
        # a date with a time whose hour has one digit
        ("revolut/2021-october.csv", 4, ("2021-09-06", 485, False)),
    ],
)  # fmt: skip
def test_dates_and_amounts_as_each_bank_writes_them(path, line, expected):
    parsed = statements.parse((BANKS / path).read_bytes())
    entry = next(e for e in parsed.entries if e.line == line)
    assert (entry.booked_on.isoformat(), entry.amount_cents, entry.is_credit) == expected


def test_pending_lines_are_read_but_not_booked():
    fineco = statements.parse(
        (BANKS / "fineco/ch.banana.filter.import.finecobank#example_01.csv").read_bytes()
    )
    assert sum(not e.is_booked for e in fineco.entries) == 4  # "Autorizzato"
    revolut = statements.parse((BANKS / "revolut/2022-january.csv").read_bytes())
    pending = [e for e in revolut.entries if not e.is_booked]
    assert [(e.booked_on, e.amount_cents) for e in pending] == [
        (d("2022-01-13"), 4457),  # PENDING: no completed date, the started date is used
        (d("2022-01-15"), 7358),
    ]


def test_intesa_pending_section_and_balances_are_not_movements():
    parsed = statements.parse(
        (BANKS / "intesa_sanpaolo/csv_intesa_example_format2_20240522.csv").read_bytes()
    )
    assert parsed.skipped == [29, 41]  # "Saldo contabile iniziale/finale in Euro"
    # "Operazioni non contabilizzate" ends the movements: its booking is still pending.
    assert all(e.amount_cents != 74630 for e in parsed.entries)


def _fits_windows_1252(path: str) -> bool:
    """A sample holding a character Windows-1252 lacks (one of Intesa's) could not have
    been saved by Excel in it, so it has no Windows-1252 twin to compare."""
    try:
        (BANKS / path).read_bytes().decode("utf-8").encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize(
    "path",
    [
        s[0]
        for s in SAMPLES
        if s[1] == "csv"
        and not s[0].startswith(("n26", "revolut", "hype"))
        and _fits_windows_1252(s[0])
    ],
)
def test_the_italian_samples_read_the_same_in_windows_1252(path):
    """Banks and Excel save these files in Windows-1252; the published copies are UTF-8."""
    text = (BANKS / path).read_bytes().decode("utf-8")
    legacy = text.encode("cp1252")
    utf8, cp1252 = statements.parse(text.encode()), statements.parse(legacy)
    assert cp1252.repaired == ()
    assert [(e.line, e.amount_cents, e.text) for e in cp1252.entries] == [
        (e.line, e.amount_cents, e.text) for e in utf8.entries
    ]


# For each bank: a credit of the sample turned into the member's 4,88 € transfer naming
# the order, in the column where that bank writes the remittance text.
PAYMENTS = [
    ("intesa_sanpaolo/csv_intesa_example_format2_20240522.csv",
     [("18.04.24;18.04.24;ACCREDITO;640.00;;DESCRIZIONE",
       f"18.04.24;18.04.24;ACCREDITO;4.88;;BONIFICO DA ROSSI MARIO PER RINNOVO PEC {RIGHT}")]),
    ("intesa_sanpaolo/csv_intesa_example_format1_20240527.csv",
     [("Dettagli Bonifico;Conto 1111111;CONTABILIZZATO;Bonifici ricevuti;EUR;260,00",
       f"Bonifico da Rossi Mario ord. {RIGHT};Conto 1111111;CONTABILIZZATO;Bonifici ricevuti;"
       "EUR;4,88")]),
    ("unicredit/csv_unicredit_example_format1_20240403.csv",
     [("01.11.2023;01.11.2023;DESCRIZIONE TRANSAZIONE;-12.41",
       f"01.11.2023;01.11.2023;BONIFICO DA ROSSI MARIO RINNOVO {RIGHT};4.88")]),
    ("unicredit/csv_unicredit_example_format2_20250225.csv",
     [("COMPETENZE (INTERESSI/ONERI);29,55",
       f"BONIFICO A VOSTRO FAVORE  BONIFICO SEPA DA: ROSSI MARIO  PER: RINNOVO PEC {RIGHT};4,88")]),
    ("fineco/ch.banana.filter.import.finecobank#example_01.csv",
     [("29/11/2021\t1650\t\tBonifico SEPA Italia\tOrd:  ELISA ",
       f"29/11/2021\t4,88\t\tBonifico SEPA Italia\tOrd: ROSSI MARIO Info-Cli: RINNOVO PEC {RIGHT}")]),
    ("bancoposta/bonifico.csv",
     [(";2.000,00;BONIFICO A VOSTRO FAVORE", ";4,88;BONIFICO A VOSTRO FAVORE"),
      ("PER Tanti Auguri!", f"PER RINNOVO PEC {RIGHT}")]),
    ("credit_agricole_italia/xls_creditagricole_example_format1_20241230.csv",
     [(",750.00,", ",4.88,"),
      ("Ferverem o in undabo *8474-78-38*IMATIAM", f"BONIFICO DA ROSSI MARIO {RIGHT} IMATIAM")]),
    ("banca_popolare_di_sondrio/File_per_Ass.Banana.csv",
     [('"30/05/2025";"30/05/2025";"ORDINE E CONTO";"test";"+220.00"',
       f'"30/05/2025";"30/05/2025";"ORDINE E CONTO";"Rinnovo PEC {RIGHT}";"+4.88"')]),
    ("banca_sella/sella_from_layout.csv",
     [("VERDI LUCA PER RINNOVO;", f"ROSSI MARIO PER RINNOVO PEC {RIGHT};")]),
    ("bcc_inbank/csv_bancaannia_example_format1_20230619.csv",
     [("05/05/2023\t05/05/2023\t542,00\t", f"05/05/2023\t05/05/2023\t4,88\tRinnovo PEC {RIGHT} ")]),
    ("bcc_inbank/xls_cassaruralevallagarina_example_format1_20250627.csv",
     [("23.01.2025\t23.01.2025\t\t800\tEUR\tTest description",
       f"23.01.2025\t23.01.2025\t\t4.88\tEUR\tRinnovo PEC {RIGHT}")]),
    ("hype/hype_from_layout.csv", [("Rinnovo casella;", f"Rinnovo casella {RIGHT};")]),
    ("n26/n26.csv", [('"Restaurant X","Main Account",22.500000000',
                      f'"Rinnovo PEC {RIGHT}","Main Account",4.880000000')]),
    ("revolut/2022-january.csv",
     [("TOPUP,Current,2022-01-08 08:11:42,2022-01-08 08:12:12,Top-Up by *1234,500.00",
       f"TRANSFER,Current,2022-01-08 08:11:42,2022-01-08 08:12:12,Transfer from MARIO ROSSI "
       f"{RIGHT},4.88")]),
    ("camt053/test-camt053",
     [("1405.31", "4.88"), ("CUSNO 90782", f"ORDINE {RIGHT}")]),
    ("camt053/camt053.xml",
     [('Ccy="CHF"', 'Ccy="EUR"'), ("1284.30", "4.88"), ("PAYMENT INFO", f"RINNOVO {RIGHT}")]),
    ("camt053/v10-from-camt053.xml",
     [('Ccy="CHF"', 'Ccy="EUR"'), ("1284.30", "4.88"), ("PAYMENT INFO", f"RINNOVO {RIGHT}")]),
    ("camt054/test-camt054",
     [("5.00", "4.88"), ("<Ref>000000000000000000000000003</Ref>", f"<Ref>{RIGHT}</Ref>")]),
    ("mt940/mt940.txt",
     [("C1000,00NIOB", "C4,88NIOB"), ("INTERNE OVERBOEKING VIA MOBIEL", f"RINNOVO PEC {RIGHT}")]),
]  # fmt: skip


def with_payment(path: str, replacements) -> bytes:
    """The sample with its first `old` replaced by `new` (every one for amounts and
    currencies, which XML repeats in the entry's details and summaries)."""
    text = (BANKS / path).read_bytes().decode("utf-8")
    for old, new in replacements:
        assert old in text, old
        every = old.startswith("Ccy=") or old.replace(".", "").isdigit()
        text = text.replace(old, new, -1 if every else 1)
    return text.encode("utf-8")


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


@pytest.mark.parametrize("path, replacements", PAYMENTS, ids=[p[0] for p in PAYMENTS])
def test_a_credit_naming_an_order_renews_it_once_and_a_second_import_registers_nothing(
    ctx, demo, today, path, replacements
):
    mario = box("mario.rossi@pec.demo.it")
    before = mario.expires_on
    order = make_order([mario], number=RIGHT)
    data = with_payment(path, replacements)
    parsed = statements.parse(data)
    preview = statements.plan(parsed, today)
    matched = preview.of_kind(statements.MATCHED)
    assert [(d.order.number, d.entry.amount_cents) for d in matched] == [(RIGHT, 488)]
    assert preview.of_kind(statements.FLAGGED) == []

    first = statements.apply(
        parsed, today=today, actor="test", notices=RecordingNotices(), filename=path
    )
    assert [d.outcome for d in first.decisions if d.outcome] == ["applied"]
    assert Order.get_by_id(order.id).status == "paid"
    renewed = box("mario.rossi@pec.demo.it").expires_on
    assert renewed == before.replace(year=before.year + 3)

    again = statements.apply(
        statements.parse(data), today=today, actor="test", notices=RecordingNotices()
    )
    assert not any(d.outcome for d in again.decisions)
    assert again.decision_for(matched[0].entry.key).reason == "already_registered"
    assert Payment.select().count() == 1
    assert box("mario.rossi@pec.demo.it").expires_on == renewed


def test_the_table_of_banks_covers_every_bank_of_the_issue():
    folders = {p[0].split("/")[0] for p in PAYMENTS} | {s[0].split("/")[0] for s in SAMPLES}
    assert folders == {
        "intesa_sanpaolo",
        "unicredit",
        "fineco",
        "bancoposta",
        "credit_agricole_italia",
        "banca_popolare_di_sondrio",
        "banca_sella",
        "bcc_inbank",
        "hype",
        "n26",
        "revolut",
        "camt053",
        "camt054",
        "mt940",
    }
    for folder in folders:
        sources = (BANKS / folder / "SOURCES").read_text()
        for sample in (BANKS / folder).iterdir():
            if sample.name != "SOURCES":
                assert f"\n{sample.name}  " in sources, sample
