"""qemu's command line for a guest, and how KVM or TCG is chosen (without starting qemu)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from lab._errors import HostError
from lab.vm import KernelImage
from lab.vm._qemu import Accel, choose_accel, qemu_argv

KERNEL = KernelImage("6.1", "6.1.0-57-amd64", Path("/k/vmlinuz"), Path("/k/lib/modules/6.1.0"))


def argv(share: Path | None) -> list[str]:
    return qemu_argv(
        kernel=KERNEL.vmlinuz,
        initramfs=Path("/c/initramfs.cpio"),
        cmdline="console=ttyS0",
        share=share,
        accel=Accel.TCG,
        memory_mb=1024,
        cpus=2,
    )


def options(args: list[str], name: str) -> list[str]:
    return [value for option, value in itertools.pairwise(args) if option == name]


def test_the_root_is_exported_read_only_and_the_share_writable() -> None:
    args = argv(Path("/srv/share"))
    assert options(args, "-fsdev") == [
        "local,security_model=none,multidevs=remap,id=root,path=/,readonly=on",
        "local,security_model=none,multidevs=remap,id=share,path=/srv/share",
    ]
    assert options(args, "-device") == [
        "virtio-9p-pci,fsdev=root,mount_tag=labroot",
        "virtio-9p-pci,fsdev=share,mount_tag=labshare",
    ]
    assert options(args, "-accel") == ["tcg,thread=single"]  # one thread: patched code seen at once
    assert options(args, "-cpu") == ["max"]
    assert "-no-reboot" in args  # a panic reboots (panic=-1), and qemu exits instead


def test_the_probe_boot_gets_no_filesystem_at_all() -> None:
    args = argv(None)
    assert "-fsdev" not in args
    assert "-device" not in args


@pytest.mark.parametrize(("value", "accel"), [("kvm", Accel.KVM), ("tcg", Accel.TCG)])
def test_lab_vm_accel_decides_without_a_probe(
    value: str, accel: Accel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LAB_VM_ACCEL", value)
    assert choose_accel(KERNEL, tmp_path / "none.cpio", tmp_path) is accel
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_lab_vm_accel_says_what_it_may_be(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LAB_VM_ACCEL", "hvf")
    with pytest.raises(HostError, match=r"LAB_VM_ACCEL=hvf .* set it to kvm or tcg"):
        choose_accel(KERNEL, tmp_path / "none.cpio", tmp_path)
