"""Operator accounts managed in the operators' area: a name, invitations (no password
until the invited operator chooses one), single-use e-mailed links, two-factor
authentication (TOTP secret, last accepted step) and hashed recovery codes."""

from peewee import *

from pec.models import UtcDateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("operator", "name", CharField(default="")),
        migrator.drop_not_null("operator", "password_hash"),
        migrator.add_column("operator", "totp_secret", CharField(null=True)),
        migrator.add_column("operator", "totp_enabled_at", UtcDateTimeField(null=True)),
        migrator.add_column("operator", "totp_last_step", IntegerField(null=True)),
    )

    class Operator(Model):
        class Meta:
            database = db
            table_name = "operator"

    class OperatorLink(Model):
        token_hash = CharField(unique=True)
        operator = ForeignKeyField(Operator, on_delete="CASCADE")
        purpose = CharField()
        created_at = UtcDateTimeField()
        expires_at = UtcDateTimeField(index=True)
        used_at = UtcDateTimeField(null=True)

        class Meta:
            database = db
            table_name = "operator_link"

    class RecoveryCode(Model):
        operator = ForeignKeyField(Operator, on_delete="CASCADE")
        code_hash = CharField(unique=True)
        created_at = UtcDateTimeField()
        used_at = UtcDateTimeField(null=True)

        class Meta:
            database = db
            table_name = "recovery_code"

    db.create_tables([OperatorLink, RecoveryCode])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("recovery_code"))
    migrator.migrate(migrator.drop_table("operator_link"))
    migrator.migrate(
        migrator.drop_column("operator", "totp_last_step"),
        migrator.drop_column("operator", "totp_enabled_at"),
        migrator.drop_column("operator", "totp_secret"),
        migrator.add_not_null("operator", "password_hash"),
        migrator.drop_column("operator", "name"),
    )
