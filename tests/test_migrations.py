"""The models and the migrations agree, on whichever database the suite runs."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm.extensions import autogenerate_filter, db


def test_migrations_build_exactly_the_schema_the_models_describe(app):
    """The suite's schema comes from `flask db upgrade`; autogenerate must find nothing to add.

    It compares as `flask db migrate` does (migrations/env.py): what the models declare for another database
    only (`only_on`) is not expected on this one.
    """
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                    "include_object": autogenerate_filter(connection.dialect.name),
                },
            )
            differences = compare_metadata(context, db.metadata)
    assert differences == [], f"write a migration for: {differences}"


def test_migrations_downgrade_to_nothing_and_upgrade_again(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from crm import create_app

    app = create_app(
        {
            "CRM_ENV": "testing",
            "INSTANCE_PATH": tmp_path,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}",
        }
    )
    with app.app_context():
        upgrade()
        assert "users" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        assert "users" in inspect(db.engine).get_table_names()
        db.engine.dispose()
