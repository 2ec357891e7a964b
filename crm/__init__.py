"""ITPO advocacy CRM: the application factory."""

import gc
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the app. `config` is a dict of overrides or a config name (development, testing, production)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=_instance_path(config),
    )
    from crm.config import load_config

    load_config(app, config)
    app.url_map.converters["int"] = DatabaseInteger
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_cli(app)
    _freeze_startup_objects()
    return app


class DatabaseInteger(IntegerConverter):
    """`<int:…>` in a URL matches only numbers that fit a database id (PostgreSQL's integer): a larger one is a
    404, not an overflow in the query."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


_frozen = False


def _freeze_startup_objects() -> None:
    """Hide what start-up made (modules, classes, mappers, the app: some 160,000 objects that live as long as the
    process) from Python's cyclic garbage collector, once per process. Each full collection walked them all
    again, a pause of 100 ms or more in whichever request it fell on (seen in the directory search's p95)."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


def _instance_path(config) -> str | None:
    if isinstance(config, dict) and config.get("INSTANCE_PATH"):
        return str(config["INSTANCE_PATH"])
    import os

    return os.environ.get("CRM_INSTANCE_PATH") or str(ROOT / "instance")


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext
    from flask_bootstrap import Bootstrap5

    from crm import models  # noqa: F401  (every model registered before migrations look)
    from crm.extensions import csrf, db, limiter, login_manager, migrate
    from crm.lib.i18n import init_i18n
    from crm.outbox.backends import make_mailer

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to see that page.")
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    limiter.init_app(app)
    Bootstrap5(app)
    init_i18n(app)
    app.extensions["crm.mailer"] = make_mailer(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)


def _sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

    from crm.extensions import db
    from crm.lib.sql import fold_python

    busy_timeout = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
            cursor.close()
            dbapi_connection.create_function("fold_text", 1, fold_python, deterministic=True)


def register_blueprints(app: Flask) -> None:
    from crm.api.views import bp as api_bp
    from crm.audit.views import bp as audit_bp
    from crm.auth import invitation_views  # noqa: F401  (invitations, on the auth blueprint)
    from crm.auth.views import bp as auth_bp
    from crm.campaigns import lead_views  # noqa: F401  (the lead's pages, on the campaigns blueprint)
    from crm.campaigns.similarity_views import bp as similarity_bp
    from crm.campaigns.views import bp as campaigns_bp
    from crm.dashboards.views import bp as dashboards_bp
    from crm.home.views import bp as core_bp
    from crm.interactions.views import bp as interactions_bp
    from crm.mailings.views import bp as mailings_bp
    from crm.members.views import bp as members_bp
    from crm.ops.views import bp as ops_bp
    from crm.outbox.views import bp as outbox_bp
    from crm.programs.views import bp as programs_bp
    from crm.proposals.views import bp as proposals_bp
    from crm.replies.views import bp as replies_bp  # (also: its template helpers)
    from crm.search.views import bp as search_bp
    from crm.stakeholders.views import bp as stakeholders_bp

    for blueprint in (
        ops_bp,
        core_bp,
        auth_bp,
        members_bp,
        stakeholders_bp,
        proposals_bp,
        campaigns_bp,
        interactions_bp,
        audit_bp,
        programs_bp,
        dashboards_bp,
        api_bp,
        outbox_bp,
        mailings_bp,
        similarity_bp,
        replies_bp,
        search_bp,
    ):
        app.register_blueprint(blueprint)


def register_request_hooks(app: Flask) -> None:
    from crm.auth.access import enforce_access
    from crm.lib.errors import register_error_handlers
    from crm.lib.security import register_security

    app.before_request(enforce_access)
    register_error_handlers(app)
    register_security(app)
    register_template_globals(app)
    if app.config["MAIL_WORKER_THREAD"]:
        _start_worker_on_first_request(app)


def register_template_globals(app: Flask) -> None:
    """Every name all templates can use, in one place: the Markdown filter and each domain's helpers."""
    from crm.lib.markdown import render_markdown
    from crm.programs.views import program_helpers
    from crm.reference.names import jurisdiction_name, legislature_name, member_title, party_name, riding_name
    from crm.replies.views import reply_helpers
    from crm.stakeholders.views import directory_labels

    app.add_template_filter(render_markdown, "markdown")  # {{ text|markdown }}: sanitised HTML
    app.add_template_filter(riding_name, "riding_name")  # {{ district|riding_name }}: its French name in French
    app.add_template_filter(party_name, "party_name")  # {{ office.party|party_name }}
    app.add_template_filter(jurisdiction_name, "jurisdiction_name")  # {{ jurisdiction|jurisdiction_name }}
    app.add_template_filter(legislature_name, "legislature_name")  # {{ jurisdiction|legislature_name }}
    app.add_template_filter(
        member_title, "member_title"
    )  # {{ jurisdiction.member_title|member_title }}: "MPP" in French
    app.context_processor(directory_labels)  # stance and kind labels, a subject's current stances
    app.context_processor(program_helpers)  # the member's programs on the home page
    app.context_processor(reply_helpers)  # a letter's reply and the responsiveness panel, for campaigns pages

    @app.context_processor
    def navigation():
        from flask_login import current_user

        from crm.auth.access import allowed

        return {"can": lambda endpoint: allowed(endpoint, current_user), "dev_mailbox": app.config["DEV_MAILBOX"]}


def _start_worker_on_first_request(app: Flask) -> None:
    import threading

    from crm.outbox.worker import start_worker_thread

    lock = threading.Lock()

    @app.before_request
    def start_worker():
        if "crm.worker_stop" not in app.extensions:
            with lock:
                if "crm.worker_stop" not in app.extensions:
                    start_worker_thread(app)


def register_cli(app: Flask) -> None:
    from crm.cli import crm_cli

    app.cli.add_command(crm_cli)
