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


# Long lists are counted up to this many: "more than 1,000" is as useful as the exact figure, which
# costs a read of every match (a list's "count them all" link, `exact=True`).
COUNT_UP_TO = 1_000


def capped_page(
    session: Session, ids, load, *, limit: int, offset: int, exact: bool = False, up_to: int | None = None
) -> Page:
    """One page of `ids` (a select with an `id` column, or a list of them read one after another), counted up
    to `up_to` (COUNT_UP_TO) or the page's end, else "more than"; `load(ids)` gives {id: object} for the page.
    Design: docs/design-notes.md, "pagination.py: capped_page"."""
    parts = _Parts(session, list(ids) if isinstance(ids, (list, tuple)) else [ids])
    up_to = COUNT_UP_TO if up_to is None else up_to
    if exact:
        total, more, page_ids = parts.total(), False, parts.read(offset, limit)
    elif offset + limit <= up_to:
        found = parts.read(0, up_to + 1)
        total, more, page_ids = min(len(found), up_to), len(found) > up_to, found[offset : offset + limit]
    else:  # a page past the limit: counted to its own end, and whether another row follows
        found = parts.read(offset, limit + 1)
        total, more, page_ids = offset + min(len(found), limit), len(found) > limit, found[:limit]
        if not found:  # past the end of the list: say where the end is
            total = parts.total()
    loaded = load(page_ids) if page_ids else {}
    return Page(items=[loaded[i] for i in page_ids if i in loaded], total=total, limit=limit, offset=offset, more=more)


class _Parts:
    """The selects of a capped list, read one after another; each is counted at most once a request."""

    def __init__(self, session: Session, parts: list) -> None:
        self.session, self.parts = session, parts
        self.counted: dict[int, int] = {}

    def count(self, index: int) -> int:
        """Rows in part `index`, read once per request."""
        if index not in self.counted:
            stmt = select(func.count()).select_from(self.parts[index].order_by(None).subquery())
            self.counted[index] = self.session.scalar(stmt) or 0
        return self.counted[index]

    def total(self) -> int:
        return sum(self.count(index) for index in range(len(self.parts)))

    def read(self, start: int, wanted: int) -> list[int]:
        """`wanted` ids from position `start` of the parts taken one after another."""
        found: list[int] = []
        for index, part in enumerate(self.parts):
            if wanted <= 0:
                break
            if start and index < len(self.parts) - 1:
                size = self.count(index)
                if start >= size:
                    start -= size
                    continue
            stmt = part.offset(start).limit(wanted) if start else part.limit(wanted)
            rows = [row.id for row in self.session.execute(stmt)]
            found, wanted, start = found + rows, wanted - len(rows), 0
        return found


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
