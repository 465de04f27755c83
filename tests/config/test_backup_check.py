"""backup_check: pg_dump, pg_restore into a scratch database, every table compared."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from config.management.commands import backup_check
from tests.merchants.factories import MerchantFactory, NotificationFactory
from tests.utils.services import skip_without


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        skip_without("needs PostgreSQL (pg_dump, pg_restore)")


def scratch_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [f"{connection.settings_dict['NAME']}_restorecheck_%"],
        )
        return [name for (name,) in cursor.fetchall()]


def test_a_restored_backup_answers_the_same(postgres, tmp_path, capsys):
    MerchantFactory.create_batch(3)
    NotificationFactory.create_batch(2)
    before = scratch_databases()

    call_command("backup_check", dump=str(tmp_path / "nightly.dump"))

    out = capsys.readouterr().out
    assert "every table the same" in out
    assert (tmp_path / "nightly.dump").stat().st_size > 0
    assert scratch_databases() == before  # the scratch database is dropped


def test_a_restore_that_lost_a_row_is_refused(postgres, monkeypatch, capsys):
    MerchantFactory.create_batch(3)

    def lose_a_row(restored):
        restored.execute(
            "DELETE FROM merchants_merchant WHERE id = (SELECT max(id) FROM merchants_merchant)"
        )

    monkeypatch.setattr(backup_check.Command, "after_restore", staticmethod(lose_a_row))
    with pytest.raises(CommandError, match="differs in 1 of"):
        call_command("backup_check")
    assert "merchants_merchant: 3 rows, restored 2" in capsys.readouterr().err
