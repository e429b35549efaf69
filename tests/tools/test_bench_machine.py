"""tools/bench/machine.py (on raptors/_cpu.py): the benchmark machine is named after its processor
type, derived at run time, never after the host -- so one type merges across hosts and two types
never share a series. The tuning key comes from the same reading of the processor."""

import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "bench"))

import machine  # noqa: E402  tools/bench/machine.py

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
stepping\t: 1

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
"""
ZEN5 = ZEN4.replace("cpu family\t: 25", "cpu family\t: 26").replace("model\t\t: 17", "model\t\t: 2")
NEOVERSE_N2 = """processor\t: 0
BogoMIPS\t: 2000.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid sve
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd49
CPU revision\t: 0
"""


def linux(text, arch="x86_64", n=2):
    return machine.identify(system="Linux", arch=arch, cpuinfo=text, ncpu=n)


def test_this_development_vm_type():
    info = linux(ZEN4)
    assert info["machine"] == "amd-zen4-f25m17-2cpu"
    assert info["cpu"] == "AMD family 25 model 17 (Zen 4), 2 CPUs"
    assert info["num_cpu"] == "2" and info["arch"] == "x86_64" and info["os"] == "Linux"


def test_zen4_and_zen5_behind_the_same_model_name_are_different_machines():
    """Both say "AMD EPYC" under KVM; asv's default names both `vm`."""
    assert linux(ZEN4)["machine"] != linux(ZEN5)["machine"]
    assert linux(ZEN5)["machine"] == "amd-zen5-f26m2-2cpu"
    assert linux(ZEN4, n=4)["machine"] == "amd-zen4-f25m17-4cpu"


def test_nothing_host_specific_in_the_info():
    """asv makes a series of every distinct machine field: a host's kernel version or exact RAM
    would split one type's history."""
    info = linux(ZEN4)
    assert info["ram"] == "" and not re.search(r"\d", info["os"])
    assert set(info) == {"machine", "cpu", "arch", "num_cpu", "os", "ram"}


def test_unknown_family_keeps_family_and_model():
    text = ZEN4.replace("cpu family\t: 25", "cpu family\t: 26").replace("17", "80")
    assert linux(text)["machine"] == "amd-f26m80-2cpu"
    intel = ZEN4.replace("AuthenticAMD", "GenuineIntel").replace("25", "6").replace("17", "143")
    assert linux(intel)["machine"] == "intel-sapphirerapids-f6m143-2cpu"


def test_arm64_linux():
    info = linux(NEOVERSE_N2, arch="aarch64", n=4)
    assert info["machine"] == "arm-neoverse-n2-4cpu"
    assert "0xd49" in info["cpu"]
    other = linux(NEOVERSE_N2.replace("0xd49", "0xd99"), arch="aarch64", n=4)
    assert other["machine"] == "arm-imp41-partd99-4cpu"


def test_apple_silicon():
    sysctl = {"machdep.cpu.brand_string": "Apple M1 (Virtual)"}.get
    info = machine.identify(system="Darwin", arch="arm64", sysctl=sysctl, ncpu=3)
    assert info["machine"] == "apple-m1-3cpu"
    assert info["cpu"] == "Apple M1, 3 CPUs" and info["os"] == "Darwin"


def test_unknown_system_says_so():
    info = machine.identify(system="Plan9", arch="mips", sysctl=lambda k: None, ncpu=1)
    assert info["machine"] == "mips-unknown-1cpu"


def test_names_are_what_the_merge_accepts():
    sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
    import run

    for info in (linux(ZEN4), linux(NEOVERSE_N2, "aarch64", 4), machine.identify()):
        assert run.identified(info), info
    assert not run.identified({"machine": "vm", "cpu": "AMD EPYC", "num_cpu": "2"})


def test_the_tuning_key_reads_the_processor_as_the_machine_name_does():
    """One module, one reading of /proc/cpuinfo: the machine name and the tuning key of a Zen 4
    (the key spelled as tuning files on this machine type are named)."""
    ident = machine.cpu.processor(ZEN4)
    assert (ident["vendor"], ident["family"], ident["model"]) == ("AuthenticAMD", "25", "17")
    assert ident["model_name"] == "AMD EPYC"
    caches = {"l2_bytes": 1 << 20, "l3_bytes": 32 << 20, "simd_available": ["avx512", "scalar"]}
    key = machine.cpu.tuning_key({**ident, **caches})
    assert key == "AuthenticAMD-25-17-L2_1M-L3_32M-avx512+scalar"
    assert linux(ZEN4)["machine"] == "amd-zen4-f25m17-2cpu"
    arm = machine.cpu.processor(NEOVERSE_N2)
    assert (arm["vendor"], arm["family"], arm["model"]) == ("0x41", "8", "0xd49")
