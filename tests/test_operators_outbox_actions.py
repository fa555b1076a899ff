"""Outbox retries, tomorrow's preview and failing jobs for operators (docs/rules.md, Operators and Scheduled work)."""

import datetime as dt

from pec.models import (
    AuditEvent,
    JobRun,
    OutboxMessage,
)
from tests.test_operators_outbox import _message
from tests.test_operators_payments import flashes


def test_retry_puts_a_failed_message_back_in_the_queue_and_is_audited(operator, demo):
    failed = _message(subject="Respinta", status="failed", attempts=10, last_error="550")
    sent = _message(subject="Consegnata", status="sent")
    operator.login()
    page = operator.page(f"/operators/outbox/{failed.id}")
    assert f'action="/operators/outbox/{failed.id}/retry"' in page
    response = operator.post(f"/operators/outbox/{failed.id}/retry")
    assert response.status_code == 303
    assert "sarà inviata di nuovo" in flashes(operator.page(response.location))
    assert OutboxMessage.get_by_id(failed.id).status == "pending"
    assert AuditEvent.get(AuditEvent.action == "outbox.retried").target_id == failed.id
    assert "/retry" not in operator.page(f"/operators/outbox/{sent.id}")
    refused = operator.post(f"/operators/outbox/{sent.id}/retry")
    assert "già stata inviata" in flashes(operator.page(refused.location))
    assert OutboxMessage.get_by_id(sent.id).status == "sent"
    assert operator.post("/operators/outbox/999/retry").status_code == 404


def test_retry_all_failed_requeues_every_failed_message_only(operator, demo):
    a = _message(subject="A", status="failed")
    b = _message(subject="B", status="failed")
    c = _message(subject="C", status="sent")
    operator.login()
    page = operator.page("/operators/outbox")
    assert "E-mail non inviate dopo tutti i tentativi: 2." in page
    response = operator.post("/operators/outbox/retry-failed")
    assert "E-mail rimesse in coda: 2." in flashes(operator.page(response.location))
    statuses = {m.id: m.status for m in OutboxMessage.select()}
    assert statuses == {a.id: "pending", b.id: "pending", c.id: "sent"}
    assert AuditEvent.get(AuditEvent.action == "outbox.retried_failed").details == {"messages": 2}
    assert "Ritenta tutte" not in operator.page("/operators/outbox")


def test_tomorrow_lists_what_the_jobs_will_send_and_writes_nothing(operator, demo):
    operator.login()
    page = operator.page("/operators/jobs/tomorrow")
    assert "Cosa faranno domani i lavori automatici (11/03/2026)" in page
    # The page shows exactly what lifecycle.preview says for tomorrow.
    from pec.domain import lifecycle

    planned = lifecycle.preview(demo + dt.timedelta(days=1))
    assert f"Azioni previste: {len(planned)}" in page
    for due in planned:
        if due.mailbox is not None:
            assert due.mailbox.address in page
    assert OutboxMessage.select().count() == 0 and JobRun.select().count() == 0


def test_tomorrow_shows_a_due_reminder_with_recipient_and_offset(operator, demo):
    from pec.models import Mailbox

    Mailbox.update(expires_on=demo + dt.timedelta(days=8)).where(
        Mailbox.address == "studio.rossi@pec.demo.it"
    ).execute()
    operator.login()
    page = operator.page("/operators/jobs/tomorrow")
    row = page.split("studio.rossi@pec.demo.it", 1)[1].split("</tr>", 1)[0]
    assert "mario.rossi@example.org" in row and "18/03/2026" in row and ">7</td>" in row
    assert "Promemoria di scadenza" in page


def test_the_jobs_page_calls_out_a_failed_run(operator, demo):
    now = dt.datetime.now(dt.UTC)
    JobRun.create(job="reminders", as_of=demo, started_at=now, status="failed", error="boom")
    JobRun.create(job="cleanup", as_of=demo, started_at=now, status="ok")
    operator.login()
    page = operator.page("/operators/jobs")
    assert "Attenzione: qualche lavoro automatico non funziona." in page
    reminders = page.split('id="job-reminders"', 1)[1].split("</li>", 1)[0]
    assert "L'ultima esecuzione è fallita." in reminders
    assert '<strong class="error">Fallito</strong>' in page and "boom" in page
    JobRun.update(status="ok").execute()
    for job in ("cease", "deactivate", "send_outbox"):
        JobRun.create(job=job, as_of=demo, started_at=now, status="ok", counts={})
    assert "Tutti i lavori automatici hanno girato di recente senza errori." in operator.page(
        "/operators/jobs"
    )
