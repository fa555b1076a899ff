"""The member roster as CSV (docs/rules.md, Operators): a dry run that lists every bad line with its
reason, an idempotent upsert by PEC address, and an export that imports back unchanged.

File: UTF-8 (with or without BOM) or Windows-1252 (Excel), `;` or `,` sniffed from the
header, dates GG/MM/AAAA. Columns are named in the header (any order); see COLUMNS.
Rules that keep an import trustworthy (README, "Roster CSV"):
- a bad line is reported and skipped; every other line is still imported;
- the first line of a PEC address wins, later repeats are bad lines; lines of one
  account must agree on the holder's data (the first one wins, the others are bad);
- an empty optional cell keeps what the portal has (an import never blanks data);
- an expiry is never moved back (a renewal paid on the portal would be undone), nor
  changed while the mailbox is on an open order, and a mailbox never changes holder.
"""

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from peewee import chunked

from pec.database import bulk_update, write_transaction
from pec.domain import clock
from pec.domain.billing import (
    COMPANY_CF,
    HOLDER_FIELDS,
    REQUIRED,
    TOO_LONG,
    check_holder,
    normal_email,
)
from pec.domain.csv_files import (
    RepairedLine,
    UnreadableText,
    guard_cell,
    is_blank,
    numbered_rows,
    parse_date,
    read_text,
    sniff_delimiter,
    trimmed,
    unguard_cell,
)
from pec.models import (
    Account,
    AuditEvent,
    Convention,
    Mailbox,
    Order,
    OrderLine,
)
from pec.vocabulary import OrderStatus

COLUMNS = ("convention_code", "pec_address", "expires_on", "account_login", *HOLDER_FIELDS)
REQUIRED_COLUMNS = (
    "convention_code",
    "pec_address",
    "expires_on",
    "fiscal_code",
    "reference_email",
)
# Rows per INSERT / IN (...): far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
# Values per IN (...) of a single-column lookup: still below both limits (SQLite ≥ 3.32
# allows 32,766 parameters, PostgreSQL 65,535), so a large file costs few queries.
LOOKUP_CHUNK = 5000


class RosterFileError(Exception):
    """The file as a whole cannot be read: `code` is encoding, spreadsheet (an Excel
    file not saved as CSV), empty or columns."""

    def __init__(self, code: str, columns: Iterable[str] = ()):
        super().__init__(code)
        self.code = code
        self.columns = list(columns)


@dataclass(frozen=True)
class Problem:
    """Why line `line` (1 = the header) was not imported."""

    line: int
    code: str
    value: str = ""
    other_line: int | None = None


@dataclass
class Row:
    line: int
    convention_code: str
    address: str
    expires_on: dt.date
    login: str  # "" when the file leaves it to the portal
    holder: dict  # normalised holder fields that the line sets (empty cells left out)


@dataclass
class Report:
    """What a dry run would do, or what an apply did."""

    applied: bool = False
    lines: int = 0
    problems: list[Problem] = field(default_factory=list)
    new_accounts: int = 0
    updated_accounts: int = 0
    new_mailboxes: int = 0
    updated_mailboxes: int = 0
    unchanged_mailboxes: int = 0
    # Lines whose bytes needed repair (a stray Windows-1252 byte in a UTF-8 file, control
    # characters): imported, but shown so the operator checks them.
    repaired: tuple[RepairedLine, ...] = ()

    @property
    def bad_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems})

    @property
    def good_lines(self) -> int:
        return self.lines - len(self.bad_lines)

    @property
    def changes(self) -> int:
        return (
            self.new_accounts + self.updated_accounts + self.new_mailboxes + self.updated_mailboxes
        )


# --- Reading the file ------------------------------------------------------------------


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_")


def read_rows(data: bytes) -> tuple[list[Row], list[Problem], int, tuple[RepairedLine, ...]]:
    """Rows that pass the checks needing no database, the problems of the others, the
    number of data lines read (blank lines are not counted), and the lines whose bytes
    needed repair."""
    try:
        decoded = read_text(data)
    except UnreadableText as error:
        raise RosterFileError(error.code) from None
    text = decoded.text
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise RosterFileError("empty")
    header: list[str] | None = None
    rows: list[Row] = []
    problems: list[Problem] = []
    first_line_of: dict[str, int] = {}
    lines = 0
    # A roster cell never spans lines: a quote left open is one bad line, not the loss
    # of every line after it.
    for line, cells, unreadable in numbered_rows(
        text, sniff_delimiter(first_line), multiline=False
    ):
        if not unreadable and is_blank(cells):
            continue
        if header is None:
            if unreadable:
                raise RosterFileError("columns", [unreadable])
            # Excel keeps the empty columns at the right of a sheet that once had data.
            header = [_header_name(c) for c in trimmed(cells)]
            unknown = [c for c in header if c not in COLUMNS]
            repeated = {c for c in header if header.count(c) > 1}
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if unknown or repeated or missing:
                raise RosterFileError("columns", missing + unknown + sorted(repeated))
            continue
        lines += 1
        if unreadable:
            problems.append(Problem(line, unreadable))
            continue
        if len(cells) > len(header) and is_blank(cells[len(header) :]):
            cells = cells[: len(header)]
        if len(cells) != len(header):
            problems.append(Problem(line, "field_count", f"{len(cells)}/{len(header)}"))
            continue
        row, row_problems = _check_line(line, dict(zip(header, cells, strict=True)))
        if row is not None and row.address in first_line_of:
            row_problems.append(
                Problem(line, "address_duplicate", row.address, first_line_of[row.address])
            )
        elif row is not None:
            first_line_of[row.address] = line
        if row_problems:
            problems.extend(row_problems)
        else:
            rows.append(row)
    if header is None:
        raise RosterFileError("empty")
    return rows, problems, lines, decoded.repaired


def _check_line(line: int, values: dict) -> tuple[Row | None, list[Problem]]:
    values = {k: unguard_cell(v.strip()).strip() for k, v in values.items()}
    problems = []
    convention_code = values["convention_code"]
    if not convention_code:
        problems.append(Problem(line, "convention_missing"))
    address = values["pec_address"].lower()
    if not address:
        problems.append(Problem(line, "address_missing"))
    elif normal_email(address) is None:
        problems.append(Problem(line, "address_invalid", values["pec_address"]))
    expires_on = None
    if not values["expires_on"]:
        problems.append(Problem(line, "expires_on_missing"))
    else:
        expires_on = parse_date(values["expires_on"])
        if expires_on is None:
            problems.append(Problem(line, "expires_on_invalid", values["expires_on"]))
    holder, errors = check_holder({k: v for k, v in values.items() if k in HOLDER_FIELDS})
    quoted = {
        _holder_problem(name, code): name if code == TOO_LONG else values.get(name, "")
        for name, code in errors.items()
    }
    problems += [Problem(line, code, value) for code, value in quoted.items()]
    # An empty optional cell keeps what the portal has (the import never blanks data).
    holder = {k: v for k, v in holder.items() if v}
    if not values.get("person_type"):
        holder.pop("person_type", None)
    if problems or expires_on is None:
        return None, problems
    row = Row(
        line, convention_code, address, expires_on, values.get("account_login", "").lower(), holder
    )
    return row, problems


def _holder_problem(column: str, code: str) -> str:
    """A line's problem code for an error of a holder column (one for a missing name)."""
    if code == REQUIRED:
        return "name_missing" if column in ("first_name", "last_name") else f"{column}_missing"
    if code == COMPANY_CF:
        return "fiscal_code_company"
    if code == TOO_LONG:
        return "too_long"
    return f"{column}_invalid"


# --- Planning against the database ------------------------------------------------------


@dataclass
class _Plan:
    report: Report
    new_accounts: dict[str, dict] = field(default_factory=dict)  # login -> values
    account_updates: list[tuple[Account, dict]] = field(default_factory=list)
    new_mailboxes: list[tuple[str, str, dt.date]] = field(
        default_factory=list
    )  # login, address, expiry
    mailbox_updates: list[tuple[Mailbox, dt.date]] = field(default_factory=list)
    account_ids: dict[str, int] = field(default_factory=dict)  # login -> id, existing ones


def _existing(rows: list[Row]) -> tuple[dict[str, Mailbox], dict[str, Account]]:
    mailboxes: dict[str, Mailbox] = {}
    accounts: dict[str, Account] = {}
    for chunk in chunked([r.address for r in rows], CHUNK):
        for box in Mailbox.select(Mailbox, Account).join(Account).where(Mailbox.address.in_(chunk)):
            mailboxes[box.address] = box
            accounts[box.account.login] = box.account
    logins = sorted(
        {r.login or r.holder.get("reference_email", "").lower() for r in rows} - set(accounts)
    )
    for chunk in chunked(logins, CHUNK):
        for account in Account.select().where(Account.login.in_(chunk)):
            accounts[account.login] = account
    return mailboxes, accounts


def _taken_identifiers(logins: set[str], addresses: set[str]) -> tuple[dict[str, str], set[str]]:
    """PEC addresses already in the portal among new `logins` (address -> its holder's
    login), and logins already in the portal among new `addresses`."""
    address_owner: dict[str, str] = {}
    # Only a login with an "@" can be a PEC address.
    for chunk in chunked(sorted(x for x in logins if "@" in x), LOOKUP_CHUNK):
        query = Mailbox.select(Mailbox.address, Account.login).join(Account)
        for box in query.where(Mailbox.address.in_(chunk)):
            address_owner[box.address] = box.account.login
    taken: set[str] = set()
    for chunk in chunked(sorted(addresses), LOOKUP_CHUNK):
        taken.update(a.login for a in Account.select(Account.login).where(Account.login.in_(chunk)))
    return address_owner, taken


def _on_open_orders(mailbox_ids: list[int]) -> set[int]:
    found = set()
    for chunk in chunked(mailbox_ids, CHUNK):
        lines = (
            OrderLine.select(OrderLine.mailbox)
            .join(Order)
            .where(OrderLine.open_mailbox.in_(chunk) & Order.status.in_(OrderStatus.open()))
        )
        found.update(line.mailbox_id for line in lines)
    return found


def _plan(data: bytes) -> _Plan:
    rows, problems, lines, repaired = read_rows(data)
    plan = _Plan(Report(lines=lines, repaired=repaired))
    conventions = {c.code.lower(): c for c in Convention.select()}
    mailboxes, accounts = _existing(rows)
    moving = [
        mailboxes[r.address].id
        for r in rows
        if r.address in mailboxes and mailboxes[r.address].expires_on != r.expires_on
    ]
    on_open_orders = _on_open_orders(moving)
    logins = {
        row.line: row.login
        or (
            mailboxes[row.address].account.login
            if row.address in mailboxes
            else row.holder["reference_email"].lower()
        )
        for row in rows
    }
    # A new login must never be another holder's PEC address, nor a new PEC address
    # another holder's login: login and recovery look both up, one would capture the other.
    new_logins = set(logins.values()) - set(accounts)
    new_addresses = {row.address for row in rows} - set(mailboxes)
    address_owner, logins_taken = _taken_identifiers(new_logins, new_addresses)
    for row in rows:
        address_owner.setdefault(row.address, logins[row.line])
    logins_taken |= set(logins.values())
    leaders: dict[str, Row] = {}  # login -> the first good line of that account
    for row in rows:
        before = len(problems)
        convention = conventions.get(row.convention_code.lower())
        box = mailboxes.get(row.address)
        login = logins[row.line]
        account = accounts.get(login)
        if login in new_logins and address_owner.get(login, login) != login:
            problems.append(Problem(row.line, "login_is_address", login))
        if row.address in new_addresses and row.address in logins_taken and row.address != login:
            problems.append(Problem(row.line, "address_is_login", row.address))
        if convention is None:
            problems.append(Problem(row.line, "convention_unknown", row.convention_code))
        elif account is not None and account.convention_id != convention.id:
            problems.append(Problem(row.line, "account_convention", login))
        if box is not None and box.account.login != login:
            problems.append(Problem(row.line, "owner_conflict", box.account.login))
        if box is not None and row.expires_on < box.expires_on:
            problems.append(
                Problem(row.line, "expiry_backwards", box.expires_on.strftime("%d/%m/%Y"))
            )
        elif box is not None and box.id in on_open_orders and row.expires_on != box.expires_on:
            problems.append(Problem(row.line, "open_order"))
        leader = leaders.get(login)
        if leader is not None and (
            leader.convention_code.lower() != row.convention_code.lower()
            or any(
                leader.holder[k] != row.holder[k] for k in leader.holder.keys() & row.holder.keys()
            )
        ):
            problems.append(Problem(row.line, "holder_conflict", login, leader.line))
        if len(problems) > before:
            continue
        if leader is None:
            leaders[login] = row
            _plan_account(plan, login, account, convention, row.holder)
        if box is None:
            plan.new_mailboxes.append((login, row.address, row.expires_on))
        elif box.expires_on != row.expires_on:
            plan.mailbox_updates.append((box, row.expires_on))
        else:
            plan.report.unchanged_mailboxes += 1
    plan.report.problems = sorted(problems, key=lambda p: (p.line, p.code))
    plan.report.new_accounts = len(plan.new_accounts)
    plan.report.updated_accounts = len(plan.account_updates)
    plan.report.new_mailboxes = len(plan.new_mailboxes)
    plan.report.updated_mailboxes = len(plan.mailbox_updates)
    return plan


def _plan_account(plan: _Plan, login: str, account, convention, holder: dict) -> None:
    if account is None:
        blank = {k: "" for k in HOLDER_FIELDS} | {"person_type": "person"}
        plan.new_accounts[login] = blank | holder | {"login": login, "convention": convention.id}
        return
    plan.account_ids[login] = account.id
    changes = {k: v for k, v in holder.items() if getattr(account, k) != v}
    if changes:
        plan.account_updates.append((account, changes))


# --- Dry run and apply -------------------------------------------------------------------


def dry_run(data: bytes) -> Report:
    """What importing `data` would do, with every bad line; changes nothing."""
    return _plan(data).report


def apply(data: bytes, *, actor: str, filename: str = "", ip: str = "") -> Report:
    """Import the good lines of `data` in one transaction; the bad ones are reported.

    Idempotent: applying the same file again finds nothing to change."""
    with write_transaction():
        plan = _plan(data)
        now = clock.now()
        audit: list[dict] = []
        new_logins = list(plan.new_accounts)
        for chunk in chunked(new_logins, CHUNK):
            Account.insert_many(
                [plan.new_accounts[login] | {"created_at": now} for login in chunk]
            ).execute()
        account_ids = dict(plan.account_ids)
        for chunk in chunked(new_logins, CHUNK):
            for account in Account.select(Account.id, Account.login).where(
                Account.login.in_(chunk)
            ):
                account_ids[account.login] = account.id
                audit.append(
                    _event(now, actor, ip, "roster.account_created", "Account", account.id, None)
                )
        bulk_update(Account, [(account.id, changes) for account, changes in plan.account_updates])
        for account, changes in plan.account_updates:
            before = {k: getattr(account, k) for k in changes}
            audit.append(
                _event(
                    now,
                    actor,
                    ip,
                    "roster.account_updated",
                    "Account",
                    account.id,
                    {"before": before, "after": changes},
                )
            )
        new_rows = [
            {
                "account": account_ids[login],
                "address": address,
                "expires_on": expires,
                "created_at": now,
            }
            for login, address, expires in plan.new_mailboxes
        ]
        for chunk in chunked(new_rows, CHUNK):
            Mailbox.insert_many(chunk).execute()
        for chunk in chunked([address for _login, address, _expires in plan.new_mailboxes], CHUNK):
            for box in Mailbox.select(Mailbox.id, Mailbox.address, Mailbox.expires_on).where(
                Mailbox.address.in_(chunk)
            ):
                audit.append(
                    _event(
                        now,
                        actor,
                        ip,
                        "roster.mailbox_created",
                        "Mailbox",
                        box.id,
                        {"expires_on": box.expires_on.isoformat()},
                    )
                )
        # A later expiry starts a new term: the daily job deactivates (and ceases) only
        # mailboxes with deactivated_on / ceased_on NULL, so the old marks are cleared.
        bulk_update(Mailbox, [(box.id, {"expires_on": new}) for box, new in plan.mailbox_updates])
        for chunk in chunked([box.id for box, _new in plan.mailbox_updates], CHUNK):
            Mailbox.update(deactivated_on=None, ceased_on=None).where(
                Mailbox.id.in_(chunk)
            ).execute()
        for box, expires_on in plan.mailbox_updates:
            audit.append(
                _event(
                    now,
                    actor,
                    ip,
                    "roster.mailbox_updated",
                    "Mailbox",
                    box.id,
                    _expiry_change(box, expires_on),
                )
            )
        report = plan.report
        report.applied = True
        summary = {
            "filename": filename,
            "lines": report.lines,
            "bad_lines": len(report.bad_lines),
            "new_accounts": report.new_accounts,
            "updated_accounts": report.updated_accounts,
            "new_mailboxes": report.new_mailboxes,
            "updated_mailboxes": report.updated_mailboxes,
            "unchanged_mailboxes": report.unchanged_mailboxes,
        }
        audit.append(_event(now, actor, ip, "roster.imported", "", None, summary))
        for chunk in chunked(audit, CHUNK):
            AuditEvent.insert_many(chunk).execute()
    return report


def _expiry_change(box: Mailbox, expires_on: dt.date) -> dict:
    """Before/after of a roster expiry change, with the lifecycle marks it cleared."""
    before = {"expires_on": box.expires_on.isoformat()}
    after = {"expires_on": expires_on.isoformat()}
    for mark in ("deactivated_on", "ceased_on"):
        if getattr(box, mark) is not None:
            before[mark], after[mark] = getattr(box, mark).isoformat(), None
    return {"before": before, "after": after}


def _event(at, actor, ip, action, target_type, target_id, details) -> dict:
    return {
        "at": at,
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "details": details,
        "ip": ip or "",
    }


# --- Export ---------------------------------------------------------------------------------


def export_roster(convention: Convention | None = None) -> bytes:
    """Every mailbox with its holder, as a CSV that `apply` imports back unchanged
    (UTF-8 with BOM and `;`, so Excel opens it right)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    query = (
        Mailbox.select(Mailbox, Account, Convention)
        .join(Account)
        .join(Convention)
        .order_by(Convention.code, Mailbox.address)
    )
    if convention is not None:
        query = query.where(Convention.id == convention.id)
    for box in query.iterator():
        account = box.account
        writer.writerow(
            [
                guard_cell(cell)
                for cell in (
                    account.convention.code,
                    box.address,
                    box.expires_on.strftime("%d/%m/%Y"),
                    account.login,
                    *(getattr(account, k) for k in HOLDER_FIELDS),
                )
            ]
        )
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
