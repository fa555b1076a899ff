"""Money received and invoices (rules R12, R13).

- order.received_cents / settled_cents: the sum of an order's registered payments, and of
  the refunds and acceptances recorded against money to refund;
- settlement: those refunds and acceptances;
- convention.seller / tax_regime: who invoices the renewal;
- invoice_counter and invoice: invoice numbers per calendar year and the FatturaPA files.

Payments that earlier versions kept apart as "flagged" (money that arrived but was not
applied) are money received: they become registered and count in received_cents. An
order awaiting payment whose money now reaches its total is not renewed by this
migration (it moves no dates): its page shows the money and an operator decides.
"""

from peewee import *

from pec.models import JSONField, UtcDateTimeField


def _tables(db):
    class Convention(Model):
        class Meta:
            database = db
            table_name = "convention"

    class Order(Model):
        received_cents = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "order"

    class Payment(Model):
        order = ForeignKeyField(Order)
        amount_cents = IntegerField()
        status = CharField()
        rejection_reason = TextField(default="")

        class Meta:
            database = db
            table_name = "payment"

    class Settlement(Model):
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        kind = CharField()
        amount_cents = IntegerField()
        settled_on = DateField()
        reference = CharField(default="")
        reason = TextField(default="")
        actor = CharField()
        created_at = UtcDateTimeField()

        class Meta:
            database = db
            table_name = "settlement"
            indexes = ((("order", "created_at"), False),)

    class InvoiceCounter(Model):
        year = IntegerField(primary_key=True)
        last_number = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "invoice_counter"

    class Invoice(Model):
        kind = CharField()
        year = IntegerField()
        number = IntegerField()
        issued_on = DateField()
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        corrects = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        settlement = ForeignKeyField(Settlement, null=True, on_delete="RESTRICT")
        net_cents = IntegerField()
        vat_cents = IntegerField()
        gross_cents = IntegerField()
        seller = JSONField()
        file_name = CharField(unique=True)
        xml = TextField()
        created_at = UtcDateTimeField()

        class Meta:
            database = db
            table_name = "invoice"
            indexes = ((("year", "number"), True), (("issued_on",), False))

    return Order, Payment, Settlement, InvoiceCounter, Invoice


# The seller's identity an invoice needs. This migration landed first, so it owns these
# columns; issue 11's migration 0003 adds the rest of the identity (contacts, logo, sender).
SELLER_COLUMNS = (
    "seller_name",
    "seller_address",
    "seller_postal_code",
    "seller_city",
    "seller_province",
    "seller_vat_number",
    "seller_fiscal_code",
    "seller_pec",
    "contact_email",
    "contact_phone",
)


def up(migrator, db):
    Order, Payment, Settlement, InvoiceCounter, Invoice = _tables(db)
    migrator.migrate(
        *(migrator.add_column("convention", name, CharField(default="")) for name in SELLER_COLUMNS),
        migrator.add_column("convention", "seller_country", CharField(default="IT")),
    )
    migrator.migrate(
        migrator.add_column("order", "received_cents", IntegerField(default=0)),
        migrator.add_column("order", "settled_cents", IntegerField(default=0)),
        migrator.add_column("convention", "seller", CharField(default="provider")),
        migrator.add_column("convention", "tax_regime", CharField(default="RF01")),
    )
    db.create_tables([Settlement, InvoiceCounter, Invoice])

    Payment.update(status="registered").where(Payment.status == "flagged").execute()
    received = (
        Payment.select(fn.COALESCE(fn.SUM(Payment.amount_cents), 0))
        .where((Payment.order == Order.id) & (Payment.status == "registered"))
    )
    Order.update(received_cents=received).execute()


def down(migrator, db):
    _, _, Settlement, InvoiceCounter, Invoice = _tables(db)
    db.drop_tables([Invoice, InvoiceCounter, Settlement])
    migrator.migrate(
        migrator.drop_column("convention", "tax_regime"),
        migrator.drop_column("convention", "seller"),
        migrator.drop_column("order", "settled_cents"),
        migrator.drop_column("order", "received_cents"),
        migrator.drop_column("convention", "seller_country"),
        *(migrator.drop_column("convention", name) for name in SELLER_COLUMNS),
    )
