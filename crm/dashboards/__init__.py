"""Dashboards and reports: aggregations in SQL, charts and exports. No tables of its own."""
