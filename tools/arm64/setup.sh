#!/usr/bin/env bash
# Prepare an emulated AArch64 Python on an x86-64 Debian host, for `make test-arm64`.
#
#   1. Debian's cross compiler and qemu-user (apt-get install; needs root or sudo).
#   2. A sysroot: Debian arm64 packages (python3.11 and the libraries it loads,
#      glibc included) fetched with `apt-get download` and unpacked with `dpkg -x`.
#   3. NumPy (PyPI's manylinux AArch64 wheel) and the pure-Python test
#      dependencies, downloaded once and installed into the sysroot's
#      /usr/local/lib/python3.11/dist-packages (where a real Debian system keeps pip's).
#   4. A wrapper, $ARM64_CACHE/bin/python3, that runs that Python under
#      qemu-aarch64 -L <sysroot>. It is also what sys.executable names inside, so a
#      test that starts `sys.executable` gets the emulated interpreter again.
#
# Idempotent: everything lives under $ARM64_CACHE (default .cache/arm64, git-ignored)
# and each step is skipped when its stamp says it is done; downloads are kept and reused.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${ARM64_CACHE:-$ROOT/.cache/arm64}
HOST_PYTHON=${HOST_PYTHON:-python3}
# The project's `test` extra (pyproject.toml, as `make venv` installs it on the host) plus
# ours, at the versions pinned in requirements/constraints.txt.
mkdir -p "$CACHE"
TEST_EXTRA=$CACHE/requirements-test-extra.txt
"$HOST_PYTHON" - "$ROOT/pyproject.toml" > "$TEST_EXTRA.tmp" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    extras = tomllib.load(f)["project"]["optional-dependencies"]
print("numpy")
# The test extra names raptors[dask] (the host's tests/test_dask.py); the emulated run does
# not run those tests (mk/arm64.mk's ARM64_CI_TESTS), and a self-reference is no PyPI name.
print("\n".join(r for r in extras["test"] if not r.startswith("raptors[")))
PY
mv -f "$TEST_EXTRA.tmp" "$TEST_EXTRA"
REQ_FILES=("$TEST_EXTRA" "$HERE/requirements.txt" "$ROOT/requirements/constraints.txt")
REQ_ARGS=(-r "$TEST_EXTRA" -r "$HERE/requirements.txt" -c "$ROOT/requirements/constraints.txt")
SYSROOT=$CACHE/sysroot
DEBS=$CACHE/debs
WHEELS=$CACHE/wheels
SITE=$SYSROOT/usr/local/lib/python3.11/dist-packages

# Debian arm64 packages: the interpreter and every shared library the test run loads.
DEB_PKGS="libc6 libgcc-s1 libstdc++6 python3.11-minimal libpython3.11-minimal
libpython3.11-stdlib libffi8 zlib1g libexpat1 libbz2-1.0 liblzma5 libssl3 libcrypt1
libsqlite3-0 libuuid1"
# Target tags for pip: glibc 2.36 in the sysroot runs any manylinux wheel up to 2_36.
PIP_TARGET=(--platform manylinux2014_aarch64 --platform manylinux_2_17_aarch64
    --platform manylinux_2_28_aarch64 --python-version 3.11 --implementation cp --abi cp311
    --only-binary=:all:)

log() { echo "arm64: $*"; }
die() { echo "arm64: error: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

APT_UPDATED=
apt_update() {
    if [ -z "$APT_UPDATED" ]; then
        log "apt-get update"
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
}

# Host pip, quiet; its output is shown only when it fails.
pip_quiet() {
    local out rc=0
    out=$("$HOST_PYTHON" -m pip "$1" -q --disable-pip-version-check "${@:2}" 2>&1) || rc=$?
    [ "$rc" = 0 ] || printf '%s\n' "$out" >&2
    return "$rc"
}

mkdir -p "$CACHE"

# 1. Host tools -------------------------------------------------------------
[ "$(uname -m)" = x86_64 ] || log "note: host is $(uname -m); this recipe is written for x86-64 Debian"
missing=
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing="$missing gcc-aarch64-linux-gnu"
command -v qemu-aarch64 >/dev/null 2>&1 || missing="$missing qemu-user"
if [ -n "${ARM64_NEED_CLANG:-}" ]; then
    command -v clang >/dev/null 2>&1 || missing="$missing clang"
fi
if [ -n "$missing" ]; then
    command -v apt-get >/dev/null 2>&1 || die "install$missing (Debian/Ubuntu names) first"
    apt_update
    log "apt-get install$missing"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# 1b. qemu-user 7.2 (Debian 12's) aborts a forked child of a multi-threaded process as
#     soon as the child starts a thread ("cpu_exec: assertion failed: (cpu == current_cpu)"),
#     which tests/test_fork.py does on purpose. 10.0 (Debian 13's, in bookworm-backports)
#     does not. With an older system qemu, take qemu-user from <codename>-backports of the
#     machine's own Debian archive into the cache (a private apt state: the machine's
#     sources and lists stay as they are); its qemu-aarch64 is static, nothing else needed.
QEMU=$(command -v qemu-aarch64)
qemu_major() { "$1" --version | sed -n '1s/.*version \([0-9][0-9]*\)\..*/\1/p'; }
if [ "$(qemu_major "$QEMU")" -lt 8 ] 2>/dev/null && [ "${ARM64_SYSTEM_QEMU:-0}" != 1 ]; then
    BQEMU=$CACHE/qemu/usr/bin/qemu-aarch64
    if [ ! -x "$BQEMU" ]; then
        codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
        uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
              awk -v r="$codename" '$2 == r {print $1; exit}')
        APTQ=$CACHE/apt
        mkdir -p "$APTQ/lists/partial" "$APTQ/cache/archives/partial"
        echo "deb $uri $codename-backports main" > "$APTQ/sources.list"
        aptq=(-o Dir::Etc::SourceList="$APTQ/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o Dir::State::Lists="$APTQ/lists" -o Dir::Cache="$APTQ/cache"
              -o APT::Architectures="$(dpkg --print-architecture)"
              -o APT::Sandbox::User="$(id -un)")
        log "qemu $(qemu_major "$QEMU").x is too old for fork tests: fetching qemu-user from $codename-backports"
        if [ -n "$codename" ] && [ -n "$uri" ] && apt-get "${aptq[@]}" update -qq >/dev/null 2>&1 &&
           (cd "$APTQ" && rm -f qemu-user_*.deb &&
            apt-get "${aptq[@]}" download -q "qemu-user/$codename-backports" >/dev/null 2>&1); then
            mkdir -p "$CACHE/qemu"
            dpkg --fsys-tarfile "$APTQ"/qemu-user_*.deb |
                tar -x -C "$CACHE/qemu" ./usr/bin/qemu-aarch64
            rm -f "$APTQ"/qemu-user_*.deb
        fi
    fi
    if [ -x "$BQEMU" ] && [ "$(qemu_major "$BQEMU")" -ge 8 ] 2>/dev/null; then
        QEMU=$BQEMU
    else
        log "warning: no newer qemu-user found; using $($QEMU --version | head -n1) (fork tests may fail)"
    fi
fi

# 2. Sysroot from Debian arm64 packages ------------------------------------
mkdir -p "$DEBS"
need=
for p in $DEB_PKGS; do
    compgen -G "$DEBS/${p}_*_arm64.deb" >/dev/null || need="$need $p:arm64"
done
if [ -n "$need" ]; then
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        log "dpkg --add-architecture arm64"
        as_root dpkg --add-architecture arm64
        APT_UPDATED=   # the lists fetched so far have no arm64 packages
        apt_update
    fi
    log "apt-get download$need"
    # apt's sandbox user may not write here; download as the caller instead.
    (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User="$(id -un)" $need >/dev/null) ||
        { APT_UPDATED=; apt_update
          (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User="$(id -un)" $need >/dev/null); }
fi
# Exactly one file per package (the newest, if an update brought a second one).
debs=()
for p in $DEB_PKGS; do
    debs+=("$(ls -1 "$DEBS/${p}"_*_arm64.deb | sort -V | tail -n1)")
done
deb_stamp=$(printf '%s\n' "${debs[@]##*/}" | sha256sum | cut -c1-16)
if [ "$(cat "$SYSROOT/.debs" 2>/dev/null)" != "$deb_stamp" ]; then
    log "unpacking ${#debs[@]} packages into $SYSROOT"
    rm -rf "$SYSROOT"
    mkdir -p "$SYSROOT"
    for d in "${debs[@]}"; do dpkg -x "$d" "$SYSROOT"; done
    # qemu resolves guest paths inside the sysroot, but the host kernel follows
    # symlinks: make absolute ones (e.g. sitecustomize.py -> /etc/...) relative.
    while IFS= read -r link; do
        target=$(readlink "$link")
        ln -sfn "$(realpath -ms --relative-to="$(dirname "$link")" "$SYSROOT$target")" "$link"
    done < <(find "$SYSROOT" -type l -lname '/*')
    # Debian's site.py also looks in these; present (and empty) in the sysroot,
    # they hide whatever the x86-64 host keeps at the same paths.
    mkdir -p "$SYSROOT/usr/lib/python3/dist-packages" "$SYSROOT/usr/lib/python3.11/dist-packages" \
        "$SITE"
    echo "$deb_stamp" > "$SYSROOT/.debs"
fi

# 3. NumPy + test dependencies from PyPI's AArch64 / pure-Python wheels ----
req_stamp=$(cat "${REQ_FILES[@]}" | sha256sum | cut -c1-16)
mkdir -p "$WHEELS"
if [ "$(cat "$WHEELS/.stamp" 2>/dev/null)" != "$req_stamp" ]; then
    log "pip download (aarch64 wheels) ${REQ_ARGS[*]//$ROOT\//}"
    pip_quiet download -d "$WHEELS" "${PIP_TARGET[@]}" "${REQ_ARGS[@]}" || die "pip download failed"
    echo "$req_stamp" > "$WHEELS/.stamp"
fi
if [ "$(cat "$SITE/.stamp" 2>/dev/null)" != "$req_stamp" ]; then
    log "installing wheels into ${SITE#$ROOT/}"
    rm -rf "$SITE"
    mkdir -p "$SITE"
    pip_quiet install --no-index --find-links "$WHEELS" --no-compile --target "$SITE" \
        "${PIP_TARGET[@]}" "${REQ_ARGS[@]}" || die "pip install --target failed"
    rm -rf "$SITE/bin"   # x86-64-host console scripts, useless in the guest
    echo "$req_stamp" > "$SITE/.stamp"
fi

# 4. The emulated interpreter ------------------------------------------------
mkdir -p "$CACHE/bin"
cat > "$CACHE/bin/python3.tmp" <<EOF
#!/bin/sh
# AArch64 CPython 3.11 (Debian arm64) under qemu-user ($("$QEMU" --version | head -n1));
# written by tools/arm64/setup.sh.
# -0 "\$0" makes this wrapper the guest's sys.executable, so subprocesses stay emulated.
# QEMU_CPU (e.g. max, for SVE) is read by qemu-aarch64 itself and inherited by children.
export QEMU_LD_PREFIX='$SYSROOT'
export PYTHONNOUSERSITE=1
# Bytecode goes to the cache: qemu only maps guest paths that exist in the sysroot,
# so a new __pycache__ file under /usr would otherwise land on the host's /usr.
export PYTHONPYCACHEPREFIX='$CACHE/pycache'
exec '$QEMU' -0 "\$0" "\$QEMU_LD_PREFIX/usr/bin/python3.11" "\$@"
EOF
chmod +x "$CACHE/bin/python3.tmp"
mv -f "$CACHE/bin/python3.tmp" "$CACHE/bin/python3"
ln -sfn python3 "$CACHE/bin/python"
# clang picks its target from a triple-prefixed name: with Debian's clang installed,
# ARM64_CC=$CACHE/bin/aarch64-linux-gnu-clang cross-compiles (LTO too) for AArch64.
if command -v clang >/dev/null 2>&1; then
    ln -sfn "$(command -v clang)" "$CACHE/bin/aarch64-linux-gnu-clang"
fi

# 5. Bytecode for the stdlib and the wheels, compiled once by the guest itself into
#    $CACHE/pycache (PYTHONPYCACHEPREFIX): emulated imports then skip the parser,
#    which cuts the start-up of an emulated pytest by several seconds.
pyc_stamp="$deb_stamp-$req_stamp"
if [ "$(cat "$CACHE/pycache/.stamp" 2>/dev/null)" != "$pyc_stamp" ]; then
    log "compiling the guest's stdlib and site-packages to bytecode (emulated)"
    rm -rf "$CACHE/pycache"
    "$CACHE/bin/python3" -m compileall -q -j0 -x '/(lib2to3/tests|test)/' \
        /usr/lib/python3.11 /usr/local/lib/python3.11/dist-packages >/dev/null ||
        log "note: some modules did not compile (they will be parsed at import)"
    mkdir -p "$CACHE/pycache" && echo "$pyc_stamp" > "$CACHE/pycache/.stamp"
fi
log "ready: $CACHE/bin/python3"
