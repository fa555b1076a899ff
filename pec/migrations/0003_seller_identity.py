"""Issue 11: the convention's contacts, privacy controller, logo and e-mail sender,
contract text templates, and what the outbox needs to finish an e-mail at delivery (its
links' base URL, inline images).

The seller's legal identity (seller_name … contact_phone, seller_country) is added by
0004, which landed first: the columns are not added twice.

Existing contract documents keep their text: their template is their body (no
placeholders), so nothing already accepted changes (rule R10).
"""

from peewee import BlobField, CharField, IntegerField, TextField

from pec.models import JSONField

CONVENTION_TEXT = (
    "office_hours",
    "privacy_controller",
    "dpo_contact",
    "logo_type",
    "logo_sha256",
    "sender_name",
    "sender_address",
)


def up(migrator, db):
    operations = [
        migrator.add_column("convention", name, CharField(default=""))
        for name in CONVENTION_TEXT
    ]
    operations += [
        migrator.add_column("convention", "logo", BlobField(null=True)),
        migrator.add_column("convention", "logo_width", IntegerField(default=0)),
        migrator.add_column("convention", "logo_height", IntegerField(default=0)),
        migrator.add_column("contract_document", "template", TextField(default="")),
        migrator.add_column("outbox_message", "base_url", CharField(default="")),
        migrator.add_column("outbox_message", "images", JSONField(null=True)),
    ]
    migrator.migrate(*operations)
    db.execute_sql("UPDATE contract_document SET template = body")


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("outbox_message", "images"),
        migrator.drop_column("outbox_message", "base_url"),
        migrator.drop_column("contract_document", "template"),
        *[
            migrator.drop_column("convention", name)
            for name in (*CONVENTION_TEXT, "logo", "logo_width", "logo_height")
        ],
    )
