"""Long lists shown a page at a time: the operators' lists and a member's mailboxes."""

import math
from collections.abc import Callable
from dataclasses import dataclass

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    pages: int
    total: int
    size: int = PAGE_SIZE

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_item(self) -> int:
        """The position (from 1) of the page's first item in the whole list."""
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_item(self) -> int:
        return min(self.number * self.size, self.total)

    def numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and those around this one; None
        where numbers are left out (shown as "…")."""
        shown = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        found: list[int | None] = []
        for n in sorted(n for n in shown if 1 <= n <= self.pages):
            if found and found[-1] is not None and n > found[-1] + 1:
                found.append(None)
            found.append(n)
        return found


def paginate(query, number: int, size: int = PAGE_SIZE, rows: Callable = list) -> Page:
    """One page of `query` (numbered from 1; out-of-range numbers land on the last): a
    count and one query for the page, whatever the length of the list. `rows` turns the
    page's query into its items (by default, its rows)."""
    total = query.count()
    pages = max(1, math.ceil(total / size))
    number = min(max(1, number), pages)
    return Page(rows(query.paginate(number, size)), number, pages, total, size)
