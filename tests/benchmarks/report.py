"""The table of `make bench`'s figures in docs/performance.md, rendered from bench-results/latest.json.

`python -m tests.benchmarks.report` renders it again from the last run without measuring anything.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LATEST = ROOT / "bench-results" / "latest.json"
PERFORMANCE = ROOT / "docs" / "performance.md"
BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"

# Each benchmark's headline figures: (label, path into its result dict). A `*` in a path stands for every key
# of the dict there (the dashboards' pages). A figure the run did not measure is left out.
HEADLINES: dict[str, list[tuple[str, str]]] = {
    "lookup_bench": [
        ("lookup / floor", "lookup_to_floor_ratio"),
        ("lookup p95 ms", "lookup.p95_ms"),
        ("uncached / floor", "lookup_uncached_to_floor_ratio"),
    ],
    "stakeholders_bench": [
        ("list p95 ms", "list_page.p95_ms"),
        ("search p95 ms", "search.p95_ms"),
        ("by organization p95 ms", "list_sorted_by_organization.p95_ms"),
        ("CSV import s", "import.total_s"),
        ("XLSX import s", "import_xlsx.total_s"),
    ],
    "interactions_bench": [
        ("person timeline p95 ms", "person_timeline_10k.p95_ms"),
        ("filtered list p95 ms", "filtered_list.p95_ms"),
        ("organization timeline p95 ms", "organization_timeline.p95_ms"),
    ],
    "campaigns_bench": [
        ("send p50 ms", "send.p50_ms"),
        ("letters/s under load", "load.letters_per_s.median"),
        ("/ floor", "load.ratio_to_floor.median"),
    ],
    "languages_bench": [
        ("member pages p95 ms en", "languages_p95_ms.en"),
        ("fr", "languages_p95_ms.fr"),
        ("French over English", "languages_fr_overhead_p95"),
        ("lead pages p95 ms en", "languages_staff_p95_ms.en"),
        ("fr", "languages_staff_p95_ms.fr"),
        ("French over English", "languages_staff_fr_overhead_p95"),
    ],
    "mailing_bench": [
        ("100k mailing s", "mailing_100k_seconds"),
        ("worker peak MB", "mailing_worker_peak_mb"),
        ("idle worker MB", "worker_idle_peak_mb"),
    ],
    "outbox_bench": [
        ("letters/s", "letters_per_s_no_latency"),
        ("letters/s at 100 ms", "letters_per_s_100ms_latency"),
        ("100k mailing s", "mailing_100k_seconds"),
        ("worker peak MB", "worker_peak_mb"),
        ("segment count p95 ms", "segment_count_50k_p95_ms"),
    ],
    "worker_bench": [
        ("/ sendgrid-python at 0 ms", "no_latency_to_floor_ratio"),
        ("messages/s", "no_latency.messages_per_s.median"),
        ("/ sendgrid-python at 100 ms", "latency_100ms_to_floor_ratio"),
        ("messages/s at 100 ms", "latency_100ms.messages_per_s.median"),
        ("CPU ms/message", "no_latency.cpu_ms_per_message.median"),
        ("floor's CPU ms/message", "no_latency.floor_cpu_ms_per_message.median"),
    ],
    "dashboards_bench": [("{} p95 ms", "dashboards.*.p95_ms")],
    "mixed_load": [("req/s", "throughput_rps"), ("p95 ms", "p95_ms"), ("errors", "errors")],
    "metrics_bench": [
        ("/metrics median ms", "metrics_median_ms"),
        ("max ms", "metrics_max_ms"),
        ("first scrape, no worker ms", "metrics_cold_without_worker_ms"),
        ("worker's recount ms", "worker_recount_ms"),
        ("health page ms", "health_page_ms"),
    ],
    "replies_bench": [("10,000 surveys s", "queue_10000.seconds"), ("panel p95 ms", "panel.p95_ms")],
    "similarity_bench": [
        ("letters", "letters_in_campaign"),
        ("record_letter p95 ms", "record_letter_p95_ms"),
        ("check_text p95 ms", "check_text_p95_ms"),
    ],
    "search_bench": [
        ("people", "people"),
        ("search p95 ms", "search.p95_ms"),
        ("p95 / healthz p95", "search_over_floor_p95_ratio"),
    ],
    "backup_bench": [
        ("backup s", "backup_seconds"),
        ("backup / floor", "backup_ratio"),
        ("restore s", "restore_seconds"),
        ("restore / floor", "restore_ratio"),
    ],
}
MET = {True: "yes", False: "**no**", None: "not at this scale"}


def number(value) -> str:
    """A figure as the table shows it: thousands separated, at most two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _at(result: dict, path: str) -> list[tuple[str, object]]:
    """The values at a dotted path, with the key each `*` matched."""
    found: list[tuple[list[str], object]] = [([], result)]
    for part in path.split("."):
        step = []
        for keys, value in found:
            if not isinstance(value, dict):
                continue
            if part == "*":
                step.extend((keys + [str(key)], child) for key, child in value.items())
            elif part in value:
                step.append((keys, value[part]))
        found = step
    return [(" ".join(keys), value) for keys, value in found if value is not None and not isinstance(value, dict)]


def _fallback(result: dict) -> list[tuple[str, object]]:
    """A benchmark without headlines: its top-level figures."""
    return [
        (key, value)
        for key, value in result.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "target_met"
    ]


def load_of(result: dict):
    """The load average a benchmark recorded: its own, a part's, else its floors' (the median of their medians)."""
    for key in ("load_average", "load_average_1min"):
        if key in result:
            return result[key]
    for part in result.values():  # a part's own record (campaigns_bench's in-process sends)
        if isinstance(part, dict) and isinstance(part.get("load_average"), int | float):
            return round(part["load_average"], 2)
    medians = sorted(
        floor["load"]["median"]
        for floor in result.get("floors") or ()
        if isinstance(floor.get("load"), dict) and floor["load"].get("median") is not None
    )
    return medians[len(medians) // 2] if medians else None


def headline_figures(name: str, result: dict) -> str:
    """One benchmark's headline figures as 'label value; label value'."""
    if "error" in result:
        return f"failed: {result['error']}"
    if "skipped" in result:
        return f"skipped: {result['skipped']}"
    figures = []
    for label, path in HEADLINES.get(name, []):
        figures.extend((label.format(key) if "{}" in label else label, value) for key, value in _at(result, path))
    figures = figures if name in HEADLINES else _fallback(result)
    return "; ".join(f"{label} {number(value)}" for label, value in figures) or "—"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _spread(value) -> str:
    """A ratio or load as 'median (min–max)', from a benchmark's {median, min, max}, or a plain number."""
    if isinstance(value, dict):
        if value.get("median") is None:
            return "—"
        return f"{number(value['median'])} ({number(value['min'])}–{number(value['max'])})"
    return number(value) if value is not None else "—"


def floor_rows(results: dict) -> list[str]:
    """One row per figure that a benchmark measured against its floor in the same run (its `floors` list)."""
    rows = []
    for key, result in sorted((results.get("benchmarks") or {}).items()):
        if not isinstance(result, dict):
            continue
        name, _, database = key.rpartition(".")
        for floor in result.get("floors") or ():
            met = MET.get(floor.get("met"), str(floor.get("met")))
            cells = (
                f"{floor['what']} ({name}, {database})",
                _spread(floor.get("figure")),
                f"{floor.get('floor_name', 'floor')}: {_spread(floor.get('floor'))}",
                _spread(floor.get("ratio")),
                floor.get("target", "—"),
                met,
                _spread(floor.get("load")),
            )
            rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return rows


def render(results: dict) -> str:
    """The generated part of docs/performance.md: each figure against its floor, then one row per benchmark
    and database."""
    machine = results.get("machine") or {}
    lines = [
        f"Run started {results.get('started_at', 'unknown')}, {machine.get('cpus', '?')} CPUs, "
        f"Python {machine.get('python', '?')}. Figures are medians of alternating rounds with their range in "
        "brackets; the load is the machine's 1-minute load average before each round (2 cores, shared).",
        "",
    ]
    floors = floor_rows(results)
    if floors:
        lines += [
            "| figure | product | floor, same run | ratio | target | met | load |",
            "|---|---|---|---|---|---|---|",
            *floors,
            "",
        ]
    lines += [
        "| benchmark | database | headline figures | target met | load |",
        "|---|---|---|---|---|",
    ]
    for key, result in sorted((results.get("benchmarks") or {}).items()):
        name, _, database = key.rpartition(".")
        if not isinstance(result, dict):
            continue
        met = MET.get(result.get("target_met"), str(result.get("target_met")))
        figures, load = _cell(headline_figures(name, result)), _spread(load_of(result))
        lines.append(f"| {_cell(name)} | {_cell(database)} | {figures} | {met} | {load} |")
    return "\n".join(lines) + "\n"


def replace_generated(text: str, generated: str) -> str:
    """`text` with what lies between the bench markers replaced; the markers are added at the end if missing."""
    start, end = text.find(BEGIN), text.find(END)
    if start == -1 or end < start:
        return text.rstrip("\n") + f"\n\n{BEGIN}\n{generated}{END}\n"
    return text[: start + len(BEGIN)] + "\n" + generated + text[end:]


def update_performance_page(results: dict, page: Path = PERFORMANCE) -> Path:
    """Write the rendered table into the page between its markers, leaving the hand-written rest as it is."""
    text = page.read_text(encoding="utf-8") if page.exists() else ""
    page.write_text(replace_generated(text, render(results)), encoding="utf-8")
    return page


def main() -> int:
    if not LATEST.exists():
        print(f"{LATEST} does not exist: run `make bench` first.", file=sys.stderr)
        return 1
    page = update_performance_page(json.loads(LATEST.read_text(encoding="utf-8")))
    print(f"written to {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
