"""One pagination helper for pages and the API."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session


@dataclass
class Page:
    """One page of a list. `more`: the list was counted only up to `total`, and has more rows than that."""

    items: list
    total: int
    limit: int
    offset: int
    more: bool = False

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def has_prev(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.more or self.offset + self.limit < self.total


def paginate(session: Session, stmt, *, limit: int, offset: int, scalars: bool = True) -> Page:
    """Run `stmt` for one page, plus one COUNT over the same filters."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    result = session.execute(stmt.limit(limit).offset(offset))
    items = list(result.scalars().unique() if scalars else result.all())
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


MAX_OFFSET = 2**31 - 1


def page_args(args, default: int = 50, maximum: int = 500) -> tuple[int, int]:
    """`limit`/`offset` from query args, or `page` for HTML lists; raises ValueError with a message."""
    def number(name, fallback):
        raw = args.get(name)
        if raw in (None, ""):
            return fallback
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"'{name}' must be a whole number.") from None
        if value < 0:
            raise ValueError(f"'{name}' cannot be negative.")
        return value

    limit = number("limit", default)
    if limit < 1 or limit > maximum:
        raise ValueError(f"'limit' must be between 1 and {maximum}.")
    offset = number("offset", 0)
    page = number("page", 0)
    if page:
        offset = (page - 1) * limit
    if offset > MAX_OFFSET:  # databases refuse offsets beyond their integer range (a 500, not a 4xx)
        raise ValueError("'page' or 'offset' is too large.")
    return limit, offset
