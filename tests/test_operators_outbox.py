"""Outbox, job runs, the domicilio-digitale list and the audit log for operators."""

import datetime as dt

from pec.domain import audit, clock
from pec.models import JobRun, OutboxMessage


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
    now = clock.now()
    JobRun.create(
        job="reminders",
        as_of=demo,
        started_at=now - dt.timedelta(hours=2),
        finished_at=now - dt.timedelta(hours=2),
        status="ok",
        counts={"sent": 3},
    )
    JobRun.create(
        job="deactivation",
        as_of=demo - dt.timedelta(days=2),
        started_at=now - dt.timedelta(hours=27),
        status="failed",
        error="database is locked",
    )
    operator.login()
    page = operator.page("/operators/jobs")
    assert "sent: 3" in page and "database is locked" in page
    assert page.count("Non gira da più di 26 ore") == 1
    assert (
        page.index("deactivation")
        < page.index("Non gira da più di 26 ore")
        < page.index("reminders")
    )


def test_jobs_page_warns_when_no_job_ever_ran(operator, demo):
    operator.login()
    assert "Nessun job ha mai girato" in operator.page("/operators/jobs")


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


def test_audit_log_filters_by_action_actor_target_and_date(operator, demo):
    audit.record("operator:9", "account.updated", None)
    audit.record("system:deactivation", "mailbox.deactivated", None)
    operator.login()
    by_action = operator.page("/operators/audit?action=mailbox.")
    assert "<td>system:deactivation</td>" in by_action and "<td>operator:9</td>" not in by_action
    by_actor = operator.page("/operators/audit?actor=operator:9")
    assert "<td>account.updated</td>" in by_actor and "<td>mailbox.deactivated</td>" not in by_actor
    assert "Eventi: 0" in operator.page("/operators/audit?to=2000-01-01")
    assert "<td>account.updated</td>" in operator.page("/operators/audit?from=2000-01-01")
    by_target = operator.page("/operators/audit?target_type=Operator")
    assert "<td>operator.login</td>" in by_target and "<td>account.updated</td>" not in by_target
