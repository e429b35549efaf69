"""The build a result was measured with, stored in the results themselves.

asv records each benchmark's parameter values with its results and shows them on the dashboard
(the benchmark's page lists every parameter and its values). This benchmark's parameters are
read from raptors.build_info() of the build asv installed, when asv discovers the suite in its
environment: the SIMD variant in use, the variants available, the compiler, the flags, the
threads, the Raptors version, and NumPy's version. The tracked value is the number of threads
a call may use. tools/bench/run.py runs asv once per commit, so the discovery -- and with it
these values -- comes from the very build that is measured.

asv draws a graph only for the parameter values of the latest discovery: a commit built
differently (other flags, another compiler) keeps its own values in its results file (the
Raptors overview page shows them) but drops out of this benchmark's graph.

asv name: bench_provenance.BuildInfo.track_threads
"""

import raptors

from .common import build_description, pin_versions

try:
    _INFO = build_description()
except Exception as e:
    _INFO = {
        k: "unknown (%s)" % type(e).__name__
        for k in ("simd", "simd_available", "compiler", "cflags", "threads", "raptors", "numpy")
    }

_KEYS = ["simd", "simd_available", "compiler", "cflags", "threads", "raptors", "numpy", "tuning"]


class BuildInfo:
    params = [[_INFO[k]] for k in _KEYS]
    param_names = _KEYS
    rounds = 1
    number = 1
    repeat = 1

    def track_threads(self, *params):
        return raptors.get_num_threads()

    track_threads.unit = "threads"


pin_versions(globals())  # each benchmark's version: see common.pin_versions
