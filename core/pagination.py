"""The console's paginator for tables that grow with the platform (metrics, eligibility, the
outbox, merchants, shipments): its first page and its deep ones cost about the same.

- **Count.** Django's admin counts the (filtered) list for its page links: ``COUNT(*)`` of 2.4
  million metric rows on every view of the unfiltered list. Here the rows are counted up to
  ``COUNT_CAP`` (one bounded query). Past it, an unfiltered list on PostgreSQL says the planner's
  estimate (``pg_class.reltuples``, kept by autovacuum; ``estimated``), a filtered one "more
  than" the cap (``capped``), and a filter or a search narrows the list.
- **Deep pages.** ``OFFSET 1,000,000`` reads and throws away a million rows, even from an index
  (300 ms for 2.4 M metric keys). The page links reach the first ``LISTED_MAX`` rows; past them
  a filter or a search narrows the list, which the page says. From ``DEFERRED_FROM`` on, the
  page's keys are found first (the ordering's columns only, which an index answers without the
  table), then only those rows are read ("deferred join").
"""

from __future__ import annotations

import operator
from functools import cached_property, reduce
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Q, QuerySet

# A filtered list is counted this far (its pages reach as far): a search matching half the
# merchants counted to 50,000 in 41 ms, to 10,000 in a fifth of that. Nobody pages through
# 200 pages of a search; they narrow it.
COUNT_CAP = 10_000
# The rows a list's page links reach: deeper, a filter or a search narrows the list (the page
# says so). OFFSET costs the rows it skips, even from an index: bounded here, so the last page
# costs about what the first does.
LISTED_MAX = 50_000
DEFERRED_FROM = 1_000


class BigTablePaginator(Paginator):
    _capped = False
    _estimated = False

    @property
    def capped(self) -> bool:
        """Filtered and longer than ``COUNT_CAP``: the count and the pages stop there."""
        return self.count is not None and self._capped

    @property
    def estimated(self) -> bool:
        """Unfiltered and big: the count is the planner's estimate."""
        return self.count is not None and self._estimated

    def __init__(self, object_list: Any, per_page: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, max(1, -(-LISTED_MAX // self.per_page)))

    @property
    def truncated(self) -> bool:
        """More rows than the page links reach."""
        return self.count > LISTED_MAX

    def _postgresql(self) -> bool:
        return isinstance(self.object_list, QuerySet) and (
            connections[self.object_list.db].vendor == "postgresql"
        )

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        # One bounded query for every list; a second one only for a big unfiltered table.
        counted = queryset.order_by()[: COUNT_CAP + 1].count()
        if counted <= COUNT_CAP:
            return counted
        if self._postgresql() and not queryset.query.where and not queryset.query.distinct:
            self._estimated = True
            return max(self._estimate(queryset), counted)
        self._capped = True
        return COUNT_CAP

    @staticmethod
    def _estimate(queryset: QuerySet) -> int:
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        return max(int(row[0]), 0) if row else 0

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        keys = self._ordering_keys()
        if bottom < DEFERRED_FROM or keys is None or not self._postgresql():
            return super().page(number)
        queryset: QuerySet = self.object_list  # type: ignore[assignment]  # _ordering_keys checked
        top = bottom + self.per_page
        if self.orphans and top + self.orphans >= self.count:
            top = self.count
        names = [name.lstrip("-") for name in keys]
        found = list(queryset.values_list(*names)[bottom:top])
        if not found:
            return self._get_page([], number, self)  # type: ignore[attr-defined]
        if names == ["pk"] or names == [queryset.model._meta.pk.attname]:
            rows = queryset.filter(pk__in=[row[0] for row in found])
        else:
            rows = queryset.filter(
                reduce(operator.or_, (Q(**dict(zip(names, row, strict=True))) for row in found))
            )
        return self._get_page(list(rows), number, self)  # type: ignore[attr-defined]

    def _ordering_keys(self) -> list[str] | None:
        """The list's ordering when it is plain field names (the admin makes it total)."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or not queryset.ordered:
            return None
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        names = [name for name in ordering if isinstance(name, str)]
        if not names or len(names) != len(ordering):
            return None
        if any("__" in name or name.lstrip("-") == "?" for name in names):
            return None
        return names
