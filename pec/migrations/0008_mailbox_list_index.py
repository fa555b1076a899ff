"""Gestione PEC reads an account's mailboxes in the list's order (expiry, then address):
an index in that order lets a page read its 25 rows and stop, and the count read the
index alone, instead of sorting all the account's mailboxes on every visit. It starts
with the account, so it also serves every look-up by account, and replaces that index."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_index('mailbox', ('account_id', 'expires_on', 'address'), False),
        migrator.drop_index('mailbox', 'mailbox_account_id'),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.add_index('mailbox', ('account_id',), False),
        migrator.drop_index('mailbox', 'mailbox_account_id_expires_on_address'),
    )
