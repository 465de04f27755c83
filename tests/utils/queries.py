"""Exact query counts, with the SQL printed when the count is wrong."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def format_queries(context: CaptureQueriesContext) -> str:
    """The captured statements, numbered, one per line."""
    return "\n".join(
        f"{number}. {query['sql']}" for number, query in enumerate(context.captured_queries, 1)
    )


@contextmanager
def assert_num_queries(expected: int, label: str = "") -> Iterator[CaptureQueriesContext]:
    """Fail unless exactly ``expected`` queries run inside the block, printing them if not."""
    with CaptureQueriesContext(connection) as context:
        yield context
    executed = len(context.captured_queries)
    if executed != expected:
        pytest.fail(f"{label}: {executed} queries, {expected} expected:\n{format_queries(context)}")


def writes(context: CaptureQueriesContext) -> list[str]:
    """The statements among the captured queries that change data."""
    return [
        query["sql"]
        for query in context.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
