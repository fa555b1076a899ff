"""Roster and clean-up fixes: a later expiry restarts the lifecycle, exports are safe in
a spreadsheet yet import back unchanged, documents are purged by the daily jobs."""

import csv
import datetime as dt
import io
from pathlib import Path

from pec.domain import clock, csv_files, roster
from pec.domain.documents import store_document
from pec.models import (
    Account,
    AuditEvent,
    IdentityDocument,
    JobRun,
    Mailbox,
)
from tests.factories import make_account, make_convention, make_mailbox

M_ROSSI = "m.rossi@pec.demo.it"


def box(address) -> Mailbox:
    return Mailbox.get(Mailbox.address == address)


def with_expiry(exported: bytes, address: str, expires: str) -> bytes:
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig")), delimiter=";"))
    column = rows[0].index("expires_on")
    for row in rows[1:]:
        if row[1] == address:
            row[column] = expires
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def test_a_later_expiry_from_the_roster_clears_deactivation_so_the_job_acts_again(
    app, runner, demo
):
    assert box(M_ROSSI).deactivated_on is not None
    Mailbox.update(ceased_on=demo).where(Mailbox.address == "studio.rossi@pec.demo.it").execute()
    exported = roster.export_roster()
    data = with_expiry(exported, M_ROSSI, "20/03/2026")
    data = with_expiry(data, "studio.rossi@pec.demo.it", "31/12/2030")
    report = roster.apply(data, actor="t")
    assert report.problems == [] and report.updated_mailboxes == 2
    moved = box(M_ROSSI)
    assert (moved.expires_on, moved.deactivated_on, moved.ceased_on) == (
        dt.date(2026, 3, 20),
        None,
        None,
    )
    assert box("studio.rossi@pec.demo.it").ceased_on is None
    event = AuditEvent.get(
        (AuditEvent.action == "roster.mailbox_updated") & (AuditEvent.target_id == moved.id)
    )
    assert event.details["after"]["deactivated_on"] is None
    assert event.details["before"]["deactivated_on"] is not None

    # The daily job only looks at deactivated_on IS NULL: it deactivates the new term.
    result = runner.invoke(
        args=["pec", "jobs", "run", "--today", "2026-03-21", "--only", "deactivate"]
    )
    assert result.exit_code == 0, result.output
    assert box(M_ROSSI).deactivated_on == dt.date(2026, 3, 21)


def test_exports_guard_formula_cells_and_the_roster_imports_back_unchanged(app, demo):
    convention = make_convention(code="ORD")
    account = make_account(
        convention,
        login="formula",
        person_type="company",
        company_name='=HYPERLINK("http://evil","x")',
        fiscal_code="00743110157",
        vat_number="00743110157",
        phone="+39 06 1234567",
        city="@Roma",
    )
    make_mailbox(account, address="formula@pec.test.it", expires_in=40)
    exported = roster.export_roster()
    text = exported.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+39 06 1234567" in text and "'@Roma" in text
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        assert not any(cell.startswith(csv_files.FORMULA_STARTS) for cell in row)
    before = list(Account.select().dicts())
    report = roster.apply(exported, actor="t")
    assert report.problems == [] and report.changes == 0
    assert list(Account.select().dicts()) == before
    assert Account.get(Account.login == "formula").phone == "+39 06 1234567"
    assert roster.export_roster() == exported


def test_guard_and_unguard_are_inverse_and_leave_plain_text_alone():
    for value in ("=1+2", "+39 06", "-5", "@SUM(A1)", "\tx", "\rx", "Rossi", "", "'quoted"):
        assert csv_files.unguard_cell(csv_files.guard_cell(value)) == value
    assert csv_files.guard_cell("Rossi") == "Rossi" and csv_files.guard_cell("-5") == "'-5"
    assert csv_files.unguard_cell("'Rossi") == "'Rossi"  # only a guard is taken off


def test_the_domicilio_list_guards_formula_cells(operator, demo):
    Account.update(phone="=cmd|' /C calc'!A0").where(
        Account.login == "mario.rossi@example.org"
    ).execute()
    operator.login()
    text = operator.client.get("/operators/domicilio.csv").get_data(as_text=True)
    assert "'=cmd|" in text
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"):
        assert not any(cell.startswith(csv_files.FORMULA_STARTS) for cell in row)


def test_jobs_run_purges_identity_documents_past_retention(app, runner, demo):
    account = Account.get(Account.login == "mario.rossi@example.org")
    directory = app.config["PEC_DOCUMENTS_DIR"]
    old = store_document(account, "vecchio.pdf", b"%PDF-1.4\n old\n", directory, 10**6)
    fresh = store_document(account, "nuovo.pdf", b"%PDF-1.4\n new\n", directory, 10**6)
    decided = clock.now()
    IdentityDocument.update(status="verified", verified_at=decided - dt.timedelta(days=40)).where(
        IdentityDocument.id == old.id
    ).execute()
    IdentityDocument.update(status="verified", verified_at=decided).where(
        IdentityDocument.id == fresh.id
    ).execute()
    result = runner.invoke(args=["pec", "jobs", "run", "--today", demo.isoformat()])
    assert result.exit_code == 0, result.output
    assert "documents_purged=1" in result.output
    assert IdentityDocument.get_by_id(old.id).purged_at is not None
    assert not Path(directory, old.stored_name).exists()
    assert IdentityDocument.get_by_id(fresh.id).purged_at is None
    assert Path(directory, fresh.stored_name).exists()
    cleanup = JobRun.get(JobRun.job == "cleanup")
    assert cleanup.status == "ok" and cleanup.counts["documents_purged"] == 1
