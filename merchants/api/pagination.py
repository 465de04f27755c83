"""Keyset (cursor) pages for the big tables: merchants, metrics, the inbox.

A cursor page is one query whatever its depth (``WHERE id > <last seen> ORDER BY id LIMIT n``
through the primary key's index) and never counts the table: a page a person waits for must not
scan 100,000 merchants or millions of metrics to print a total. Each page links the next and
previous ones; ``page_size`` is bounded.
"""

from rest_framework.pagination import CursorPagination

MAX_PAGE_SIZE = 500


class IdCursorPagination(CursorPagination):
    """Oldest first by id (unique and never changes, so no row is skipped or repeated)."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class NewestFirstCursorPagination(IdCursorPagination):
    """Newest first: ids grow with creation, so ``-id`` is the creation order and unique."""

    ordering = "-id"
