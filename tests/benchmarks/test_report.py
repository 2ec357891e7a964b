"""docs/performance.md's generated table: what `make bench` writes between the markers, and nothing else."""

from __future__ import annotations

from tests.benchmarks import report

SAMPLE = {
    "started_at": "2026-12-06T10:00:00+00:00",
    "machine": {"cpus": 2, "python": "3.11.7", "platform": "Linux"},
    "benchmarks": {
        "lookup_bench.sqlite": {
            "lookup_to_floor_ratio": 0.875,
            "lookup": {"p95_ms": 8.9, "throughput_rps": 2361.4},
            "lookup_uncached_to_floor_ratio": 0.68,
            "floors": [
                {
                    "what": "uncached lookup req/s",
                    "figure": {"median": 1413.0, "min": 1390.2, "max": 1450.0},
                    "floor_name": "/api/v1/ping",
                    "floor": {"median": 2000.0, "min": 1900.0, "max": 2100.0},
                    "ratio": {"median": 0.707, "min": 0.66, "max": 0.74},
                    "target": ">= 0.7",
                    "met": True,
                    "load": {"median": 1.2, "min": 0.9, "max": 2.5},
                }
            ],
            "target_met": True,
        },
        "outbox_bench.postgresql": {
            "letters_per_s_no_latency": 1144.0,
            "letters_per_s_100ms_latency": 542,
            "mailing_100k_seconds": 19.8,
            "worker_peak_mb": 103,
            "target_met": False,
        },
        "dashboards_bench.sqlite": {
            "dashboards": {"campaign": {"p95_ms": 347.0}, "committee": {"p95_ms": 268.4}},
            "load_average": {"median": 3.4, "min": 2.9, "max": 4.1},
            "target_met": None,
        },
        "replies_bench.sqlite": {"error": "OperationalError: no such table | letters", "target_met": False},
        "newcomer_bench.sqlite": {"rows": 12, "p95_ms": 3.25, "label": "ignored", "target_met": True},
        "campaigns_bench.sqlite": {"send": {"p50_ms": 7.3, "load_average": 1.2345}, "target_met": True},
        "search_bench.sqlite": {"skipped": "measured with BENCH_QUICK=0", "target_met": None},
    },
}


def test_the_table_shows_each_benchmarks_headline_figures_and_whether_it_met_its_target():
    table = report.render(SAMPLE)
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines() if line.startswith("| ")}
    assert "lookup / floor 0.88; lookup p95 ms 8.9; uncached / floor 0.68 | yes |" in rows["lookup_bench"]
    assert (
        "letters/s 1,144; letters/s at 100 ms 542; 100k mailing s 19.8; worker peak MB 103 | **no** |"
        in rows["outbox_bench"]
    )
    assert "| postgresql |" in rows["outbox_bench"]
    assert "campaign p95 ms 347; committee p95 ms 268.4 | not at this scale |" in rows["dashboards_bench"]
    assert "failed: OperationalError: no such table \\| letters | **no** |" in rows["replies_bench"]
    assert "rows 12; p95_ms 3.25 | yes |" in rows["newcomer_bench"]
    assert "| skipped: measured with BENCH_QUICK=0 | not at this scale |" in rows["search_bench"]
    assert "started 2026-12-06T10:00:00+00:00, 2 CPUs, Python 3.11.7" in table


def test_each_benchmarks_row_shows_the_load_it_was_measured_under():
    rows = {line.split(" | ")[0].strip("| "): line for line in report.render(SAMPLE).splitlines()}
    assert rows["lookup_bench"].endswith("| yes | 1.2 |")  # from its floors' rounds
    assert rows["dashboards_bench"].endswith("| 3.4 (2.9–4.1) |")  # its own record
    assert rows["campaigns_bench"].endswith("| yes | 1.23 |")  # its in-process part's
    assert rows["newcomer_bench"].endswith("| yes | — |")  # none recorded


def test_each_figure_measured_against_its_floor_has_a_row_with_ratio_target_and_load():
    table = report.render(SAMPLE)
    assert "| figure | product | floor, same run | ratio | target | met | load |" in table
    assert (
        "| uncached lookup req/s (lookup_bench, sqlite) | 1,413 (1,390.2–1,450) | /api/v1/ping: 2,000 (1,900–2,100) "
        "| 0.71 (0.66–0.74) | >= 0.7 | yes | 1.2 (0.9–2.5) |" in table
    )


def test_writing_the_table_replaces_only_what_lies_between_the_markers(tmp_path):
    page = tmp_path / "performance.md"
    before = "# Performance\n\n| hand-written | table |\n\n"
    after = "\n## How\n\nParagraphs that stay.\n"
    page.write_text(f"{before}{report.BEGIN}\nan old table\n{report.END}{after}")

    report.update_performance_page(SAMPLE, page)
    text = page.read_text()

    assert text.startswith(before + report.BEGIN + "\n")
    assert text.endswith(report.END + after)
    assert "an old table" not in text
    assert report.render(SAMPLE) in text
    report.update_performance_page(SAMPLE, page)
    assert page.read_text() == text  # a second run changes nothing


def test_a_page_without_markers_gets_the_table_at_its_end(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n\nNotes.\n")

    report.update_performance_page(SAMPLE, page)

    text = page.read_text()
    assert text.startswith("# Performance\n\nNotes.\n\n" + report.BEGIN)
    assert text.rstrip().endswith(report.END)
