"""The schema revision: which backups this code can restore, and bringing an older one up to date with the same
migrations `flask db upgrade` runs."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Flask

from crm.backup.archive import Refused


def _script(app) -> ScriptDirectory:
    return ScriptDirectory(app.extensions["migrate"].directory)


def code_head(app) -> str:
    return _script(app).get_current_head()


def needs_upgrade(app, revision: str) -> bool:
    """False when the backup's schema is this code's; True when it is older; Refused when it is newer or unknown."""
    script = _script(app)
    head = script.get_current_head()
    if revision == head:
        return False
    if revision not in {script_revision.revision for script_revision in script.walk_revisions()}:
        raise Refused(
            f"This backup's schema (revision {revision}) is newer than this code knows (its newest is {head}): it "
            "was made by a later version of the CRM. Install that version (or a later one), then restore."
        )
    return True


def upgrade_database(app, url: str) -> None:
    """Run the migrations forward on the database at `url`, configured as `app` is (some migrations read its
    settings, such as SECRET_KEY), through a throw-away app so `app`'s own connections are not touched."""
    from flask_migrate import upgrade
    from sqlalchemy import event

    from crm.extensions import db, migrate

    helper = Flask("crm_restore", instance_path=app.instance_path)
    helper.config.update(app.config)
    helper.config["SQLALCHEMY_DATABASE_URI"] = url
    helper.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    db.init_app(helper)
    settings = app.extensions["migrate"]
    options = {
        key: settings.configure_args[key]
        for key in ("render_as_batch", "compare_type")
        if key in settings.configure_args
    }
    migrate.init_app(helper, db, directory=settings.directory, **options)
    with helper.app_context():
        if url.startswith("sqlite"):
            # As the app's own connections are (crm/__init__.py): batch migrations rely on it.
            event.listen(db.engine, "connect", lambda connection, _record: connection.execute("PRAGMA foreign_keys=ON"))
        try:
            upgrade(directory=settings.directory)
        finally:
            db.engine.dispose()
