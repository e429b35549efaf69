"""Every operation without the id()-addressing fast path: with RAPTORS_DATA_POINTERS=1
raptors passes each array by its data pointer, as it does on interpreters other than
CPython (PyPy), and must give NumPy's bits all the same. The operations run in one
child process (tests/pointer_free_child.py), since the choice is made at import."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import run_python

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ["scale", "add", "subtract", "multiply", "sum", "mean"]


@pytest.fixture(scope="module")
def pointer_free_run() -> dict[str, Any]:
    env = dict(os.environ, RAPTORS_DATA_POINTERS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    r = run_python([str(ROOT / "tests" / "pointer_free_child.py")], env=env, timeout=900)
    result: dict[str, Any] = json.loads(r.stdout)
    return result


def test_the_child_ran_without_the_fast_path(pointer_free_run: dict[str, Any]) -> None:
    assert pointer_free_run["data_offset"] is None
    assert pointer_free_run["call_addressing"] == 0  # the pointer itself, no reference


@pytest.mark.parametrize("family", FAMILIES)
def test_every_operation_gives_numpys_bits_by_data_pointer(
    pointer_free_run: dict[str, Any], family: str
) -> None:
    cases = pointer_free_run["results"][family]
    assert len(cases) >= 40, cases  # contiguous sizes, scalars, out=, in place, layouts
    wrong = [f"{name}: {v}" for name, v in cases if v != "ok"]
    assert not wrong, f"{len(wrong)} of {len(cases)} cases:\n" + "\n".join(wrong[:20])
