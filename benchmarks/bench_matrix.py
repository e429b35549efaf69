"""The original Raptors' 2-D matrix as one parameterized benchmark: operation x shape x dtype,
the speedup over NumPy per case (36 cases), Raptors with its default threads.

operations (each allocates its result, as a user writes it; raptors/_measure.py MATRIX_OPS):
    sum         raptors.sum(x)             vs  np.sum(x)
    mean        raptors.mean(x)            vs  np.mean(x)
    mean-axis0  raptors.mean(x, axis=0)    vs  np.mean(x, axis=0)
    mean-axis1  raptors.mean(x, axis=1)    vs  np.mean(x, axis=1)
    add-row     raptors.add(x, row)        vs  x + row       (row: shape (n,), broadcast)
    scale       raptors.scale(x, 2.5)      vs  x * float32(2.5)
shapes 512x512, 1024x1024, 2048x2048; dtypes float32, float64.

asv name: bench_matrix.Matrix.track_speedup. `make report` measures the same 36 cases (same
builder, raptors/_measure.py) with their times, spread, GB/s and roofline fraction.
"""

from .common import measure, pin_versions, require, speedup

SHAPES = dict(measure.MATRIX_SHAPES)
OPERATIONS = [m[0] for m in measure.MATRIX_OPS]
_OP = {m[0]: m[1] for m in measure.MATRIX_OPS}


class Matrix:
    params = [OPERATIONS, list(SHAPES), measure.MATRIX_DTYPES]
    param_names = ["operation", "shape", "dtype"]
    rounds = 1  # the rounds are inside each measurement
    timeout = 300

    def setup(self, operation, shape, dtype):
        import raptors

        require(_OP[operation])
        self.c = measure.matrix_case(operation, SHAPES[shape], dtype, raptors)
        self.c.raptors()  # first touch, pool, threads: not timed
        self.c.numpy()

    def track_speedup(self, operation, shape, dtype):
        """NumPy time / Raptors time, interleaved in one process, median of the rounds."""
        return speedup(self.c.numpy, self.c.raptors, budget=0.5)

    track_speedup.unit = "ratio"


pin_versions(globals())  # each benchmark's version: see common.pin_versions
