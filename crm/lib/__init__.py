"""Helpers that know no domain: pages and counts, bulk writes, SQL per database, errors, security headers,
Markdown, spreadsheets, archiving. Every domain package may use them; they import no domain."""
