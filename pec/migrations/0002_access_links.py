"""Access links (R11): the account's access epoch, reset links bound to it and to the
account for every token, and the short-lived stash of a step typed after the session
expired."""
from peewee import *
from pec.models import JSONField
from pec.models import UtcDateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('account', 'access_epoch', IntegerField(default=0)),
        migrator.add_column('reset_token', 'access_epoch', IntegerField(default=0)),
        migrator.add_index('reset_token', ('account_id', 'created_at'), False),
        migrator.add_index('account', ('reference_email',), False),
    )
    # Every token names its account now (a PEC address's token named only the mailbox).
    db.execute_sql(
        'UPDATE reset_token SET account_id = '
        '(SELECT account_id FROM mailbox WHERE mailbox.id = reset_token.mailbox_id) '
        'WHERE account_id IS NULL AND mailbox_id IS NOT NULL'
    )

    class FormStash(Model):
        key_hash = CharField(unique=True)
        path = CharField()
        fields = JSONField()
        created_at = UtcDateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'form_stash'
    db.create_tables([FormStash])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('form_stash'))
    migrator.migrate(
        migrator.drop_index('account', 'account_reference_email'),
        migrator.drop_index('reset_token', 'reset_token_account_id_created_at'),
        migrator.drop_column('reset_token', 'access_epoch'),
        migrator.drop_column('account', 'access_epoch'),
    )
