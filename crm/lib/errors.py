"""The domain error services raise, and the error pages every request can end on."""

from flask import jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from crm.lib.i18n import N_


class ValidationError(Exception):
    """A rule that needs the database failed; `field` names the form field to show it on."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def apply_to_form(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form field it names (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


TITLES = {
    400: (N_("Bad request"), N_("The request could not be understood. Go back, reload the page and try again.")),
    401: (N_("Please log in"), N_("Log in to see this page.")),
    403: (N_("Not allowed"), N_("Your account does not have access to this page.")),
    404: (N_("Page not found"), N_("Check the address, or start again from the home page.")),
    405: (N_("Not allowed"), N_("That action is not possible on this page.")),
    413: (N_("Too large"), N_("What you sent is larger than we accept. Send a smaller file or less text.")),
    429: (N_("Too many attempts"), N_("You have tried this too often. Wait a few minutes and try again.")),
    500: (N_("Something went wrong"), N_("We have been told about it. Try again in a moment.")),
    503: (N_("Try again in a moment"), N_("The service is not available just now. Try again in a moment.")),
}
BUSY = N_(
    "The database was busy (a large import may be being applied), so this request could not finish. Nothing "
    "was saved: try again in a moment."
)
NUL_IN_TEXT = N_("A value in this request contains a NUL character, which we cannot store. Remove it and try again.")
TOO_LARGE_VALUE = N_(
    "A value in this request is too long or too large. Go back, shorten what was entered and try again."
)
UNREACHABLE = N_(
    "The database could not be reached, so this request may not have finished. Check whether your "
    "change is there, then try again in a moment."
)
# PostgreSQL errors that waiting and trying again resolve: deadlock, serialization failure, lock not
# available,
# statement timeout; and class 08, connection exceptions.
_BUSY_SQLSTATES = {"40P01", "40001", "55P03", "57014"}
OUT_OF_RANGE = {"22003", "22001"}  # numeric_value_out_of_range, string_data_right_truncation


def retry_kind(error: OperationalError) -> str | None:
    """ "busy" (nothing was saved), "unreachable" (the connection was lost: the outcome is unknown), or None."""
    original = error.orig
    if getattr(original, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "busy"
    state = getattr(original, "sqlstate", None) or ""
    if state in _BUSY_SQLSTATES:
        return "busy"
    if state.startswith("08") or error.connection_invalidated:
        return "unreachable"
    return None


def is_nul_refusal(error: DataError) -> bool:
    """PostgreSQL text cannot hold NUL, and psycopg refuses it before sending. The global guard
    (crm/lib/security.py) stops NULs in query strings and forms; this catches the rest (a URL path, a file's cells)."""
    return "NUL (0x00)" in str(error.orig)


def _respond(status: int, message: str | None = None):
    title, default = TITLES.get(status, TITLES[500])
    if request.path.startswith("/api/") or request.path.startswith("/webhooks/"):
        code = title.lower().replace(" ", "_")
        return jsonify(error={"code": code, "status": status, "message": message or default}), status
    # Pages in the request's language (messages here are marked N_; abort()'s own pass unless known);
    # the API keeps English codes and messages.
    return render_template(
        "errors/error.html", status=status, title=gettext(title), message=gettext(message or default)
    ), status


def _rolled_back(status: int, message: str | None = None):
    """The error page, after rolling back what the request's transaction had done."""
    from crm.extensions import db

    db.session.rollback()
    return _respond(status, message)


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _respond(400, N_("This form has expired or was not sent from our site. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in TITLES:
            # A message given to abort() says what to fix; werkzeug's stock one gives way to ours.
            custom = (
                error.description
                if type(error).__module__ == "werkzeug.exceptions" and error.description != type(error).description
                else None
            )
            return _respond(error.code, custom)
        return error

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        """A write that waited too long for another (SQLite's busy timeout), a deadlock or a lost connection: the
        transaction is rolled back, and trying again is the answer. Any other OperationalError (a missing table,
        a full disk) is a fault: the 500 page, logged with its traceback."""
        kind = retry_kind(error)
        if kind is None:
            return unexpected_error(error)
        app.logger.warning("database %s on %s: %s", kind, request.path, error.orig)
        return _rolled_back(503, BUSY if kind == "busy" else UNREACHABLE)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def out_of_range(error):
        """A number in the request too large for the database's columns (PostgreSQL's integer, SQLite's 64 bits), or
        a NUL in text, which no form or URL rule caught: the request is wrong, not the server."""
        if isinstance(error, DataError) and is_nul_refusal(error):
            app.logger.warning("NUL character on %s", request.path)
            return _rolled_back(400, NUL_IN_TEXT)
        if isinstance(error, DataError) and getattr(error.orig, "sqlstate", None) not in OUT_OF_RANGE:
            return unexpected_error(error)
        app.logger.warning("out-of-range value on %s: %s", request.path, error)
        return _rolled_back(400, TOO_LARGE_VALUE)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("unhandled error on %s", request.path)
        return _rolled_back(500)
