"""Job runs name the process that runs them (host:pid), so a run left "running" by a
killed process can be marked interrupted at the next start."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('job_run', 'runner', CharField(default='')),
        migrator.add_index('job_run', ('status',), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('job_run', 'job_run_status'),
        migrator.drop_column('job_run', 'runner'),
    )
