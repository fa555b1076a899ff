"""A `Notices` double for domain tests: it remembers what members would be told."""

import contextlib


class RecordingNotices:
    def __init__(self):
        self.sent: list[tuple] = []

    def _record(self, kind, *args):
        self.sent.append((kind, *args))

    def kinds(self) -> list[str]:
        return [kind for kind, *_ in self.sent]

    def together(self):
        return contextlib.nullcontext()

    def order_confirmed(self, order):
        self._record("order_confirmed", order)

    def payment_method_switched(self, order):
        self._record("payment_method_switched", order)

    def order_cancelled(self, order, reason):
        self._record("order_cancelled", order, reason)

    def renewal_applied(self, order, mailboxes):
        self._record("renewal_applied", order, mailboxes)

    def payment_rejected(self, payment):
        self._record("payment_rejected", payment)

    def payment_received(self, order, payment):
        self._record("payment_received", order, payment)

    def refund_recorded(self, settlement):
        self._record("refund_recorded", settlement)

    def invoice_issued(self, invoice):
        self._record("invoice_issued", invoice)

    def document_rejected(self, document):
        self._record("document_rejected", document)

    def password_reset(self, account, mailbox, token):
        self._record("password_reset", account, mailbox, token)

    def access_link(self, mailbox):
        self._record("access_link", mailbox)

    def reminder(self, due):
        self._record("reminder", due)

    def deactivated(self, due):
        self._record("deactivated", due)

    def ceased(self, due):
        self._record("ceased", due)
