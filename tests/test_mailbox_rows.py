"""Gestione PEC's rows, written in Python (pec.mailboxes.rows), say what the template's
loop said for every kind of row: compared, whitespace aside, with that loop kept here."""

import datetime as dt
import itertools
import re
from types import SimpleNamespace

import pytest
from flask import render_template_string

from pec.domain.mailboxes import MailboxView, RecentRenewal
from pec.mailboxes.rows import mailbox_rows
from pec.template_gettext import fill
from pec.vocabulary import MailboxStatus, OrderStatus, PaymentMethod

# templates/mailboxes/index.html's loop before the rows moved to Python: the reference
# (its `|fill` filter, pec.template_gettext.fill, is called as a function here).
ROWS_LOOP = """
{%- set renewable = selectable %}{% set pick_several = renewable|length > 1 %}
{%- set status_labels = translated(status_labels) %}
{%- set pick_word, renew_word = _("Seleziona"), _("RINNOVA") %}
{%- set renew_label = _("Rinnova %(address)s", address="%(address)s") %}
{%- set deactivated_warning = _("La casella non riceve né invia messaggi: puoi ancora rinnovarla e riattivarla entro il %(date)s; dopo quella data la casella e i suoi messaggi saranno cancellati.", date="%(date)s") %}
{% for v in views %}{% set box = v.mailbox %}{% set box_id = box.id %}{% set renewed = recent[box_id] if box_id in recent else none %}
<tr>
  {% if pick_several %}<td class="pick">{% if box_id in renewable %}<label class="pick-label" for="pick-{{ box_id }}"><input type="checkbox" name="mailbox" value="{{ box_id }}" id="pick-{{ box_id }}"><span>{{ pick_word }}<span class="sr-only"> {{ box.address }}</span></span></label>{% endif %}</td>{% endif %}
  <th scope="row" class="address">{{ box.address|address }}</th>
  <td><span class="badge badge-{{ v.status }}">{{ status_labels[v.status] }}</span>{% if v.payment_reported %}<br><small class="reported">{{ _("pagamento segnalato, in verifica") }}</small>{% endif %}</td>
  <td>{{ box.expires_on|date }}</td>
  <td class="actions">
    {% if v.open_order and v.open_order.status == OrderStatus.AWAITING_PAYMENT %}
      {% set order = v.open_order %}
      <span>{{ _("Ordine N° %(number)s in attesa di pagamento", number=order.number) }}</span>
      {% if order.id in visible_orders %}
      <p class="due">{{ _("Da pagare: %(amount)s", amount=amount_to_pay(order)|eur) }}</p>
      <p class="actions-row">
      <a class="button primary" href="{{ order_pay_url(order) if order.payment_method.is_online else url_for('renewal.done', order_id=order.id) }}">{{ _("Paga ora") }}<span class="sr-only"> – {{ box.address }}</span></a>
      {% if order.payment_method.has_printable_slip %}<a href="{{ order_pay_url(order) }}">{{ _("Stampa il bollettino") }}<span class="sr-only"> – {{ box.address }}</span></a>
      {% elif order.payment_method.is_reportable %}<a href="{{ url_for('payments.report', order_id=order.id) }}">{{ _("Segnala il pagamento") }}<span class="sr-only"> – {{ box.address }}</span></a>{% endif %}
      </p>
      {% endif %}
    {% elif v.open_order and v.open_order.status == OrderStatus.DRAFT and v.open_order.id in visible_orders %}
      <a class="button primary" href="{{ url_for('renewal.resume', order_id=v.open_order.id) }}" aria-label="{{ _('Riprendi il rinnovo di %(address)s', address=box.address) }}">{{ _("Riprendi il rinnovo") }}</a>
    {% elif v.is_renewable %}
      {% if renewed %}<p class="renewed">{{ _("Rinnovata il %(paid)s: la nuova scadenza è %(date)s.", paid=renewed.paid_on|date, date=renewed.new_expires_on|date) }}</p>{% endif %}
      <button class="{{ 'secondary' if renewed else 'primary' }}" name="only" value="{{ box_id }}" aria-label="{{ fill(renew_label, address=box.address) }}">{{ renew_word }}</button>
    {% elif v.status == MailboxStatus.CEASED %}
      <span>{{ _("Casella cessata: per una nuova casella PEC rivolgiti alla convenzione.") }}</span>
    {% endif %}
    {% if box_id in receipts and not v.open_order %}
      <p><a href="{{ url_for('payments.receipt', order_id=receipts[box_id].id) }}">{{ _("Ricevuta dell'ordine N° %(number)s", number=receipts[box_id].number) }}</a></p>
    {% endif %}
    {% if v.status == MailboxStatus.DEACTIVATED %}
      <p class="warn">{{ fill(deactivated_warning, date=v.deletion_on|date) }}</p>
    {% endif %}
  </td>
</tr>
{% endfor %}"""

# Addresses that need escaping, in text and in attributes.
ADDRESSES = ("anna@pec.demo.it", "o'brien&co@pec.demo.it", 'x"<b>@pec.demo.it')
DAY = dt.date(2027, 3, 31)


def order(number, status, method=PaymentMethod.BANK_TRANSFER, received=0):
    return SimpleNamespace(
        id=number,
        number=f"N{number}<&>",
        status=status,
        payment_method=method,
        gross_cents=12_200,
        received_cents=received,
        settled_cents=0,
    )


def view(box_id, status, open_order=None, renewable=False, reported=False, address=0):
    box = SimpleNamespace(id=box_id, address=ADDRESSES[address % 3], expires_on=DAY)
    return MailboxView(
        mailbox=box,
        status=status,
        open_order=open_order,
        is_renewable=renewable,
        deletion_on=DAY + dt.timedelta(days=90),
        payment_reported=reported,
    )


def every_kind_of_row() -> list[MailboxView]:
    views = []
    box_ids = itertools.count(1)
    for status in MailboxStatus:
        for renewable in (False, True):
            views.append(view(next(box_ids), status, renewable=renewable, address=len(views)))
    for n, method in enumerate(PaymentMethod, start=100):
        for reported in (False, True):
            awaiting = order(n * 10 + reported, OrderStatus.AWAITING_PAYMENT, method, 5_000)
            views.append(
                view(next(box_ids), MailboxStatus.AWAITING_PAYMENT, awaiting, reported=reported)
            )
    for n in (901, 902):  # a draft: the first visible, the second another login's
        views.append(view(next(box_ids), MailboxStatus.EXPIRING, order(n, OrderStatus.DRAFT), True))
    views.append(
        view(next(box_ids), MailboxStatus.DEACTIVATED, order(903, OrderStatus.DRAFT), True)
    )
    return views


def compared(app, language, views, selectable, recent, receipts, visible):
    """(the Python rows, the template's loop) for the same rows, whitespace runs made one."""
    from pec.labels import STATUS_LABELS, translated

    context = dict(selectable=selectable, recent=recent, receipts=receipts, visible_orders=visible)
    with app.test_request_context("/mailboxes/"):
        app.extensions["babel"].locale_selector = lambda: language
        ours = str(mailbox_rows(views, **context))
        theirs = render_template_string(
            ROWS_LOOP,
            views=views,
            translated=translated,
            status_labels=STATUS_LABELS,
            fill=fill,
            **context,
        )
    return tuple(re.sub(r"\s+", " ", html).strip() for html in (ours, theirs))


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("pick", ["several", "one", "none"])
def test_every_kind_of_row_says_what_the_templates_loop_said(app, language, pick):
    views = every_kind_of_row()
    renewable_ids = [v.mailbox.id for v in views if v.is_renewable]
    selectable = {"several": set(renewable_ids), "one": set(renewable_ids[:1]), "none": set()}
    paid = order(700, OrderStatus.PAID)
    recent = {box_id: RecentRenewal(paid, DAY - dt.timedelta(days=3), DAY) for box_id in (2, 4, 6)}
    # A receipt on mailboxes with and without an open order.
    receipts = {v.mailbox.id: paid for v in views[::3]}
    # Every order visible but the second draft and one awaiting order of each method.
    hidden = {902, 1000, 1011, 1020, 1031, 1040}
    visible = {v.open_order.id for v in views if v.open_order} - hidden
    ours, theirs = compared(app, language, views, selectable[pick], recent, receipts, visible)
    assert ours == theirs
    assert ours.count("<tr>") == len(views)
    # The cases the comparison covers are really there.
    for shown in ("Paga ora" if language == "it" else "Pay now", "pick-label", "renewed", "warn"):
        assert (shown in ours) == (shown != "pick-label" or pick == "several"), shown
    if language == "en":  # each word is in the catalogue, so no Italian is left
        italian = ("Ordine", "in attesa", "Paga", "Segnala", "Riprendi", "Rinnova", "Casella")
        assert not [word for word in italian if word in ours]
    assert "o&#39;brien&amp;co@pec.demo.it" in ours and "x&#34;&lt;b&gt;@" in ours
    assert "N1000&lt;&amp;&gt;" in ours
