"""``python manage.py backup_check``: a backup of the database, tried for real.

It dumps the database this process uses (``pg_dump --format=custom``), restores the dump into a
scratch database on the same server (``pg_restore``), and compares the two, table by table: the
row count and a checksum of every row (order-independent). Exit status 0 when every table
answers the same, 1 otherwise, naming the tables that differ. The scratch database is dropped
afterwards (``--keep`` keeps it, ``--dump PATH`` keeps the dump).

The same commands, with the same options, are the nightly backup and the restore of
docs/deploy.md ("Backup, restore and rollback"): run this after changing either, and from time
to time against a copy of production (it reads every row; on a replica, off hours).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

DUMP_OPTIONS = ["--format=custom", "--no-owner", "--no-privileges"]
RESTORE_OPTIONS = ["--no-owner", "--no-privileges", "--exit-on-error"]


@dataclass(frozen=True)
class TableFigures:
    rows: int
    checksum: str


def _connect(params: dict[str, Any], dbname: str) -> psycopg.Connection:
    return psycopg.connect(**{**params, "dbname": dbname}, autocommit=True)


def table_figures(conn: psycopg.Connection) -> dict[str, TableFigures]:
    """Every table of the public schema: its rows and the md5 of its rows' md5s, sorted."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    figures = {}
    for name in tables:
        query = sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), ''))"
            " FROM {} AS t"
        ).format(sql.Identifier(name))
        rows, checksum = conn.execute(query).fetchone()  # type: ignore[misc]
        figures[name] = TableFigures(rows, checksum)
    return figures


def differences(source: dict[str, TableFigures], restored: dict[str, TableFigures]) -> list[str]:
    found = []
    for name in sorted(set(source) | set(restored)):
        if name not in restored:
            found.append(f"{name}: missing from the restored database")
        elif name not in source:
            found.append(f"{name}: only in the restored database")
        elif source[name] != restored[name]:
            found.append(
                f"{name}: {source[name].rows} rows, restored {restored[name].rows}"
                + (
                    " (same count, different rows)"
                    if source[name].rows == restored[name].rows
                    else ""
                )
            )
    return found


class Command(BaseCommand):
    help = "Dump the database, restore the dump into a scratch database, compare every table."

    # Between the restore and the comparison; a test replaces it to damage the copy.
    after_restore: Callable[[psycopg.Connection], None] | None = None

    def add_arguments(self, parser):
        parser.add_argument("--dump", help="keep the dump at this path")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("backup_check needs PostgreSQL (pg_dump and pg_restore)")
        params = dict(connection.get_connection_params())
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        source_name = params.pop("dbname")
        scratch = f"{source_name}_restorecheck_{uuid.uuid4().hex[:8]}"[:63]
        env = self._libpq_env(params)
        with tempfile.TemporaryDirectory() as directory:
            dump = Path(options["dump"] or Path(directory) / "belt-ops.dump")
            self._run(["pg_dump", *DUMP_OPTIONS, f"--file={dump}", source_name], env)
            self.stdout.write(f"Dumped {source_name} ({dump.stat().st_size:,} bytes).")
            with _connect(params, source_name) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
            try:
                self._run(["pg_restore", *RESTORE_OPTIONS, f"--dbname={scratch}", str(dump)], env)
                with _connect(params, scratch) as restored:
                    if self.after_restore is not None:
                        self.after_restore(restored)
                    restored_figures = table_figures(restored)
                with _connect(params, source_name) as source:
                    source_figures = table_figures(source)
            finally:
                if not options["keep"]:
                    with _connect(params, source_name) as admin:
                        admin.execute(
                            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                                sql.Identifier(scratch)
                            )
                        )
        found = differences(source_figures, restored_figures)
        rows = sum(figures.rows for figures in source_figures.values())
        if found:
            for line in found:
                self.stderr.write(line)
            raise CommandError(
                f"The restored database differs in {len(found)} of {len(source_figures)} tables."
            )
        self.stdout.write(
            f"Restored into {scratch}{' (kept)' if options['keep'] else ' (dropped)'}: "
            f"{len(source_figures)} tables, {rows:,} rows, every table the same."
        )

    @staticmethod
    def _libpq_env(params: dict[str, Any]) -> dict[str, str]:
        env = {**os.environ}
        for key, variable in (
            ("host", "PGHOST"),
            ("port", "PGPORT"),
            ("user", "PGUSER"),
            ("password", "PGPASSWORD"),
            ("sslmode", "PGSSLMODE"),
        ):
            if params.get(key):
                env[variable] = str(params[key])
        return env

    @staticmethod
    def _run(command: list[str], env: dict[str, str]) -> None:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode:
            raise CommandError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")
