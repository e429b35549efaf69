"""raptors.dask beside dask.array on NumPy, on a LocalCluster of 2 worker processes x 1 thread.

An 8192² array persisted in the workers' memory in 2048² chunks (16 chunks), each case
computed through dask.array on NumPy (``da.nanmean(x)``, ``x + 1.5``) and through
raptors.dask (``rd.nanmean(x)``, ``rd.add(x, 1.5)``), graph construction and the scheduler
included -- what a user waits for:

- DaskCluster.time_numpy / .time_raptors   one computation each, per case
- DaskClusterSpeedup.track_speedup         NumPy-path time / Raptors-path time, interleaved
                                           in one process (median of rounds)

A case is "<function>-<dtype>[-<variant>]": nanmean-float32 (2 % NaN), nanmean-float32-axis0,
nansum-float64, sum-int32, mean-int16, and add-scalar-float32 (x + 1.5, persisted in the
workers and waited for; each call adds its own scalar, 1.5, 2.5, ..., so that no call finds
the last one's result still held). The cluster is started once per process and shared by the
cases.
asv's environment gets the dask extra from asv.conf.json's install_command; an environment
without it skips, as does a commit without raptors.dask.
"""

import atexit
import itertools

import numpy as np

import raptors

from .common import speedup

CASES = [
    "nanmean-float32",
    "nanmean-float32-axis0",
    "nansum-float64",
    "sum-int32",
    "mean-int16",
    "add-scalar-float32",
]
SHAPE = (8192, 8192)
CHUNKS = (2048, 2048)
WORKERS, THREADS_PER_WORKER = 2, 1

_client = None


def _dask():
    """dask.array, raptors.dask and distributed, or asv's skip."""
    try:
        import dask.array as da
        import distributed

        import raptors.dask as rd
    except ImportError as e:
        raise NotImplementedError(f"needs the dask extra and raptors.dask: {e}") from None
    return da, rd, distributed


def _cluster():
    """One LocalCluster per process, shared by every case (starting one takes seconds)."""
    global _client
    if _client is None:
        import logging

        _da, _rd, distributed = _dask()
        cluster = distributed.LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=THREADS_PER_WORKER,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        _client = distributed.Client(cluster, set_as_default=False)

        def close():
            _client.close()
            cluster.close()

        atexit.register(close)
    return _client


def _data(dtype, client):
    """SHAPE in CHUNKS of dtype, generated in the workers and persisted there; float32 has NaN
    at 2 % of the elements."""
    da, _rd, distributed = _dask()
    rng = da.random.default_rng(0)
    if dtype in ("int16", "int32"):
        x = rng.integers(-1000, 1000, SHAPE, dtype=dtype, chunks=CHUNKS)
    else:
        x = rng.random(SHAPE, dtype=dtype, chunks=CHUNKS)
        if dtype == "float32":
            x = da.where(rng.random(SHAPE, dtype=np.float32, chunks=CHUNKS) < 0.02, np.nan, x)
    x = client.persist(x)
    with client.as_current():  # (wait finds the client it waits with there)
        distributed.wait(x)
    return x


def _calls(case, x, client):
    """(NumPy path, Raptors path): each builds its graph, computes it, returns when done."""
    da, rd, distributed = _dask()
    parts = case.split("-")
    fname = parts[0]
    if fname == "add":
        scalars = itertools.count(1.5)

        def run(graph_of):
            # A scalar of its own per call (1.5, 2.5, ...), so a graph of its own: the same
            # graph persisted again while its last result is still held (its release is
            # asynchronous) is not computed again -- back to back, 2-5 ms instead of 50-70.
            y = client.persist(graph_of(x, next(scalars)))
            with client.as_current():
                distributed.wait(y)  # the result stays in the workers until y is dropped

        return (lambda: run(lambda v, s: v + s)), (lambda: run(lambda v, s: rd.add(v, s)))
    kw = {"axis": 0} if parts[-1] == "axis0" else {}
    numpy_fn, raptors_fn = getattr(da, fname), getattr(rd, fname)
    return (
        lambda: client.compute(numpy_fn(x, **kw), sync=True),
        lambda: client.compute(raptors_fn(x, **kw), sync=True),
    )


class _Base:
    def _setup(self, case):
        if not hasattr(raptors, "sum"):
            raise NotImplementedError("no raptors.sum in this commit")
        client = _cluster()
        (dtype,) = [p for p in case.split("-") if p in ("float32", "float64", "int16", "int32")]
        self.x = _data(dtype, client)
        self.numpy_fn, self.raptors_fn = _calls(case, self.x, client)
        self.raptors_fn()  # the workers import raptors.dask, start the graph path: not timed
        self.numpy_fn()

    def teardown(self, *params):
        self.__dict__.pop("x", None)  # the persisted data is freed in the workers


class DaskCluster(_Base):
    params = [CASES]
    param_names = ["case"]
    repeat = (3, 7, 2.0)
    number = 1
    warmup_time = 0
    timeout = 300
    version = "1"

    def setup(self, case):
        self._setup(case)

    def time_numpy(self, case):
        self.numpy_fn()

    def time_raptors(self, case):
        self.raptors_fn()


class DaskClusterSpeedup(_Base):
    params = [CASES]
    param_names = ["case"]
    rounds = 1  # the rounds are inside each measurement
    timeout = 300
    version = "1"

    def setup(self, case):
        self._setup(case)

    def track_speedup(self, case):
        """NumPy-path time / Raptors-path time, interleaved in one process, median of rounds."""
        return speedup(self.numpy_fn, self.raptors_fn, budget=3.0)

    track_speedup.unit = "ratio"
