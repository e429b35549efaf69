#!/usr/bin/env bash
# Run the project's pytest suite on emulated AArch64 (called by `make test-arm64`,
# after tools/arm64/setup.sh and the cross build of $ARM64_BUILD_DIR/libraptors.so).
#
# The suite runs in a snapshot of the work tree ($ARM64_CACHE/src: tracked and
# untracked-but-not-ignored files), with the AArch64 library in its raptors/. Tests
# that build things in the source tree (tests/test_packaging.py: `pip wheel .` -> `make
# lib`, which copies the library into raptors/) then change the snapshot, never the
# developer's x86-64 raptors/libraptors.so.
#
# Environment given to the tests (and so to every subprocess they start):
#   CC, CPU, BUILD_DIR  the cross compiler, target CPU and AArch64 build directory, for
#                       `make` in a subprocess and for tests that compile a C library
#   PYTHONPATH          the snapshot; sys.executable is the qemu wrapper (emulated too)
# Extra arguments are passed to pytest. QEMU_CPU=max runs on a CPU with SVE/SVE2.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${ARM64_CACHE:-$ROOT/.cache/arm64}
BUILD=${ARM64_BUILD_DIR:-build-arm64}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CC_ARM64=${ARM64_CC:-aarch64-linux-gnu-gcc}
CPU_ARM64=${ARM64_CPU:-neoverse-n1}
PY=$CACHE/bin/python3
SRC=$CACHE/src

[ -x "$PY" ] || { echo "arm64: $PY missing: run tools/arm64/setup.sh (make arm64-setup)" >&2; exit 2; }
[ -f "$BUILD/libraptors.so" ] || { echo "arm64: $BUILD/libraptors.so missing (make arm64-lib)" >&2; exit 2; }

# Fresh snapshot (mtimes kept, so `make` in it finds $BUILD up to date).
rm -rf "$SRC"
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z -co --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$SRC"
else
    (cd "$ROOT" && tar --exclude=./.git --exclude=./.venv --exclude='./build*' \
        --exclude=./.cache -cf - .) | tar -xf - -C "$SRC"
fi
cp "$BUILD/libraptors.so" "$SRC/raptors/libraptors.so"

export CC=$CC_ARM64 CPU=$CPU_ARM64 BUILD_DIR=$BUILD
export PYTHONPATH=$SRC
unset RAPTORS_LIBRARY RAPTORS_SIMD RAPTORS_NUM_THREADS
cd "$SRC"

echo "arm64: qemu-aarch64 -cpu ${QEMU_CPU:-default}; library $BUILD/libraptors.so ($CC, CPU=$CPU)"
"$PY" - <<'EOF'
import json, platform, sys
import raptors
print("arm64: the tests see platform.machine() =", platform.machine(), "| python",
      platform.python_version(), "|", sys.executable)
print("arm64: raptors.build_info() =", json.dumps(raptors.build_info(), indent=None))
import ctypes
libc = ctypes.CDLL(None)
libc.getauxval.restype = ctypes.c_ulong
hwcap, hwcap2 = libc.getauxval(16), libc.getauxval(26)  # AT_HWCAP, AT_HWCAP2
feats = {"asimd": hwcap >> 1 & 1, "sve": hwcap >> 22 & 1, "sve2": hwcap2 >> 1 & 1}
print("arm64: CPU features (AT_HWCAP):", ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in feats.items()))
EOF
exec "$PY" -m pytest "$@"
