"""The processor's identity, in one place: the name of the benchmark machine (asv's machine
info, printed by tools/bench/machine.py) and the key a tuning is stored under (raptors/_tuning.py)
both come from here.

The machine name is <vendor>-<microarchitecture>-<family/model or part>-<N>cpu, derived from the
processor at run time (never from the host name, `vm` on every development VM; nor from the
model-name string, "AMD EPYC" for Zen 4 and Zen 5 alike under KVM):

- x86-64 (/proc/cpuinfo, or sysctl on an Intel Mac): vendor, family and model, e.g.
  amd-zen4-f25m17-2cpu (AMD family 25 model 17: Zen 4, EPYC Genoa); the microarchitecture is
  added where the family/model says it unambiguously (MICROARCH), else the name is
  amd-f26m80-8cpu;
- Arm64 Linux (/proc/cpuinfo): implementer and part, e.g. arm-neoverse-n2-4cpu
  (implementer 0x41 part 0xd49), or arm-imp41-partd49-4cpu for a part not in ARM_PARTS;
- macOS on Apple silicon (sysctl machdep.cpu.brand_string): apple-m1-3cpu;
- <N>cpu is the number of CPUs this process may run on (its affinity mask where the OS has one).

Everything in the machine info is a property of that type, the same on every host of it: asv
makes each distinct value of a machine field its own series, so the host name, the kernel
version and the exact RAM are left out (`os` is the system's name, `ram` empty).

The tuning key (tuning_key) names vendor, family, model, the L2 and L3 sizes and the SIMD
variants, e.g. AuthenticAMD-25-17-L2_1M-L3_32M-avx512+avx2+scalar; the caches and variants are
the library's (raptors/_tuning.py adds them), the rest is read here.

The standard library only, and no import of the package: tools/bench/machine.py runs under the
host's Python and loads this file by its path.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

# (vendor_id, family) -> {name: [(first model, last model), ...]}: only where family/model names
# the microarchitecture without doubt. The family/model stays in the machine name in any case.
MICROARCH: dict[tuple[str, int], dict[str, list[tuple[int, int]]]] = {
    ("AuthenticAMD", 23): {"zen": [(0x00, 0x2F)], "zen2": [(0x30, 0xFF)]},
    ("AuthenticAMD", 25): {
        "zen3": [(0x00, 0x0F), (0x20, 0x5F)],
        "zen4": [(0x10, 0x1F), (0x60, 0xAF)],
    },
    ("AuthenticAMD", 26): {"zen5": [(0x00, 0x4F), (0x60, 0x7F)]},
    ("GenuineIntel", 6): {
        "haswell": [(0x3F, 0x3F)],
        "broadwell": [(0x4F, 0x4F)],
        "icelake": [(0x6A, 0x6A), (0x6C, 0x6C)],
        "sapphirerapids": [(0x8F, 0x8F)],
        "emeraldrapids": [(0xCF, 0xCF)],
        "graniterapids": [(0xAD, 0xAE)],
    },
}
X86_VENDORS = {"AuthenticAMD": "amd", "GenuineIntel": "intel", "HygonGenuine": "hygon"}
X86_VENDOR_NAMES = {"amd": "AMD", "intel": "Intel", "hygon": "Hygon"}

# Arm64: CPU implementer -> vendor, and (implementer, part) -> core.
ARM_IMPLEMENTERS = {
    0x41: "arm",
    0x42: "broadcom",
    0x43: "cavium",
    0x46: "fujitsu",
    0x48: "hisilicon",
    0x4E: "nvidia",
    0x51: "qualcomm",
    0x61: "apple",
    0x6D: "microsoft",
    0xC0: "ampere",
}
ARM_PARTS = {
    (0x41, 0xD08): "cortex-a72",
    (0x41, 0xD0B): "cortex-a76",
    (0x41, 0xD0C): "neoverse-n1",
    (0x41, 0xD40): "neoverse-v1",
    (0x41, 0xD49): "neoverse-n2",
    (0x41, 0xD4F): "neoverse-v2",
    (0x41, 0xD8E): "neoverse-n3",
    (0x41, 0xD84): "neoverse-v3",
    (0xC0, 0xAC3): "ampereone",
    (0x48, 0xD01): "tsv110",
}


def read_cpuinfo() -> str:
    """/proc/cpuinfo's text ("" where there is none: not Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def cpuinfo_fields(text: str) -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (key: value lines up to the first blank)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields


# ---- the benchmark machine's name -------------------------------------------------------------
def slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def _int(v: str | None) -> int | None:
    if v is None:
        return None
    try:
        return int(v, 0)
    except ValueError:
        return None


def x86_identity(vendor_id: str, family: int, model: int) -> tuple[str, str]:
    """(name stem, description) of an x86-64 processor type."""
    vendor = X86_VENDORS.get(vendor_id, slug(vendor_id) or "x86")
    uarch = next(
        (
            name
            for name, ranges in MICROARCH.get((vendor_id, family), {}).items()
            if any(lo <= model <= hi for lo, hi in ranges)
        ),
        None,
    )
    fm = "f%dm%d" % (family, model)
    stem = "-".join(p for p in (vendor, uarch, fm) if p)
    what = "%s family %d model %d" % (X86_VENDOR_NAMES.get(vendor, vendor_id), family, model)
    if uarch:
        what += " (%s)" % re.sub(r"^zen(\d?)$", lambda m: "Zen " + (m.group(1) or "1"), uarch)
    return stem, what


def arm_identity(implementer: int, part: int) -> tuple[str, str]:
    vendor = ARM_IMPLEMENTERS.get(implementer, "imp%x" % implementer)
    core = ARM_PARTS.get((implementer, part))
    if core:
        stem = "%s-%s" % (vendor, core)
    else:
        stem = "%s-imp%x-part%x" % (
            "arm" if implementer not in ARM_IMPLEMENTERS else vendor,
            implementer,
            part,
        )
    what = "%s (CPU implementer 0x%02x, part 0x%03x)" % (core or vendor, implementer, part)
    return stem, what


def from_cpuinfo(text: str, arch: str) -> tuple[str, str] | None:
    f = cpuinfo_fields(text)
    if "vendor_id" in f and "cpu family" in f and "model" in f:
        fam, model = _int(f["cpu family"]), _int(f["model"])
        if fam is not None and model is not None:
            return x86_identity(f["vendor_id"], fam, model)
    imp, part = _int(f.get("CPU implementer")), _int(f.get("CPU part"))
    if imp is not None and part is not None:
        return arm_identity(imp, part)
    return None


def from_brand(brand: str) -> tuple[str, str]:
    """Apple silicon (and anything else known only by its brand string)."""
    brand = re.sub(r"\((virtual|r|tm)\)", "", brand, flags=re.I)
    brand = re.sub(r"\s+", " ", brand).strip()
    return slug(brand), brand


def _sysctl(name: str) -> str | None:
    try:
        out = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine_info(
    system: str | None = None,
    arch: str | None = None,
    cpuinfo: str | None = None,
    sysctl: Callable[[str], str | None] = _sysctl,
    ncpu: int | None = None,
) -> dict[str, str]:
    """asv machine info for this processor type (the arguments stand in for the host in tests)."""
    system = system or platform.system()
    arch = arch or platform.machine()
    ncpu = ncpu or usable_cpus()
    ident = None
    if system == "Linux":
        ident = from_cpuinfo(read_cpuinfo() if cpuinfo is None else cpuinfo, arch)
    elif system == "Darwin":
        vendor, fam, model = (
            sysctl("machdep.cpu.vendor"),
            sysctl("machdep.cpu.family"),
            sysctl("machdep.cpu.model"),
        )
        if vendor and _int(fam) is not None and _int(model) is not None:
            ident = x86_identity(vendor, _int(fam) or 0, _int(model) or 0)
        else:
            brand = sysctl("machdep.cpu.brand_string")
            if brand:
                ident = from_brand(brand)
    if ident is None:  # an OS or CPU this does not know: say so in the name
        ident = ("%s-unknown" % slug(arch or "cpu"), "unknown %s processor" % arch)
    stem, what = ident
    return {
        "machine": "%s-%dcpu" % (stem, ncpu),
        "cpu": "%s, %d CPU%s" % (what, ncpu, "" if ncpu == 1 else "s"),
        "arch": arch,
        "num_cpu": str(ncpu),
        "os": system,
        "ram": "",
    }


# ---- the tuning key ----------------------------------------------------------------------------
def processor(cpuinfo: str | None = None) -> dict[str, str]:
    """The processor type as a tuning records it: machine, vendor, family, model, model_name."""
    ci = cpuinfo_fields(read_cpuinfo() if cpuinfo is None else cpuinfo)
    ident = {
        "machine": platform.machine(),
        "vendor": ci.get("vendor_id") or ci.get("CPU implementer") or platform.processor(),
        "family": ci.get("cpu family") or ci.get("CPU architecture") or "",
        "model": ci.get("model") or ci.get("CPU part") or "",
        "model_name": ci.get("model name") or ci.get("Model") or platform.processor(),
    }
    if sys.platform == "darwin" and not ident["vendor"]:
        ident["vendor"] = "apple"
    return ident


def size_name(n: int) -> str:
    """Bytes as 1M, 512K or the number itself (what a tuning key spells)."""
    for unit, shift in (("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


def tuning_key(ident: dict[str, Any]) -> str:
    """A file-name-safe key for the processor type (processor(), plus l2_bytes, l3_bytes and
    simd_available), e.g. AuthenticAMD-25-17-L2_1M-L3_32M-avx512+avx2+scalar."""
    parts = [
        str(ident["vendor"]) or str(ident["machine"]),
        str(ident["family"]),
        str(ident["model"]),
        f"L2_{size_name(int(ident['l2_bytes']))}",
        f"L3_{size_name(int(ident['l3_bytes']))}",
        "+".join(ident["simd_available"]),
    ]
    return re.sub(r"[^A-Za-z0-9._+-]", "_", "-".join(p for p in parts if p))


def describe(ident: dict[str, Any]) -> str:
    """'AuthenticAMD family 25 model 17 (AMD EPYC; L2 1 MiB, L3 32 MiB)'."""
    caches = ", ".join(
        f"{lvl} {size_name(int(ident[k]))}B".replace("MB", " MiB").replace("KB", " KiB")
        for lvl, k in (("L2", "l2_bytes"), ("L3", "l3_bytes"))
    )
    return (
        f"{ident['vendor']} family {ident['family']} model {ident['model']} "
        f"({ident['model_name']}; {caches})"
    )
