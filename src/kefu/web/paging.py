"""Paging without COUNT(*): on a million-row archive a count costs more than the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 50
MAX_PAGE = 2000


@dataclass(frozen=True)
class Page:
    """A slice of a list without COUNT(*): one extra row tells whether a next page exists."""

    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.rows)


def page_of(qs, raw_page: str | None) -> Page:
    try:
        number = min(max(int(raw_page or 1), 1), MAX_PAGE)
    except ValueError:
        number = 1
    offset = (number - 1) * PAGE_SIZE
    rows = list(qs[offset : offset + PAGE_SIZE + 1])
    return Page(rows=rows[:PAGE_SIZE], number=number, has_next=len(rows) > PAGE_SIZE)
