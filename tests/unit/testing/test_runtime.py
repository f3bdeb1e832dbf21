"""The runtime installer's pieces that run without touching the system."""

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from frameworkkit.testing import runtime
from frameworkkit.testing.runtime import InstallError, _elf_hash, rename_version_need


def test_elf_hash_matches_the_glibc_version_hash() -> None:
    # the hash every x86-64 binary stores for its GLIBC_2.2.5 version need
    assert _elf_hash(b"GLIBC_2.2.5") == 0x09691A75


def test_rename_version_need_rewrites_name_and_hash(tmp_path: Path) -> None:
    binary = tmp_path / "true"
    shutil.copy("/bin/true", binary)
    data = bytearray(binary.read_bytes())
    assert rename_version_need(data, b"GLIBC_2.2.5", b"GLIBC_9.9.9")
    binary.write_bytes(bytes(data))
    listing = readelf("-V", binary)
    assert "Name: GLIBC_9.9.9" in listing
    assert "GLIBC_2.2.5" not in listing
    dump = "".join(
        word
        for line in readelf("-x", ".gnu.version_r", binary).splitlines()[2:]
        for word in line.split()[1:5]
    )
    assert struct.pack("<I", _elf_hash(b"GLIBC_9.9.9")).hex() in dump
    assert struct.pack("<I", _elf_hash(b"GLIBC_2.2.5")).hex() not in dump


def readelf(*args: object) -> str:
    return subprocess.run(["readelf", *map(str, args)], capture_output=True, text=True).stdout


def test_rename_version_need_refuses_a_length_change() -> None:
    with pytest.raises(ValueError, match="new"):
        rename_version_need(bytearray(64), b"A_1", b"A_10")


def test_an_installed_runtime_is_reused_without_any_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "site/mesos/scheduler").mkdir(parents=True)
    (tmp_path / "site/mesos/scheduler/_scheduler.so").write_bytes(b"")
    (tmp_path / ".installed").write_text("1.11.0\n")
    monkeypatch.setattr(runtime, "_PYTHON2", Path("/bin/sh"))  # any existing file

    def no_step(home: Path) -> None:
        raise AssertionError("an install step ran for an installed runtime")

    for name in ("_install_debian_packages", "_fetch_bdists", "_fetch_py2_wheels"):
        monkeypatch.setattr(runtime, name, no_step)
    assert runtime.ensure_runtime(tmp_path, progress=False).home == tmp_path


def test_a_failing_step_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(home: Path) -> None:
        raise OSError("network unreachable")

    monkeypatch.setattr(runtime, "_install_debian_packages", lambda home: None)
    monkeypatch.setattr(runtime, "_fetch_bdists", broken)
    with pytest.raises(InstallError, match=r"step 'mesos bdists'.*network unreachable"):
        runtime.ensure_runtime(tmp_path, progress=False)
