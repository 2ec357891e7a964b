"""A second app whose database and instance folder a restore may write: a fresh SQLite file, or the PostgreSQL
database `<test database>_restore` emptied before each test. Helpers that compare two sites table by table and
file by file, and that rewrite a backup archive the way a damaged or foreign one would look."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from crm import create_app
from crm.extensions import db
from tests.conftest import reset_postgres


def restore_url(database_url: str) -> str:
    """`<name>_restore` beside the test database (created when missing)."""
    from crm.config import normalise_database_url

    base = make_url(normalise_database_url(database_url))
    name = f"{base.database}_restore"
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def make_site(url: str, instance: Path, **config):
    return create_app(
        {
            "CRM_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "SERVER_NAME": "localhost",
            **config,
        }
    )


@pytest.fixture
def target(app, tmp_path):
    """An app on an empty database of the same engine as `app`, with its own instance folder."""
    source_url = app.config["SQLALCHEMY_DATABASE_URI"]
    if source_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        url = restore_url(source_url)
        reset_postgres(url)
    site = make_site(url, tmp_path / "restored_instance")
    yield site
    with site.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_instance(app):
    """The source app's instance files and backup record go after each test, as its rows do."""
    yield
    instance = Path(app.instance_path)
    for folder in ("proposal_files", "program_files", "backups"):
        shutil.rmtree(instance / folder, ignore_errors=True)
    (instance / "secret_key").unlink(missing_ok=True)


@pytest.fixture
def source_files(app):
    """Instance files in the source app's folders: two program resources and a proposal PDF."""
    instance = Path(app.instance_path)
    (instance / "proposal_files").mkdir(exist_ok=True)
    (instance / "program_files").mkdir(exist_ok=True)
    pdf = b"%PDF-1.4\n" + b"proposal text " * 500 + b"\n%%EOF\n"
    (instance / "proposal_files" / f"{hashlib.sha256(pdf).hexdigest()}.pdf").write_bytes(pdf)
    (instance / "program_files" / "0f1e2d3c4b5a69788796a5b4c3d2e1f0.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    )
    (instance / "program_files" / "notes.docx").write_bytes(b"PK\x03\x04 resource")
    return instance


def table_fingerprints(site) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows, in an order that does not depend on storage."""
    found = {}
    with site.app_context():
        with db.engine.connect() as connection:
            for name in sorted(inspect(connection).get_table_names()):
                rows = sorted(repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{name}"')))
                found[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        db.engine.dispose()
    return found


def instance_files(site) -> dict[str, str]:
    """The proposal PDFs and program resources, by folder and name, with their SHA-256."""
    found = {}
    for folder in ("proposal_files", "program_files"):
        root = Path(site.instance_path) / folder
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file():
                found[f"{folder}/{path.relative_to(root)}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def table_names(site) -> list[str]:
    with site.app_context():
        with db.engine.connect() as connection:
            names = inspect(connection).get_table_names()
        db.engine.dispose()
    return names


def read_archive(path: Path) -> tuple[dict, dict[str, bytes]]:
    with tarfile.open(path) as tar:
        members = {info.name: tar.extractfile(info).read() for info in tar if info.isfile()}
    return json.loads(members.pop("manifest.json")), members


def write_archive(path: Path, manifest: dict, members: dict[str, bytes], checksums: bool = True) -> Path:
    """A tar laid out as `crm backup` lays it out; `checksums` recomputes the manifest's for `members`."""
    if checksums:
        manifest = {
            **manifest,
            "members": {
                name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)} for name, data in members.items()
            },
        }
    with tarfile.open(path, "w") as tar:
        for name, data in [("manifest.json", json.dumps(manifest).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path
