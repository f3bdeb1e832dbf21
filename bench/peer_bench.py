"""The same job through pymesos, ``frameworkkit.compat`` and ``frameworkkit.Framework``, one run.

Starts one embedded real Mesos cluster and runs N ``true`` command tasks through three
schedulers, one after the other, each in a process of its own:

* ``pymesos``: pymesos 0.3.15 (its last release) in a virtualenv of its own, with the
  pure-Python HTTP parser of http-parser 0.9.0 (whose C extension no longer builds), made by
  this script on first use (``--peer-venv``);
* ``compat``: the same scheduler code on ``frameworkkit.compat``'s driver;
* ``Framework``: the job as a ``frameworkkit.Framework`` (``submit_many`` then ``run()``),
  without agent checkpointing like the other two (a FrameworkInfo's default).

The two frameworkkit schedulers run in a virtualenv of their own too (``--own-venv``: the
runtime dependencies at this interpreter's versions, and frameworkkit installed from this
source tree by pip, byte-compiled as pip installs it), so no scheduler pays for start-up files
of packages it does not use, or for compiling its own sources.

The pymesos-style scheduler fills each offer with as many tasks as fit, declines the offers it
cannot use, suppresses offers once every task is launched, acknowledges updates implicitly, and
stops (tearing the framework down) when every task ended. For each it prints the wall time from
start to the last task's end, tasks per second, the scheduler process's CPU (user + sys, from
the rusage of the exited process: interpreter start, imports and the run), CPU per task, the CPU
spent before the job started (start-up and imports), the submit-to-TASK_RUNNING percentiles, the
acknowledgements the master received per task (three updates per task, plus the copies an agent
sends again when an acknowledgement is late), and the ratios to pymesos.

    python bench/peer_bench.py                         # 1000 tasks, 100 agents
    python bench/peer_bench.py --tasks 200 --rounds 3  # median of 3 interleaved rounds
    python bench/peer_bench.py --profile /tmp/prof     # cProfile each scheduler (slower)
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

# Standard library only at module level: the pymesos scheduler runs this file in pymesos's venv.

PYMESOS = "pymesos==0.3.15"
HTTP_PARSER = "http-parser==0.9.0"
PURE_PARSER_FILES = ("__init__", "pyparser", "util", "reader", "_socketio", "http")
DEFAULT_PEER_VENV = Path.home() / ".cache" / "frameworkkit" / "pymesos-0.3.15"
DEFAULT_OWN_VENV = Path.home() / ".cache" / "frameworkkit" / "peer-bench-frameworkkit"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
KINDS = ("pymesos", "compat", "Framework")
CHILD_TIMEOUT = 900.0


# ---- the pymesos peer's virtualenv -------------------------------------------------------------


def peer_python(venv: Path) -> Path:
    """The Python of a virtualenv with pymesos 0.3.15 and the pure-Python HTTP parser; made
    (with pip, from the package index pip is configured with) when missing."""
    python = venv / "bin" / "python"
    marker = venv / ".pymesos-peer-ready"
    if marker.exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    print(f"making {venv}: {PYMESOS} with http-parser's pure-Python parser", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "-q"]
    subprocess.run([*pip, "install", "--no-deps", PYMESOS, "addict", "six"], check=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [*pip, "download", "--no-deps", "--no-binary", ":all:", HTTP_PARSER, "-d", download],
            check=True,
        )
        (archive,) = Path(download).glob("http*parser-*.tar.gz")
        with tarfile.open(archive) as sdist:
            sdist.extractall(download, filter="data")
        (package,) = Path(download).glob("*/http_parser")
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        target = Path(site) / "http_parser"
        target.mkdir()
        for name in PURE_PARSER_FILES:  # the C `parser` module stays out: pymesos falls back
            shutil.copy(package / f"{name}.py", target / f"{name}.py")
    subprocess.run([str(python), "-c", "import pymesos"], check=True)
    marker.touch()
    return python


def own_python(venv: Path) -> Path:
    """The Python of a virtualenv holding frameworkkit's runtime dependencies (at the versions
    this interpreter has) and frameworkkit from this source tree, installed as a user installs
    it (byte-compiled by pip), and nothing else: the frameworkkit schedulers start as lean as
    the peer, with no other package's start-up files. The dependencies are installed once;
    frameworkkit on every run."""
    import re
    from importlib.metadata import requires, version

    names = [
        match.group(0)
        for requirement in requires("frameworkkit") or []
        if "extra ==" not in requirement
        and (match := re.match(r"[A-Za-z0-9_.-]+", requirement)) is not None
    ]
    pins = ["setuptools>=64", "wheel", *sorted(f"{name}=={version(name)}" for name in names)]
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "-q"]
    marker = venv / ".frameworkkit-deps"
    if not marker.exists() or marker.read_text().split() != pins:
        shutil.rmtree(venv, ignore_errors=True)
        print(f"making {venv}: {' '.join(pins)}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([*pip, "install", *pins], check=True)
        marker.write_text(" ".join(pins))
    with tempfile.TemporaryDirectory() as copy:  # built outside the tree: no build/ left there
        source = Path(copy) / "frameworkkit"
        shutil.copytree(
            PROJECT_ROOT / "frameworkkit",
            source / "frameworkkit",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(PROJECT_ROOT / name, source / name)
        install = ["install", "--no-deps", "--no-build-isolation", "--force-reinstall", str(source)]
        subprocess.run([*pip, *install], check=True)
    return python


# ---- the schedulers (each runs in a child process) ---------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(
    started: float, ended: float, running_at: list[float], finished: int, start_cpu: float
) -> None:
    """What a child prints: one JSON line."""
    latencies = [at - started for at in running_at]
    print(
        json.dumps(
            {
                "wall": ended - started,
                "finished": finished,
                "p50": percentile(latencies, 0.5),
                "p99": percentile(latencies, 0.99),
                "start_cpu": start_cpu,
            }
        ),
        flush=True,
    )


def driver_job(module: str, master: str, tasks: int, cpus: float, mem: float) -> None:
    """The pymesos-style scheduler, on pymesos or on frameworkkit.compat."""
    if module == "pymesos":
        from pymesos import MesosSchedulerDriver, Scheduler
    else:
        from frameworkkit.compat import MesosSchedulerDriver, Scheduler

    def scalar(offer: Any, name: str) -> float:
        return sum(r["scalar"]["value"] for r in offer["resources"] if r["name"] == name)

    class Job(Scheduler):  # type: ignore[misc]
        def __init__(self) -> None:
            self.pending = deque(range(tasks))
            self.running_at: dict[str, float] = {}
            self.ended = 0
            self.finished = 0
            self.done_at = 0.0

        def resourceOffers(self, driver: Any, offers: list[Any]) -> None:
            for offer in offers:
                free_cpus, free_mem = scalar(offer, "cpus"), scalar(offer, "mem")
                infos = []
                while self.pending and free_cpus >= cpus - 1e-9 and free_mem >= mem:
                    free_cpus, free_mem = free_cpus - cpus, free_mem - mem
                    infos.append(task_info(self.pending.popleft(), offer["agent_id"]["value"]))
                if infos:
                    driver.launchTasks(offer["id"], infos)
                else:
                    driver.declineOffer(offer["id"], {"refuse_seconds": 300})
            if not self.pending:
                driver.suppressOffers()

        def statusUpdate(self, driver: Any, status: Any) -> None:
            state, task_id = status["state"], status["task_id"]["value"]
            if state == "TASK_RUNNING":
                self.running_at.setdefault(task_id, time.monotonic())
            elif state in TERMINAL:
                self.ended += 1
                self.finished += state == "TASK_FINISHED"
                if self.ended == tasks:
                    self.done_at = time.monotonic()
                    driver.stop()

    def task_info(index: int, agent_id: str) -> dict[str, Any]:
        return {
            "task_id": {"value": f"peer-{index}"},
            "agent_id": {"value": agent_id},
            "name": f"peer-{index}",
            "command": {"value": "true", "shell": True},
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}},
            ],
        }

    job = Job()
    framework = {"user": getpass.getuser(), "name": f"peer-bench-{module}", "hostname": "localhost"}
    driver = MesosSchedulerDriver(job, framework, master.removeprefix("http://"))
    start_cpu = cpu_seconds()
    started = time.monotonic()
    driver.run()
    report(started, job.done_at, list(job.running_at.values()), job.finished, start_cpu)


TERMINAL = {
    "TASK_FINISHED",
    "TASK_FAILED",
    "TASK_KILLED",
    "TASK_LOST",
    "TASK_ERROR",
    "TASK_DROPPED",
    "TASK_GONE",
}


def framework_job(master: str, tasks: int, cpus: float, mem: float) -> None:
    """The same job as a frameworkkit Framework."""
    from frameworkkit import Framework, TaskSpec, TaskState

    class Job(Framework):
        name = "peer-bench-framework"

    with tempfile.TemporaryDirectory() as state:
        fw = Job(master, state_dir=state, checkpoint=False)  # as the peers' FrameworkInfo
        start_cpu = cpu_seconds()
        started = time.monotonic()
        handles = fw.submit_many(
            TaskSpec(name=f"peer-{i}", command="true", cpus=cpus, mem=mem) for i in range(tasks)
        )
        fw.run(timeout=CHILD_TIMEOUT)
        ended = time.monotonic()
    offset = time.monotonic() - time.time()  # history times are wall-clock
    running_at = [
        step.time + offset
        for handle in handles
        for step in handle.history
        if step.state is TaskState.TASK_RUNNING
    ]
    finished = sum(handle.state is TaskState.TASK_FINISHED for handle in handles)
    report(started, ended, running_at, finished, start_cpu)


def child(args: argparse.Namespace) -> None:
    job = (
        (lambda: framework_job(args.master, args.tasks, args.cpus, args.mem))
        if args.child == "Framework"
        else (lambda: driver_job(args.child, args.master, args.tasks, args.cpus, args.mem))
    )
    if args.profile is None:
        job()
        return
    import cProfile

    with cProfile.Profile() as profile:
        job()
    profile.dump_stats(args.profile)


# ---- the parent ---------------------------------------------------------------------------------


def run_child(
    python: Path | str, kind: str, master: str, args: argparse.Namespace, round_: int
) -> dict[str, Any]:
    """Run one scheduler to its end; its result with the CPU of the whole process."""
    command = [str(python), "-u", __file__, "--child", kind, "--master", master]
    command += ["--tasks", str(args.tasks), "--cpus", str(args.cpus), "--mem", str(args.mem)]
    if args.profile is not None:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        command += ["--profile", str(Path(args.profile) / f"{kind}-{round_}.prof")]
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out)
        deadline = time.monotonic() + CHILD_TIMEOUT + 60
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                _, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.1)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = out.read().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise SystemExit(f"{kind}: the scheduler exited with {process.returncode}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result


def wait_quiet(cluster: Any) -> None:
    """Until only the harness's framework is left registered (the last job's torn down), then
    a pause for its executors' processes to end."""
    for _ in range(120):
        names = [f["name"] for f in cluster.state().get("frameworks", [])]
        if all(name == "frameworkkit-harness" for name in names):
            break
        time.sleep(0.5)
    time.sleep(3)


def acknowledgements(master: str) -> float:
    """How many acknowledgements of status updates the master has received."""
    from urllib.request import urlopen

    with urlopen(f"{master}/metrics/snapshot", timeout=30) as answer:
        return float(json.load(answer)["master/messages_status_update_acknowledgement"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--cpus", type=float, default=0.1, help="cpus per task")
    parser.add_argument("--mem", type=float, default=32.0, help="MB per task")
    parser.add_argument("--rounds", type=int, default=1, help="report the median of rounds")
    parser.add_argument("--only", choices=KINDS, action="append", help="run only these")
    parser.add_argument("--peer-venv", type=Path, default=DEFAULT_PEER_VENV)
    parser.add_argument("--own-venv", type=Path, default=DEFAULT_OWN_VENV)
    parser.add_argument("--profile", help="directory for a cProfile of each scheduler")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--master", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args)
        return
    main_parent(args)


def main_parent(args: argparse.Namespace) -> None:
    from frameworkkit.testing import EmbeddedCluster
    from frameworkkit.testing.plugin import free_port

    kinds = args.only or list(KINDS)
    pythons: dict[str, str] = {}
    if {"compat", "Framework"} & set(kinds):
        own = str(own_python(args.own_venv.expanduser()))
        pythons = {kind: own for kind in kinds}
    if "pymesos" in kinds:
        pythons["pymesos"] = str(peer_python(args.peer_venv.expanduser()))
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    load = os.getloadavg()[0]
    with EmbeddedCluster(agents=args.agents, port=free_port()) as cluster:
        for round_ in range(args.rounds):
            for kind in kinds:
                wait_quiet(cluster)
                acknowledged = acknowledgements(cluster.url)
                result = run_child(pythons[kind], kind, cluster.url, args, round_)
                result["acks"] = acknowledgements(cluster.url) - acknowledged
                results[kind].append(result)
                print(f"round {round_ + 1} {kind}: {json.dumps(result)}", file=sys.stderr)
    print_table(args, kinds, results, load)


def print_table(
    args: argparse.Namespace,
    kinds: list[str],
    results: dict[str, list[dict[str, Any]]],
    load: float,
) -> None:
    def median(kind: str, key: str) -> float:
        return statistics.median(result[key] for result in results[kind])

    print(
        f"{args.tasks} `true` tasks ({args.cpus:g} cpus, {args.mem:g} MB) on {args.agents} "
        f"agents; median of {args.rounds} round(s); load average at start {load:.2f}\n"
    )
    print(
        "| scheduler | finished | wall s | tasks/s | CPU s | CPU ms/task | start-up CPU s | "
        "p50 to RUNNING s | p99 to RUNNING s | ACKs/task | CPU/task vs pymesos | "
        "tasks/s vs pymesos |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in kinds:
        wall, cpu = median(kind, "wall"), median(kind, "cpu")
        per_task = cpu / args.tasks
        rate = args.tasks / wall
        if "pymesos" in results:
            cpu_ratio = f"{per_task / (median('pymesos', 'cpu') / args.tasks):.2f}x"
            rate_ratio = f"{rate / (args.tasks / median('pymesos', 'wall')):.2f}x"
        else:
            cpu_ratio = rate_ratio = ""
        finished = min(result["finished"] for result in results[kind])
        print(
            f"| {kind} | {finished}/{args.tasks} | {wall:.1f} | {rate:.1f} | {cpu:.2f} | "
            f"{per_task * 1000:.2f} | {median(kind, 'start_cpu'):.2f} | "
            f"{median(kind, 'p50'):.2f} | {median(kind, 'p99'):.2f} | "
            f"{median(kind, 'acks') / args.tasks:.2f} | {cpu_ratio} | {rate_ratio} |"
        )


if __name__ == "__main__":
    main()
