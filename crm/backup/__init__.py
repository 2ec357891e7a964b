"""Backup and restore: one archive holding a consistent copy of the database (SQLite's online backup API, or
pg_dump's custom format), the instance files that matter and a manifest of counts and checksums.

Generic: it knows the database engines, the instance folder and the migrations, no domain. `crm backup` and
`crm restore` (crm/cli.py) call `service`; docs/operations.md says how to use them.
"""
