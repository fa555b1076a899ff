"""Roster CSV import (dry run, apply, idempotence) and export round trip (docs/rules.md, Operators)."""

import codecs
import csv
import datetime as dt
import io
import time

import pytest
from playhouse.test_utils import count_queries

from pec.domain import roster
from pec.models import (
    Account,
    AuditEvent,
    Mailbox,
)
from tests.factories import make_account, make_convention, make_mailbox, make_order

HEADER = list(roster.COLUMNS)


def line(address, expires="31/12/2027", **overrides):
    values = dict(
        convention_code="ORD",
        pec_address=address,
        expires_on=expires,
        account_login="",
        person_type="person",
        first_name="Mario",
        last_name="Rossi",
        company_name="",
        fiscal_code="RSSMRA80A01H501U",
        vat_number="",
        reference_email="mario.rossi@example.org",
        phone="",
        address="",
        postal_code="",
        city="",
        province="",
    )
    values.update(overrides)
    return [values[c] for c in HEADER]


def csv_bytes(rows, delimiter=";", encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        if isinstance(row, str):
            out.write(row + "\r\n")
        else:
            writer.writerow(row)
    return out.getvalue().encode(encoding)


def defects_file(delimiter, encoding) -> bytes:
    """Every listed defect, one per line, between good lines (line 1 is the header)."""
    return csv_bytes(
        [
            HEADER,
            # 2: good, omocodic codice fiscale
            line("mario@pec.test.it", fiscal_code="RSSMRA80A01H50MM"),
            # 3: good, a company with an 11-digit codice fiscale
            line(
                "studio@pec.test.it",
                account_login="studio",
                person_type="company",
                first_name="",
                last_name="",
                company_name="Studio Associato",
                fiscal_code="00743110157",
                reference_email="studio@example.org",
            ),
            # 4: bad codice fiscale (wrong check character)
            line("bad-cf@pec.test.it", account_login="x4", fiscal_code="RSSMRA80A01H501X"),
            # 5: bad reference e-mail
            line("bad-mail@pec.test.it", account_login="x5", reference_email="not-an-email"),
            # 6: unknown convention
            line("other@pec.test.it", account_login="x6", convention_code="NOPE"),
            # 7: the address of line 2 again
            line("MARIO@pec.test.it", fiscal_code="RSSMRA80A01H50MM"),
            # 8: no expiry
            line("noexpiry@pec.test.it", account_login="x8", expires=""),
            # 9: an expiry that is no date
            line("feb31@pec.test.it", account_login="x9", expires="31/02/2027"),
            "",  # 10: blank, skipped
            # 11: good, accented name (Windows-1252 in Excel's export)
            line(
                "nicolo@pec.test.it",
                account_login="nicolo",
                first_name="Nicolò",
                last_name="Lucà",
                fiscal_code="BNCNNA85M41F205Q",
                reference_email="nicolo@example.org",
            ),
            # 12: a line with a missing field
            delimiter.join(["ORD", "short@pec.test.it", "31/12/2027"]),
            # 13: bad PEC address
            line("box@@pec", account_login="x13"),
            # 14: no surname
            line("noname@pec.test.it", account_login="x14", last_name=""),
            # 15: good, ISO date and a temporary 11-digit codice fiscale for a person
            line(
                "temp@pec.test.it",
                "2028-01-15",
                account_login="temp",
                fiscal_code="00743110157",
                reference_email="temp@example.org",
            ),
        ],
        delimiter=delimiter,
        encoding=encoding,
    )


EXPECTED_PROBLEMS = [
    (4, "fiscal_code_invalid"),
    (5, "reference_email_invalid"),
    (6, "convention_unknown"),
    (7, "address_duplicate"),
    (8, "expires_on_missing"),
    (9, "expires_on_invalid"),
    (12, "field_count"),
    (13, "address_invalid"),
    (14, "name_missing"),
]
GOOD_ADDRESSES = {
    "mario@pec.test.it",
    "studio@pec.test.it",
    "nicolo@pec.test.it",
    "temp@pec.test.it",
}


@pytest.mark.parametrize(
    "delimiter,encoding", [(",", "utf-8-sig"), (";", "cp1252")], ids=["utf8-bom", "cp1252"]
)
def test_dry_run_reports_every_bad_line_with_its_reason(app, today, delimiter, encoding):
    make_convention(code="ORD")
    data = defects_file(delimiter, encoding)
    report = roster.dry_run(data)
    assert [(p.line, p.code) for p in report.problems] == EXPECTED_PROBLEMS
    duplicate = next(p for p in report.problems if p.code == "address_duplicate")
    assert duplicate.other_line == 2
    assert report.lines == 13 and report.good_lines == 4
    assert report.new_mailboxes == 4 and report.new_accounts == 4
    assert Mailbox.select().count() == 0  # a dry run changes nothing


@pytest.mark.parametrize(
    "delimiter,encoding", [(",", "utf-8-sig"), (";", "cp1252")], ids=["utf8-bom", "cp1252"]
)
def test_apply_imports_every_good_line_and_is_idempotent(app, today, delimiter, encoding):
    make_convention(code="ORD")
    data = defects_file(delimiter, encoding)
    first = roster.apply(data, actor="operator:1", filename="iscritti.csv")
    assert first.applied and [(p.line, p.code) for p in first.problems] == EXPECTED_PROBLEMS
    assert {m.address for m in Mailbox.select()} == GOOD_ADDRESSES
    nicolo = Account.get(Account.login == "nicolo")
    assert (nicolo.first_name, nicolo.last_name) == ("Nicolò", "Lucà")
    assert Mailbox.get(Mailbox.address == "temp@pec.test.it").expires_on == dt.date(2028, 1, 15)
    mario = Mailbox.get(Mailbox.address == "mario@pec.test.it")
    assert mario.account.login == "mario.rossi@example.org"  # defaults to the reference e-mail
    assert mario.account.fiscal_code == "RSSMRA80A01H50MM"
    assert Account.get(Account.login == "studio").company_name == "Studio Associato"
    events = AuditEvent.select().where(AuditEvent.action == "roster.imported")
    assert [e.details["new_mailboxes"] for e in events] == [4]

    snapshot = [(m.address, m.expires_on, m.account_id) for m in Mailbox.select()]
    audit_rows = AuditEvent.select().count()
    second = roster.apply(data, actor="operator:1")
    assert second.changes == 0 and second.unchanged_mailboxes == 4
    assert [(m.address, m.expires_on, m.account_id) for m in Mailbox.select()] == snapshot
    assert AuditEvent.select().count() == audit_rows + 1  # only the import's summary


def test_apply_updates_by_pec_address_and_audits_before_and_after(app, today):
    convention = make_convention(code="ORD")
    account = make_account(convention, login="mario", reference_email="old@example.org")
    box = make_mailbox(account, address="mario@pec.test.it", expires_in=10, today=today)
    data = csv_bytes(
        [
            HEADER,
            line("mario@pec.test.it", "31/12/2030", account_login="mario", phone="06 123"),
        ]
    )
    report = roster.apply(data, actor="operator:7")
    assert (report.updated_mailboxes, report.updated_accounts, report.new_mailboxes) == (1, 1, 0)
    box = Mailbox.get_by_id(box.id)
    assert box.expires_on == dt.date(2030, 12, 31)
    assert box.account.reference_email == "mario.rossi@example.org"
    assert box.account.phone == "06 123"
    event = AuditEvent.get(AuditEvent.action == "roster.mailbox_updated")
    assert event.actor == "operator:7" and event.target_id == box.id
    assert event.details["after"] == {"expires_on": "2030-12-31"}
    changed = AuditEvent.get(AuditEvent.action == "roster.account_updated")
    assert changed.details["before"]["reference_email"] == "old@example.org"


def test_empty_optional_cells_keep_what_the_portal_has(app, today):
    convention = make_convention(code="ORD")
    account = make_account(convention, login="mario", phone="06 999", city="Roma")
    make_mailbox(account, address="mario@pec.test.it", expires_in=10, today=today)
    data = csv_bytes(
        [HEADER, line("mario@pec.test.it", account_login="mario", fiscal_code=account.fiscal_code)]
    )
    roster.apply(data, actor="t")
    account = Account.get_by_id(account.id)
    assert (account.phone, account.city) == ("06 999", "Roma")


def test_lines_that_would_undo_or_confuse_data_are_refused(app, today):
    convention = make_convention(code="ORD")
    other = make_convention(code="ALT")
    anna = make_account(convention, login="anna")
    later = make_mailbox(anna, address="later@pec.test.it", expires_in=400, today=today)
    ordered = make_mailbox(anna, address="ordered@pec.test.it", expires_in=10, today=today)
    make_order([ordered])
    make_account(other, login="elsewhere")
    expiry_later = later.expires_on.strftime("%d/%m/%Y")
    data = csv_bytes(
        [
            HEADER,
            line("later@pec.test.it", "01/01/2027", account_login="anna"),  # 2: backwards
            line("ordered@pec.test.it", "01/01/2031", account_login="anna"),  # 3: open order
            line("later@pec.test.it".replace("later", "x"), account_login="elsewhere"),  # 4
            line("ordered@pec.test.it".replace("ordered", "y"), account_login="mario"),  # 5
            line("z@pec.test.it", account_login="mario", last_name="Verdi"),  # 6: conflict
            line("w@pec.test.it", account_login="bruno"),  # 7: good
            line("later@pec.test.it", "01/01/2040", account_login="anna"),  # 8: repeated
        ]
    )
    report = roster.apply(data, actor="t")
    problems = {(p.line, p.code): p for p in report.problems}
    assert sorted(problems) == [
        (2, "expiry_backwards"),
        (3, "open_order"),
        (4, "account_convention"),
        (6, "holder_conflict"),
        (8, "address_duplicate"),
    ]
    assert problems[(2, "expiry_backwards")].value == expiry_later
    assert problems[(6, "holder_conflict")].other_line == 5
    assert {m.address for m in Mailbox.select()} == {
        "later@pec.test.it",
        "ordered@pec.test.it",
        "y@pec.test.it",
        "w@pec.test.it",
    }
    assert Mailbox.get_by_id(later.id).expires_on == later.expires_on


def test_a_mailbox_never_changes_holder_through_the_roster(app, today):
    convention = make_convention(code="ORD")
    make_mailbox(make_account(convention, login="anna"), address="a@pec.test.it", today=today)
    report = roster.dry_run(csv_bytes([HEADER, line("a@pec.test.it", account_login="bruno")]))
    assert [(p.line, p.code, p.value) for p in report.problems] == [(2, "owner_conflict", "anna")]


@pytest.mark.parametrize(
    "first_line,code",
    [
        ("pec_address;expires_on", "columns"),
        (";".join(HEADER) + ";note", "columns"),
        ("", "empty"),
    ],
)
def test_a_file_without_the_right_header_is_refused_as_a_whole(app, first_line, code):
    with pytest.raises(roster.RosterFileError) as raised:
        roster.dry_run((first_line + "\r\n").encode())
    assert raised.value.code == code


def test_export_imports_back_unchanged(app, demo):
    convention = make_convention(code="ORD")
    company = make_account(
        convention,
        login="studio",
        person_type="company",
        company_name='Studio; "Associato"',
        fiscal_code="00743110157",
        vat_number="00743110157",
        phone="+39 06 1",
    )
    make_mailbox(company, address="studio@pec.test.it", expires_in=-3)
    exported = roster.export_roster()
    assert exported.startswith(codecs.BOM_UTF8)
    before = [(m.address, m.expires_on, m.account_id) for m in Mailbox.select()]
    accounts_before = list(Account.select().dicts())
    report = roster.apply(exported, actor="t")
    assert report.problems == [] and report.changes == 0
    assert report.unchanged_mailboxes == len(before) == 5
    assert [(m.address, m.expires_on, m.account_id) for m in Mailbox.select()] == before
    assert list(Account.select().dicts()) == accounts_before
    assert roster.export_roster() == exported


def _big_roster(n: int, year: int) -> bytes:
    rows = [HEADER]
    for i in range(n):
        rows.append(
            line(
                f"iscritto{i:05d}@pec.test.it",
                f"{1 + i % 28:02d}/{1 + i % 12:02d}/{year}",
                account_login=f"iscritto{i:05d}",
                first_name=f"Nome{i}",
                reference_email=f"iscritto{i:05d}@example.org",
                phone=f"06 {i:06d}",
                city="Roma",
                province="RM",
                postal_code="00100",
            )
        )
    return csv_bytes(rows, delimiter=";", encoding="cp1252")


@pytest.mark.slow  # ~8 s of work: `make test` and CI run it alone, after the parallel run
def test_ten_thousand_lines_import_in_a_few_dozen_queries(app, today):
    make_convention(code="ORD")
    data = _big_roster(10_000, 2027)
    timings = {}
    for name, call in [
        ("dry run", lambda: roster.dry_run(data)),
        ("apply", lambda: roster.apply(data, actor="t")),
        ("apply again", lambda: roster.apply(data, actor="t")),
        ("apply, every expiry moved", lambda: roster.apply(_big_roster(10_000, 2030), actor="t")),
    ]:
        with count_queries() as counter:
            started = time.perf_counter()
            report = call()
            elapsed = time.perf_counter() - started
        timings[name] = (elapsed, counter.count, report)
    print(
        "\n10,000-line roster:", {k: f"{t:.2f}s, {q} queries" for k, (t, q, _r) in timings.items()}
    )
    _, dry_queries, dry_report = timings["dry run"]
    assert dry_report.new_mailboxes == 10_000 and not dry_report.problems
    _, apply_queries, apply_report = timings["apply"]
    assert apply_report.new_mailboxes == apply_report.new_accounts == 10_000
    assert Mailbox.select().count() == 10_000
    assert timings["apply again"][2].changes == 0
    assert timings["apply, every expiry moved"][2].updated_mailboxes == 10_000
    # Batched: a few dozen queries for 10,000 lines (chunks of roster.CHUNK rows).
    assert dry_queries <= 50 and apply_queries <= 200
    assert timings["apply, every expiry moved"][1] <= 200
    # No limit on the seconds (they measure the machine as much as the code): the
    # printed timings are for a reader running it with -s; query counts are the test.


def test_a_login_never_equals_another_holders_pec_address_or_the_reverse(app, today):
    """Login and recovery look up logins and PEC addresses alike: one must not capture
    the other (an account named like Anna's PEC address would receive her recovery)."""
    convention = make_convention(code="ORD")
    anna = make_account(convention, login="anna")
    make_mailbox(anna, address="anna@pec.test.it", today=today)
    make_account(convention, login="bruno@pec.test.it")
    data = csv_bytes(
        [
            HEADER,
            line("x@pec.test.it", account_login="anna@pec.test.it"),  # 2: Anna's PEC address
            line("bruno@pec.test.it", account_login="carla"),  # 3: Bruno's login
            line("d@pec.test.it", account_login="e@pec.test.it"),  # 4: line 5's address
            line("e@pec.test.it", account_login="eva"),  # 5: line 4's login
            line("own@pec.test.it", account_login="own@pec.test.it"),  # 6: its own address
            line("anna2@pec.test.it", account_login="anna", fiscal_code=anna.fiscal_code),  # 7
        ]
    )
    report = roster.dry_run(data)
    assert [(p.line, p.code, p.value) for p in report.problems] == [
        (2, "login_is_address", "anna@pec.test.it"),
        (3, "address_is_login", "bruno@pec.test.it"),
        (4, "login_is_address", "e@pec.test.it"),
        (5, "address_is_login", "e@pec.test.it"),
    ]
