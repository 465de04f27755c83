"""The migrations pass the linter (django-migration-linter, options in config/settings/test.py):
no operation that breaks the release still serving or locks a table, unless reviewed and named."""

import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django_migration_linter.sql_analyser.analyser import analyse_sql_statements
from django_migration_linter.sql_analyser.postgresql import PostgresqlAnalyser

from tests.utils.services import skip_without


# Committed: sqlmigrate of a migration that builds an index concurrently runs outside of one.
@pytest.mark.django_db(transaction=True)
def test_every_migration_passes_the_linter(capsys):
    if connection.vendor != "postgresql":
        # SQLite rebuilds tables for what PostgreSQL alters in place: the linter's findings there
        # say nothing about production.
        skip_without("needs PostgreSQL, production's database, to lint its SQL")
    try:
        call_command("lintmigrations")
    except SystemExit as exit_:  # the command exits 1 on an erroneous migration
        pytest.fail(f"lintmigrations failed ({exit_.code}):\n{capsys.readouterr().out}")
    report = capsys.readouterr().out
    assert "Erroneous migrations: 0/" in report, report
    assert "Migrations with warnings: 0/" in report, report


def test_the_linter_flags_a_locking_index_and_passes_a_concurrent_one():
    plain = 'CREATE INDEX "probe_idx" ON "merchants_notification" ("subject");'
    concurrent = 'CREATE INDEX CONCURRENTLY "probe_idx" ON "merchants_notification" ("subject");'

    errors, _ignored, warnings = analyse_sql_statements(PostgresqlAnalyser, [plain])
    assert "CREATE INDEX locks table" in [issue.message for issue in errors + warnings]
    errors, _ignored, warnings = analyse_sql_statements(PostgresqlAnalyser, [concurrent])
    assert not errors
    assert not warnings


@pytest.mark.django_db(transaction=True)
def test_migrate_gives_up_on_a_lock_instead_of_queueing_every_request(settings):
    if connection.vendor != "postgresql":
        skip_without("needs PostgreSQL: lock_timeout is its setting")
    settings.MIGRATION_LOCK_TIMEOUT = 1
    holder = psycopg.connect(
        **{k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"},
        autocommit=False,
    )
    try:
        # A long transaction holds the table the last migration of programs created.
        holder.execute("LOCK TABLE programs_recomputerun IN ACCESS SHARE MODE")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="lock timeout"):
            call_command("migrate", "programs", "0009", verbosity=0)
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert waited < 10
    # Nothing was undone; once a migrate has finished, the connection's own setting is back.
    assert "programs_recomputerun" in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "0"
