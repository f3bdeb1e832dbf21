"""Install the real Mesos 1.11.0 runtime (master, allocator, agents) into a cache directory.

Debian ships no Mesos, but PyPI holds binary distributions of the Mesos 1.11.0 Python bindings whose
``_scheduler.so`` statically contains libmesos. This module assembles a runnable copy of it once:
Python 2.7 and a few libraries from Debian, the bdists and two Python 2 wheels from PyPI, and three
binary fixes so the library loads on a current Debian. Call :func:`ensure_runtime` before
starting an :class:`~frameworkkit.testing.embedded.EmbeddedCluster`; a second call returns at once.

Installing system packages needs root (``apt-get``). Every step that fails raises
:class:`InstallError` naming the step and the command, never a bare traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

MESOS_VERSION = "1.11.0"
_BDISTS = ("mesos.scheduler", "mesos.interface")
_PY2_WHEELS = ("protobuf==3.17.3", "six==1.16.0")
_DEBIAN_PACKAGES = ("libsvn1", "libapr1", "patchelf", "gcc", "libc6-dev", "libcurl4", "binutils")
_BULLSEYE_SOURCE = Path("/etc/apt/sources.list.d/frameworkkit-bullseye.sources")
_BULLSEYE_PIN_FILE = Path("/etc/apt/preferences.d/frameworkkit-bullseye")
_SO_RELATIVE = Path("site/mesos/scheduler/_scheduler.so")
_MARKER = ".installed"
_PYTHON2 = Path("/usr/bin/python2.7")  # Debian's; a PATH lookup may find a version manager's shim
BULLSEYE_PIN = "Package: *\nPin: release n=bullseye\nPin-Priority: 100\n"
"""apt preferences that take from bullseye only what is asked for from that suite."""


class InstallError(RuntimeError):
    """A runtime install step failed; ``step`` names it and the message says what to do."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"installing the Mesos runtime failed at step '{step}': {detail}")
        self.step = step


@dataclass(frozen=True)
class Runtime:
    """An installed Mesos runtime: the Python 2.7 interpreter and the site directory it needs."""

    home: Path
    python2: Path

    @property
    def site_dir(self) -> Path:
        return self.home / "site"

    @property
    def library(self) -> Path:
        return self.home / _SO_RELATIVE


def default_home() -> Path:
    """Where the runtime lives: ``$FRAMEWORKKIT_HOME`` or ``~/.cache/frameworkkit``, per version."""
    base = os.environ.get("FRAMEWORKKIT_HOME") or str(Path.home() / ".cache" / "frameworkkit")
    return Path(base).expanduser() / f"mesos-{MESOS_VERSION}"


def installed_runtime(home: Path | None = None) -> Runtime | None:
    """The runtime at ``home`` if a previous install completed there, else ``None``."""
    home = home or default_home()
    if _PYTHON2.is_file() and (home / _MARKER).is_file() and (home / _SO_RELATIVE).is_file():
        return Runtime(home=home, python2=_PYTHON2)
    return None


def ensure_runtime(home: Path | None = None, *, progress: bool = True) -> Runtime:
    """Install the runtime into ``home`` unless it is there already; return it.

    Idempotent: a completed install is detected by a marker file and costs no download.
    """
    home = (home or default_home()).expanduser()
    found = installed_runtime(home)
    if found:
        return found
    home.mkdir(parents=True, exist_ok=True)
    steps: Sequence[tuple[str, Callable[[Path], None]]] = (
        ("debian packages", _install_debian_packages),
        ("mesos bdists", _fetch_bdists),
        ("python2 wheels", _fetch_py2_wheels),
        ("libcurl symbol version", _patch_curl_version),
        ("openssl 1.0 stubs", _build_openssl_stubs),
        ("load check", _check_loads),
    )
    bar = tqdm(steps, desc="Mesos runtime", unit="step", disable=not progress)
    for name, step in bar:
        bar.set_postfix_str(name)
        try:
            step(home)
        except InstallError:
            raise
        except Exception as exc:  # each step's own failure, reported by name
            raise InstallError(name, f"{type(exc).__name__}: {exc}") from exc
    (home / _MARKER).write_text(MESOS_VERSION + "\n")
    found = installed_runtime(home)
    if found is None:
        raise InstallError("load check", f"{_PYTHON2} is missing after installing it")
    return found


def _run(step: str, argv: Sequence[str], **kwargs: object) -> str:
    """Run a command for ``step``; on failure raise InstallError with its last output lines."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    except FileNotFoundError as exc:
        raise InstallError(step, f"command not found: {argv[0]}") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-6:])
        raise InstallError(step, f"`{' '.join(argv)}` exited {proc.returncode}:\n{tail}")
    return str(proc.stdout)


# --- step 1: Debian packages -------------------------------------------------------------------


def debian_source() -> tuple[str, str]:
    """URIs and Signed-By of the system's main Debian source (the one serving bookworm)."""
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        if path == _BULLSEYE_SOURCE:
            continue
        for stanza in path.read_text().split("\n\n"):
            lines = [line for line in stanza.splitlines() if re.match(r"^[A-Za-z-]+:", line)]
            fields = dict(line.split(":", 1) for line in lines)
            suites = fields.get("Suites", "").split()
            if "bookworm" in suites:
                return fields["URIs"].strip(), fields.get("Signed-By", "").strip()
    raise InstallError("debian packages", "no deb822 source for suite 'bookworm' was found")


def debian_stanza(suite: str) -> str:
    """A deb822 source for ``suite`` with the URIs and keyring of the system's Debian source."""
    uris, signed_by = debian_source()
    stanza = f"Types: deb\nURIs: {uris}\nSuites: {suite}\nComponents: main\n"
    return stanza + (f"Signed-By: {signed_by}\n" if signed_by else "")


def apt_install(step: str, packages: Sequence[str], *, suite: str | None = None) -> None:
    """``apt-get install`` the packages not yet installed (needs root); ``step`` names failures."""
    missing = [p for p in packages if not _dpkg_installed(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise InstallError(step, f"root is needed to install {', '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(step, ["apt-get", "update", "-q"], env=env)
    target = ["-t", suite] if suite else []
    _run(
        step,
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *target, *missing],
        env=env,
    )


def _install_debian_packages(home: Path) -> None:
    step = "debian packages"
    if not _PYTHON2.is_file() and os.geteuid() == 0:
        _BULLSEYE_SOURCE.write_text(debian_stanza("bullseye"))
        _BULLSEYE_PIN_FILE.write_text(BULLSEYE_PIN)
    apt_install(step, _DEBIAN_PACKAGES)
    if not _PYTHON2.is_file():
        apt_install(step, ["python2.7"], suite="bullseye")


def _dpkg_installed(package: str) -> bool:
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() == "install ok installed"


# --- steps 2 and 3: PyPI ------------------------------------------------------------------------


def _bdist_url(requirement: str) -> str:
    """The download URL pip resolves for a bdist it then refuses to install."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            ["python3", "-m", "pip", "download", "--no-deps", "-d", tmp, requirement],
            capture_output=True,
            text=True,
            check=False,
        )
    match = re.search(r"from (\S+?\.tar\.gz)", proc.stdout + proc.stderr)
    if not match:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-4:])
        raise InstallError("mesos bdists", f"pip found no download for {requirement}:\n{tail}")
    return match.group(1)


def _fetch_bdists(home: Path) -> None:
    site = home / "site"
    for name in _BDISTS:
        url = _bdist_url(f"{name}=={MESOS_VERSION}.linux-x86_64")
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "bdist.tar.gz"
            urllib.request.urlretrieve(url, archive)
            with tarfile.open(archive) as tar:
                members = [m for m in tar.getmembers() if "/dist-packages/mesos/" in m.name]
                tar.extractall(tmp, members=members)
            source = next(Path(tmp).rglob("dist-packages/mesos"))
            shutil.copytree(source, site / "mesos", dirs_exist_ok=True)
    (site / "mesos" / "__init__.py").write_text("")


def _fetch_py2_wheels(home: Path) -> None:
    site = home / "site"
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            "python2 wheels",
            [
                "python3",
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "-d",
                tmp,
                "--only-binary=:all:",
                "--python-version",
                "2.7",
                "--implementation",
                "cp",
                "--abi",
                "none",
                "--platform",
                "manylinux1_x86_64",
                *_PY2_WHEELS,
            ],
        )
        for wheel in Path(tmp).glob("*.whl"):
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(site)
    (site / "google" / "__init__.py").touch()


# --- step 4: libcurl symbol version -------------------------------------------------------------


def _elf_hash(name: bytes) -> int:
    """The SysV ELF hash, as stored in ``vna_hash``."""
    h = 0
    for byte in name:
        h = ((h << 4) + byte) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def rename_version_need(data: bytearray, old: bytes, new: bytes) -> bool:
    """Rename a needed symbol version of an ELF64 image in place; True if it was found.

    Only same-length names are allowed, so the string table keeps its layout.
    """
    if len(old) != len(new):
        raise ValueError("new: a version name must keep the old name's length")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    names_offset = sections[shstrndx][4]

    def section(name: bytes) -> tuple[int, ...]:
        for sec in sections:
            start = names_offset + sec[0]
            if data[start : data.index(b"\0", start)] == name:
                return sec
        raise InstallError("libcurl symbol version", f"no {name.decode()} section")

    dynstr_offset = section(b".dynstr")[4]
    verneed = section(b".gnu.version_r")
    pos, found = verneed[4], False
    for _ in range(verneed[7]):  # sh_info = number of Verneed entries
        _, cnt, _, aux, nxt = struct.unpack_from("<HHIII", data, pos)
        apos = pos + aux
        for _ in range(cnt):
            _, _, _, name_off, anext = struct.unpack_from("<IHHII", data, apos)
            start = dynstr_offset + name_off
            if data[start : start + len(old) + 1] == old + b"\0":
                data[start : start + len(new)] = new
                struct.pack_into("<I", data, apos, _elf_hash(new))
                found = True
            apos += anext
        pos += nxt
    return found


def _patch_curl_version(home: Path) -> None:
    library = home / _SO_RELATIVE
    data = bytearray(library.read_bytes())
    if rename_version_need(data, b"CURL_OPENSSL_3", b"CURL_OPENSSL_4"):
        library.write_bytes(bytes(data))


# --- step 5: OpenSSL 1.0 stubs ------------------------------------------------------------------


def _build_openssl_stubs(home: Path) -> None:
    step = "openssl 1.0 stubs"
    library = home / _SO_RELATIVE
    listing = _run(step, ["nm", "-D", "--with-symbol-versions", "--undefined-only", str(library)])
    by_version: dict[str, list[str]] = {}
    for line in listing.splitlines():
        match = re.search(r"\s(\w+)@(OPENSSL_[\w.]+)", line)
        if match:
            by_version.setdefault(match.group(2), []).append(match.group(1))
    if not by_version:
        raise InstallError(step, "no OPENSSL_* symbols found: is this the right library?")
    versions = sorted(by_version)
    with tempfile.TemporaryDirectory() as tmp:
        source, script = Path(tmp) / "stub.c", Path(tmp) / "stub.map"
        symbols = sorted({s for names in by_version.values() for s in names})
        source.write_text(
            "/* frameworkkit harness: no-op OpenSSL 1.0 symbols; never called with SSL off. */\n"
            + "".join(f"void {s}(void) {{}}\n" for s in symbols)
        )
        parent = ""
        blocks = []
        for version in versions:
            names = "".join(f"  {s};\n" for s in sorted(by_version[version]))
            blocks.append(f"{version} {{\n global:\n{names}}}{parent};\n")
            parent = f" {version}"
        blocks[-1] = blocks[-1].replace("}", " local: *;\n}", 1)
        script.write_text("".join(blocks))
        for soname in ("libssl.so.1.0.0", "libcrypto.so.1.0.0"):
            _run(
                step,
                [
                    "gcc",
                    "-shared",
                    "-fPIC",
                    "-o",
                    str(library.parent / soname),
                    f"-Wl,-soname,{soname}",
                    f"-Wl,--version-script,{script}",
                    str(source),
                ],
            )
    _run(step, ["patchelf", "--set-rpath", "$ORIGIN", str(library)])


# --- step 6: load check -------------------------------------------------------------------------


def _check_loads(home: Path) -> None:
    _run(
        "load check",
        [
            str(_PYTHON2),
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import mesos.scheduler._scheduler",
            str(home / "site"),
        ],
    )
