"""The performance reports: the scale report's progress wiring (tools/report/scale_report.py), on
stand-in timings -- one bar step per measured case, named after it, on stderr; stdout as before --
and the every-operation report (tools/report/ops_report.py) on tiny arrays: the 36-case layout,
one plot per family, findings per operation. No timing is asserted."""

import io
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools", "report"))

import ops_report  # noqa: E402
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


def test_the_operations_report_has_every_case_plot_and_finding(monkeypatch, tmp_path):
    tiny = {"512x512": (16, 12), "1024x1024": (24, 20), "2048x2048": (32, 28)}
    for k, v in tiny.items():
        monkeypatch.setitem(ops_report.measure.MATRIX_SHAPES, k, v)
    monkeypatch.setattr(scale_report, "LOCK_PATH", str(tmp_path / "lock"))
    assert len(ops_report.plan(quick=False)) == 36
    out = tmp_path / "reports"
    assert ops_report.main(["--budget", "0.6", "--out", str(out), "--no-progress"]) == 0
    md = next(out.glob("ops-*.md")).read_text()
    table = md.split("## The 36 cases")[1].split("Speedup per case")[0]
    rows = [ln for ln in table.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert len(rows) == 1 + 36  # the header and one row per case
    assert "| NumPy mean ± std | CV | best | Raptors mean ± std | CV | best | speedup |" in rows[0]
    assert "GB/s Raptors | copy GB/s | roofline |" in rows[0]
    for label in ops_report.LABELS:
        assert f"### {label} — " in md, label
    assert "## The call path: a 16-element float32 call" in md
    pngs = sorted(p.name.split("-")[-1] for p in out.glob("ops-*.png"))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pngs = ["elementwise.png", "reductions.png", "scale.png"]
    assert pngs == ["elementwise.png", "reductions.png", "scale.png"]
    data = json.loads(next(out.glob("ops-*.json")).read_text())
    assert len(data["rows"]) == 36 and all(r["rounds"] >= 9 for r in data["rows"])
