"""Raptors: fast, bit-exact numeric kernels for NumPy arrays.

>>> import numpy as np, raptors
>>> raptors.scale(np.arange(4, dtype=np.float32), 2.5)
array([0. , 2.5, 5. , 7.5], dtype=float32)
"""

# _numpy_version first: it refuses an unsupported NumPy before anything computes.
from . import _numpy_version, _threadpool, _tuning  # noqa: F401  (_numpy_version: its check)
from .api import (
    build_info,
    get_num_threads,
    get_pool,
    get_simd,
    get_spin_us,
    pool_cached,
    pool_trim,
    scale,
    set_num_threads,
    set_pool,
    set_simd,
    set_spin_us,
    thread_stats,
)
from .elementwise import add, multiply, subtract
from .reductions import mean, nanmean, nansum, sum

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "add",
    "build_info",
    "get_num_threads",
    "get_pool",
    "get_simd",
    "get_spin_us",
    "mean",
    "multiply",
    "nanmean",
    "nansum",
    "pool_cached",
    "pool_trim",
    "scale",
    "set_num_threads",
    "set_pool",
    "set_simd",
    "set_spin_us",
    "subtract",
    "sum",
    "thread_stats",
]

# threadpoolctl.threadpool_info()/threadpool_limits() see and limit Raptors' pool (when installed).
_threadpool.register_threadpoolctl_controller()

# The tuning measured on this machine (python -m raptors tune), if any: speed only, never bits.
_tuning.load_at_import()
