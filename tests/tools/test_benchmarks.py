"""The asv suite itself: it passes `asv check`, every benchmark runs, the runner keeps results safe,
and the real flow (asv builds a commit in its own virtualenv, runs, publishes) works end to end.

The benchmarks run here in-process on small arrays, once each: a broken benchmark fails here and
not in the nightly run. These are not performance tests; no timing is asserted.
"""

import copy
import importlib
import inspect
import itertools
import json
import math
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import run as bench_run  # noqa: E402  tools/bench/run.py
from conftest import ASV_RESULT_COLUMNS  # noqa: E402

asv = pytest.importorskip("asv", reason="asv is installed by `make test` (requirements/bench.txt)")

PREFIXES = ("time_", "timeraw_", "track_", "peakmem_", "mem_")
SMALL = {
    "16": (16,),
    "256x256": (8, 8),
    "1024x1024": (16, 16),
    "2048x2048": (32, 32),
    "4096x4096": (64, 64),
}


# ---- asv check -------------------------------------------------------------------------------
def test_asv_check():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "asv",
            "check",
            "--python=same",
            "--config",
            os.path.join(REPO, "asv.conf.json"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No problems found" in out.stdout, out.stdout


def test_config_is_what_the_suite_needs():
    conf = bench_run.load_conf(os.path.join(REPO, "asv.conf.json"))
    assert conf["environment_type"] == "virtualenv"
    assert conf["repo"] == "." and conf["branches"] == ["main"]
    assert conf["benchmark_dir"] == "benchmarks"
    for key in ("env_dir", "html_dir"):
        assert conf[key].startswith(".asv/"), key
    assert conf["results_dir"] == "bench-results"  # kept in git (issue 17)
    assert "numpy" in conf["matrix"]["req"]


# ---- every benchmark, in-process, small ------------------------------------------------------
def _modules():
    import benchmarks

    return [
        importlib.import_module("benchmarks." + m.name)
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    ]


def _benchmarks():
    """(asv name, class, method name) of every benchmark, found as asv finds them."""
    found = []
    for mod in _modules():
        for cname, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ != mod.__name__ or cname.startswith("_"):
                continue
            for mname in sorted(dir(cls)):
                if mname.startswith(PREFIXES) and callable(getattr(cls, mname)):
                    found.append(
                        ("%s.%s.%s" % (mod.__name__.split(".", 1)[1], cname, mname), cls, mname)
                    )
    return found


@pytest.fixture
def small_sizes(monkeypatch):
    """Every benchmark on small arrays, track_ measurements with few rounds."""
    import benchmarks.bench_dask as dask_bench
    import benchmarks.bench_headline as headline
    import benchmarks.bench_layout as layout
    import benchmarks.bench_matrix as matrix
    import benchmarks.bench_reductions_wide as wide
    import benchmarks.bench_simd as simd
    import benchmarks.common as common

    for k, v in SMALL.items():
        monkeypatch.setitem(common.SHAPES, k, v)
    for k, v in {"512x512": (24, 20), "1024x1024": (32, 24), "2048x2048": (40, 36)}.items():
        monkeypatch.setitem(matrix.SHAPES, k, v)
    for k, v in {"2048x2048": (40, 36), "8192x8192": (48, 40)}.items():
        monkeypatch.setitem(wide.SHAPES, k, v)
    monkeypatch.setattr(dask_bench, "SHAPE", (48, 40))
    monkeypatch.setattr(dask_bench, "CHUNKS", (24, 20))
    monkeypatch.setattr(common, "QUICK", True)
    monkeypatch.setattr(headline.ScaleF32At2048, "shape", (32, 32))
    monkeypatch.setattr(layout.ScaleTransposed, "n", 32)
    monkeypatch.setattr(simd.ScaleSimd, "shape", (32, 32))


def test_the_headline_is_where_the_contract_says():
    names = {n for n, _c, _m in _benchmarks()}
    for m in (
        "time_raptors",
        "time_numpy",
        "track_speedup",
        "track_gbps",
        "track_roofline_fraction",
    ):
        assert "bench_headline.ScaleF32At2048." + m in names
    from benchmarks.bench_headline import ScaleF32At2048

    assert ScaleF32At2048.track_speedup.unit == "ratio"


BENCHMARKS = _benchmarks()


OPERATIONS = ["add", "subtract", "multiply", "sum", "mean"]


@pytest.mark.parametrize("name,cls,method", BENCHMARKS, ids=[b[0] for b in BENCHMARKS])
def test_every_benchmark_has_an_explicit_version(name, cls, method):
    """asv keys a history by `version`, else by a hash of the code: an edit would hide the
    committed results. Each benchmark is pinned (versions.json, the hash its committed results
    carry) or sets its own; a pinned one keeps exactly that hash."""
    fn = getattr(cls, method)
    version = getattr(fn, "version", None) or getattr(cls, "version", None)
    assert isinstance(version, str) and version, name
    with open(os.path.join(REPO, "benchmarks", "versions.json")) as f:
        pinned = json.load(f)
    if name in pinned:
        assert version == pinned[name]


def test_the_wider_reductions_are_tracked_beside_numpy():
    names = {n for n, _c, _m in BENCHMARKS}
    for m in ("time_raptors", "time_numpy"):
        assert f"bench_reductions_wide.WideReduction.{m}" in names
    assert "bench_reductions_wide.WideReductionSpeedup.track_speedup" in names
    from benchmarks import bench_reductions_wide as wide

    for case in ("nansum-float32", "nanmean-float32-axis0", "sum-int32", "sum-bool"):
        assert case in wide.CASES


@pytest.mark.parametrize("op", OPERATIONS)
def test_every_operation_is_tracked_beside_numpy(op):
    """Per operation: time_ for both, the interleaved speedup, GB/s and roofline at the large
    sizes, the 16-element call, peak memory, and instructions per call (callgrind)."""
    names = {n for n, _c, _m in BENCHMARKS}
    cls = op.capitalize()
    for m in (
        f"{cls}.time_raptors",
        f"{cls}.time_numpy",
        f"{cls}Speedup.track_speedup",
        f"{cls}Bandwidth.track_gbps",
        f"{cls}Bandwidth.track_roofline_fraction",
        f"{cls}Overhead.time_raptors",
        f"{cls}Overhead.time_numpy",
        f"{cls}Overhead.track_overhead_ratio",
        f"{cls}PeakMem.peakmem_raptors",
        f"{cls}PeakMem.peakmem_numpy",
    ):
        assert "bench_ops." + m in names, m
    from benchmarks import bench_instructions, bench_ops

    assert any(c.startswith(op + "-") for c in bench_instructions._CASES)
    speed = getattr(bench_ops, cls + "Speedup")
    assert speed.params[-1] == ["1", "all"] and "2048x2048" in speed.params[1]
    assert getattr(bench_ops, cls + "Overhead")().setup("float32") is None


def test_the_original_matrix_is_one_benchmark_of_36_cases():
    from benchmarks.bench_matrix import Matrix

    assert Matrix.param_names == ["operation", "shape", "dtype"]
    assert Matrix.params == [
        ["sum", "mean", "mean-axis0", "mean-axis1", "add-row", "scale"],
        ["512x512", "1024x1024", "2048x2048"],
        ["float32", "float64"],
    ]
    assert len(list(itertools.product(*Matrix.params))) == 36
    assert Matrix.track_speedup.unit == "ratio"


def test_an_operation_a_commit_lacks_is_skipped(monkeypatch):
    """bench-history measures older commits with this suite: no raptors.add there is a skip
    (asv's NotImplementedError), not a failure."""
    import raptors
    from benchmarks import bench_matrix, bench_ops

    monkeypatch.delattr(raptors, "add")
    with pytest.raises(NotImplementedError, match=r"raptors\.add does not exist"):
        bench_ops.AddSpeedup().setup("float32", "1024x1024", "1")
    with pytest.raises(NotImplementedError):
        bench_matrix.Matrix().setup("add-row", "512x512", "float32")


@pytest.mark.parametrize("name,cls,method", BENCHMARKS, ids=[b[0] for b in BENCHMARKS])
def test_benchmark_runs(small_sizes, name, cls, method):
    import raptors

    params = getattr(cls, "params", [])
    if params and not isinstance(params[0], (list, tuple)):
        params = [params]
    combos = list(itertools.product(*params)) if params else [()]
    threads, simd = raptors.get_num_threads(), raptors.get_simd()
    ran = 0
    for combo in combos:
        bench = cls()
        try:
            if hasattr(bench, "setup"):
                bench.setup(*combo)
        except NotImplementedError:  # asv: skipped (a SIMD variant this CPU lacks)
            if hasattr(bench, "teardown"):
                bench.teardown(*combo)
            continue
        try:
            value = getattr(bench, method)(*combo)
        finally:
            if hasattr(bench, "teardown"):
                bench.teardown(*combo)
        ran += 1
        if method.startswith("track_"):
            assert isinstance(value, (int, float)) and math.isfinite(value) and value > 0, (
                combo,
                value,
            )
        # Each benchmark leaves the library as it found it.
        assert raptors.get_num_threads() == threads, combo
        assert raptors.get_simd() == simd, combo
    assert ran, "every parameter combination was skipped"


# ---- the runner: results directory checks and the merge ------------------------------------
def _result_file(values, params=None, commit="a" * 40):
    cols = ASV_RESULT_COLUMNS
    results = {}
    for name, val in values.items():
        p = (params or {}).get(name, [])
        stats = [None if v is None else v for v in val] if isinstance(val, list) else val
        results[name] = [val, p, "v1", 1, 1.0, stats, stats]
    return {
        "commit_hash": commit,
        "env_name": "e",
        "date": 1,
        "params": {},
        "python": "3",
        "requirements": {},
        "env_vars": {},
        "result_columns": cols,
        "results": results,
        "durations": {},
        "version": 2,
    }


def test_merge_never_replaces_a_value_with_a_failure():
    old = _result_file(
        {"a.A.time_x": 1.0, "a.A.track_p": [1.0, 2.0, 3.0], "a.A.gone": 5.0},
        params={"a.A.track_p": [["'p'", "'q'", "'r'"]]},
    )
    new = _result_file(
        {"a.A.time_x": None, "a.A.track_p": [9.0, None, 7.0], "a.A.new": 4.0},
        params={"a.A.track_p": [["'p'", "'q'", "'r'"]]},
    )
    merged, kept = bench_run.merge_file(copy.deepcopy(old), copy.deepcopy(new))
    r = merged["results"]
    assert r["a.A.time_x"][0] == 1.0  # failed now, measured before: kept
    assert r["a.A.track_p"][0] == [9.0, 2.0, 7.0]  # per parameter combination
    assert r["a.A.track_p"][5] == [None, 2.0, None] or r["a.A.track_p"][5][1] == 2.0
    assert r["a.A.gone"][0] == 5.0  # not run now: kept
    assert r["a.A.new"][0] == 4.0
    assert kept == 3


def test_a_quick_run_only_fills_holes():
    old = _result_file({"a.A.time_x": 1.0, "a.A.time_y": None})
    new = _result_file({"a.A.time_x": 9.0, "a.A.time_y": 8.0, "a.A.time_z": 7.0})
    merged, kept = bench_run.merge_file(old, new, prefer_old=True)
    assert {k: v[0] for k, v in merged["results"].items()} == {
        "a.A.time_x": 1.0,
        "a.A.time_y": 8.0,
        "a.A.time_z": 7.0,
    }
    assert kept == 1


def test_merge_new_values_win(tmp_path):
    res = tmp_path / "results"
    tmp = tmp_path / "tmp"
    (res / "m").mkdir(parents=True)
    (tmp / "m").mkdir(parents=True)
    (res / "m" / "c-e.json").write_text(json.dumps(_result_file({"a.A.time_x": 1.0})))
    (tmp / "m" / "c-e.json").write_text(json.dumps(_result_file({"a.A.time_x": 2.0})))
    (tmp / "m" / "d-e.json").write_text(json.dumps(_result_file({"a.A.time_x": None})))
    (tmp / "m" / "machine.json").write_text('{"machine": "m", "version": 1}')
    merged = bench_run.merge_results(str(tmp), str(res), {})
    assert sorted(merged) == ["m/c-e.json", "m/d-e.json", "m/machine.json"]
    assert json.loads((res / "m" / "c-e.json").read_text())["results"]["a.A.time_x"][0] == 2.0
    # a commit that did not build is recorded (as failed) when nothing was there before
    assert json.loads((res / "m" / "d-e.json").read_text())["results"]["a.A.time_x"][0] is None


def test_missing_results_dir_is_created(tmp_path, capsys):
    d = tmp_path / "a" / "results"
    assert bench_run.check_results_dir(str(d)) is None
    assert d.is_dir()
    assert "was missing: created it" in capsys.readouterr().out


def test_results_dir_that_cannot_be_created(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    msg = bench_run.check_results_dir(str(f / "results"))
    assert msg and "cannot be created" in msg and str(f / "results") in msg
    msg = bench_run.check_results_dir(str(f))
    assert msg and "not a directory" in msg


def _as_unprivileged(cmd):
    """Run cmd as an unprivileged user when we are root (root may write anywhere)."""
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: cannot make a directory unwritable")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd


@pytest.fixture
def open_tmp():
    """A temporary dir an unprivileged user can reach (pytest's tmp_path is 0700 under root)."""
    import pathlib
    import tempfile

    d = tempfile.mkdtemp(prefix="raptors-bench-test-")
    os.chmod(d, 0o755)
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


def test_unwritable_results_dir_stops_before_running(open_tmp):
    """`run.py current` on a read-only results dir: a clear message, exit 4, nothing run,
    the earlier results byte for byte as they were."""
    tmp_path = open_tmp
    res = tmp_path / "results"
    (res / "m").mkdir(parents=True)
    old = json.dumps(_result_file({"a.A.time_x": 1.0}))
    (res / "m" / "c-e.json").write_text(old)
    conf = json.loads(json.dumps(bench_run.load_conf(os.path.join(REPO, "asv.conf.json"))))
    conf.update(
        {"results_dir": str(res), "repo": REPO, "benchmark_dir": os.path.join(REPO, "benchmarks")}
    )
    cfg = tmp_path / "asv.conf.json"
    cfg.write_text(json.dumps(conf))
    for p in (res, res / "m"):
        p.chmod(0o555)
    (res / "m" / "c-e.json").chmod(0o444)
    cfg.chmod(0o644)
    try:
        out = subprocess.run(
            _as_unprivileged(
                [
                    sys.executable,
                    os.path.join(REPO, "tools", "bench", "run.py"),
                    "current",
                    "--config",
                    str(cfg),
                ]
            ),
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ, HOME=str(tmp_path)),
        )
    finally:
        for p in (res, res / "m"):
            p.chmod(0o755)
    assert out.returncode == 4, out.stdout + out.stderr
    assert "is not writable" in out.stderr and str(res) in out.stderr, out.stderr
    assert "Nothing was run" in out.stderr
    assert (res / "m" / "c-e.json").read_text() == old
    assert not any(p.name.startswith("run-") for p in tmp_path.iterdir())


# ---- end to end on a temporary clone ---------------------------------------------------------
def _git(cwd, *args):
    """Run git in cwd; its stdout, stripped."""
    r = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return r.stdout.strip()


def _asv_publish(clone, env):
    pub = subprocess.run(
        [sys.executable, "-m", "asv", "publish"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pub.returncode == 0, pub.stdout + pub.stderr


def _results(res_dir):
    out = {}
    for root, _d, files in os.walk(res_dir):
        for f in files:
            if f.endswith(".json") and f not in ("machine.json", "benchmarks.json"):
                with open(os.path.join(root, f)) as fh:
                    d = json.load(fh)
                out[d["commit_hash"]] = (os.path.join(root, f), d)
    return out


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_end_to_end_on_a_clone(tmp_path):
    """A clone; `run.py current --quick` (asv run --quick of HEAD in a virtualenv asv builds,
    the commit compiled from its own sources by `pip wheel`); `asv publish`; the HTML and the
    scale results exist. Then a commit that does not build: a clear message, recorded as failed,
    the earlier commit's results untouched, publish still works."""
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", "--no-local", REPO, str(clone))
    _git(clone, "checkout", "-q", "-B", "main")
    # The suite and runner under test are this work tree's (asv always takes the benchmarks from
    # the work tree, not from the commit it measures).
    for rel in (
        "asv.conf.json",
        "benchmarks",
        os.path.join("tools", "bench"),
        os.path.join("raptors", "_measure.py"),  # the measurement core the suite loads
        os.path.join("raptors", "_cpu.py"),  # the machine name
    ):
        src, dst = os.path.join(REPO, rel), clone / rel
        if os.path.isdir(src):
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst)
    shutil.rmtree(clone / "bench-results", ignore_errors=True)  # the committed history: not here
    env = dict(os.environ, HOME=str(tmp_path))  # its own ~/.asv-machine.json
    env.pop("RAPTORS_LIBRARY", None)
    bench = "^(bench_headline|bench_provenance)"
    run = [
        sys.executable,
        str(clone / "tools" / "bench" / "run.py"),
        "current",
        "--quick",
        "--bench",
        bench,
    ]

    out = subprocess.run(run, cwd=clone, env=env, capture_output=True, text=True, timeout=1200)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log
    assert "was missing: created it" in log
    # HEAD, or the newest commit that changed measured code when HEAD changes none.
    head = _git(clone, "rev-list", "--first-parent", "-n1", "HEAD", "--", *bench_run.MEASURED_PATHS)
    res_dir = clone / "bench-results"
    results = _results(res_dir)
    assert head in results, log
    path, data = results[head]
    r = data["results"]
    cols = data["result_columns"]
    for m in (
        "time_raptors",
        "time_numpy",
        "track_speedup",
        "track_gbps",
        "track_roofline_fraction",
    ):
        v = r["bench_headline.ScaleF32At2048." + m][cols.index("result")]
        v = v[0] if isinstance(v, list) else v
        assert isinstance(v, float) and v > 0, (m, v)
    prov = r["bench_provenance.BuildInfo.track_threads"]
    assert any("avx" in p or "neon" in p or "scalar" in p for ps in prov[1] for p in ps), prov
    assert data["requirements"].get("numpy"), data["requirements"]
    good_before = Path(path).read_text()

    _asv_publish(clone, env)
    html = clone / ".asv" / "html"
    assert (html / "index.html").is_file()
    graphs = [os.path.join(root, f) for root, _d, files in os.walk(html / "graphs") for f in files]
    assert any(g.endswith("bench_headline.ScaleF32At2048.track_speedup.json") for g in graphs)
    assert any(g.endswith("bench_headline.ScaleF32At2048.time_raptors.json") for g in graphs)

    # An asv run that fails (here: no benchmark matches) merges nothing.
    out = subprocess.run(
        run[:-1] + ["^no_such_benchmark$"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert Path(path).read_text() == good_before

    # A commit that does not build.
    with open(clone / "libraptors" / "elementwise.c", "a") as f:
        f.write("\n#error this commit does not build (test_end_to_end_on_a_clone)\n")
    _git(
        clone,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "-m",
        "broken",
        "--",
        "libraptors/elementwise.c",
    )
    out = subprocess.run(run, cwd=clone, env=env, capture_output=True, text=True, timeout=1200)
    log = out.stdout + out.stderr
    assert out.returncode == 3, log
    assert "did not build" in out.stderr, log
    broken = _git(clone, "rev-parse", "HEAD")
    results = _results(res_dir)
    assert broken in results, log  # recorded ...
    bad = results[broken][1]
    assert all(row[0] is None for row in bad["results"].values())  # ... as failed
    assert Path(path).read_text() == good_before  # the earlier commit's results untouched
    _asv_publish(clone, env)
    for d in (clone, clone / ".asv"):
        assert not [p for p in d.iterdir() if p.name.startswith("run-")]


def _machine_json(name, n=2):
    return json.dumps(
        {"machine": name, "cpu": "X family 1 model 2, %d CPUs" % n, "num_cpu": str(n), "version": 1}
    )


def test_merge_results_from_another_machine(tmp_path):
    """`run.py merge OTHER_RESULTS`: another machine's results join ours; our benchmark list and
    our own results stay."""
    ours = tmp_path / "ours"
    theirs = tmp_path / "theirs"
    (ours / "here-2cpu").mkdir(parents=True)
    (theirs / "there-4cpu").mkdir(parents=True)
    (ours / "benchmarks.json").write_text('{"version": 2, "ours": 1}')
    (theirs / "benchmarks.json").write_text('{"version": 2, "theirs": 1}')
    mine = json.dumps(_result_file({"a.A.time_x": 1.0}))
    (ours / "here-2cpu" / "c-e.json").write_text(mine)
    (ours / "here-2cpu" / "machine.json").write_text(_machine_json("here-2cpu"))
    (theirs / "there-4cpu" / "c-e.json").write_text(json.dumps(_result_file({"a.A.time_x": 3.0})))
    (theirs / "there-4cpu" / "machine.json").write_text(_machine_json("there-4cpu", 4))
    conf = dict(bench_run.load_conf(os.path.join(REPO, "asv.conf.json")), results_dir=str(ours))
    cfg = tmp_path / "asv.conf.json"
    cfg.write_text(json.dumps(conf))
    assert bench_run.main(["merge", str(theirs), "--config", str(cfg)]) == 0
    assert json.loads((ours / "benchmarks.json").read_text()) == {"version": 2, "ours": 1}
    assert (ours / "here-2cpu" / "c-e.json").read_text() == mine
    d = json.loads((ours / "there-4cpu" / "c-e.json").read_text())
    assert d["results"]["a.A.time_x"][0] == 3.0
    assert (ours / "there-4cpu" / "machine.json").is_file()


def test_results_named_after_the_host_are_not_merged_blindly(tmp_path, capsys):
    """A machine directory named after the host (asv's default: `vm`, cpu "AMD EPYC") does not say
    which processor measured it: merge refuses it (exit 1, the rest merged), and `--as NAME`
    merges it relabelled as that machine type (every results file's machine params)."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    (ours / "amd-zen4-f25m17-2cpu").mkdir(parents=True)
    (ours / "amd-zen4-f25m17-2cpu" / "machine.json").write_text(
        json.dumps(
            {
                "machine": "amd-zen4-f25m17-2cpu",
                "cpu": "AMD family 25 model 17 (Zen 4), 2 CPUs",
                "num_cpu": "2",
                "arch": "x86_64",
                "os": "Linux",
                "ram": "",
                "version": 1,
            }
        )
    )
    (theirs / "vm").mkdir(parents=True)
    (theirs / "vm" / "machine.json").write_text(
        json.dumps({"machine": "vm", "cpu": "AMD EPYC", "num_cpu": "2", "version": 1})
    )
    r = _result_file({"a.A.time_x": 2.0})
    r["params"] = {"machine": "vm", "cpu": "AMD EPYC", "os": "Linux 6.1", "python": "3.11"}
    (theirs / "vm" / "c-e.json").write_text(json.dumps(r))
    (theirs / "other-4cpu").mkdir()
    (theirs / "other-4cpu" / "machine.json").write_text(_machine_json("other-4cpu", 4))
    conf = dict(bench_run.load_conf(os.path.join(REPO, "asv.conf.json")), results_dir=str(ours))
    cfg = tmp_path / "asv.conf.json"
    cfg.write_text(json.dumps(conf))

    assert bench_run.main(["merge", str(theirs), "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "NOT merged: machine(s) vm" in err and "--as" in err
    assert not (ours / "vm").exists()
    assert (ours / "other-4cpu" / "machine.json").is_file()  # the identified one is merged

    args = ["merge", str(theirs), "--as", "amd-zen4-f25m17-2cpu", "--config", str(cfg)]
    assert bench_run.main(args) == 0
    assert not (ours / "vm").exists()
    d = json.loads((ours / "amd-zen4-f25m17-2cpu" / "c-e.json").read_text())
    assert d["params"]["machine"] == "amd-zen4-f25m17-2cpu"
    assert d["params"]["cpu"].startswith("AMD family 25 model 17")
    assert d["params"]["os"] == "Linux" and d["params"]["python"] == "3.11"
    assert d["results"]["a.A.time_x"][0] == 2.0


def test_benchmark_list_changes_only_with_the_suite(tmp_path):
    """benchmarks.json in the committed results is rewritten when the suite changes, not when only
    bench_provenance's build parameters (compiler, flags, SIMD of another machine) differ: results
    from any machine merge into the history without touching it."""
    prov = {"name": "bench_provenance.BuildInfo.track_threads", "params": [["'avx512'"]]}
    suite = {
        "version": 2,
        "bench_provenance.BuildInfo.track_threads": prov,
        "a.A.time_x": {"name": "a.A.time_x", "params": [], "version": "1"},
    }
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(suite))
    other = copy.deepcopy(suite)
    other["bench_provenance.BuildInfo.track_threads"]["params"] = [["'neon'"]]
    new.write_text(json.dumps(other))
    assert bench_run.same_suite(str(old), str(new))
    other["a.A.time_x"]["version"] = "2"
    new.write_text(json.dumps(other))
    assert not bench_run.same_suite(str(old), str(new))


def test_merging_the_same_results_again_changes_no_file(tmp_path):
    """The committed history merged into a clone of itself (a CI runner's upload holds it whole):
    no committed file is rewritten, so git sees only the new results."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    (ours / "here-2cpu").mkdir(parents=True)
    (ours / "here-2cpu" / "machine.json").write_text(_machine_json("here-2cpu"))
    # asv's own (indented) layout, not the merge's compact one
    (ours / "here-2cpu" / "c-e.json").write_text(
        json.dumps(_result_file({"a.A.time_x": 1.0}), indent=4)
    )
    shutil.copytree(ours, theirs)
    (theirs / "here-2cpu" / "d-e.json").write_text(json.dumps(_result_file({"a.A.time_x": 2.0})))
    before = {p: p.read_bytes() for p in ours.rglob("*.json")}
    merged = bench_run.merge_results(str(theirs), str(ours), {}, keep_benchmark_list=True)
    assert merged == [os.path.join("here-2cpu", "d-e.json")]
    assert {p: p.read_bytes() for p in before} == before


def test_each_dask_add_call_persists_a_graph_of_its_own(small_sizes, monkeypatch):
    """The same graph persisted again while its last result is still held is not computed
    again: each call of the add case adds its own scalar, so no call times a cache hit."""
    pytest.importorskip("distributed")
    import benchmarks.bench_dask as dask_bench

    client = dask_bench._cluster()
    x = dask_bench._data("float32", client)
    names = []
    persist = client.persist

    def watched(graph, **kw):
        names.append(graph.name)
        return persist(graph, **kw)

    monkeypatch.setattr(client, "persist", watched)
    numpy_fn, raptors_fn = dask_bench._calls("add-scalar-float32", x, client)
    for call in (numpy_fn, numpy_fn, raptors_fn, raptors_fn):
        call()
    assert len(names) == 4 and len(set(names)) == 4, names
