"""The published dashboard's reading of the results (tools/dashboard): the Regressions tab lists a
drop of a higher-is-better value (speedup, GB/s, roofline fraction) and never a rise, tested on
two result sets, one faster and one slower, published by asv itself; every track_ of the suite is
classified one way or the other; the overview shows each operation's headline speedup per commit.
Synthetic results, no benchmark is run, no timing asserted."""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASH = os.path.join(REPO, "tools", "dashboard")
sys.path.insert(0, DASH)

import common as dash_common  # noqa: E402  tools/dashboard/common.py
import overview  # noqa: E402
from conftest import ASV_RESULT_COLUMNS  # noqa: E402

pytest.importorskip("asv", reason="asv is installed by `make test` (the bench extra)")

COLS = ASV_RESULT_COLUMNS
DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01, ms


def _git(repo, *args, env=None):
    r = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    )
    return r.stdout.strip()


def make_project(root, series, params=None):
    """A git repository of len(values) commits and asv results for them: series maps a
    benchmark name to (type, unit, [value per commit]) -- a value per commit, or a list of
    values per commit for a parameterized benchmark (params: {name: (param_names, params)})."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    n = len(next(iter(series.values()))[2])
    hashes = []
    for i in range(n):
        date = "2026-01-%02dT00:00:00" % (i + 1)
        env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
             "--allow-empty", "-m", "c%d" % i, env=env)  # fmt: skip
        hashes.append(_git(repo, "rev-parse", "HEAD"))
    res = root / "results"
    (res / "m").mkdir(parents=True)
    (res / "m" / "machine.json").write_text(
        json.dumps(
            {
                "machine": "m",
                "version": 1,
                "arch": "x86_64",
                "cpu": "c",
                "num_cpu": "2",
                "os": "l",
                "ram": "1",
            }
        )
    )
    params = params or {}
    bj = {"version": 2}
    for name, (kind, unit, _v) in series.items():
        pn, pv = params.get(name, ([], []))
        bj[name] = {"name": name, "type": kind, "unit": unit, "param_names": pn, "params": pv,
                    "version": "1", "code": "", "timeout": 60}  # fmt: skip
    (res / "benchmarks.json").write_text(json.dumps(bj))
    for i, h in enumerate(hashes):
        results = {}
        for name, (_k, _u, values) in series.items():
            v = values[i]
            results[name] = [v if isinstance(v, list) else [v],
                             params.get(name, ([], []))[1], "1", T0 + i, 1.0]  # fmt: skip
        data = {"commit_hash": h, "env_name": "e", "date": T0 + i * DAY,
                "params": {"machine": "m", "python": "3"}, "python": "3", "requirements": {},
                "env_vars": {}, "result_columns": COLS, "results": results, "durations": {},
                "version": 2}  # fmt: skip
        (res / "m" / ("%s-e.json" % h[:8])).write_text(json.dumps(data))
    conf = {"version": 1, "project": "t", "repo": str(repo), "branches": ["main"],
            "results_dir": str(res), "html_dir": str(root / "html"), "env_dir": str(root / "env"),
            "environment_type": "virtualenv", "regressions_thresholds": {".*": 0.1}}  # fmt: skip
    (root / "asv.conf.json").write_text(json.dumps(conf))
    return root / "asv.conf.json", hashes


def publish(conf, patched=True):
    """asv publish, through tools/dashboard/asv_publish.py (what `make publish` runs) or plain;
    the regressions it listed: {entry name: (before, best after) of its first jump}."""
    cmd = [sys.executable, os.path.join(DASH, "asv_publish.py")] if patched else [
        sys.executable, "-m", "asv"]  # fmt: skip
    r = subprocess.run(cmd + ["publish", "--config", str(conf)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    html = conf.parent / "html"
    regs = json.loads((html / "regressions.json").read_text())["regressions"]
    feed = (html / "regressions.xml").read_text()
    return {name: tuple(jumps[0][2:]) for name, _p, _g, _j, _l, _b, jumps in regs}, feed


STEP_UP = [2.0, 2.0, 2.0, 3.0, 3.0, 3.0]  # a step up at the fourth commit
STEP_DOWN = STEP_UP[::-1]


def _series(speedup):
    """The headline's speedup and time (the time moves the other way), GB/s and the parametrized
    roofline fraction with the speedup, the overhead ratio (lower is better) with the time."""
    time = [1.0 / v for v in speedup]
    return {
        "bench_headline.ScaleF32At2048.track_speedup": ("track", "ratio", speedup),
        "bench_headline.ScaleF32At2048.time_raptors": ("time", "seconds", time),
        "bench_ops.AddBandwidth.track_gbps": ("track", "GB/s", [40 * v for v in speedup]),
        "bench_ops.AddBandwidth.track_roofline_fraction": (
            "track",
            "fraction",
            [[v / 3, 0.5] for v in speedup],
        ),
        "bench_ops.AddOverhead.track_overhead_ratio": ("track", "ratio", time),
    }


PARAMS = {"bench_ops.AddBandwidth.track_roofline_fraction": (["shape"], [["'a'", "'b'"]])}


def test_regressions_tab_lists_a_drop_of_a_speedup_and_never_a_rise(tmp_path):
    """Two result sets: Raptors gets faster at the fourth commit (speedup, GB/s, roofline up,
    time and overhead ratio down), and slower (the reverse). asv alone reads the speedup's rise
    as a regression and misses its drop; the published dashboard lists only the slower set's
    changes: the speedup, GB/s and roofline drops, and the time and overhead-ratio rises."""
    faster, _ = make_project(tmp_path / "faster", _series(STEP_UP), PARAMS)
    slower, _ = make_project(tmp_path / "slower", _series(STEP_DOWN), PARAMS)

    plain, _ = publish(faster, patched=False)
    assert "bench_headline.ScaleF32At2048.track_speedup" in plain  # asv's own reading: wrong

    regs, feed = publish(faster)
    assert regs == {}, regs
    assert "<entry>" not in feed

    regs, feed = publish(slower)
    assert set(regs) == {
        "bench_headline.ScaleF32At2048.track_speedup",
        "bench_headline.ScaleF32At2048.time_raptors",
        "bench_ops.AddBandwidth.track_gbps",
        "bench_ops.AddBandwidth.track_roofline_fraction('a')",
        "bench_ops.AddOverhead.track_overhead_ratio",
    }, regs
    # The benchmark's own values, before and after: a drop from 3x to 2x.
    assert regs["bench_headline.ScaleF32At2048.track_speedup"] == (3.0, 2.0)
    assert regs["bench_ops.AddBandwidth.track_gbps"] == (120.0, 80.0)
    assert regs["bench_headline.ScaleF32At2048.time_raptors"] == pytest.approx((1 / 3, 1 / 2))
    assert feed.count("<entry>") == 5


def _suite_tracks():
    sys.path.insert(0, REPO)
    import importlib
    import inspect
    import pkgutil

    import benchmarks

    out = []
    for m in pkgutil.iter_modules(benchmarks.__path__):
        if not m.name.startswith("bench_"):
            continue
        mod = importlib.import_module("benchmarks." + m.name)
        for cname, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ != mod.__name__ or cname.startswith("_"):
                continue
            out += ["%s.%s.%s" % (m.name, cname, a) for a in dir(cls) if a.startswith("track_")]
    return out


def test_every_track_of_the_suite_says_which_way_is_better():
    """A new track_ must be added to HIGHER_IS_BETTER or LOWER_IS_BETTER_TRACKS on purpose
    (tools/dashboard/common.py), or the Regressions tab would read it asv's way by accident."""
    tracks = _suite_tracks()
    assert len(tracks) > 10
    for name in tracks:
        hi = dash_common.higher_is_better(name)
        lo = bool(dash_common.LOWER_IS_BETTER_TRACKS.search(name))
        assert hi != lo, name
    assert dash_common.higher_is_better("bench_matrix.Matrix.track_speedup")
    assert not dash_common.higher_is_better("bench_ops.AddOverhead.track_overhead_ratio")


def test_asv_config_keeps_the_provenance_out_of_the_regressions():
    sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
    import run as bench_run

    conf = bench_run.load_conf(os.path.join(REPO, "asv.conf.json"))
    firsts = conf["regressions_first_commits"]
    assert any(v is None and "bench_provenance" in k for k, v in firsts.items())


def test_overview_shows_each_operations_headline_per_commit(tmp_path):
    """Per commit, each operation's float32 2048x2048 every-CPU speedup, picked out of its
    parameterized benchmark by parameter name."""
    combos = [(d, s, t) for d in ("float32", "float64") for s in ("1024x1024", "2048x2048")
              for t in ("1", "all")]  # fmt: skip
    want = combos.index(("float32", "2048x2048", "all"))

    def values(v):
        return [v if k == want else 9.99 for k in range(len(combos))]

    series = {"bench_headline.ScaleF32At2048.track_speedup": ("track", "ratio", [1.4, 1.5])}
    params = {}
    for op, v in (("add", 1.25), ("sum", 2.75), ("mean", 0.8)):
        name = "bench_ops.%sSpeedup.track_speedup" % op.capitalize()
        series[name] = ("track", "ratio", [values(v), values(v + 0.5)])
        params[name] = (
            ["dtype", "shape", "threads"],
            [["'float32'", "'float64'"], ["'1024x1024'", "'2048x2048'"], ["'1'", "'all'"]],
        )
    _conf, hashes = make_project(tmp_path, series, params)
    machines = overview.collect(str(tmp_path / "results"))
    rows = machines["m"]["rows"]
    assert [r["ops"]["add"] for r in rows] == [1.25, 1.75]
    assert [r["ops"]["sum"] for r in rows] == [2.75, 3.25]
    assert [r["ops"]["scale"] for r in rows] == [1.4, 1.5]
    assert rows[-1]["ops"]["subtract"] is None  # not measured: shown as a dash
    page = overview.render(machines)
    assert "Every operation: speedup over NumPy per commit" in page
    for text in ("1.75&times;", "3.25&times;", "1.30&times;", "bench_ops.SumSpeedup.track_speedup"):
        assert text in page, text
    assert "9.99" not in page
    assert 'aria-label="mean speedup per commit"' in page
    assert page.count("<tr><td><code>") >= 2 * len(hashes)  # both tables list both commits
