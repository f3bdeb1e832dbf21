"""The ``frameworkkit`` command: run an embedded real Mesos cluster and look at it.

``frameworkkit cluster up|status|down`` manage a background cluster whose pid, URL and log are
recorded under ``$FRAMEWORKKIT_HOME/clusters/``, so later commands find it by port.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import urllib.error
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from frameworkkit.testing.embedded import DEFAULT_RESOURCES, ClusterError, EmbeddedCluster, get_json
from frameworkkit.testing.processes import alive, stop_tree
from frameworkkit.testing.runtime import MESOS_VERSION, InstallError, default_home, ensure_runtime
from frameworkkit.testing.zookeeper import ensure_zookeeper

_HARNESS_FRAMEWORK = "frameworkkit-harness"


def _records_dir() -> Path:
    return default_home().parent / "clusters"


def record_path(port: int) -> Path:
    """Where `cluster up` records the cluster on ``port`` (pid, URL, work dir, log)."""
    return _records_dir() / f"{port}.json"


def _load_record(port: int | None) -> dict[str, Any]:
    """The record of the cluster on ``port``, or of the only recorded cluster."""
    if port is not None:
        path = record_path(port)
        if not path.is_file():
            raise SystemExit(f"frameworkkit: no cluster recorded on port {port}")
        return dict(json.loads(path.read_text()))
    records = sorted(_records_dir().glob("*.json")) if _records_dir().is_dir() else []
    if not records:
        raise SystemExit("frameworkkit: no cluster is running (start one: frameworkkit cluster up)")
    if len(records) > 1:
        ports = ", ".join(p.stem for p in records)
        raise SystemExit(f"frameworkkit: several clusters run (ports {ports}); pass --port")
    return dict(json.loads(records[0].read_text()))


def _is_harness(pid: int) -> bool:
    try:
        return b"embedded_master.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cmd_up(args: argparse.Namespace) -> int:
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


def cmd_status(args: argparse.Namespace) -> int:
    url = args.master or _load_record(args.port)["url"]
    try:
        summary = cluster_summary(url)
    except (OSError, urllib.error.URLError) as exc:
        print(f"frameworkkit: {url} does not answer: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2) if args.json else _format_summary(summary))
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    record = _load_record(args.port)
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
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frameworkkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup", help="install the embedded Mesos runtime (needs root)")
    setup.add_argument("--zookeeper", action="store_true", help="also install ZooKeeper")
    setup.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    setup.set_defaults(func=cmd_setup)
    cluster = commands.add_parser("cluster", help="an embedded real Mesos 1.11 cluster")
    actions = cluster.add_subparsers(dest="action", required=True)

    up = actions.add_parser("up", help="start a cluster in the background; print its URL")
    up.add_argument("--agents", type=int, default=3, help="number of agents (default 3)")
    up.add_argument("--port", type=int, default=5050, help="master port (default 5050)")
    up.add_argument("--ip", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
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
    status.add_argument("--master", default=None, help="any master URL instead of a record")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    down = actions.add_parser("down", help="stop a cluster and every process it started")
    down.add_argument("--port", type=int, default=None, help="which recorded cluster")
    down.set_defaults(func=cmd_down)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (InstallError, ClusterError, ValueError) as exc:
        print(f"frameworkkit: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        return 0


if __name__ == "__main__":
    sys.exit(main())
