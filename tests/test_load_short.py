"""The load test in a short form: a mixed load on gunicorn answers without a single error."""

from tests.benchmarks.mixed_load import run


def test_a_short_mixed_load_on_gunicorn_has_no_errors():
    result = run(seconds=4, concurrency=12, workers=2)
    assert result["requests"] > 50
    assert result["errors"] == 0, result["first_errors"]
    kinds = result["by_kind"]
    assert set(kinds["read"]["statuses"]) == {"200"} and set(kinds["committee"]["statuses"]) == {"200"}
    assert set(kinds["send_letter"]["statuses"]) == {"302"} and kinds["send_letter"]["requests"] > 0
