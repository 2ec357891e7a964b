"""`flask crm backup FILE` and `flask crm restore FILE`, on each database: a populated site restores elsewhere
to identical tables and files; bad backups and busy or non-empty targets are refused and change nothing."""

from __future__ import annotations

import json
import sqlite3
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from crm.extensions import db
from tests.backup.conftest import (
    instance_files,
    read_archive,
    table_fingerprints,
    table_names,
    write_archive,
)


def backup(site, path: Path, *options: str):
    return site.test_cli_runner().invoke(args=["crm", "backup", str(path), *options])


def restore(site, path: Path, *options: str):
    return site.test_cli_runner().invoke(args=["crm", "restore", str(path), *options])


def populate(app) -> None:
    """The reference data and the small demo: members, campaigns, letters, interactions, programs."""
    from crm.dashboards.demo import load_demo

    with app.app_context():
        app.config["SEED_ALL"](db.session)
        load_demo(db.session, "small")
        db.session.commit()
        db.session.remove()


def add_a_member(app, email: str = "kept@example.org") -> None:
    from crm.auth.services import create_user

    with app.app_context():
        create_user(db.session, email=email, password="correct horse battery", role="member", confirmed=True)
        db.session.commit()
        db.session.remove()


def assert_untouched(target, files_before: dict) -> None:
    """The target database still has no tables, and its instance files are as they were."""
    assert table_names(target) == []
    assert instance_files(target) == files_before


@pytest.fixture
def target_sentinel(target):
    """A file already in the target's instance folder, which a refused restore must leave alone."""
    folder = Path(target.instance_path) / "proposal_files"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "already-here.pdf").write_bytes(b"%PDF-1.4 older\n%%EOF\n")
    return instance_files(target)


def test_a_backup_of_a_populated_site_restores_elsewhere_to_identical_tables_and_files(
    app, target, source_files, tmp_path
):
    populate(app)
    archive = tmp_path / "site.backup"

    made = backup(app, archive)

    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output
    manifest, members = read_archive(archive)
    expected = table_fingerprints(app)
    assert manifest["tables"] == {name: count for name, (count, _) in expected.items()}
    assert manifest["tables"]["letters"] > 1000 and manifest["tables"]["member_profiles"] == 3000
    assert "secrets/secret_key" not in members
    done = restore(target, archive)
    assert done.exit_code == 0, done.output
    assert table_fingerprints(target) == expected
    restored = instance_files(target)
    assert restored == instance_files(app)
    assert {"program_files/notes.docx", "program_files/0f1e2d3c4b5a69788796a5b4c3d2e1f0.png"} <= restored.keys()
    assert sum(name.startswith("proposal_files/") for name in restored) >= 3  # the planted PDF and the demo's two
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


def test_a_backup_taken_while_the_app_writes_holds_whole_transactions(app, target, tmp_path):
    """A writer commits two rows at a time throughout the backup: the copy has every pair whole, none half."""
    import threading

    stop, written = threading.Event(), []
    with app.app_context():
        engine = db.engine

    def write_pairs():
        number = 0
        while not stop.is_set():
            with engine.begin() as connection:
                for side in "ab":
                    connection.execute(
                        text("INSERT INTO login_throttles (email, failures) VALUES (:email, 1)"),
                        {"email": f"pair{number}{side}@example.org"},
                    )
            number += 1
            written.append(number)

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        made = backup(app, tmp_path / "busy.backup")
        during = len(written)
        while len(written) < during + 20:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()

    assert made.exit_code == 0, made.output
    copied = read_archive(tmp_path / "busy.backup")[0]["tables"]["login_throttles"]
    assert copied % 2 == 0 and 40 <= copied < 2 * len(written)
    assert restore(target, tmp_path / "busy.backup").exit_code == 0
    with target.app_context():
        emails = set(db.session.scalars(text("SELECT email FROM login_throttles")))
        db.session.remove()
        db.engine.dispose()
    assert len(emails) == copied
    assert all(email.replace("a@", "b@") in emails for email in emails if "a@" in email)


def test_the_backup_records_when_it_finished_for_the_health_page(app, source_files, tmp_path):
    archive = tmp_path / "nightly.backup"
    before = datetime.now(UTC)

    assert backup(app, archive).exit_code == 0

    record = json.loads((Path(app.instance_path) / "backups" / "last_backup.json").read_text())
    assert record["path"] == str(archive)
    finished = datetime.fromisoformat(record["finished_at"])
    assert finished.utcoffset() == timedelta(0) and before - timedelta(seconds=1) <= finished <= datetime.now(UTC)


def test_the_manifest_names_the_app_the_schema_and_a_checksum_for_every_file(app, source_files, tmp_path):
    import hashlib

    archive = tmp_path / "site.backup"
    assert backup(app, archive).exit_code == 0

    manifest, members = read_archive(archive)
    assert (manifest["app"], manifest["format"]) == ("itpo-crm", 1)
    assert manifest["engine"] == (
        "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql"
    )
    with app.app_context():
        assert manifest["schema_revision"] == db.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert datetime.fromisoformat(manifest["created_at"]).utcoffset() == timedelta(0)
    assert set(manifest["members"]) == set(members)
    for name, data in members.items():
        assert manifest["members"][name] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def test_the_secret_key_file_is_backed_up_and_restored_only_when_asked(app, target, source_files, tmp_path):
    (source_files / "secret_key").write_text("the-old-sites-key")
    plain, secret = tmp_path / "plain.backup", tmp_path / "secret.backup"

    assert backup(app, plain).exit_code == 0
    assert backup(app, secret, "--include-secrets").exit_code == 0

    assert "secrets/secret_key" not in read_archive(plain)[1]
    assert read_archive(secret)[1]["secrets/secret_key"] == b"the-old-sites-key"
    done = restore(target, secret)
    assert done.exit_code == 0, done.output
    restored_key = Path(target.instance_path) / "secret_key"
    assert restored_key.read_text() == "the-old-sites-key"
    assert stat.S_IMODE(restored_key.stat().st_mode) == 0o600


def test_a_backup_never_overwrites_an_existing_file(app, tmp_path):
    archive = tmp_path / "exists.backup"
    archive.write_bytes(b"keep me")

    result = backup(app, archive)

    assert result.exit_code != 0 and "already exists" in result.output
    assert archive.read_bytes() == b"keep me"
    assert not (Path(app.instance_path) / "backups" / "last_backup.json").exists()


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(app, target, source_files, tmp_path):
    add_a_member(app, "from-backup@example.org")
    archive = tmp_path / "site.backup"
    assert backup(app, archive).exit_code == 0
    with target.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    add_a_member(target, "only-in-target@example.org")
    before = table_fingerprints(target)

    refused = restore(target, archive)

    assert refused.exit_code != 0
    assert "not empty" in refused.output and "--force" in refused.output
    assert table_fingerprints(target) == before
    forced = restore(target, archive, "--force")
    assert forced.exit_code == 0, forced.output
    assert table_fingerprints(target) == table_fingerprints(app)


@pytest.mark.parametrize("keep", [0.5, 0.95, 700])
def test_restore_refuses_a_truncated_backup_and_changes_nothing(
    app, target, target_sentinel, source_files, tmp_path, keep
):
    add_a_member(app)
    archive = tmp_path / "site.backup"
    assert backup(app, archive).exit_code == 0
    data = archive.read_bytes()
    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[: int(len(data) * keep) if keep < 1 else keep])

    result = restore(target, cut)

    assert result.exit_code != 0
    assert "truncated" in result.output or "not an ITPO CRM backup" in result.output, result.output
    assert_untouched(target, target_sentinel)


@pytest.mark.parametrize(
    ("contents", "said"),
    [
        pytest.param(b"PK\x03\x04 a zip from somewhere else", "not an ITPO CRM backup", id="not an archive"),
        pytest.param("tar without manifest", "not an ITPO CRM backup", id="a tar without our manifest"),
        pytest.param({"app": "other-crm", "format": 1}, "not an ITPO CRM backup", id="another app's manifest"),
        pytest.param({"app": "itpo-crm", "format": 7}, "in format 7", id="a later backup format"),
    ],
)
def test_restore_refuses_a_file_from_another_app_and_changes_nothing(
    app, target, target_sentinel, tmp_path, contents, said
):
    path = tmp_path / "foreign.backup"
    if isinstance(contents, bytes):
        path.write_bytes(contents)
    elif isinstance(contents, str):
        import tarfile

        (tmp_path / "data.sql").write_text("CREATE TABLE x (y int);")
        with tarfile.open(path, "w") as tar:
            tar.add(tmp_path / "data.sql", arcname="data.sql")
    else:
        write_archive(path, {**contents, "engine": "sqlite"}, {"database/crm.sqlite3": b"SQLite format 3\x00"})

    result = restore(target, path)

    assert result.exit_code != 0 and said in result.output, result.output
    assert_untouched(target, target_sentinel)


def test_restore_refuses_a_backup_from_a_newer_schema_and_changes_nothing(
    app, target, target_sentinel, source_files, tmp_path
):
    add_a_member(app)
    archive = tmp_path / "site.backup"
    assert backup(app, archive).exit_code == 0
    manifest, members = read_archive(archive)
    newer = write_archive(tmp_path / "newer.backup", {**manifest, "schema_revision": "9999"}, members)

    result = restore(target, newer)

    assert result.exit_code != 0
    assert "9999" in result.output and "newer than this code knows" in result.output
    assert_untouched(target, target_sentinel)


def test_restore_refuses_a_backup_whose_files_do_not_match_their_checksums(
    app, target, target_sentinel, source_files, tmp_path
):
    add_a_member(app)
    archive = tmp_path / "site.backup"
    assert backup(app, archive).exit_code == 0
    manifest, members = read_archive(archive)
    name = next(name for name in members if name.startswith("files/program_files/"))
    members[name] = members[name][:-1] + b"!"
    altered = write_archive(tmp_path / "altered.backup", manifest, members, checksums=False)

    result = restore(target, altered)

    assert result.exit_code != 0 and "does not match its checksum" in result.output
    assert_untouched(target, target_sentinel)


def test_restore_refuses_a_backup_from_the_other_database_engine(app, target, target_sentinel, tmp_path):
    engine = "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql"
    other, member = ("postgresql", "database/crm.pgdump") if engine == "sqlite" else ("sqlite", "database/crm.sqlite3")
    with app.app_context():
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.remove()
    path = write_archive(
        tmp_path / "other.backup",
        {"app": "itpo-crm", "format": 1, "engine": other, "schema_revision": revision, "created_at": "x", "tables": {}},
        {member: b"whatever"},
    )

    result = restore(target, path)

    assert result.exit_code != 0 and "across engines is not supported" in result.output
    assert_untouched(target, target_sentinel)


@pytest.fixture
def busy(target):
    """Another process's connection to the target database, as a running web server or worker holds one."""
    url = target.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        path = url[len("sqlite:///") :]
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
    else:
        from crm.backup.postgres import connect

        connection = connect(url, autocommit=True)
        connection.execute("SET application_name = 'gunicorn worker'")
    yield
    connection.close()


def test_restore_refuses_a_database_in_use_and_changes_nothing(
    app, target, target_sentinel, source_files, tmp_path, busy
):
    add_a_member(app)
    archive = tmp_path / "site.backup"
    assert backup(app, archive).exit_code == 0

    result = restore(target, archive)

    assert result.exit_code != 0 and "is in use" in result.output, result.output
    assert_untouched(target, target_sentinel)


def test_restoring_an_older_backup_runs_the_migrations_forward(target, tmp_path):
    from flask_migrate import upgrade

    from crm.backup.schema import code_head

    with target.app_context():
        upgrade(revision="0035")
        db.session.execute(
            text(
                "INSERT INTO jurisdictions (code, name, kind, ocd_id, legislature_name, member_title, seats) "
                "VALUES ('ZZ', 'Old site', 'province', 'ocd-division/country:ca/province:zz', 'Old', 'MPP', 1)"
            )
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    archive = tmp_path / "old.backup"
    assert backup(target, archive).exit_code == 0
    assert read_archive(archive)[0]["schema_revision"] == "0035"
    url = target.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        Path(url[len("sqlite:///") :]).unlink()
    else:
        from tests.conftest import reset_postgres

        reset_postgres(url)

    result = restore(target, archive)

    assert result.exit_code == 0, result.output
    assert f"from schema 0035 to {code_head(target)}" in result.output
    with target.app_context():
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == code_head(target)
        assert db.session.scalar(text("SELECT name FROM jurisdictions WHERE code = 'ZZ'")) == "Old site"
        db.session.remove()
        db.engine.dispose()


def test_a_backup_refuses_a_pg_dump_of_another_major_version_on_postgresql(app, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("pg_dump backs up PostgreSQL only")
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n")
    fake.chmod(0o755)
    app.config["PG_BIN_DIR"] = str(fake.parent)
    try:
        result = backup(app, tmp_path / "site.backup")
    finally:
        app.config["PG_BIN_DIR"] = None

    assert result.exit_code != 0
    assert "pg_dump is version 11" in result.output and "same major version" in result.output
    assert not (tmp_path / "site.backup").exists()


def test_a_backup_into_a_folder_that_does_not_exist_is_refused(app, tmp_path):
    result = backup(app, tmp_path / "missing" / "site.backup")

    assert result.exit_code != 0 and "does not exist" in result.output
    assert not (tmp_path / "missing").exists()


def test_a_restore_into_a_database_that_does_not_exist_says_to_create_it_on_postgresql(app, tmp_path):
    from sqlalchemy.engine import make_url

    from tests.backup.conftest import make_site

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        pytest.skip("a SQLite restore creates its file")
    add_a_member(app)
    archive = tmp_path / "site.backup"
    assert backup(app, archive).exit_code == 0
    missing = make_site(make_url(url).set(database="h_no_such_database").render_as_string(False), tmp_path / "i")

    result = restore(missing, archive)

    assert result.exit_code != 0 and "Cannot connect to the database h_no_such_database" in result.output
    assert "createdb" in result.output


def test_when_the_migrations_forward_fail_the_restore_says_what_state_it_left(target, tmp_path, monkeypatch):
    """SQLite migrates the copy before writing, so nothing changes; PostgreSQL has committed the older data and
    says to run `flask db upgrade`."""
    from flask_migrate import upgrade

    from crm.backup import postgres, sqlite

    with target.app_context():
        upgrade(revision="0035")
        db.session.remove()
        db.engine.dispose()
    archive = tmp_path / "old.backup"
    assert backup(target, archive).exit_code == 0
    url = target.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        Path(url[len("sqlite:///") :]).unlink()
    else:
        from tests.conftest import reset_postgres

        reset_postgres(url)

    def broken(app, url):
        raise RuntimeError("migration 0036 broke")

    monkeypatch.setattr(sqlite, "upgrade_database", broken)
    monkeypatch.setattr(postgres, "upgrade_database", broken)
    result = restore(target, archive)

    assert result.exit_code != 0 and "migration 0036 broke" in result.output
    if url.startswith("sqlite"):
        assert "Nothing was changed" in result.output and table_names(target) == []
    else:
        assert "flask db upgrade" in result.output
        with target.app_context():
            assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == "0035"
            db.session.remove()
            db.engine.dispose()
