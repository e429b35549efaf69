"""The performance report (tools/report/report.py), on tiny arrays: every case of its plan is
measured, a progress step between cases (never inside one); the report holds the 36-case matrix,
every element-wise operation over sizes and modes, the call path, the plots, a finding per
operation and the processor named; --rerender writes the same report from its JSON. No timing is
asserted."""

import io
import json
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "report"))

import report  # noqa: E402

try:
    import dask_bounds  # the dask extra: `make test` has it
except ImportError:
    dask_bounds = None

TINY_MATRIX = {"512x512": (16, 12), "1024x1024": (24, 20), "2048x2048": (32, 28)}
TINY_SIZES = {"16": (16,), "64K": (64,), "1024²": (8, 8), "4096²": (12, 12)}


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    for k, v in TINY_MATRIX.items():
        monkeypatch.setitem(report.measure.MATRIX_SHAPES, k, v)
    monkeypatch.setattr(report, "SIZES", TINY_SIZES)
    monkeypatch.setattr(report, "WIDE_SHAPES", {"2048²": (20, 16), "8192²": (24, 20)})
    monkeypatch.setattr(report, "LOCK_PATH", str(tmp_path / "lock"))
    if dask_bounds is not None:  # the Dask section's cluster computes 64² in 16² chunks
        monkeypatch.setattr(dask_bounds.bench_dask, "SHAPE", (64, 64))
        monkeypatch.setattr(dask_bounds.bench_dask, "CHUNKS", (16, 16))


def test_one_progress_step_per_case_between_measurements(tiny, monkeypatch):
    monkeypatch.setattr(report.progress, "LOG_INTERVAL", 0)  # a log line per step
    specs = report.plan(quick=True)
    err = io.StringIO()
    bar = report.progress.Progress(len(specs), "report", "case", file=err, disable=False)
    steps = []

    def fake_measure_case(spec, seconds):
        steps.append(bar.n)  # the bar stands still while a case is measured
        return {"speedup": 1.5, "gbps_raptors": 2.0, "roofline": 0.5, "spec": spec}

    monkeypatch.setattr(report, "measure_case", fake_measure_case)
    rows = report.run(specs, 1.0, bar)
    bar.close()
    assert [r["spec"] for r in rows] == specs
    assert steps == list(range(len(specs)))
    log = err.getvalue()
    assert "\r" not in log
    assert f"report {specs[-1].name()}" in log
    assert f"{len(specs)}/{len(specs)}" in log.splitlines()[-1]


def test_the_plan_covers_the_matrix_and_every_elementwise_operation():
    full = report.plan(quick=False)
    matrix = [s for s in full if s.section == "matrix"]
    assert len(matrix) == 36 and len(set(matrix)) == 36
    sizes = [s for s in full if s.section == "sizes"]
    assert {s.op for s in sizes} == {"scale", "add", "subtract", "multiply"}
    assert {s.mode for s in sizes} == {"new", "out", "inplace"}
    assert {s.size for s in sizes if s.threads == 1} == set(report.ONE_THREAD_SIZES)
    covered = {s.op for s in full} | set(op for op, _ in report.SIXTEEN)
    assert covered == set(report.measure.OPERATIONS)


def test_the_report_has_every_case_plot_and_finding_and_rerenders(tiny, tmp_path):
    out = tmp_path / "reports"
    assert report.main(["--budget", "1.5", "--out", str(out), "--no-progress"]) == 0
    (md_path,) = out.glob("report-*.md")
    md = md_path.read_text()
    table = md.split("## The matrix: 36 cases")[1].split("Speedup per case")[0]
    rows = [ln for ln in table.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert len(rows) == 1 + 36  # the header and one row per case
    assert "| NumPy mean ± std | CV | best | Raptors mean ± std | CV | best | speedup |" in rows[0]
    assert "GB/s Raptors | copy GB/s | roofline |" in rows[0]
    sizes = md.split("## Sizes and modes")[1].split("## The call path")[0]
    for op in ("scale", "add", "subtract", "multiply"):
        for mode in ("new", "out", "inplace", "out t=1"):
            assert f"| {op} {mode} |" in sizes, (op, mode)
    for label in report.LABELS + ["add", "subtract", "multiply"]:
        assert f"### {label} — " in md, label
    assert "## The call path: a 16-element float32 call" in md
    wide = md.split("## The wider reductions")[1].split("## The call path")[0]
    for label, *_rest, goal in report.WIDE:
        assert f"| {label} |" in wide and f"≥ {goal:g}" in wide, label
    data = json.loads(md_path.with_suffix(".json").read_text())
    if dask_bounds is not None:
        on_dask = md.split("## On Dask")[1].split("## Plots")[0]
        for case, goal in dask_bounds.GOALS.items():
            (row,) = [ln for ln in on_dask.splitlines() if ln.startswith(f"| {case} |")]
            cells = row.split(" | ")
            assert len(cells) == 8 and f"≥ {goal:g}" in cells[-1], row
            assert (cells[3] == "-") == case.startswith("add"), row  # a bound per reduction
        assert [r["case"] for r in data["dask"]["rows"]] == list(dask_bounds.GOALS)
    assert data["machine"]["cpu"] in md and " family " in data["machine"]["processor"]
    assert len([r for r in data["rows"] if r["section"] == "matrix"]) == 36
    assert all(r["rounds"] >= 9 for r in data["rows"])
    try:
        import matplotlib  # noqa: F401

        pngs = sorted(p.name.split("-")[-1] for p in out.glob("report-*.png"))
        assert pngs == ["elementwise.png", "reductions.png", "scale.png", "sizes.png"]
    except ImportError:
        pass
    again = tmp_path / "again"
    json_path = str(md_path.with_suffix(".json"))
    assert report.main(["--rerender", json_path, "--out", str(again)]) == 0
    assert (again / md_path.name).read_text() == md


def test_in_place_cases_stay_normal_numbers_call_after_call():
    """The report times in-place calls thousands of times on one array: x must stay finite and
    normal (an overflow costs NumPy its warnings, subnormals both sides a slow path). Planted:
    multiply in place by y in [1, 2) reached inf after ~200 calls."""
    np = report.np
    for op, spec in report.measure.OPERATIONS.items():
        if "inplace" not in spec["modes"]:
            continue
        for variant in spec["variants"]:
            c = report.measure.make_case(op, (16, 8), "float32", report.raptors, variant, "inplace")
            with np.errstate(all="raise"):
                for _ in range(2000):
                    c.numpy()
            x = c.arrays["x"]
            assert np.isfinite(x).all() and (np.abs(x) >= np.finfo(x.dtype).tiny).all(), (
                op,
                variant,
            )
