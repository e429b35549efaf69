"""Shared pieces of the Raptors asv suite: sizes, threads, and the in-process measurements behind
the track_ benchmarks (interleaved speedup, STREAM-counted bandwidth, copy roofline).

The measuring itself is raptors/_measure.py, the one measurement core the suite, `make report` and
the regression gate share; this module adapts it to asv (its QUICK mode, the suite's budgets) and
builds the operations around the installed raptors. asv imports it as `benchmarks.common`.
"""

import importlib.util
import json
import os
import statistics
import sys
import types

import numpy as np

import raptors

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_measure():
    """raptors/_measure.py of this work tree, by its path, imported once: asv runs the suite from
    this tree against the raptors installed from the commit measured, which may predate it."""
    name = "raptors_measure"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(_REPO, "raptors", "_measure.py")
        )
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod  # before exec: dataclasses look their module up
        spec.loader.exec_module(mod)
    return sys.modules[name]


measure = _load_measure()

# The scale factor. In place, the same array is scaled again and again: 2.5 would overflow to
# inf after ~100 calls (and NumPy would then spend its time on overflow warnings), so in-place
# benchmarks use a factor just above 1 (still a full multiply, no special case for 1.0).
FACTOR = measure.FACTOR
FACTOR_INPLACE = measure.FACTOR_INPLACE

# Shapes by name: asv shows the names in its graphs. "16" is the call-overhead case.
SHAPES = {
    "16": (16,),
    "256x256": (256, 256),
    "1024x1024": (1024, 1024),
    "2048x2048": (2048, 2048),
    "4096x4096": (4096, 4096),
}
DTYPES = ["float32", "float64"]
MODES = ["new", "out", "inplace"]
# Raptors' thread count: one, or every CPU this process may run on.
THREADS = ["1", "all"]

# `make bench QUICK=1` (asv run --quick) sets this: the track_ measurements take few rounds.
QUICK = os.environ.get("RAPTORS_BENCH_QUICK", "") not in ("", "0")

usable_cpus = measure.usable_cpus
make_array = measure.make_array
copy_candidates = measure.copy_candidates
close_candidates = measure.close_candidates
calls_per_sample = measure.calls_per_sample


def set_threads(threads):
    """Apply a THREADS param; return the previous setting (to restore in teardown)."""
    prev = raptors.get_num_threads()
    raptors.set_num_threads(1 if threads == "1" else usable_cpus())
    return prev


def dtype_type(dtype):
    return np.dtype(dtype).type


def stream_bytes(x):
    """Bytes a scale of x moves, counted as STREAM counts: read x once + write y once."""
    return 2 * x.nbytes


def require(op):
    """Skip (asv: NotImplementedError) where the commit measured has no raptors.<op>: an older
    commit of a bench-history run."""
    if not measure.has_op(raptors, op):
        raise NotImplementedError(f"raptors.{op} does not exist in this commit")


def case(op, shape, dtype, variant=None, mode=None):
    """measure.make_case around the installed raptors; shape by name (SHAPES) or tuple."""
    require(op)
    sh = SHAPES[shape] if isinstance(shape, str) else shape
    return measure.make_case(op, sh, dtype, raptors, variant, mode)


# ---- the operations, one per mode -------------------------------------------------------
def _op(fn, mode, x, out, a):
    """A zero-argument callable doing fn(x, a) in `mode`: new array, into out, or in place.
    raptors.scale and np.multiply take the same arguments."""
    if mode == "new":
        return lambda: fn(x, a)
    if mode == "out":
        return lambda: fn(x, a, out=out)
    if mode == "inplace":
        return lambda: fn(out, a, out=out)
    raise ValueError(mode)


def raptors_op(mode, x, out, a):
    """One Raptors scale in `mode` (new / out / inplace)."""
    return _op(raptors.scale, mode, x, out, a)


def numpy_op(mode, x, out, a):
    """The NumPy equivalent: x * a, np.multiply(x, a, out=out), out *= a."""
    return _op(np.multiply, mode, x, out, a)


def factor(dtype, mode="out"):
    """The factor as a scalar of x's dtype (np.multiply(x, float32(a)) stays float32, as
    raptors.scale(x, 2.5) does)."""
    return dtype_type(dtype)(FACTOR_INPLACE if mode == "inplace" else FACTOR)


# ---- in-process timing (raptors/_measure.py) --------------------------------------------
def _kw(budget, rounds):
    return {"seconds": 0.6 if budget is None else budget, "rounds": rounds, "quick": QUICK}


def interleaved(fns, rounds=None, budget=None):
    """Per-round times (seconds per call) of each callable, timed in alternation in this
    process (measure.interleaved): a list per callable, in the order given."""
    t = measure.interleaved(list(fns), **_kw(budget, rounds))
    return [t[str(i)] for i in range(len(fns))]


def speedup(numpy_fn, raptors_fn, rounds=None, budget=None):
    """Median over interleaved rounds of NumPy time / Raptors time (> 1: Raptors is faster)."""
    return measure.speedup(numpy_fn, raptors_fn, **_kw(budget, rounds))


def overhead_ratio(raptors_fn, numpy_fn, rounds=None, budget=None):
    """Median over interleaved rounds of Raptors time / NumPy time (lower is better)."""
    tr, tn = interleaved([raptors_fn, numpy_fn], rounds, budget)
    return statistics.median(r / n for r, n in zip(tr, tn))


def median_time(fn, rounds=None, budget=None):
    return measure.median_time(fn, **_kw(budget, rounds))


def gbps(fn, nbytes, rounds=None, budget=None):
    """STREAM-counted bandwidth of fn: nbytes per call / median time, in GB/s."""
    return nbytes / median_time(fn, rounds, budget) / 1e9


def roofline_fraction(raptors_fn, src, dst, rounds=None, budget=None, nbytes=None):
    """Raptors' bandwidth as a fraction of the fastest plain copy of src's bytes into dst,
    timed in the same rounds. nbytes: what one Raptors call moves (default 2 x src.nbytes, a
    scale's). Returns (fraction, name of the fastest copy)."""
    nb = 2 * src.nbytes if nbytes is None else nbytes
    r = measure.roofline(raptors_fn, nb, src, dst, **_kw(budget, rounds))
    return r.fraction, r.copy


def case_roofline(c, rounds=None, budget=None):
    """A measure.Case's Raptors bandwidth as a fraction of the fastest plain copy of its input."""
    return measure.roofline(
        c.raptors, c.nbytes, c.src, c.copy_dst(), **_kw(budget, rounds)
    ).fraction


def build_description():
    """raptors.build_info() reduced to what identifies a build, all strings."""
    info = raptors.build_info()
    return {
        "simd": str(info.get("simd")),
        "simd_available": ",".join(info.get("simd_available") or []),
        "compiler": str(info.get("compiler")),
        "cflags": str(info.get("cflags")),
        "threads": str(info.get("num_threads")),
        # Not the git commit: asv records that already, and a value that changes with every
        # commit would split the provenance graph into one series per commit.
        "raptors": str(info.get("version")),
        "numpy": np.__version__,
        # The stored tuning in effect (python -m raptors tune), or "none": it decides variants
        # and thresholds, so it is part of what a result measured.
        "tuning": str(info.get("tuning_id") or "none"),
    }


# ---- benchmark versions ----------------------------------------------------------------------
# asv keys a benchmark's history by its `version`, by default a hash of its code: any edit -- a
# comment, a helper moved -- starts a new history and hides the committed one. So every benchmark
# has an explicit version: a new one sets `version = "1"` (its class or method), and those that
# predate the rule keep the hash their committed results carry (versions.json), pinned here.
# Bump a version only when the change makes older results incomparable.
_VERSIONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "versions.json")
BENCHMARK_PREFIXES = ("time_", "track_", "peakmem_", "mem_", "timeraw_")


def pin_versions(namespace):
    """Give each benchmark method of the module whose globals are `namespace` its pinned
    version (versions.json), as its own copy of the function: subclasses share their base's
    methods, and each benchmark name has a version of its own."""
    with open(_VERSIONS_FILE) as f:
        versions = json.load(f)
    module = namespace["__name__"].rsplit(".", 1)[-1]
    for cname, cls in list(namespace.items()):
        if not isinstance(cls, type) or cname.startswith("_"):
            continue
        for attr in dir(cls):
            key = f"{module}.{cname}.{attr}"
            if not attr.startswith(BENCHMARK_PREFIXES) or key not in versions:
                continue
            fn = getattr(cls, attr)
            copy = types.FunctionType(
                fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__
            )
            copy.__dict__.update(fn.__dict__)
            copy.__qualname__ = f"{cname}.{attr}"
            copy.version = versions[key]
            setattr(cls, attr, copy)
