"""Roster files as spreadsheets really save them: empty columns at the right, one stray
Windows-1252 byte in a UTF-8 file, UTF-16 "Testo Unicode", a quote never closed."""

import codecs

import pytest

from pec.domain import csv_files, roster
from pec.models import Account, Mailbox
from tests.domain.test_roster import HEADER, csv_bytes, line
from tests.factories import make_convention


@pytest.fixture
def convention(app):
    return make_convention(code="ORD")


def names() -> list[str]:
    return [a.first_name for a in Account.select().order_by(Account.id)]


def test_the_empty_columns_excel_keeps_at_the_right_are_ignored(convention):
    rows = [HEADER + ["", "", ""], line("mario@pec.test.it") + ["", "", ""]]
    rows.append(line("anna@pec.test.it", account_login="anna", first_name="Anna") + [""])
    report = roster.apply(csv_bytes(rows), actor="t")
    assert report.problems == [] and report.new_mailboxes == 2
    # An extra cell that is not empty is still a line with too many fields.
    bad = roster.dry_run(csv_bytes([HEADER + [""], line("x@pec.test.it") + ["note"]]))
    assert [(p.line, p.code) for p in bad.problems] == [(2, "field_count")]


def roster_with_accents(n: int) -> list[list[str]]:
    rows = [HEADER]
    for i in range(n):
        rows.append(
            line(
                f"iscritto{i}@pec.test.it",
                account_login=f"iscritto{i}",
                first_name=f"Niccolò{i}",
                last_name="Lucà",
            )
        )
    return rows


def test_one_stray_windows_1252_byte_in_a_utf8_file_is_a_warning_not_98_garbled_names(
    convention,
):
    data = csv_bytes(roster_with_accents(98), encoding="utf-8")
    stray = line("stray@pec.test.it", account_login="stray", first_name="Nicolò")
    data += ";".join(stray).encode("cp1252") + b"\r\n"  # pasted from a Windows-1252 program
    report = roster.apply(data, actor="t")
    assert report.problems == [] and report.new_mailboxes == 99
    assert [(r.line, r.code) for r in report.repaired] == [(100, "invalid_utf8")]
    assert "Nicolò" in report.repaired[0].text
    assert names()[:2] == ["Niccolò0", "Niccolò1"] and names()[-1] == "Nicolò"


def test_a_windows_1252_file_is_read_as_such_without_warnings(convention):
    report = roster.dry_run(csv_bytes(roster_with_accents(3), encoding="cp1252"))
    assert report.problems == [] and report.repaired == () and report.new_mailboxes == 3


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"], ids=["bom", "no-bom"])
def test_utf16_unicode_text_with_tabs_is_read(convention, encoding):
    """Excel's "Testo Unicode (*.txt)": UTF-16 with tabs between the cells."""
    data = csv_bytes(roster_with_accents(2), delimiter="\t", encoding=encoding)
    report = roster.apply(data, actor="t")
    assert report.problems == [] and report.new_mailboxes == 2
    assert names() == ["Niccolò0", "Niccolò1"]


def test_a_quote_never_closed_costs_one_line_with_a_clear_reason(convention):
    """Python's csv refuses a cell past 131,072 characters; a stray quote makes one."""
    rows = roster_with_accents(3)
    rows[2][5] = '"Niccolò'  # an opening quote, never closed
    data = (
        csv_bytes(rows[:2], encoding="utf-8")
        + (";".join(rows[2]) + "\r\n" + ";".join(rows[3]) + "\r\n").encode()
    )
    report = roster.apply(data, actor="t")
    assert [(p.line, p.code) for p in report.problems] == [(3, "unclosed_quote")]
    assert {m.address for m in Mailbox.select()} == {
        "iscritto0@pec.test.it",
        "iscritto2@pec.test.it",
    }
    huge = (
        csv_bytes(rows[:2])
        + b'ORD;"'
        + b"x" * 200_000
        + b"\r\n"
        + csv_bytes(rows[3:], encoding="utf-8")
    )
    report = roster.dry_run(huge)
    assert [(p.line, p.code) for p in report.problems] == [(3, "cell_too_long")]


def test_a_spreadsheet_not_saved_as_csv_is_refused_with_its_own_reason(convention):
    with pytest.raises(roster.RosterFileError) as raised:
        roster.dry_run(b"PK\x03\x04" + b"\x00" * 100)
    assert raised.value.code == "spreadsheet"


def test_control_characters_are_removed_and_their_line_listed():
    decoded = csv_files.read_text(b"a;b\r\nx\x00y;z\r\n")
    assert decoded.text == "a;b\r\nxy;z\r\n"
    assert [(r.line, r.code) for r in decoded.repaired] == [(2, "control_characters")]


def test_encodings_are_told_per_file():
    assert csv_files.read_text(codecs.BOM_UTF8 + "è".encode()).encoding == "utf-8"
    assert csv_files.read_text("è;a".encode("cp1252")).encoding == "windows-1252"
    assert csv_files.read_text("è;a".encode("utf-16")).text == "è;a"
    with pytest.raises(csv_files.UnreadableText):
        csv_files.read_text(b"\x81\x8d\x00\x00x")
