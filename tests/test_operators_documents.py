"""Identity documents: verify, reject (the reason is e-mailed), purge after retention."""

import datetime as dt
from pathlib import Path

from pec.domain import clock
from pec.domain.document_review import purge_documents
from pec.domain.documents import store_document
from pec.models import (
    Account,
    AuditEvent,
    IdentityDocument,
    OutboxMessage,
)

PDF = b"%PDF-1.4\n% a tiny test document\n"


def _upload(app, login="mario.rossi@example.org") -> IdentityDocument:
    account = Account.get(Account.login == login)
    return store_document(account, "carta.pdf", PDF, app.config["PEC_DOCUMENTS_DIR"], 10**6)


def test_queue_shows_the_file_and_verify_is_audited_once(app, operator, demo):
    document = _upload(app)
    operator.login()
    page = operator.page("/operators/documents")
    assert "carta.pdf" in page and "Mario Rossi" in page
    shown = operator.client.get(f"/operators/documents/{document.id}/file")
    assert shown.status_code == 200 and shown.data == PDF
    assert shown.headers["Content-Disposition"] == "inline"
    shown.close()
    assert operator.post(f"/operators/documents/{document.id}/verify").status_code == 303
    again = operator.post(f"/operators/documents/{document.id}/verify", follow_redirects=True)
    assert "ha già deciso un altro operatore" in again.get_data(as_text=True)
    document = IdentityDocument.get_by_id(document.id)
    assert document.status == "verified" and document.verified_at is not None
    events = list(AuditEvent.select().where(AuditEvent.action == "document.verified"))
    assert len(events) == 1 and events[0].actor.startswith("operator:")
    assert "carta.pdf" not in operator.page("/operators/documents")


def test_reject_needs_a_reason_and_mails_it_to_the_member(app, operator, demo):
    document = _upload(app)
    operator.login()
    url = f"/operators/documents/{document.id}/reject"
    empty = operator.post(url, {"reason": " "})
    assert empty.status_code == 422 and "Scrivi il motivo" in empty.get_data(as_text=True)
    assert OutboxMessage.select().count() == 0
    done = operator.post(url, {"reason": "Il documento è scaduto."})
    assert done.status_code == 303
    document = IdentityDocument.get_by_id(document.id)
    assert (document.status, document.rejection_reason) == ("rejected", "Il documento è scaduto.")
    message = OutboxMessage.get()
    assert message.to_address == "mario.rossi@example.org" and message.kind == "document_rejected"
    assert "Il documento è scaduto." in message.body_text
    # A personal link (R11), never a login the member may have no password for.
    assert "https://portal.example.org/links/" in message.body_text
    assert "/login?login=" not in message.body_text
    event = AuditEvent.get(AuditEvent.action == "document.rejected")
    assert event.details == {"reason": "Il documento è scaduto."}
    # A second rejection neither changes the reason nor mails again.
    operator.post(url, {"reason": "Altro"})
    assert OutboxMessage.select().count() == 1


def test_purge_deletes_files_after_the_retention_and_is_idempotent(app, demo):
    directory = app.config["PEC_DOCUMENTS_DIR"]
    recent, old, pending = _upload(app), _upload(app), _upload(app)
    decided = clock.start_of_day(demo) + dt.timedelta(hours=10)
    IdentityDocument.update(status="verified", verified_at=decided).where(
        IdentityDocument.id.in_([recent.id, old.id])
    ).execute()
    IdentityDocument.update(verified_at=decided - dt.timedelta(days=29)).where(
        IdentityDocument.id == old.id
    ).execute()
    assert (
        purge_documents(demo, directory).purged == 0
    )  # retention is 30 days: the old one is due tomorrow
    assert purge_documents(demo + dt.timedelta(days=1), directory).purged == 1
    old = IdentityDocument.get_by_id(old.id)
    assert old.purged_at is not None and not Path(directory, old.stored_name).exists()
    assert purge_documents(demo + dt.timedelta(days=1), directory).purged == 0
    assert Path(directory, recent.stored_name).exists()
    assert Path(directory, pending.stored_name).exists()  # never verified: kept
    assert AuditEvent.select().where(AuditEvent.action == "document.purged").count() == 1


def test_purge_documents_command(app, runner, demo):
    document = _upload(app)
    IdentityDocument.update(status="rejected", verified_at=clock.now()).execute()
    later = (demo + dt.timedelta(days=31)).isoformat()
    result = runner.invoke(args=["pec", "purge-documents", "--today", later])
    assert result.exit_code == 0 and "1 document file(s) purged" in result.output
    again = runner.invoke(args=["pec", "purge-documents", "--today", later])
    assert "0 document file(s) purged" in again.output
    assert not Path(app.config["PEC_DOCUMENTS_DIR"], document.stored_name).exists()
