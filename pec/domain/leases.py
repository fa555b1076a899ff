"""Named leases: one holder at a time, decided by the database (the scheduler's lock)."""

import datetime as dt

from peewee import IntegrityError

from pec.database import write_transaction
from pec.models import Lease


def acquire(name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take or renew lease `name` for `holder` until now + ttl. True if `holder` has it:
    it held it already, nobody did, or the previous holder let it expire."""
    try:
        with write_transaction():
            renewed = (
                Lease.update(holder=holder, expires_at=now + ttl)
                .where((Lease.name == name) & ((Lease.holder == holder) | (Lease.expires_at < now)))
                .execute()
            )
            if renewed == 1:
                return True
            if Lease.get_or_none(Lease.name == name) is not None:
                return False
            Lease.create(name=name, holder=holder, expires_at=now + ttl)
            return True
    except IntegrityError:  # another process inserted it first
        return False


def release(name: str, holder: str) -> bool:
    """Give the lease up at once (clean shutdown), if `holder` still has it."""
    with write_transaction():
        return Lease.delete().where((Lease.name == name) & (Lease.holder == holder)).execute() == 1


def holder_of(name: str, now: dt.datetime) -> str | None:
    """Who holds lease `name` now, if anyone."""
    lease = Lease.get_or_none((Lease.name == name) & (Lease.expires_at >= now))
    return lease.holder if lease else None
