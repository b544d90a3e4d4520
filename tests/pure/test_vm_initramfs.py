"""Which kernel modules the guest's initramfs loads, and in what order, from modules.dep."""

from __future__ import annotations

import pytest

from lab._errors import HostError
from lab.vm._initramfs import ROOT_MODULES, load_order, module_name, parse_modules_dep

# Lines of the real files (Debian 6.1.0-57-amd64): virtio is a module there.
DEP_6_1 = """\
kernel/fs/overlayfs/overlay.ko:
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/netfs/netfs.ko:
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko \
kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko \
kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko \
kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet_xen.ko: kernel/net/9p/9pnet.ko
""".replace("\\\n", "")

# Debian 6.12: compressed modules, virtio built in (modules.builtin), fscache folded into netfs.
DEP_6_12 = """\
kernel/fs/overlayfs/overlay.ko.xz:
kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
kernel/net/9p/9pnet.ko.xz: kernel/fs/netfs/netfs.ko.xz
kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
kernel/fs/netfs/netfs.ko.xz:
"""
BUILTIN_6_12 = ["kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_pci.ko"]


def loads_after(order: list[str], first: str, then: str) -> bool:
    names = [module_name(path) for path in order]
    return names.index(first) < names.index(then)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("kernel/net/9p/9pnet_virtio.ko.xz", "9pnet_virtio"),
        ("kernel/fs/9p/9p.ko", "9p"),
        ("kernel/drivers/net/wireguard/wire-guard.ko.gz", "wire_guard"),
    ],
)
def test_module_names_drop_folder_suffix_and_dashes(path: str, name: str) -> None:
    assert module_name(path) == name


def test_6_1_loads_every_dependency_before_its_user() -> None:
    order = load_order(ROOT_MODULES, parse_modules_dep(DEP_6_1), builtin=[])
    assert sorted(module_name(path) for path in order) == sorted(
        [
            *("virtio", "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev"),
            *("virtio_pci", "9pnet", "9pnet_virtio", "netfs", "fscache", "9p", "overlay"),
        ]
    )
    assert len(order) == len(set(order))
    for user, needed in [
        ("virtio_pci", "virtio"),
        ("9pnet_virtio", "9pnet"),
        ("9p", "fscache"),
        ("fscache", "netfs"),
    ]:
        assert loads_after(order, needed, user)
    assert "9pnet_xen" not in {module_name(path) for path in order}  # not wanted, not loaded


def test_6_12_skips_built_in_modules() -> None:
    order = load_order(ROOT_MODULES, parse_modules_dep(DEP_6_12), builtin=BUILTIN_6_12)
    assert [module_name(path) for path in order] == [
        "netfs",
        "9pnet",
        "9pnet_virtio",
        "9p",
        "overlay",
    ]
    assert order[0] == "kernel/fs/netfs/netfs.ko.xz"


def test_a_missing_module_is_named_with_the_fix() -> None:
    without_9p = "\n".join(line for line in DEP_6_12.splitlines() if "fs/9p/" not in line)
    with pytest.raises(HostError, match=r"no module 9p and it is not built in.*depmod"):
        load_order(ROOT_MODULES, parse_modules_dep(without_9p), builtin=BUILTIN_6_12)


def test_a_dependency_cycle_does_not_loop() -> None:
    deps = parse_modules_dep("a.ko: b.ko\nb.ko: a.ko\n")
    assert sorted(load_order(["a"], deps, builtin=[])) == ["a.ko", "b.ko"]
