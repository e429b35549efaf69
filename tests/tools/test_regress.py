"""The regression gate (tools/regress): its statistics and decision on synthetic samples, the
planted-slowdown patches (C entry points, kernel table and chunk loops, the Python layer; a
planted build keeps NumPy's bits), the callgrind instruction metric (deterministic; planted work
counts more, and only where planted), and the gate's plumbing: each commit's own Python
package on the timed path, operations a BASE lacks skipped and named. No timing is asserted
anywhere here."""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(REPO, "tools")
sys.path.insert(0, os.path.join(REPO, "tools", "regress"))
sys.path.insert(1, os.path.join(REPO, "tools"))  # tools/progress.py

import ab  # noqa: E402
import gate  # noqa: E402
import icount  # noqa: E402
import libs  # noqa: E402
import plant  # noqa: E402
import progress  # noqa: E402
import stats  # noqa: E402
from ab import measure  # noqa: E402


def _noisy(rng, n, scale=1e-3, noise=0.03):
    """n per-round times: a shared machine mood per round (slows both sides alike) x own noise."""
    mood = np.exp(rng.normal(0, 0.3, n))  # up to ~2x swings between rounds
    return mood, scale * mood * np.exp(rng.normal(0, noise, n))


# ---- statistics ------------------------------------------------------------------------------
def test_sign_test_exact_values():
    assert stats.sign_test_greater([1.1] * 10) == pytest.approx(1 / 1024)
    assert stats.sign_test_greater([0.9] * 10) == pytest.approx(1.0)
    assert stats.sign_test_greater([1.0] * 7) == 1.0  # ties carry no evidence
    # 6 of 10 above: P(X >= 6), X ~ Binomial(10, 1/2) = 386/1024
    assert stats.sign_test_greater([1.1] * 6 + [0.9] * 4) == pytest.approx(386 / 1024)
    assert stats.sign_test_less([0.9] * 10) == pytest.approx(1 / 1024)


def test_bootstrap_ci_brackets_the_median_and_is_reproducible():
    r = np.random.default_rng(1).normal(1.0, 0.01, 400)
    lo, hi = stats.bootstrap_median_ci(r)
    assert lo <= np.median(r) <= hi
    assert hi - lo < 0.01
    assert (lo, hi) == stats.bootstrap_median_ci(r)


def test_identical_sides_under_heavy_shared_noise_are_the_same():
    rng = np.random.default_rng(2)
    false_alarms = 0
    for _ in range(60):
        mood, base = _noisy(rng, 300)
        head = 1e-3 * mood * np.exp(rng.normal(0, 0.03, 300))
        numpy_t = 1.2e-3 * mood * np.exp(rng.normal(0, 0.03, 300))
        v = stats.judge_timing("c", base, head, numpy_t)
        false_alarms += v.verdict == "regression"
        assert v.speedup_base == pytest.approx(1.2, rel=0.05)
    assert false_alarms == 0


def test_a_ten_percent_slowdown_is_a_regression_despite_the_noise():
    rng = np.random.default_rng(3)
    for _ in range(20):
        mood, base = _noisy(rng, 300)
        head = 1.10e-3 * mood * np.exp(rng.normal(0, 0.03, 300))
        v = stats.judge_timing("c", base, head)
        assert v.verdict == "regression", v
        assert v.ci_lo < v.ratio < v.ci_hi
        assert 1.08 < v.ratio < 1.12
        assert v.p_slower < 1e-10


def test_significant_but_small_is_not_a_regression():
    # A 1% systematic difference is significant with many rounds but below the factor.
    rng = np.random.default_rng(4)
    mood, base = _noisy(rng, 3000, noise=0.005)
    head = 1.01e-3 * mood * np.exp(rng.normal(0, 0.005, 3000))
    v = stats.judge_timing("c", base, head)
    assert v.p_slower < 1e-6
    assert v.verdict == "same"


def test_large_but_not_significant_is_not_a_regression():
    # Few rounds of wild noise: the median may exceed the factor by chance; not significant.
    base = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) * 1e-3
    head = np.array([1.5, 0.9, 1.4, 0.95, 1.3, 0.97]) * 1e-3
    v = stats.judge_timing("c", base, head)
    assert v.ratio > stats.FACTOR
    assert v.verdict == "same"


def test_faster_is_an_improvement_and_passes_the_gate():
    rng = np.random.default_rng(5)
    mood, base = _noisy(rng, 300)
    head = 0.8e-3 * mood * np.exp(rng.normal(0, 0.03, 300))
    v = stats.judge_timing("c", base, head)
    assert v.verdict == "improvement"
    assert stats.overall([v], []) == "ok"


def test_factor_and_alpha_are_honoured():
    rng = np.random.default_rng(6)
    mood, base = _noisy(rng, 300, noise=0.01)
    head = 1.10e-3 * mood * np.exp(rng.normal(0, 0.01, 300))
    assert stats.judge_timing("c", base, head, factor=1.05).verdict == "regression"
    assert stats.judge_timing("c", base, head, factor=1.20).verdict == "same"
    assert stats.judge_timing("c", base, head, alpha=0.0).verdict == "same"


def test_unpaired_or_too_few_rounds_are_refused():
    with pytest.raises(ValueError):
        stats.judge_timing("c", [1.0] * 10, [1.0] * 9)
    with pytest.raises(ValueError):
        stats.judge_timing("c", [1.0] * 3, [1.0] * 3)


def test_instruction_verdicts():
    assert stats.judge_insn("f32", 1000, 1000).verdict == "same"
    assert stats.judge_insn("f32", 1000, 1010).verdict == "same"  # within 1%
    assert stats.judge_insn("f32", 1000, 1011).verdict == "regression"
    assert stats.judge_insn("f32", 1000, 900).verdict == "improvement"
    assert stats.judge_insn("f32", 1000, 1050, tol=0.1).verdict == "same"


def test_overall_verdict():
    same = stats.TimingVerdict("a", 10, 1.0, 0.99, 1.01, 0.5, 0.5, "same")
    slow = stats.TimingVerdict("b", 10, 1.2, 1.1, 1.3, 1e-9, 1.0, "regression")
    assert stats.overall([same], []) == "ok"
    assert stats.overall([same, slow], []) == "regression"
    assert stats.overall([same], [stats.judge_insn("f32", 100, 200)]) == "regression"
    assert stats.overall([], []) == "ok"


# ---- the planted slowdown ----------------------------------------------------------------------
def _lib_file(name):
    with open(os.path.join(REPO, "libraptors", name)) as f:
        return f.read()


@pytest.mark.parametrize("where", sorted(plant.ENTRIES))
def test_plant_wraps_the_entry_functions_of_each_place(where):
    """Entry level (what regress-power plants): each function of ENTRIES[where] is defined once
    in its file; the original is renamed and made static, the wrapper exported under the old
    name (spinning only when the family argument is the place's class, for scale / binary)."""
    for file, fn, when in plant.ENTRIES[where]:
        text = _lib_file(file)
        assert len(re.findall(rf"^int {fn}\(", text, re.M)) == 1, (file, fn)
        new, names = plant.patch_function_text(text, fn, 10, when)
        assert names == [fn]
        assert f"static int {fn}_planted_inner(" in new
        assert f"rp_planted_enter();\n    int rp_r = {fn}_planted_inner(" in new
        # the wrapper keeps the old name: its prototype and its definition
        assert len(re.findall(rf"^int {fn}\(", new, re.M)) == 2
        assert "#define RP_PLANTED_PERCENT 10u" in new
        if when is not None:
            assert f"if (!({when})) {{\n        return {fn}_planted_inner(" in new
            assert re.search(rf"\b{when.split()[-1]}\b", _lib_file("ops.h")), when
        with pytest.raises(ValueError, match="already planted"):
            plant.patch_function_text(new, fn, 10, when)


def test_plant_parses_signatures_and_refuses_what_it_cannot_find():
    text = (
        "#include <stddef.h>\nint f(const float *x, size_t n,\n    double a[4])\n{\n"
        "    /* { */ return (int)n;\n}\nvoid g(void) { f(0, 0, 0); }\n"
    )
    new, names = plant.patch_function_text(text, "f", 25, "n > 3")
    assert names == ["f"]
    assert "if (!(n > 3)) {\n        return f_planted_inner(x, n, a);\n    }" in new
    assert "int rp_r = f_planted_inner(x, n, a);" in new
    assert "#define RP_PLANTED_PERCENT 25u" in new
    assert new.endswith("void g(void) { f(0, 0, 0); }\n")  # a call is not a definition
    with pytest.raises(ValueError, match="no definition of `h"):
        plant.patch_function_text(text, "h", 10)
    with pytest.raises(ValueError, match="parameter name"):
        plant.patch_function_text("int f(int, int)\n{\n    return 0;\n}\n", "f", 10)
    with pytest.raises(ValueError, match="no `static void NAME"):
        plant.patch_chunks_text(text, 10)
    with pytest.raises(ValueError, match="scale and binary run the same"):
        plant.plant("/nonexistent", 10, "binary", "kernel")
    with pytest.raises(ValueError, match="not found"):
        plant.plant("/nonexistent", 10, "library")


def _preprocessed_table(tmp_path, kernel_set_h):
    """The scalar variant's kernel table after the preprocessor, with kernel_set.h replaced:
    the entries [(field, kernel)] of its initializer and the whole translation unit."""
    lib = tmp_path / "libraptors"
    shutil.copytree(os.path.join(REPO, "libraptors"), lib, dirs_exist_ok=True)
    (lib / "kernel_set.h").write_text(kernel_set_h)
    r = subprocess.run(
        ["cc", "-E", "-P", "-I", str(lib), str(lib / "kernels_scalar.c")],
        capture_output=True,
        text=True,
        check=True,
    )
    table = r.stdout[r.stdout.index("rp_kernels_scalar = {") :]
    table = table[: table.index("};")]
    return re.findall(r"\.(\w+)\s*\[[^=]*=\s*(\w+)", table), r.stdout


@pytest.mark.parametrize("only", [None, ("pairwise", "accumulate")])
def test_plant_kernel_level_wraps_every_table_entry(tmp_path, only):
    """Kernel level: each entry of the kernel table (of the fields `only`, or all) points at a
    wrapper, defined in the variant's file, that calls the entry's kernel between
    rp_planted_enter and rp_planted_leave; the other entries are left alone."""
    kernels_h = _lib_file("kernels.h")
    fields = plant.table_fields(kernels_h)
    assert set(fields) == {"elementwise", "pairwise", "accumulate"}
    text = _lib_file("kernel_set.h")
    new, names = plant.patch_table_text(text, kernels_h, 10, only)
    assert {n.split("=")[0] for n in names} == set(only or fields)
    with pytest.raises(ValueError, match="already planted"):
        plant.patch_table_text(new, kernels_h, 10, only)
    plain, _ = _preprocessed_table(tmp_path / "plain", text)
    planted, unit = _preprocessed_table(tmp_path / "planted", new)
    assert len(plain) >= 8 and {f for f, _k in plain} == set(fields)
    wrapped = [(f, k) for f, k in plain if only is None or f in only]
    assert planted == [(f, k + "_planted" if (f, k) in wrapped else k) for f, k in plain]
    for _f, k in wrapped:
        wrapper = re.search(rf"static void {k}_planted\([^)]*\)\s*\{{([^}}]*)\}}", unit)
        assert wrapper, k
        assert re.fullmatch(
            rf"\s*uint64_t rp_t0 = rp_planted_enter\(\);\s*{k}\([\w, ]+\);\s*"
            r"rp_planted_leave\(rp_t0\);\s*",
            wrapper.group(1),
        ), wrapper.group(0)


@pytest.mark.parametrize("file", ["elementwise.c", "reduce.c"])
def test_plant_kernel_level_wraps_every_chunk_loop(file):
    """Kernel level: every callback a family hands to the thread pool is wrapped."""
    text = _lib_file(file)
    new, names = plant.patch_chunks_text(text, 10)
    assert set(names) == set(re.findall(r"rp_parallel_for\((\w+),", text)) and names
    for n in names:
        assert f"static void {n}_planted_inner(void *ctx, size_t c)" in new
        assert f"rp_planted_enter();\n    {n}_planted_inner(ctx, c);" in new
    with pytest.raises(ValueError, match="already planted"):
        plant.patch_chunks_text(new, 10)


def _copy_tree(dst):
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv",
        ".cache",
        ".asv",
        "node_modules",
        "*.so",
        ".hypothesis",
        "__pycache__",
        ".pytest_cache",
        "reports",
    )

    def skip(d, names):  # the build directories, not libraptors/build_info.c
        top = os.path.samefile(d, REPO)
        return set(ignore(d, names)) | {n for n in names if top and n.startswith("build")}

    shutil.copytree(REPO, dst, ignore=skip)


def _run_py(code, **env):
    e = dict(os.environ, **env)
    e.pop("RAPTORS_LIBRARY", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e)


@pytest.fixture(scope="module")
def work_lib():
    """The work tree's built library (make lib, which `make test` runs first)."""
    import raptors

    return raptors._ffi.LIBRARY_PATH


def test_plant_python_layer_slows_every_operation_and_keeps_results(tmp_path, work_lib):
    src = tmp_path / "src"
    os.makedirs(src / "raptors")
    for f in os.listdir(os.path.join(REPO, "raptors")):
        if f.endswith(".py"):
            shutil.copy(os.path.join(REPO, "raptors", f), src / "raptors" / f)
    names = plant.plant(str(src), 100, "python")
    assert names == [f"raptors/__init__.py:{n}" for n in plant.PY_OPERATIONS]
    with pytest.raises(ValueError, match="already planted"):
        plant.plant(str(src), 100, "python")
    gate.make_package(str(src), work_lib, str(tmp_path / "pkg"), "head")
    code = f"""
import sys; sys.path.insert(0, {str(tmp_path / "pkg")!r})
sys.path.insert(0, {os.path.join(TOOLS, "regress")!r})
import numpy as np, raptors_head as r
from ab import measure
for op in {plant.PY_OPERATIONS!r}:
    assert getattr(r, op)._rp_planted == 100, op
    spec = measure.OPERATIONS[op]
    for mode in spec["modes"]:
        a = measure.make_case(op, (40, 30), "float32", r, spec["variants"][-1], mode)
        b = measure.make_case(op, (40, 30), "float32", r, spec["variants"][-1], mode)
        assert measure.same_bits(a.numpy(), b.raptors()), (op, mode)
print("ok")
"""
    r = _run_py(code)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


# ---- the callgrind metric ----------------------------------------------------------------------
_QEMU_USER = bool(os.environ.get("QEMU_LD_PREFIX"))  # `make test-arm64`'s emulated interpreter
needs_valgrind = pytest.mark.skipif(
    _QEMU_USER or icount.valgrind() is None,
    reason="qemu-user: the AArch64 build cannot run under the x86-64 host's valgrind"
    if _QEMU_USER
    else "valgrind is not installed: instruction counts skipped",
)


#: Planted builds: name -> (WHERE, level, the operations it slows).
ALL_OPS = frozenset(measure.OPERATIONS)
PLANTS = {
    "library": ("library", "entry", ALL_OPS),
    "kernels": ("kernels", "entry", ALL_OPS),
    "binary": ("binary", "entry", frozenset({"add", "subtract", "multiply"})),
    "scale": ("scale", "entry", frozenset({"scale"})),
    "reduce": ("reduce", "entry", frozenset({"sum", "mean"})),
    "library-kernel": ("library", "kernel", ALL_OPS),
    "reduce-kernel": ("reduce", "kernel", frozenset({"sum", "mean"})),
}


@pytest.fixture(scope="module")
def planted_builds(tmp_path_factory):
    """Valgrind-runnable builds of this tree's sources: plain, and one per PLANTS entry with 25%
    planted there."""
    tmp = tmp_path_factory.mktemp("planted")
    _copy_tree(tmp / "plain")
    plain = libs.build_dir(str(tmp / "plain"), str(tmp / "plain.so"), "icount")
    planted = {}
    for name, (where, level, _ops) in PLANTS.items():
        src = tmp / name
        shutil.copytree(tmp / "plain", src)
        assert plant.plant(str(src), 25, where, level)
        planted[name] = libs.build_dir(str(src), str(tmp / f"{name}.so"), "icount")
    return plain, planted


@pytest.fixture(scope="module")
def icount_libs(planted_builds):
    """The plain build and the one with 25% planted in every operation's C entry point
    (raptors_call: what regress-power plants as "library")."""
    plain, planted = planted_builds
    return plain, planted["library"]


@pytest.mark.parametrize("name", PLANTS)
def test_planted_library_keeps_results(planted_builds, tmp_path, name):
    """Every operation, every mode and variant of raptors/_measure.py, gives NumPy's bits through a
    library with a planted slowdown (one thread and two: the chunk loops run in the pool)."""
    _plain, planted = planted_builds
    gate.make_package(REPO, planted[name], str(tmp_path / "pkg"), "head")
    code = f"""
import sys; sys.path.insert(0, {str(tmp_path / "pkg")!r})
sys.path.insert(0, {os.path.join(TOOLS, "regress")!r})
import numpy as np, raptors_head as r
from ab import measure
n = 0
for threads in (1, 2):
    r.set_num_threads(threads)
    for op, spec in measure.OPERATIONS.items():
        for mode in spec["modes"]:
            for variant in spec["variants"]:
                for shape in ((40, 30), (300, 301)):
                    a = measure.make_case(op, shape, "float32", r, variant, mode)
                    b = measure.make_case(op, shape, "float32", r, variant, mode)
                    assert measure.same_bits(a.numpy(), b.raptors()), (op, mode, variant)
                    n += 1
print("ok", n)
"""
    r = _run_py(code)
    assert r.returncode == 0 and r.stdout.startswith("ok"), r.stdout + r.stderr
    assert int(r.stdout.split()[1]) >= 2 * 2 * len(measure.OPERATIONS)


@needs_valgrind
@pytest.mark.parametrize("name", PLANTS)
def test_planted_work_counts_more_where_planted_only(planted_builds, name):
    """The planted spin is extra work in the operations of the place, and only there: the
    other operations count the same (a conditional wrapper costs a few instructions)."""
    plain, planted = planted_builds
    slowed = PLANTS[name][2]
    for case in ("f32", "add-f32", "add-row-f32", "sum-f32", "mean-axis0-f32", "mean-axis1-f32"):
        base = icount.count(plain, case)
        if icount.CASE_OP[case] in slowed:
            head = _planted_count(planted[name], case, base)
            want = "regression"
        else:
            head, want = icount.count(planted[name], case), "same"
        assert stats.judge_insn(case, base, head).verdict == want, (case, base, head)


def _planted_count(lib, case, base, tries=3):
    """The count of a case through a planted library: the largest of up to `tries` counts,
    stopping at the first one over the tolerance. The planted spin runs for a share of the wall
    time the call took, read from the cycle counter; under valgrind a host's steal during the
    spin cuts its iterations (one count in a CI run's forty came out 0.1 % over its base, not
    the usual 11 %), so one short count is the host's, three are the plant's."""
    head = 0
    for _ in range(tries):
        head = max(head, icount.count(lib, case))
        if stats.judge_insn(case, base, head).verdict == "regression":
            break
    return head


@needs_valgrind
def test_instruction_count_is_deterministic(icount_libs):
    plain, _ = icount_libs
    a = icount.count(plain, "f32")
    assert a > 1000
    assert icount.count(plain, "f32") == a
    assert icount.count(plain, "f64") == icount.count(plain, "f64")


@needs_valgrind
def test_planted_work_counts_more(icount_libs):
    plain, planted = icount_libs
    for case in ("f32", "f32-strided", "add-row-f32", "sum-f32", "mean-axis0-f32"):
        base = icount.count(plain, case)
        head = _planted_count(planted, case, base)
        assert stats.judge_insn(case, base, head).verdict == "regression", (case, base, head)


def run_gate_without_timing(*libs):
    """tools/regress/gate.py on prebuilt libraries (--base b --head h, no timing layer)."""
    gate = os.path.join(REPO, "tools", "regress", "gate.py")
    cmd = [sys.executable, gate, "--base", "b", "--head", "h", "--no-time", *map(str, libs)]
    return subprocess.run(cmd, capture_output=True, text=True)


@needs_valgrind
def test_gate_instruction_layer_passes_identical_and_flags_planted(icount_libs, tmp_path):
    plain, planted = icount_libs
    copy = tmp_path / "copy.so"
    shutil.copyfile(plain, copy)
    base = ["--base-lib", plain, "--base-icount-lib", plain]
    r = run_gate_without_timing(*base, "--head-lib", copy, "--head-icount-lib", copy)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK: no regression" in r.stdout and "1.0000" in r.stdout
    r = run_gate_without_timing(*base, "--head-lib", planted, "--head-icount-lib", planted)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "REGRESSION: instructions" in r.stdout


STUB_C = r"""
#include <stddef.h>
int raptors_set_num_threads(int n) { return n; }
int raptors_set_simd(const char *s) { (void)s; return 0; }
int raptors_scale_f32(const float *x, float *y, size_t n, float a)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a * x[i];
    return 0;
}
"""


@needs_valgrind
def test_a_case_whose_entry_point_a_library_lacks_is_skipped_and_named(tmp_path):
    """An older library (here a stub with scale only) has no raptors_binary_*: its cases are
    skipped, named, and the cases both libraries have are still compared."""
    c = tmp_path / "stub.c"
    c.write_text(STUB_C)
    stub = tmp_path / "libstub.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(stub), str(c)], check=True)
    with pytest.raises(icount.IcountMissing, match="raptors_binary_f32"):
        icount.count(str(stub), "add-f32")
    lines = []
    insn, status, skipped = gate.run_icount(
        str(stub), str(stub), 0.01, lines.append, ["f32", "add-f32", "mean-axis0-f32"]
    )
    assert status == "ok" and [v.case for v in insn] == ["f32"] and insn[0].ratio == 1.0
    assert skipped == {
        "add-f32": "BASE and HEAD has no raptors.add",
        "mean-axis0-f32": "BASE and HEAD has no raptors.mean",
    }


def _package_src(tmp_path, name, patch=""):
    """A source tree holding a copy of this tree's raptors/ (its __init__.py + patch)."""
    src = tmp_path / name
    os.makedirs(src / "raptors")
    for f in os.listdir(os.path.join(REPO, "raptors")):
        if f.endswith(".py"):
            shutil.copy(os.path.join(REPO, "raptors", f), src / "raptors" / f)
    with open(src / "raptors" / "__init__.py", "a") as f:
        f.write(patch)
    return str(src)


def run_gate_timing(tmp_path, base_src, head_src, lib, cases):
    """gate.py's time layer on two package copies of the work tree's library, a few rounds
    per case (plumbing only: no verdict is asserted)."""
    out = tmp_path / "gate.json"
    cmd = [
        sys.executable,
        os.path.join(REPO, "tools", "regress", "gate.py"),
        "--base",
        "b",
        "--head",
        "h",
        "--base-lib",
        lib,
        "--head-lib",
        lib,
        "--base-src",
        base_src,
        "--head-src",
        head_src,
        "--no-insn",
        "--seconds",
        "0.02",
        "--cases",
        ",".join(cases),
        "--json",
        str(out),
    ]
    env = dict(os.environ)
    env.pop("RAPTORS_LIBRARY", None)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return r, (json.loads(out.read_text()) if out.exists() else None)


def test_gate_times_each_commits_own_python_layer(tmp_path, work_lib):
    """HEAD's package is on the timed path: a HEAD whose raptors.add (in __init__.py) returns
    a wrong result is caught before any timing, whatever its library."""
    head = _package_src(
        tmp_path,
        "head",
        "\n_rp_add = add\n\n\ndef add(x, y, out=None):\n    r = _rp_add(x, y, out=out)\n"
        "    return r + 1 if out is None else r\n",
    )
    base = _package_src(tmp_path, "base")
    r, _ = run_gate_timing(tmp_path, base, head, work_lib, ["scale-f32-16", "add-f32-16"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert "the head package computes a wrong result for case add-f32-16" in r.stderr


def test_gate_compares_what_both_commits_have_and_names_the_rest(tmp_path, work_lib):
    """A BASE older than add and sum: their cases are skipped and named, scale is compared,
    single- and multi-threaded."""
    base = _package_src(tmp_path, "base", "\ndel add, sum\n")
    head = _package_src(tmp_path, "head")
    cases = ["scale-f32-16", "add-f32-16", "sum-f32-16", "scale-f32-1024x1024-mt"]
    r, res = run_gate_timing(tmp_path, base, head, work_lib, cases)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    assert "time skipped (BASE has no raptors.add; " in r.stdout
    assert "time skipped (BASE has no raptors.sum; " in r.stdout
    assert [v["case"] for v in res["timing"]] == ["scale-f32-16", "scale-f32-1024x1024-mt"]
    assert [v["threads"] for v in res["timing"]] == [1, measure.usable_cpus()]
    assert sorted(res["skipped"]["time"]) == ["add-f32-16", "sum-f32-16"]
    assert "Time, whole call path" in r.stdout


def test_every_gate_case_builds_and_matches_numpy():
    """Each timing case of the gate is a valid measure.make_case and equals NumPy here."""
    import raptors

    for name, (op, variant, mode, dtype, shape, threads) in ab.CASES.items():
        small = tuple(min(s, 64) for s in shape)
        c = measure.make_case(op, small, dtype, raptors, variant, mode)
        ref = np.array(c.numpy(), copy=True)
        assert measure.same_bits(ref, c.call(raptors)()), name
        assert threads in ("1", "all") and name.startswith(op)
    assert any(t == "all" for *_x, t in ab.CASES.values())
    assert {c[0] for c in ab.CASES.values()} == set(measure.OPERATIONS)


def test_without_valgrind_the_metric_is_skipped_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("RAPTORS_VALGRIND", str(tmp_path / "no-valgrind"))
    assert icount.valgrind() is None
    with pytest.raises(icount.IcountError, match="valgrind is not installed"):
        icount.count("/nonexistent/libraptors.so", "f32")
    lib = tmp_path / "a.so"
    lib.write_bytes(b"")
    r = run_gate_without_timing("--base-lib", lib, "--head-lib", lib)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "instructions: SKIPPED - valgrind is not installed" in r.stdout
    sys.path.insert(0, REPO)
    from benchmarks import bench_instructions

    with pytest.raises(NotImplementedError, match="valgrind is not installed"):
        bench_instructions.ScaleInstructions().setup("f32", bench_instructions._VARIANTS[0])


# ---- progress bars (tools/progress.py) -------------------------------------------------
class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_goes_to_stderr_as_lines_in_a_log(capsys):
    # disable=False: the test holds even where TQDM_DISABLE is set
    bar = progress.Progress(3, "trials", "gate", disable=False)
    for name in ("identical", "slow+10%", "slow+25%"):
        bar.doing(name)
        bar.say(f"ran {name}")
        bar.update()
    bar.close()
    out, err = capsys.readouterr()
    assert out == "ran identical\nran slow+10%\nran slow+25%\n"  # stdout as plain prints
    assert "\r" not in err
    lines = err.splitlines()
    assert "0/3" in lines[0]  # the total up front, then rate-limited lines...
    assert lines[-1].startswith("slow+25%:") and "3/3" in lines[-1]  # ...and always a final one


def test_progress_in_a_log_writes_the_final_line_once(monkeypatch):
    monkeypatch.setattr(progress, "LOG_INTERVAL", 0)  # every update() writes a line
    log = io.StringIO()
    bar = progress.Progress(2, "trials", "gate", file=log, disable=False)
    bar.update()
    bar.doing("slow+10%")
    bar.update()
    bar.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("slow+10%:") and "2/2" in lines[-1]


def test_progress_redraws_in_place_on_a_terminal_and_can_be_turned_off(capsys):
    tty = _Tty()
    bar = progress.Progress(2, "report", "case", file=tty, disable=False)
    bar.doing("report float32 16 out")
    bar.say("[1/2] a line of the report")
    bar.update(2)
    bar.close()
    assert "\rreport float32 16 out:" in tty.getvalue() and "2/2" in tty.getvalue()
    assert capsys.readouterr().out == "[1/2] a line of the report\n"
    for off in (_Tty(), io.StringIO()):
        bar = progress.Progress(2, "report", "case", file=off, no_progress=True)
        bar.doing("x")
        bar.say("still printed")
        bar.update(2)
        bar.close()
        assert off.getvalue() == ""
        assert capsys.readouterr().out == "still printed\n"


def test_progress_never_redraws_on_its_own():
    # No tqdm monitor thread, which could redraw a bar in the middle of a measurement.
    bar = progress.Progress(1, "x", "case", file=io.StringIO(), disable=False)
    assert progress.tqdm.monitor_interval == 0
    assert not any(type(t).__name__ == "TMonitor" for t in threading.enumerate())
    bar.close()
