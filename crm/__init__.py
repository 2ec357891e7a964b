"""ITPO advocacy CRM: the application factory."""

import gc
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the web app. `config` is a dict of overrides or a config name (development, testing, production)."""
    app = _new_app(config)
    register_extensions(app)
    register_domains()
    register_blueprints(app)
    register_request_hooks(app)
    register_cli(app)
    _freeze_startup_objects()
    return app


def create_worker_app(config=None) -> Flask:
    """The app of `flask --app worker crm worker`: the web app's configuration, database, mailer, jobs, signal
    receivers, template filters and URL rules (for the links mails carry), without the views, request hooks, CSRF
    and rate-limit storage, a sixth of the worker's memory (design-notes, "crm/__init__.py: create_worker_app")."""
    from crm.lib.url_rules import add_url_rules

    app = _new_app(config)
    app.config["SQLITE_CACHE_KIB"] = app.config["WORKER_SQLITE_CACHE_KIB"]  # a connection per thread
    register_core_extensions(app)
    register_domains()
    register_template_filters(app)
    add_url_rules(app)
    app.extensions["crm.worker_app"] = True  # (`flask crm url-rules` refuses to write its rules)
    register_cli(app)
    _freeze_startup_objects()
    return app


def _new_app(config) -> Flask:
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
    return app


# The modules that register what both apps need: scheduled and pass jobs, signal receivers,
# timeline and member-data sources. The web app reaches them through its views too; the worker
# app only through this list, which tests/ops/test_worker_app.py checks against the web app's.
DOMAIN_MODULES = (
    "crm.auth.loader",
    "crm.campaigns.citations",
    "crm.campaigns.digest",
    "crm.campaigns.flow",
    "crm.campaigns.notifications",
    "crm.campaigns.privacy",
    "crm.campaigns.sharing",
    "crm.campaigns.sign_ups",
    "crm.campaigns.similarity",
    "crm.campaigns.timeline",
    "crm.interactions.privacy",
    "crm.interactions.services",
    "crm.interactions.timeline",
    "crm.interactions.where_it_went",
    "crm.mailings.services",
    "crm.members.privacy",
    "crm.members.services",
    "crm.ops.jobs",
    "crm.ops.totals",
    "crm.programs.privacy",
    "crm.programs.services",
    "crm.proposals.services",
    "crm.replies.jobs",
    "crm.replies.privacy",
    "crm.replies.timeline",
    "crm.stakeholders.roster",
    "crm.stakeholders.timeline",
)


def register_domains() -> None:
    """Import every module of DOMAIN_MODULES, so its registrations are made in this process."""
    from importlib import import_module

    for name in DOMAIN_MODULES:
        import_module(name)


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
    """The web app's extensions: the core ones, and what only requests use (CSRF, rate limits, Bootstrap)."""
    from flask_bootstrap import Bootstrap5

    from crm.extensions import csrf, limiter

    register_core_extensions(app)
    csrf.init_app(app)
    limiter.init_app(app)
    Bootstrap5(app)


def register_core_extensions(app: Flask) -> None:
    """What both apps need: the models and database, migrations, logins (services read current_user), languages,
    the mailer."""
    from flask_babel import lazy_gettext

    from crm import models  # noqa: F401  (every model registered before migrations look)
    from crm.extensions import db, login_manager, migrate
    from crm.lib.i18n import init_i18n
    from crm.outbox.backends import make_mailer

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to see that page.")
    login_manager.session_protection = "basic"
    init_i18n(app)
    app.extensions["crm.mailer"] = make_mailer(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)


def _sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

    from crm.extensions import db
    from crm.lib.sql import fold_python

    busy_timeout = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    cache_kib = int(app.config["SQLITE_CACHE_KIB"])
    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
            cursor.execute(f"PRAGMA cache_size=-{cache_kib}")  # negative: KiB, not pages
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
    """Every name all templates can use, in one place: the filters and each domain's helpers."""
    from crm.programs.views import program_helpers
    from crm.replies.views import reply_helpers
    from crm.stakeholders.views import directory_labels

    register_template_filters(app)
    app.context_processor(directory_labels)  # stance and kind labels, a subject's current stances
    app.context_processor(program_helpers)  # the member's programs on the home page
    app.context_processor(reply_helpers)  # a letter's reply and the responsiveness panel, for campaigns pages

    @app.context_processor
    def navigation():
        from flask_login import current_user

        from crm.auth.access import allowed

        return {"can": lambda endpoint: allowed(endpoint, current_user), "dev_mailbox": app.config["DEV_MAILBOX"]}


def register_template_filters(app: Flask) -> None:
    """The filters every template may use, mails the worker renders among them."""
    from crm.programs.calendar import format_toronto
    from crm.reference.names import jurisdiction_name, legislature_name, member_title, party_name, riding_name

    app.add_template_filter(format_toronto, "toronto")  # {{ event.starts_at|toronto }}: Toronto's time, for people
    app.add_template_filter(_markdown, "markdown")  # {{ text|markdown }}: sanitised HTML
    app.add_template_filter(riding_name, "riding_name")  # {{ district|riding_name }}: its French name in French
    app.add_template_filter(party_name, "party_name")  # {{ office.party|party_name }}
    app.add_template_filter(jurisdiction_name, "jurisdiction_name")  # {{ jurisdiction|jurisdiction_name }}
    app.add_template_filter(legislature_name, "legislature_name")  # {{ jurisdiction|legislature_name }}
    app.add_template_filter(
        member_title, "member_title"
    )  # {{ jurisdiction.member_title|member_title }}: "MPP" in French


def _markdown(text: str | None):
    """{{ text|markdown }}: sanitised HTML (Markdown and nh3 are imported by the first page that uses it)."""
    from crm.lib.markdown import render_markdown

    return render_markdown(text)


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
