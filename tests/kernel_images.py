"""Fake kernels for the tests of lab.vm: a bzImage header, an extracted package, a cached kernel.

Fake in content only: the files sit where a real package and a real fetch put
them, so the code that finds and reads them runs as it does on real ones.
"""

from __future__ import annotations

from pathlib import Path

from lab.vm._cache import write_metadata


def fake_bzimage(release: str, *, at: int = 0x3C0) -> bytes:
    """The first bytes of an x86 bzImage: HdrS at 0x202, kernel_version at 0x20E."""
    image = bytearray(0x1000)
    image[0x1FE:0x200] = b"\x55\xaa"
    image[0x202:0x206] = b"HdrS"
    image[0x20E:0x210] = (at - 0x200).to_bytes(2, "little")
    version = f"{release} (debian-kernel@lists.debian.org) #1 SMP Debian\0".encode()
    image[at : at + len(version)] = version
    return bytes(image)


def extracted_package(root: Path, release: str, *, depmod: bool = True) -> Path:
    """A linux-image package as dpkg-deb -x leaves it (and depmod), with a fake vmlinuz."""
    (root / "boot").mkdir(parents=True)
    vmlinuz = root / "boot" / f"vmlinuz-{release}"
    vmlinuz.write_bytes(fake_bzimage(release))
    modules = root / "lib" / "modules" / release
    modules.mkdir(parents=True)
    if depmod:
        (modules / "modules.dep").write_text("")
    return vmlinuz


def fake_kernel(cache: Path, package: str, version: str, series: str) -> Path:
    """A kernel in `cache` as a fetch leaves it (kernel.json included); its folder."""
    release = package.removeprefix("linux-image-")
    folder = cache / release
    extracted_package(folder, release)
    write_metadata(
        folder,
        package=package,
        version=version,
        release=release,
        series=series,
        origin="bookworm-security",
        fetched_at="2025-01-02T03:04:05+00:00",
    )
    return folder
