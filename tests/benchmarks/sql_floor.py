"""Pages against their own SQL (issue 23): capture the statements a warm product request runs, keep them in the
instance folder for `GET /bench/sql-floor/<name>` (tests/benchmarks/floor_app.py), then time the page and its
floor in alternating rounds on one warm gunicorn, from the same load generator.

The floor is the page's database work through the driver alone (the same statements with the same parameters,
every row fetched) plus the framework's cost of a tiny answer: what the page cannot go below. A page's ratio is
its requests/s over its floor's; a page whose answer is cached per process runs little or no SQL, and its floor
then measures the framework alone.
"""

from __future__ import annotations

import os
import pickle
import threading
import time

from tests.benchmarks.floor_app import sql_path
from tests.benchmarks.loadgen import hammer

APP_MODULE = "tests.benchmarks.floor_app:make_app()"


def bench_config(database_url: str, instance) -> dict:
    """The configuration gunicorn_server gives the served app, for an app in this process (capture, fixtures)."""
    return {
        "CRM_ENV": "development",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance,
        "SECRET_KEY": "bench-secret-key",
        "MAIL_WORKER_THREAD": False,
    }


def session_cookie(app, user_id: str) -> tuple[str, str]:
    """A signed session cookie for this user (logged in, two-step done just now) and its CSRF token."""
    from flask import session as flask_session
    from flask_wtf.csrf import generate_csrf

    serializer = app.session_interface.get_signing_serializer(app)
    with app.test_request_context("/"):
        flask_session["_user_id"], flask_session["_fresh"] = user_id, True
        flask_session["auth_at"] = time.time()
        token = generate_csrf()
        cookie = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(flask_session))}"
    return cookie, token


def capture(app, path: str, headers: dict | None = None, warmups: int = 2) -> dict:
    """The statements one warm GET of `path` runs in this thread (after `warmups` requests: caches filled, daily
    counts recounted), with their parameters, and whether it committed."""
    from sqlalchemy import event

    from crm.extensions import db

    with app.app_context():
        engine = db.engine
    client, headers = app.test_client(), dict(headers or {})
    for pair in filter(None, headers.pop("Cookie", "").split("; ")):  # the test client sends its own jar only
        client.set_cookie(*pair.split("=", 1))
    for _ in range(warmups):
        client.get(path, headers=headers)
    me, statements, commits = threading.get_ident(), [], []

    def before(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == me:  # not a cache's refresh thread
            statements.append((statement, parameters, executemany))

    def committed(conn):
        if threading.get_ident() == me:
            commits.append(True)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", committed)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", committed)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} while its SQL was captured")
    return {"path": path, "statements": statements, "commits": bool(commits)}


def save(instance, name: str, captured: dict) -> str:
    """Keep a capture for the floor route; returns the floor's path."""
    path = sql_path(instance, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(captured))
    return f"/bench/sql-floor/{name}"


def capture_floors(app, instance, name: str, paths: list[str], headers: dict | None = None) -> tuple[list, int]:
    """Capture each of `paths` as the floor `<name>-<n>`; returns the floors' paths and the most statements one
    of them runs."""
    floors, most = [], 0
    for n, path in enumerate(paths):
        captured = capture(app, path, headers)
        most = max(most, len(captured["statements"]))
        floors.append(save(instance, f"{name}-{n}", captured))
    return floors, most


def spread(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"median": None, "min": None, "max": None}
    return {"median": round(ordered[len(ordered) // 2], 3), "min": round(ordered[0], 3), "max": round(ordered[-1], 3)}


def alternate(
    port: int,
    paths: list[str],
    floor_paths: list[str],
    *,
    headers: dict | None = None,
    rounds: int = 3,
    seconds: float = 3.0,
    concurrency: int = 4,
) -> dict:
    """`rounds` rounds of the page and of its floor, alternating (the page first in odd rounds), after a warm-up
    of each; the load average is read before every round."""
    get = dict(headers or {})
    for which in (paths, floor_paths):
        hammer("127.0.0.1", port, which, concurrency=concurrency, seconds=1, headers_for=lambda w, i: get)
    out = []
    for n in range(rounds):
        for kind in ("route", "floor") if n % 2 == 0 else ("floor", "route"):
            load = round(os.getloadavg()[0], 2)
            result = hammer(
                "127.0.0.1",
                port,
                paths if kind == "route" else floor_paths,
                concurrency=concurrency,
                seconds=seconds,
                headers_for=lambda w, i: get,
            )
            out.append({"kind": kind, "round": n + 1, "load_average": load, **result})
    route = [r["throughput_rps"] for r in out if r["kind"] == "route"]
    floor = [r["throughput_rps"] for r in out if r["kind"] == "floor"]
    return {
        "rounds": out,
        "rps": spread(route),
        "floor_rps": spread(floor),
        "ratio_to_floor": spread([r / f for r, f in zip(route, floor, strict=True) if f]),
        "load_average": spread([r["load_average"] for r in out]),
        "p95_ms": max(r["p95_ms"] for r in out if r["kind"] == "route"),
        "floor_p95_ms": max(r["p95_ms"] for r in out if r["kind"] == "floor"),
        "clean": all(r["errors"] == 0 and set(r["statuses"]) == {"200"} for r in out),
    }


def floor_entry(what: str, measured: dict, floor_name: str, target: float) -> dict:
    """One row of the floors table: the figure, its floor, their ratio against `target`, the load."""
    ratio = measured["ratio_to_floor"]
    return {
        "what": what,
        "figure": measured["rps"],
        "floor_name": floor_name,
        "floor": measured["floor_rps"],
        "ratio": ratio,
        "target": f">= {target}",
        "met": ratio["median"] is not None and ratio["median"] >= target and measured["clean"],
        "load": measured["load_average"],
    }


def pages_against_sql(
    app,
    database_url: str,
    instance,
    pages: dict[str, tuple[str, list[str]]],
    *,
    headers: dict,
    target: float = 0.5,
    seconds: float = 3.0,
    concurrency: int = 4,
    extra_env: dict | None = None,
) -> dict:
    """Each page (name -> (what, its paths)) against its own SQL on one warm gunicorn; returns the `floors`
    entries and each page's rounds."""
    from tests.benchmarks.gunicorn_server import gunicorn

    floors_of, statements = {}, {}
    for name, (_, paths) in pages.items():
        floors_of[name], statements[name] = capture_floors(app, instance, name, paths, headers)
    details, floors = {}, []
    with gunicorn(database_url, instance, extra_env=extra_env, app_module=APP_MODULE) as port:
        for name, (what, paths) in pages.items():
            measured = alternate(
                port, paths, floors_of[name], headers=headers, seconds=seconds, concurrency=concurrency
            )
            details[name] = {"statements": statements[name], **measured}
            most = f"up to {statements[name]}" if len(paths) > 1 else statements[name]
            label = f"its SQL via the driver ({most} statements)"
            floors.append(floor_entry(what, measured, label, target))
    return {"floors": floors, "pages": details}


def measure_user_pages(
    database_url: str, instance, email: str, pages: dict[str, tuple[str, list[str]]], *, target: float = 0.5
) -> dict:
    """`pages_against_sql` as the user with this email (already in the database), logged in by cookie."""
    from sqlalchemy import select

    from crm.auth.models import User
    from crm.extensions import db
    from tests.benchmarks.floor_app import make_app

    app = make_app(bench_config(database_url, instance))
    with app.app_context():
        user_id = db.session.scalar(select(User).where(User.email == email)).get_id()
        db.session.remove()
    cookie, _ = session_cookie(app, user_id)
    seconds = 2.0 if os.environ.get("BENCH_QUICK") == "1" else 5.0
    try:
        return pages_against_sql(
            app, database_url, instance, pages, headers={"Cookie": cookie}, seconds=seconds, target=target
        )
    finally:
        with app.app_context():
            db.engine.dispose()
