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


# Long lists are counted up to this many: "more than 1,000" is as useful as the exact figure, which costs a read of
# every match (a list's "count them all" link, `exact=True`).
COUNT_UP_TO = 1_000


def capped_page(session: Session, ids, load, *, limit: int, offset: int, exact: bool = False,
                up_to: int | None = None) -> Page:
    """One page of a list whose rows are `ids` (a select with an `id` column, in list order), counted up to
    `up_to` (COUNT_UP_TO by default), or to the end of the page if it lies further; beyond that the page says
    "more than" (`Page.more`).

    The page's ids and the count come from one narrow query that stops after the count's limit, so a request
    reads about as many index entries as a page needs however many rows match; `load(ids)` then returns
    {id: object} for the page's own rows only. `exact` counts every match instead.
    """
    def count() -> int:
        return session.scalar(select(func.count()).select_from(ids.order_by(None).subquery())) or 0

    up_to = COUNT_UP_TO if up_to is None else up_to
    if exact:
        total, more, page_ids = count(), False, [row.id for row in session.execute(ids.limit(limit).offset(offset))]
    elif offset + limit <= up_to:
        found = [row.id for row in session.execute(ids.limit(up_to + 1))]
        total, more, page_ids = min(len(found), up_to), len(found) > up_to, found[offset:offset + limit]
    else:  # a page past the limit: counted to its own end, and whether another row follows
        found = [row.id for row in session.execute(ids.offset(offset).limit(limit + 1))]
        total, more, page_ids = offset + min(len(found), limit), len(found) > limit, found[:limit]
        if not found:  # past the end of the list: say where the end is
            total = count()
    loaded = load(page_ids) if page_ids else {}
    return Page(items=[loaded[i] for i in page_ids if i in loaded], total=total, limit=limit, offset=offset,
                more=more)


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
