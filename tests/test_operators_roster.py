"""Roster import through the operators' pages and `pec import-roster` (docs/rules.md, Operators; README, Commands)."""

import re
from pathlib import Path

from pec.models import AuditEvent, Mailbox
from tests.domain.test_roster import EXPECTED_PROBLEMS, GOOD_ADDRESSES, defects_file
from tests.factories import make_convention


def _upload(operator, data: bytes, name="iscritti.csv"):
    from io import BytesIO

    return operator.post(
        "/operators/roster",
        {"roster": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_upload_previews_every_bad_line_then_confirm_imports_the_good_ones(app, operator, today):
    make_convention(code="ORD")
    operator.login()
    response = _upload(operator, defects_file(";", "cp1252"))
    assert response.status_code == 303
    preview_url = response.location
    token = preview_url.rstrip("/").rsplit("/", 1)[1]
    # The file waits on the server, not in the page.
    assert Path(app.config["PEC_ROSTER_DIR"], f"{token}.csv").exists()
    page = operator.page(preview_url)
    assert 'type="hidden" name="roster' not in page
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td>([^<]+)</td></tr>', page)
    assert [int(n) for n, _text in rows] == [line for line, _code in EXPECTED_PROBLEMS]
    assert "codice fiscale non valido: RSSMRA80A01H501X" in page
    assert "indirizzo PEC già presente alla riga 2" in page
    assert "convenzione sconosciuta: NOPE" in page
    assert 'id="new-mailboxes">4<' in page
    assert Mailbox.select().count() == 0  # nothing before confirming

    applied = operator.post(preview_url + "/apply")
    assert applied.status_code == 200
    assert "Import eseguito" in applied.get_data(as_text=True)
    assert {m.address for m in Mailbox.select()} == GOOD_ADDRESSES
    event = AuditEvent.get(AuditEvent.action == "roster.imported")
    assert event.actor.startswith("operator:") and event.details["filename"] == "iscritti.csv"
    # Applied once: the waiting file is gone, a second confirm is a 404.
    assert not Path(app.config["PEC_ROSTER_DIR"], f"{token}.csv").exists()
    assert operator.post(preview_url + "/apply").status_code == 404


def test_a_file_that_cannot_be_read_gets_a_clear_message(operator, demo):
    operator.login()
    response = _upload(operator, b"nome,cognome\r\nMario,Rossi\r\n")
    page = operator.client.get(response.location)
    assert page.status_code == 422
    assert "colonne mancanti, sconosciute o ripetute" in page.get_data(as_text=True)
    missing = _upload(operator, b"")
    assert missing.status_code == 422
    assert "Scegli il file CSV da importare." in missing.get_data(as_text=True)


def test_export_downloads_the_roster_in_the_import_format(operator, demo):
    operator.login()
    response = operator.client.get("/operators/roster/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("convention_code;pec_address;expires_on")
    assert "FNOMCeO;anna.bianchi@pec.demo.it;15/03/2026" in text


def test_cli_dry_run_lists_bad_lines_and_changes_nothing(runner, app, today, tmp_path):
    make_convention(code="ORD")
    path = tmp_path / "iscritti.csv"
    path.write_bytes(defects_file(",", "utf-8-sig"))
    result = runner.invoke(args=["pec", "import-roster", str(path)])
    assert result.exit_code == 1
    for line, _code in EXPECTED_PROBLEMS:
        assert f"line {line}: " in result.output
    assert "line 4: invalid codice fiscale: RSSMRA80A01H501X" in result.output
    assert "Dry run" in result.output and Mailbox.select().count() == 0


def test_cli_apply_imports_good_lines_and_exit_status_tells_about_bad_ones(
    runner, app, today, tmp_path
):
    make_convention(code="ORD")
    path = tmp_path / "iscritti.csv"
    path.write_bytes(defects_file(";", "cp1252"))
    first = runner.invoke(args=["pec", "import-roster", str(path), "--apply"])
    assert first.exit_code == 1 and "mailboxes 4 new" in first.output
    assert {m.address for m in Mailbox.select()} == GOOD_ADDRESSES
    second = runner.invoke(args=["pec", "import-roster", str(path), "--apply"])
    assert "mailboxes 0 new, 0 updated, 4 unchanged" in second.output

    clean = tmp_path / "clean.csv"
    clean.write_bytes(b"\n".join(path.read_bytes().splitlines()[:3]) + b"\n")
    assert runner.invoke(args=["pec", "import-roster", str(clean), "--apply"]).exit_code == 0
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"what;is;this\n")
    result = runner.invoke(args=["pec", "import-roster", str(broken)])
    assert result.exit_code == 2 and "missing, unknown or repeated" in result.output
