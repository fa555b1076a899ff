"""Outbox, job runs, the domicilio-digitale list and the audit log for operators."""

import datetime as dt

from pec.domain import audit
from pec.models import Account, JobRun, Mailbox, OutboxMessage
from tests.conftest import make_operator


def _message(**overrides):
    values = dict(
        kind="reminder",
        message_id=f"<{overrides.get('subject', 'x')}@portal>",
        to_address="mario.rossi@example.org",
        subject="Promemoria",
        body_text="Gentile Cliente, la casella scadrà.",
        body_html="<p>Gentile <script>alert(1)</script></p>",
    )
    values.update(overrides)
    return OutboxMessage.create(**values)


def test_outbox_lists_state_attempts_and_errors_and_filters(operator, demo):
    _message(subject="Oggetto consegnato", status="sent")
    failed = _message(
        subject="Oggetto respinto",
        status="failed",
        attempts=5,
        last_error="550 mailbox unavailable",
    )
    operator.login()
    page = operator.page("/operators/outbox")
    assert (
        "Oggetto consegnato" in page
        and "Oggetto respinto" in page
        and "550 mailbox unavailable" in page
    )
    only_failed = operator.page("/operators/outbox?status=failed")
    assert "Oggetto respinto" in only_failed and "Oggetto consegnato" not in only_failed
    message = operator.page(f"/operators/outbox/{failed.id}")
    assert "Gentile Cliente, la casella scadrà." in message
    # The HTML part is shown as text, never rendered.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message and "<script>alert" not in message


def test_jobs_page_flags_a_job_silent_for_more_than_26_hours(operator, demo):
    now = dt.datetime.now(dt.UTC)  # job runs are stamped with the real time
    JobRun.create(
        job="reminders",
        as_of=demo,
        started_at=now - dt.timedelta(hours=2),
        finished_at=now - dt.timedelta(hours=2),
        status="ok",
        counts={"sent": 3},
    )
    JobRun.create(
        job="deactivate",
        as_of=demo - dt.timedelta(days=2),
        started_at=now - dt.timedelta(hours=27),
        finished_at=now - dt.timedelta(hours=27),
        status="ok",
        counts={"deactivated": 1},
    )
    operator.login()
    page = operator.page("/operators/jobs")
    assert "3 promemoria inviati" in page and "1 casella disattivata" in page
    assert page.count("Non gira da più di un giorno.") == 1
    deactivation = page.split('id="job-deactivate"', 1)[1].split("</li>", 1)[0]
    reminders = page.split('id="job-reminders"', 1)[1].split("</li>", 1)[0]
    assert "Non gira da più di un giorno." in deactivation and "Funziona." in reminders


def test_jobs_page_warns_when_no_job_ever_ran(operator, demo):
    operator.login()
    page = operator.page("/operators/jobs")
    assert page.count("Non ha mai girato.") == 5  # four daily jobs and the e-mails
    assert "qualche lavoro automatico non funziona" in page


def test_domicilio_list_and_its_csv_export(operator, demo):
    operator.login()
    page = operator.page("/operators/domicilio")
    for address in ("m.rossi@pec.demo.it", "mario.rossi@pec.demo.it", "anna.bianchi@pec.demo.it"):
        assert address in page
    assert "studio.rossi@pec.demo.it" not in page
    response = operator.client.get("/operators/domicilio.csv")
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("pec_address;status;expires_on")
    assert len(lines) == 4
    assert any(line.startswith("m.rossi@pec.demo.it;Disattivato;") for line in lines)


def test_audit_log_filters_by_who_what_and_date(operator, demo):
    clerk = make_operator("clerk@example.org", role="operator", name="Luca Neri")
    anna = Account.get(Account.login == "anna.bianchi@example.org")
    box = Mailbox.get(Mailbox.address == "m.rossi@pec.demo.it")
    audit.record(f"operator:{clerk.id}", "account.updated", anna, {"before": {}, "after": {}})
    audit.record("system:deactivation", "mailbox.deactivated", box, {"expires_on": "2026-03-07"})
    operator.login()
    updated = "Luca Neri ha modificato i dati del titolare Anna Bianchi."
    deactivated = (
        "La disattivazione automatica ha disattivato la casella m.rossi@pec.demo.it, "
        "scaduta il 07/03/2026."
    )
    by_kind = operator.page("/operators/audit?kind=members")
    assert deactivated in by_kind and updated in by_kind
    assert "ha effettuato l&#39;accesso" not in by_kind
    by_who = operator.page(f"/operators/audit?who={clerk.id}")
    assert updated in by_who and deactivated not in by_who
    assert deactivated in operator.page("/operators/audit?who=system")
    assert "0 attività" in operator.page("/operators/audit?to=2000-01-01")
    assert updated in operator.page("/operators/audit?from=2000-01-01")
    by_target = operator.page("/operators/audit?target_type=Operator")
    assert "Giulia Verdi ha effettuato l&#39;accesso" in by_target and updated not in by_target
