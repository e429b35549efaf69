"""The performance report's progress wiring (tools/report/scale_report.py), on stand-in timings:
one bar step per measured case, named after it, on stderr; stdout as before. Nothing here is
timed, and no timing is asserted."""

import io
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools", "report"))

import scale_report  # noqa: E402


def test_one_progress_step_per_case_between_measurements(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(scale_report, "QUICK_SIZES", [("16", (16,)), ("64K", (65536,))])
    monkeypatch.setattr(scale_report, "LOCK_PATH", str(tmp_path / "lock"))
    monkeypatch.setattr(scale_report.progress, "LOG_INTERVAL", 0)  # a log line per step
    err = io.StringIO()
    plan = scale_report.plan_cases(quick=True)
    bar = scale_report.progress.Progress(len(plan), "report", "case", file=err, disable=False)
    steps = []

    def fake_interleaved(fns, seconds, min_rounds=15, max_rounds=400):
        steps.append(bar.n)  # the bar stands still while a case is measured
        return {name: [1000.0 + r for r in range(min_rounds)] for name in fns}, 1

    monkeypatch.setattr(scale_report, "interleaved", fake_interleaved)
    rows = scale_report.run_cases(True, 1.0, bar)
    bar.close()
    assert len(rows) == len(plan) == 13
    assert steps == sorted(steps) and set(steps) == set(range(len(plan)))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(plan) and out[0].startswith("[1/13] float32 16 out t=")
    log = err.getvalue()
    assert "\r" not in log
    assert "report float64 64K inplace:" in log
    assert log.splitlines()[-1].startswith("report float32 64K out t=1:")
    assert "13/13" in log.splitlines()[-1]
