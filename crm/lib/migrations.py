"""Flask-Migrate, imported only when something migrates: it imports Alembic and Mako (some 10 MB of a process),
which the web workers and `flask crm worker` never use. `flask db …` and `flask_migrate.upgrade()` work as before.
"""

from __future__ import annotations

from functools import cached_property

import click


class LazyMigrate:
    """Stands in for `flask_migrate.Migrate`: `init_app` records the settings and the `db` command, both of which
    import Flask-Migrate on first use."""

    def init_app(self, app, db, directory: str, **alembic_arguments) -> None:
        app.extensions["migrate"] = MigrateSettings(db, str(directory), alembic_arguments)
        app.cli.add_command(LazyDbCommand("db", help="Perform database migrations."))


class MigrateSettings:
    """What Flask-Migrate keeps in `app.extensions["migrate"]` (its _MigrateConfig): the same attributes, with
    the Migrate object that builds Alembic's config made when a migration first asks for it."""

    def __init__(self, db, directory: str, alembic_arguments: dict):
        self.db = db
        self.directory = directory
        self.configure_args = {"compare_type": True, "render_as_batch": True, **alembic_arguments}

    @cached_property
    def migrate(self):
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **self.configure_args)

    @property
    def metadata(self):
        return self.db.metadata


class LazyDbCommand(click.Group):
    """`flask db`: listed in `flask --help` from its name and help; Flask-Migrate's own group parses and runs it."""

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate.cli import db

        return db.make_context(info_name, args, parent=parent, **extra)
