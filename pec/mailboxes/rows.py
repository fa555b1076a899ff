"""The rows of Gestione PEC's table, written in Python (issue 16).

The page shows up to 25 mailboxes, and in Jinja each row cost some 15 µs: a dozen values
escaped one by one, as many attribute lookups, filters and translated words called
through the template's context. Written here, with the page's words translated once and
each address escaped once, a row costs about a third of that (some 5 µs): a tenth less
for the whole page with 25 rows. The rest of the page, the table's frame included, stays in
templates/mailboxes/index.html, which calls `mailbox_rows`.

Each row is what the template's loop wrote (tests/test_mailbox_rows.py keeps that loop
and compares the two for every kind of row, whitespace aside): the same elements,
attributes and words, through the same filters and globals the template used (the
application's Jinja environment's), so a date, an amount or a link reads alike
everywhere. Values are escaped as Jinja escaped them; translations are trusted, as the
template's `_()` trusts them."""

from flask import current_app
from markupsafe import Markup, escape

from pec.labels import STATUS_LABELS, translated
from pec.template_gettext import fill
from pec.template_gettext import markup_gettext as _
from pec.vocabulary import MailboxStatus, OrderStatus


def mailbox_rows(views, *, selectable, recent, receipts, visible_orders) -> Markup:
    """The table rows (`<tr>`) of `views`, in their order. `selectable`: the ids of the
    mailboxes that may be ticked into one order (a tick box on every row when there are
    several); `recent`: mailbox id → its recent renewal; `receipts`: mailbox id → its
    latest paid order; `visible_orders`: the ids of the orders this login may open."""
    page = _Page(selectable, recent, receipts, visible_orders)
    return Markup("".join([page.row(view) for view in views]))


class _Page:
    """What the rows of one page share: its words, translated once, and the template's
    own filters and globals."""

    def __init__(self, selectable, recent, receipts, visible_orders):
        env = current_app.jinja_env
        self.url_for = env.globals["url_for"]
        self.pay_url = env.globals["order_pay_url"]
        self.to_pay = env.globals["amount_to_pay"]
        self.eur, self.date, self.address = (env.filters[n] for n in ("eur", "date", "address"))
        self.pick_several = len(selectable) > 1
        self.selectable, self.recent = selectable, recent
        self.receipts, self.visible_orders = receipts, visible_orders
        self.status_labels = {
            key: escape(label) for key, label in translated(STATUS_LABELS).items()
        }
        self.pick_word, self.renew_word = _("Seleziona"), _("RINNOVA")
        self.renew_label = _("Rinnova %(address)s", address="%(address)s")
        self.deactivated_warning = _(
            "La casella non riceve né invia messaggi: puoi ancora rinnovarla e riattivarla "
            "entro il %(date)s; dopo quella data la casella e i suoi messaggi saranno "
            "cancellati.",
            date="%(date)s",
        )

    def row(self, view) -> str:
        box = view.mailbox
        box_id = box.id  # an int: written as it is
        address = escape(box.address)
        html = ["<tr>\n"]
        if self.pick_several:
            pick = ""
            if box_id in self.selectable:
                pick = (
                    f'<label class="pick-label" for="pick-{box_id}"><input type="checkbox" '
                    f'name="mailbox" value="{box_id}" id="pick-{box_id}"><span>{self.pick_word}'
                    f'<span class="sr-only"> {address}</span></span></label>'
                )
            html.append(f'<td class="pick">{pick}</td>\n')
        status = view.status
        reported = ""
        if view.payment_reported:
            words = _("pagamento segnalato, in verifica")
            reported = f'<br><small class="reported">{words}</small>'
        html.append(
            f'<th scope="row" class="address">{self.address(box.address)}</th>\n'
            f'<td><span class="badge badge-{escape(status)}">{self.status_labels[status]}</span>'
            f"{reported}</td>\n"
            f"<td>{escape(self.date(box.expires_on))}</td>\n"
            '<td class="actions">\n'
        )
        html.extend(self._actions(view, box_id, address))
        if box_id in self.receipts and view.open_order is None:
            receipt = self.receipts[box_id]
            url = self.url_for("payments.receipt", order_id=receipt.id)
            words = _("Ricevuta dell'ordine N° %(number)s", number=receipt.number)
            html.append(f'<p><a href="{escape(url)}">{words}</a></p>\n')
        if status == MailboxStatus.DEACTIVATED:
            warning = fill(self.deactivated_warning, date=self.date(view.deletion_on))
            html.append(f'<p class="warn">{warning}</p>\n')
        html.append("</td>\n</tr>\n")
        return "".join(html)

    def _actions(self, view, box_id: int, address: Markup) -> list[str]:
        """What the member can do with the mailbox: pay its order, resume its draft or
        renew it (or read that it has ceased)."""
        order = view.open_order
        if order is not None and order.status == OrderStatus.AWAITING_PAYMENT:
            words = _("Ordine N° %(number)s in attesa di pagamento", number=order.number)
            html = [f"<span>{words}</span>\n"]
            if order.id in self.visible_orders:
                method = order.payment_method
                to = f'<span class="sr-only"> – {address}</span>'
                pay = (
                    self.pay_url(order)
                    if method.is_online
                    else self.url_for("renewal.done", order_id=order.id)
                )
                due = _("Da pagare: %(amount)s", amount=self.eur(self.to_pay(order)))
                words = _("Paga ora")
                html.append(
                    f'<p class="due">{due}</p>\n<p class="actions-row">\n'
                    f'<a class="button primary" href="{escape(pay)}">{words}{to}</a>\n'
                )
                if method.has_printable_slip:
                    url, words = self.pay_url(order), _("Stampa il bollettino")
                    html.append(f'<a href="{escape(url)}">{words}{to}</a>\n')
                elif method.is_reportable:
                    url, words = (
                        self.url_for("payments.report", order_id=order.id),
                        _("Segnala il pagamento"),
                    )
                    html.append(f'<a href="{escape(url)}">{words}{to}</a>\n')
                html.append("</p>\n")
            return html
        if (
            order is not None
            and order.status == OrderStatus.DRAFT
            and order.id in self.visible_orders
        ):
            url = self.url_for("renewal.resume", order_id=order.id)
            label = _("Riprendi il rinnovo di %(address)s", address=address)
            words = _("Riprendi il rinnovo")
            return [
                f'<a class="button primary" href="{escape(url)}" aria-label="{label}">{words}</a>\n'
            ]
        if view.is_renewable:
            html = []
            renewed = self.recent.get(box_id)
            if renewed:
                words = _(
                    "Rinnovata il %(paid)s: la nuova scadenza è %(date)s.",
                    paid=self.date(renewed.paid_on),
                    date=self.date(renewed.new_expires_on),
                )
                html.append(f'<p class="renewed">{words}</p>\n')
            label = fill(self.renew_label, address=address)
            html.append(
                f'<button class="{"secondary" if renewed else "primary"}" name="only" '
                f'value="{box_id}" aria-label="{label}">{self.renew_word}</button>\n'
            )
            return html
        if view.status == MailboxStatus.CEASED:
            words = _("Casella cessata: per una nuova casella PEC rivolgiti alla convenzione.")
            return [f"<span>{words}</span>\n"]
        return []
