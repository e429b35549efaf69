"""Bad settings say so: a RAPTORS_* variable with a value the library does not take is a
Python warning that names the variable, the value, what it takes and what is used instead
-- and points at the user's line (here: the `import raptors` of the child process)."""

import os
import subprocess
import sys

import pytest

CASES = [
    ("RAPTORS_SIMD", "bogus", "auto or a variant this CPU runs", "using auto"),
    ("RAPTORS_STREAM_MIN_BYTES", "xyz", "a whole number of bytes", "the derived threshold"),
    ("RAPTORS_STREAM_MIN_BYTES", "1e6", "a whole number of bytes", "the derived threshold"),
    ("RAPTORS_MIN_BYTES_PER_THREAD", "-5", "a whole number of bytes", "the derived threshold"),
    ("RAPTORS_POOL_BYTES", "abc", "a whole number of bytes", "268435456 bytes"),
    ("RAPTORS_POOL_IDLE_MS", "1s", "a whole number of milliseconds", "the default, 1000 ms"),
    ("RAPTORS_WAIT_POLICY", "sleepy", "active or passive", "the default, 1000 us"),
    ("RAPTORS_SPIN_US", "-1", "microseconds from 0 to 1000000", "1000 us (the default)"),
    ("RAPTORS_SPIN_US", "2000000", "microseconds from 0 to 1000000", "1000 us (the default)"),
    ("RAPTORS_PIECE_ITEMS", "tiny", "a whole number of items", "automatic pieces"),
    ("RAPTORS_NUM_THREADS", "0", "from 1 to 256", "every usable CPU"),
    ("RAPTORS_NUM_THREADS", "many", "from 1 to 256", "every usable CPU"),
]

CHILD = """
import warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    import raptors  # the line the warning must name: 5
for w in caught:
    print(f"{w.filename}:{w.lineno}: {w.message}")
print("simd", raptors.get_simd(), "threads", raptors.get_num_threads(),
      "stream", raptors.build_info()["stream_above_bytes"]["all"],
      "spin", raptors.get_spin_us(), "pool", raptors.get_pool())
"""


def run_child(env_update):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPTORS_")}
    env.update(env_update)
    env["RAPTORS_TUNING"] = "off"
    r = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("name, value, takes, instead", CASES)
def test_a_refused_value_is_a_warning_naming_it_at_the_users_line(name, value, takes, instead):
    out = run_child({name: value})
    lines = [ln for ln in out.splitlines() if name in ln]
    assert len(lines) == 1, out  # said once
    assert lines[0].startswith("<string>:5: "), lines[0]  # the user's import line
    assert f"{name}={value!r}" in lines[0] and takes in lines[0] and instead in lines[0]


def test_refused_values_fall_back_to_the_defaults():
    default = run_child({}).splitlines()[-1]
    bad = run_child(
        {"RAPTORS_SIMD": "bogus", "RAPTORS_NUM_THREADS": "0", "RAPTORS_STREAM_MIN_BYTES": "xyz"}
    ).splitlines()[-1]
    assert bad == default


def test_valid_values_are_taken_without_a_word():
    out = run_child(
        {"RAPTORS_SIMD": "scalar", "RAPTORS_NUM_THREADS": "3", "RAPTORS_STREAM_MIN_BYTES": "0"}
    )
    assert "Warning" not in out and "refused" not in out, out
    assert out.splitlines()[-1].startswith("simd scalar threads 3 stream -1")


@pytest.mark.parametrize(
    "env, spin_us, pool",
    [
        ({}, 1000, {"max_bytes": 268435456, "idle_ms": 1000, "cached_bytes": 0}),
        ({"RAPTORS_WAIT_POLICY": "passive"}, 0, None),
        ({"RAPTORS_WAIT_POLICY": "active"}, 10000, None),
        ({"RAPTORS_WAIT_POLICY": "passive", "RAPTORS_SPIN_US": "30"}, 30, None),  # SPIN_US wins
        (
            {"RAPTORS_POOL_IDLE_MS": "250", "RAPTORS_POOL_BYTES": "0"},
            1000,
            {"max_bytes": 0, "idle_ms": 250, "cached_bytes": 0},
        ),
    ],
)
def test_wait_and_pool_settings_are_taken(env, spin_us, pool):
    out = run_child(env)
    assert "Warning" not in out, out
    last = out.splitlines()[-1]
    assert f"spin {spin_us} pool" in last, last
    if pool is not None:
        assert last.endswith(f"pool {pool}"), last


def test_set_spin_us_checks_and_sets():
    import raptors

    old = raptors.get_spin_us()
    try:
        for bad, error in ((-1, ValueError), (1_000_001, ValueError), (2.5, TypeError)):
            with pytest.raises(error, match="us"):
                raptors.set_spin_us(bad)
            assert raptors.get_spin_us() == old
        raptors.set_spin_us(0)
        assert raptors.get_spin_us() == 0
        raptors.set_spin_us(1_000_000)
        assert raptors.get_spin_us() == 1_000_000
    finally:
        raptors.set_spin_us(old)


def test_warnings_name_the_callers_line():
    import warnings

    import numpy as np

    import raptors

    cases = [
        (lambda: raptors.mean(np.ones(0, np.float32)), "Mean of empty slice"),
        (lambda: raptors.scale(np.ones(4, np.float32)[::2], 1e300), "overflow encountered in cast"),
    ]
    for call, words in cases:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        hits = [w for w in caught if words in str(w.message)]
        assert hits, [str(w.message) for w in caught]
        assert all(w.filename == __file__ for w in hits), [(w.filename, w.lineno) for w in hits]
