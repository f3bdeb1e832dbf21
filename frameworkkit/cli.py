"""The ``frameworkkit`` command: run a real Mesos cluster, run commands on one, look at them.

``frameworkkit cluster up|status|down`` manage a background cluster recorded under
``$FRAMEWORKKIT_HOME/clusters/``, so later commands find it: an embedded cluster (one process,
found by port) or, with ``--docker``, a dockerised one (ZooKeeper and several masters in
containers, found by name). ``frameworkkit run`` runs a command as N tasks on a master (that
cluster by default) and ``frameworkkit tasks`` lists a framework's tasks from its state
directory (see :mod:`frameworkkit.batch`).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import urllib.error
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frameworkkit.batch import Batch, format_rows, run_command, task_rows
from frameworkkit.testing.compose import ClusterSpec
from frameworkkit.testing.embedded import DEFAULT_RESOURCES, ClusterError, EmbeddedCluster, get_json
from frameworkkit.testing.engine import DockerError, ensure_engine
from frameworkkit.testing.images import ensure_images
from frameworkkit.testing.processes import alive, stop_tree
from frameworkkit.testing.runtime import MESOS_VERSION, InstallError, default_home, ensure_runtime
from frameworkkit.testing.zookeeper import ensure_zookeeper

if TYPE_CHECKING:
    from frameworkkit.testing.docker_cluster import DockerCluster

_HARNESS_FRAMEWORK = "frameworkkit-harness"


def _records_dir() -> Path:
    return default_home().parent / "clusters"


def record_path(port: int) -> Path:
    """Where `cluster up` records the cluster on ``port`` (pid, URL, work dir, log)."""
    return _records_dir() / f"{port}.json"


def docker_record_path(name: str) -> Path:
    """Where `cluster up --docker` records the dockerised cluster called ``name``."""
    return _records_dir() / f"docker-{name}.json"


def _load_record(port: int | None, name: str | None = None) -> dict[str, Any]:
    """The record of the cluster on ``port`` or called ``name``, or of the only one recorded."""
    if port is not None or name is not None:
        path = record_path(port) if port is not None else docker_record_path(str(name))
        if not path.is_file():
            which = f"on port {port}" if port is not None else f"called {name!r}"
            raise SystemExit(f"frameworkkit: no cluster recorded {which}")
        return dict(json.loads(path.read_text()))
    records = sorted(_records_dir().glob("*.json")) if _records_dir().is_dir() else []
    if not records:
        raise SystemExit("frameworkkit: no cluster is running (start one: frameworkkit cluster up)")
    if len(records) > 1:
        names = ", ".join(p.stem for p in records)
        raise SystemExit(f"frameworkkit: several clusters run ({names}); pass --port or --name")
    return dict(json.loads(records[0].read_text()))


def _docker_cluster(spec: ClusterSpec, *, owns_work_dir: bool) -> DockerCluster:
    """The dockerised cluster of ``spec`` (it watches ZooKeeper: the zookeeper extra)."""
    try:
        from frameworkkit.testing.docker_cluster import DockerCluster
    except ImportError as exc:
        raise SystemExit(
            f"frameworkkit: the dockerised cluster needs kazoo ({exc}); "
            "install frameworkkit[zookeeper]"
        ) from exc
    return DockerCluster(spec, owns_work_dir=owns_work_dir)


def _recorded_docker_cluster(record: dict[str, Any]) -> DockerCluster:
    spec = ClusterSpec.from_json(record["spec"])
    return _docker_cluster(spec, owns_work_dir=bool(record["owns_work_dir"]))


def _is_harness(pid: int) -> bool:
    try:
        return b"embedded_master.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cmd_up(args: argparse.Namespace) -> int:
    if args.docker:
        return _docker_up(args)
    path = record_path(args.port)
    if path.is_file():
        record = json.loads(path.read_text())
        if alive(record["pid"]) and _is_harness(record["pid"]):
            print(record["url"])
            print(f"already running (pid {record['pid']})", file=sys.stderr)
            return 0
        path.unlink()
    runtime = ensure_runtime(progress=not args.quiet)
    work_dir = Path(args.work_dir or default_home().parent / "clusters" / str(args.port))
    shutil.rmtree(work_dir / "mesos", ignore_errors=True)
    cluster = EmbeddedCluster(
        agents=args.agents,
        ip=args.ip,
        port=args.port,
        resources=args.resources,
        attributes=args.attributes,
        work_dir=work_dir,
        credentials=args.credentials,
        acls=args.acls,
        runtime=runtime,
        detached=True,
    )
    if not args.quiet:
        print(f"starting {args.agents} agents on {cluster.url} ...", file=sys.stderr)
    cluster.start(timeout=args.timeout)
    record = {
        "pid": cluster.pid,
        "url": cluster.url,
        "agents": args.agents,
        "work_dir": str(work_dir),
        "log": str(cluster.log_path),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2))
    print(cluster.url)
    if not args.quiet:
        print(f"ready: pid {cluster.pid}, log {cluster.log_path}", file=sys.stderr)
    return 0


def _docker_up(args: argparse.Namespace) -> int:
    path = docker_record_path(args.name)
    if path.is_file():
        cluster = _recorded_docker_cluster(json.loads(path.read_text()))
        if not cluster.not_ready():
            print(cluster.url)
            print(f"already running ({args.name})", file=sys.stderr)
            return 0
        cluster.down()
        path.unlink()
    owned = args.work_dir is None
    spec = ClusterSpec(
        name=args.name,
        work_dir=Path(args.work_dir or _records_dir() / f"docker-{args.name}"),
        masters=args.masters,
        agents=args.agents,
        resources=args.resources,
        master_port=args.port,
        zk_port=args.zk_port,
    )
    cluster = _docker_cluster(spec, owns_work_dir=owned)
    if not args.quiet:
        print(
            f"starting ZooKeeper, {args.masters} masters and {args.agents} agents ...",
            file=sys.stderr,
        )
    cluster.prepare(progress=not args.quiet)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"kind": "docker", "url": spec.url, "spec": spec.to_json(), "owns_work_dir": owned}
    path.write_text(json.dumps(record, indent=2))  # before starting: `down` finds what we made
    cluster.compose("up", "-d")
    cluster.attach(args.timeout)
    print(cluster.url)
    if not args.quiet:
        print(f"ready: leader {cluster.leader().address}", file=sys.stderr)
    return 0


def _resources(agents: list[dict[str, Any]], key: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for agent in agents:
        for name, value in agent.get(key, {}).items():
            if isinstance(value, (int, float)):
                totals[name] = totals.get(name, 0.0) + value
    return totals


def cluster_summary(url: str) -> dict[str, Any]:
    """What ``cluster status`` shows: version, leader, agents, resources, frameworks."""
    state = get_json(f"{url}/state", 5.0)
    agents = state.get("slaves", [])
    return {
        "url": url,
        "version": state.get("version"),
        "leader": state.get("leader"),
        "agents": {"active": int(state.get("activated_slaves", 0)), "total": len(agents)},
        "resources": {
            "total": _resources(agents, "resources"),
            "used": _resources(agents, "used_resources"),
        },
        "frameworks": [
            {
                "id": f["id"],
                "name": f["name"],
                "active": f.get("active"),
                "tasks": len(f.get("tasks", [])),
                "harness": f["name"] == _HARNESS_FRAMEWORK,
            }
            for f in state.get("frameworks", [])
        ],
    }


def _format_summary(summary: dict[str, Any]) -> str:
    total, used = summary["resources"]["total"], summary["resources"]["used"]
    lines = [
        f"master     {summary['url']}  (Mesos {summary['version']}, leader {summary['leader']})",
        f"agents     {summary['agents']['active']} active of {summary['agents']['total']}",
    ]
    for name in ("cpus", "mem", "disk", "gpus"):
        if total.get(name):
            lines.append(f"{name:<10} {used.get(name, 0):g} used of {total[name]:g}")
    frameworks = [f for f in summary["frameworks"] if not f["harness"]]
    lines.append(f"frameworks {len(frameworks)}")
    lines += [
        f"  {f['name']} {f['id']} active={f['active']} tasks={f['tasks']}" for f in frameworks
    ]
    return "\n".join(lines)


def _format_docker_status(status: dict[str, Any]) -> str:
    zk = status["zookeeper"]
    lines = [f"zookeeper  {zk['address']:<16} {zk['container']:<30} {zk['state']}"]
    for m in status["masters"]:
        role = "leader" if m["leading"] else "master"
        active = "-" if m["agents_active"] is None else m["agents_active"]
        lines.append(
            f"{role:<10} {m['address']:<16} {m['container']:<30} {m['state']:<8} "
            f"agents {active}/{m['agents']}"
        )
    lines.append(f"frameworks use {status['url']}")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    record = {} if args.master else _load_record(args.port, args.name)
    if record.get("kind") == "docker":
        status = _recorded_docker_cluster(record).status()
        print(json.dumps(status, indent=2) if args.json else _format_docker_status(status))
        return 0
    url = args.master or record["url"]
    try:
        summary = cluster_summary(url)
    except (OSError, urllib.error.URLError) as exc:
        print(f"frameworkkit: {url} does not answer: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2) if args.json else _format_summary(summary))
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    record = _load_record(args.port, args.name)
    if record.get("kind") == "docker":
        cluster = _recorded_docker_cluster(record)
        cluster.down()
        docker_record_path(cluster.spec.name).unlink(missing_ok=True)
        print(f"removed the containers of {cluster.spec.name} ({record['url']})", file=sys.stderr)
        return 0
    pid = int(record["pid"])
    if alive(pid) and _is_harness(pid):
        stop_tree(pid)
    record_path(int(record["url"].rsplit(":", 1)[1])).unlink(missing_ok=True)
    work_dir = Path(record["work_dir"])
    # a work directory of our own choosing goes; one the user named keeps its log
    owned = work_dir.parent == _records_dir()
    shutil.rmtree(work_dir if owned else work_dir / "mesos", ignore_errors=True)
    print(f"stopped {record['url']} (pid {pid})", file=sys.stderr)
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    runtime = ensure_runtime(progress=not args.quiet)
    print(f"Mesos {MESOS_VERSION} runtime: {runtime.home}")
    if args.zookeeper:
        print(f"ZooKeeper: {ensure_zookeeper()}")
    if args.docker:
        ensure_engine()
        images = ensure_images(progress=not args.quiet)
        print(f"Docker images: {images.base} {images.mesos} {images.node}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    batch = Batch(
        command=args.command,
        count=args.tasks,
        name=args.name,
        cpus=args.cpus,
        mem=args.mem,
        retries=args.retries,
    )
    master = args.master or _load_record(None)["url"]
    return run_command(
        master, batch, state_dir=args.state_dir, timeout=args.timeout, progress=not args.quiet
    )


def cmd_tasks(args: argparse.Namespace) -> int:
    try:
        rows = task_rows(args.state_dir)
    except FileNotFoundError as exc:
        print(f"frameworkkit: {exc}", file=sys.stderr)
        return 1
    print(format_rows(rows, as_json=args.json))
    return 0


DESCRIPTION = """\
Run a real Mesos 1.11 cluster on this machine, run commands on a Mesos cluster, and look at
what frameworks did.

  frameworkkit setup                      install the Mesos runtime (once, as root)
  frameworkkit cluster up --agents 10     start a cluster in the background
  frameworkkit run -n 4 -- CMD            run CMD as 4 tasks on it (or on --master)
  frameworkkit tasks STATE_DIR            a framework's tasks, from its state directory
  frameworkkit cluster down               stop the cluster

Run "frameworkkit COMMAND --help" for a command's options.
"""

RUN_DESCRIPTION = """\
Submit a command as N tasks to a Mesos master, show a progress bar while they run, and exit
with 0 when every task finished, 1 when one failed or was killed, 124 when --timeout passed
first, 130 after Ctrl-C.

One argument is run by a shell; several are run as a program and its arguments, without a
shell. Tasks are named NAME-0 .. NAME-(N-1), and each gets FRAMEWORKKIT_TASK_INDEX and
FRAMEWORKKIT_TASK_COUNT in its environment.

Without --state-dir the run is self-contained: the framework ends in Mesos however the run
ends. With --state-dir a run stopped early is resumed by the same command: the tasks are
found by name and each runs once.

  frameworkkit run -n 8 --cpus 0.5 -- 'python3 work.py $FRAMEWORKKIT_TASK_INDEX'
"""

TASKS_DESCRIPTION = """\
List the tasks a framework keeps in its state directory (a Framework's state_dir, by default
~/.frameworkkit/NAME, or the --state-dir of frameworkkit run): name, state, attempts and host,
or every field with --json. Reads without writing, so the framework may be running.
"""


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, got {text!r}")
    return int(text)


def _add_run_and_tasks(commands: Any) -> None:
    plain = argparse.RawDescriptionHelpFormatter
    run = commands.add_parser(
        "run",
        help="run a command as N tasks on a master; exit 0 when all finished",
        description=RUN_DESCRIPTION,
        formatter_class=plain,
    )
    run.add_argument("command", nargs="+", help="the command (after --)")
    run.add_argument(
        "-n", "--tasks", type=_positive_int, default=1, metavar="N", help="tasks (default 1)"
    )
    run.add_argument("--cpus", type=float, default=0.1, help="cpus per task (default 0.1)")
    run.add_argument("--mem", type=float, default=32.0, help="memory per task, MB (default 32)")
    run.add_argument(
        "--name",
        default="frameworkkit-run",
        help="the framework's name and the tasks' name prefix (default frameworkkit-run)",
    )
    run.add_argument(
        "--retries", type=int, default=0, metavar="N", help="retries of a failed task (default 0)"
    )
    run.add_argument(
        "--master",
        default=None,
        help="master URL, list or zk:// URL (default: the cluster of frameworkkit cluster up)",
    )
    run.add_argument(
        "--state-dir", type=Path, default=None, help="keep the state here: a resumable run"
    )
    run.add_argument("--timeout", type=float, default=None, help="give up after these seconds")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    run.set_defaults(func=cmd_run)

    tasks = commands.add_parser(
        "tasks",
        help="a framework's tasks, from its state directory",
        description=TASKS_DESCRIPTION,
        formatter_class=plain,
    )
    tasks.add_argument("state_dir", type=Path, help="the framework's state directory")
    tasks.add_argument("--json", action="store_true", help="every field, as JSON")
    tasks.set_defaults(func=cmd_tasks)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frameworkkit",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup", help="install the embedded Mesos runtime (needs root)")
    setup.add_argument("--zookeeper", action="store_true", help="also install ZooKeeper")
    setup.add_argument(
        "--docker",
        action="store_true",
        help="also install the Docker engine and build the dockerised cluster's images",
    )
    setup.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    setup.set_defaults(func=cmd_setup)
    cluster = commands.add_parser(
        "cluster", help="a real Mesos 1.11 cluster, embedded or in Docker"
    )
    actions = cluster.add_subparsers(dest="action", required=True)

    up = actions.add_parser("up", help="start a cluster in the background; print its URL")
    up.add_argument("--agents", type=int, default=3, help="number of agents in all (default 3)")
    up.add_argument("--port", type=int, default=5050, help="master port (default 5050)")
    up.add_argument(
        "--docker",
        action="store_true",
        help="ZooKeeper and several masters in Docker containers (prints the zk:// URL)",
    )
    up.add_argument("--masters", type=int, default=3, help="with --docker: masters (default 3)")
    up.add_argument("--name", default="frameworkkit", help="with --docker: container name prefix")
    up.add_argument("--zk-port", type=int, default=2181, help="with --docker: ZooKeeper port")
    up.add_argument(
        "--ip",
        default="127.0.0.1",
        help="loopback address (default 127.0.0.1; with --docker, masters use 127.0.0.2, ...)",
    )
    up.add_argument("--resources", default=DEFAULT_RESOURCES, help="each agent's resources")
    up.add_argument("--attributes", default=None, help="each agent's attributes (rack:r1;zone:a)")
    up.add_argument("--work-dir", default=None, help="where the agents keep their sandboxes")
    up.add_argument(
        "--credentials", default=None, help="require framework authentication (credentials file)"
    )
    up.add_argument("--acls", default=None, help="authorize frameworks by these ACLs (JSON file)")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for readiness")
    up.add_argument("-q", "--quiet", action="store_true", help="print only the master URL")
    up.set_defaults(func=cmd_up)

    status = actions.add_parser("status", help="version, leader, agents, resources, frameworks")
    status.add_argument("--port", type=int, default=None, help="which recorded cluster")
    status.add_argument("--name", default=None, help="which recorded dockerised cluster")
    status.add_argument("--master", default=None, help="any master URL instead of a record")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    down = actions.add_parser(
        "down", help="stop a cluster and every process (or container) it started"
    )
    down.add_argument("--port", type=int, default=None, help="which recorded cluster")
    down.add_argument("--name", default=None, help="which recorded dockerised cluster")
    down.set_defaults(func=cmd_down)
    _add_run_and_tasks(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.getLogger("kazoo").setLevel(logging.ERROR)  # retries while ZooKeeper starts
    try:
        return int(args.func(args))
    except (InstallError, ClusterError, DockerError, ValueError) as exc:
        print(f"frameworkkit: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        return 0


if __name__ == "__main__":
    sys.exit(main())
