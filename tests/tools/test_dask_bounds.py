"""The read bound of tools/report/dask_bounds.py: its graph has the tasks raptors.dask's graph
of the same reduction has (one per chunk, then one per output block), its chunk task reads the
whole chunk (a chunk it cannot read raises), and it computes zeros of the result's shape."""

import os
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
rd = pytest.importorskip("raptors.dask")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "report"))

import dask_bounds  # noqa: E402


@pytest.mark.parametrize("fname", ["sum", "nansum", "mean", "nanmean"])
@pytest.mark.parametrize("axis", [None, 0])
@pytest.mark.parametrize("chunks", [(16, 16), (16, 64), (10, 24)])
def test_the_bound_has_the_tasks_of_raptors_dask(fname, axis, chunks):
    x = da.ones((64, 64), dtype=np.float32, chunks=chunks)
    ours = getattr(rd, fname)(x, axis=axis)
    bound = dask_bounds.bound_graph(x, (0,) if axis == 0 else (0, 1))
    assert len(dict(bound.__dask_graph__())) == len(dict(ours.__dask_graph__()))
    assert bound.chunks == ours.chunks
    got = bound.compute(scheduler="sync")
    assert got.shape == ours.shape and not got.any()


def test_the_chunk_task_reads_every_byte(monkeypatch):
    assert dask_bounds.read_words(np.array([1, 6], np.uint64)) == 7
    seen = []
    monkeypatch.setattr(dask_bounds, "read_words", lambda w: seen.append((w.dtype, w.nbytes)))
    for shape, dtype, word in (((6, 4), np.int16, np.uint64), ((3, 5), np.int8, np.uint8)):
        x = np.ones(shape, dtype)
        seen.clear()
        part = dask_bounds.read_chunk(x[:, ::-1], axis=(0,))  # (a view: read as a copy)
        assert seen == [(np.dtype(word), x.nbytes)]
        assert part.shape == (1, shape[1]) and not part.any()
