"""Double clicks and two tabs against a real SQLite file database: still one order (R4)."""

import threading

from pec.models import (
    Mailbox,
    Order,
    OrderLine,
    OutboxMessage,
)
from tests.conftest import csrf_token

THREADS = 8


def same_session_clients(app, client, n):
    """n test clients sharing one logged-in session, like tabs of one browser."""
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(n):
        other = app.test_client()
        other.set_cookie(cookie.key, cookie.value)
        clients.append(other)
    return clients


def at_once(clients, url, data):
    """POST from every client at the same moment; returns the responses."""
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)
    errors = []

    def post(i, c):
        try:
            barrier.wait()
            responses[i] = c.post(url, data=data)
        except Exception as error:  # reported below, never swallowed
            errors.append(error)

    threads = [threading.Thread(target=post, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return responses


def test_confirm_posted_from_many_tabs_at_once_makes_one_order(app, member, demo, wizard):
    member.login()
    order_id = wizard.start(Mailbox.get(Mailbox.address == "mario.rossi@pec.demo.it"))
    wizard.up_to_confirm(order_id)
    token = csrf_token(member.client)
    clients = same_session_clients(app, member.client, THREADS)
    responses = at_once(clients, f"/renewals/{order_id}/confirm", {"csrf_token": token})
    assert [r.status_code for r in responses] == [303] * THREADS
    assert {r.location for r in responses} == {f"/renewals/{order_id}/done"}
    assert Order.select().where(Order.status == "awaiting_payment").count() == 1
    assert Order.select().where(Order.number.is_null(False)).count() == 1
    assert OutboxMessage.select().where(OutboxMessage.kind == "order_confirmed").count() == 1


def test_rinnova_clicked_in_many_tabs_at_once_starts_one_draft(app, member, demo):
    member.login()
    box = Mailbox.get(Mailbox.address == "studio.rossi@pec.demo.it")
    token = csrf_token(member.client)
    clients = same_session_clients(app, member.client, THREADS)
    responses = at_once(clients, "/renewals/start", {"csrf_token": token, "only": str(box.id)})
    assert [r.status_code for r in responses] == [303] * THREADS
    assert Order.select().count() == 1
    order = Order.get()
    assert {r.location for r in responses} <= {
        f"/renewals/{order.id}/service",
        f"/renewals/{order.id}/",
    }
    assert OrderLine.select().where(OrderLine.open_mailbox == box).count() == 1
