"""The images of the dockerised cluster, built from Debian and PyPI packages with no registry.

Three images, each built once and then found by its tag (a hash of what went into it):

* **base**: Debian bookworm (``debootstrap --variant=minbase`` with Python 3) turned into an image
  with ``docker import``. Task containers of the Docker tests run it too.
* **mesos**: the base plus Python 2.7, the libraries of the Mesos runtime, ZooKeeper and a JRE
  from Debian, the installed Mesos 1.11 runtime (the same files ``frameworkkit setup`` made) and
  frameworkkit's dependencies for the image's Python 3.
* **node**: the mesos image plus this frameworkkit source, so containers run the code that
  started them. Only this small layer is rebuilt when the source changes.

Call :func:`ensure_images` (after :func:`~frameworkkit.testing.engine.ensure_engine`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import frameworkkit
from frameworkkit.testing.engine import DockerError, docker, docker_binary, run
from frameworkkit.testing.runtime import (
    BULLSEYE_PIN,
    MESOS_VERSION,
    Runtime,
    debian_source,
    debian_stanza,
    ensure_runtime,
)

SUITE = "bookworm"
IMAGE_PYTHON = "3.11"  # bookworm's python3
IMAGE_SITE = f"/usr/local/lib/python{IMAGE_PYTHON}/dist-packages"
IMAGE_RUNTIME_HOME = Path(f"/opt/frameworkkit/mesos-{MESOS_VERSION}")
LABEL = "frameworkkit.image"
IMAGE_EXTRAS = ("zookeeper",)  # the contenders beside the masters use kazoo
_BASE_PACKAGES = ("python3",)
# wheels bookworm's glibc 2.36 runs: pip takes each manylinux tag only as named
_PLATFORMS = [f"--platform=manylinux_2_{minor}_x86_64" for minor in range(17, 37)]
# by name and suite: `-t bullseye` would take their dependencies (perl) from bullseye too
_PYTHON2_PACKAGES = (
    "python2.7",
    "python2.7-minimal",
    "libpython2.7-stdlib",
    "libpython2.7-minimal",
)
_MESOS_PACKAGES = ("libsvn1", "libapr1", "libcurl4", "zookeeper", "default-jre-headless")


@dataclass(frozen=True)
class Images:
    """Tags of the three images."""

    base: str
    mesos: str
    node: str


def _digest(parts: Iterable[str | bytes]) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
        sha.update(b"\0")
    return sha.hexdigest()[:12]


def image_exists(tag: str) -> bool:
    """True if the engine has an image tagged ``tag``."""
    try:
        docker("image", "inspect", "--format", "{{.Id}}", tag, timeout=30)
    except DockerError:
        return False
    return True


def _timed(say: Callable[[str], None], what: str, build: Callable[[], None]) -> None:
    started = time.monotonic()
    say(f"building {what} ...")
    build()
    say(f"built {what} in {time.monotonic() - started:.0f} s")


# --- base ---------------------------------------------------------------------------------------


def base_tag() -> str:
    return f"frameworkkit-base:{SUITE}-{_digest([SUITE, *_BASE_PACKAGES, debian_stanza(SUITE)])}"


def _build_base(tag: str) -> None:
    uris, signed_by = debian_source()
    with tempfile.TemporaryDirectory(prefix="frameworkkit-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        keyring = [f"--keyring={signed_by}"] if signed_by else []
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(_BASE_PACKAGES)}",
                *keyring,
                SUITE,
                str(rootfs),
                uris.split()[0],
            ],
            timeout=1200,
        )
        (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
        (rootfs / f"etc/apt/sources.list.d/{SUITE}.sources").write_text(debian_stanza(SUITE))
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        try:
            imported = subprocess.run(
                [docker_binary(), "import", "--change", f"LABEL {LABEL}=base", "-", tag],
                stdin=tar.stdout,
                capture_output=True,
                check=False,
            )
        finally:
            if tar.stdout is not None:
                tar.stdout.close()
            tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise DockerError(f"docker import of {tag} failed: {imported.stderr.decode()[-500:]}")


# --- mesos --------------------------------------------------------------------------------------


def _requirements() -> list[str]:
    """frameworkkit's dependencies with the extras the containers use, pinned to the versions
    installed here."""
    pinned = []
    for requirement in importlib.metadata.requires("frameworkkit") or []:
        name, _, marker = requirement.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)", marker)
        if extra and extra.group(1) not in IMAGE_EXTRAS:
            continue
        match = re.match(r"[A-Za-z0-9._-]+", name.strip())
        if match and match.group(0) != "frameworkkit":
            pinned.append(f"{match.group(0)}=={importlib.metadata.version(match.group(0))}")
    return sorted(pinned)


def _mesos_dockerfile(base: str) -> str:
    return (
        f"FROM {base}\n"
        "ENV DEBIAN_FRONTEND=noninteractive\n"
        "COPY apt/ /etc/apt/\n"
        "RUN apt-get update -q"
        f" && apt-get install -y -q --no-install-recommends {' '.join(_MESOS_PACKAGES)}"
        " && apt-get install -y -q --no-install-recommends"
        f" {' '.join(f'{name}/bullseye' for name in _PYTHON2_PACKAGES)}"
        " && rm -rf /var/lib/apt/lists/*\n"
        f"COPY mesos {IMAGE_RUNTIME_HOME}\n"
        f"COPY python3 {IMAGE_SITE}\n"
        f"RUN python3 -m compileall -q {IMAGE_SITE}\n"
        f"LABEL {LABEL}=mesos\n"
    )


def mesos_tag(base: str, runtime: Runtime) -> str:
    library = runtime.library.stat()
    inputs = [
        _mesos_dockerfile(base),
        debian_stanza("bullseye"),
        *_requirements(),
        f"{library.st_size}:{library.st_mtime_ns}",
    ]
    return f"frameworkkit-mesos:{MESOS_VERSION}-{_digest(inputs)}"


def _copy_tree(source: Path, target: Path) -> None:
    """Copy a directory, hard-linking files where the filesystem allows (the runtime is big)."""

    def link_or_copy(src: str, dst: str) -> object:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return dst

    shutil.copytree(source, target, copy_function=link_or_copy)


def _build_mesos(tag: str, base: str, runtime: Runtime) -> None:
    with tempfile.TemporaryDirectory(prefix="frameworkkit-mesos-image-") as tmp:
        context = Path(tmp)
        (context / "apt/sources.list.d").mkdir(parents=True)
        (context / "apt/preferences.d").mkdir(parents=True)
        (context / "apt/sources.list.d/bullseye.sources").write_text(debian_stanza("bullseye"))
        (context / "apt/preferences.d/bullseye").write_text(BULLSEYE_PIN)
        _copy_tree(runtime.home, context / "mesos")
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-compile",
                "--target",
                str(context / "python3"),
                "--python-version",
                IMAGE_PYTHON,
                "--implementation",
                "cp",
                *_PLATFORMS,
                "--only-binary=:all:",
                *_requirements(),
            ],
            timeout=1200,
        )
        (context / "Dockerfile").write_text(_mesos_dockerfile(base))
        docker(
            "build", "--force-rm", "--network", "host", "-q", "-t", tag, str(context), timeout=1800
        )


# --- node ---------------------------------------------------------------------------------------


def _source_files() -> list[Path]:
    package = Path(frameworkkit.__file__).parent
    return sorted(
        path
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def _node_dockerfile(mesos: str) -> str:
    return (
        f"FROM {mesos}\n"
        f"COPY frameworkkit {IMAGE_SITE}/frameworkkit\n"
        f"RUN python3 -m compileall -q {IMAGE_SITE}/frameworkkit\n"
        f"LABEL {LABEL}=node\n"
    )


def node_tag(mesos: str) -> str:
    package = Path(frameworkkit.__file__).parent
    inputs: list[str | bytes] = [_node_dockerfile(mesos)]
    for path in _source_files():
        inputs += [str(path.relative_to(package)), path.read_bytes()]
    return f"frameworkkit-node:{_digest(inputs)}"


def _build_node(tag: str, mesos: str) -> None:
    package = Path(frameworkkit.__file__).parent
    with tempfile.TemporaryDirectory(prefix="frameworkkit-node-image-") as tmp:
        context = Path(tmp)
        for path in _source_files():
            target = context / "frameworkkit" / path.relative_to(package)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        (context / "Dockerfile").write_text(_node_dockerfile(mesos))
        docker(
            "build", "--force-rm", "--network", "host", "-q", "-t", tag, str(context), timeout=600
        )


def ensure_images(*, progress: bool = False) -> Images:
    """Build whichever of the three images is missing; return their tags.

    Needs the Mesos runtime (installed here if missing) and a running engine.
    """

    def say(message: str) -> None:
        if progress:
            print(f"frameworkkit: {message}", file=sys.stderr, flush=True)

    runtime = ensure_runtime(progress=progress)
    base = base_tag()
    if not image_exists(base):
        _timed(say, f"image {base} (debootstrap)", lambda: _build_base(base))
    mesos = mesos_tag(base, runtime)
    if not image_exists(mesos):
        _timed(say, f"image {mesos}", lambda: _build_mesos(mesos, base, runtime))
    node = node_tag(mesos)
    if not image_exists(node):
        _timed(say, f"image {node}", lambda: _build_node(node, mesos))
    return Images(base=base, mesos=mesos, node=node)
