"""A batch script as a user writes it, for the crash test: submit 30 tasks, run them all.

Run twice unchanged with the same state directory, it runs each task once: the second run finds
the tasks by name. Each task appends one line to ``<markers>/<task name>`` when it runs, so a task
that ran twice shows two lines.
"""

import json
import sys

from frameworkkit.scheduler import Framework, TaskSpec


class Batch(Framework):
    name = "crash-test"
    subscribed_as: list[str] = []

    def on_subscribed(self, framework_id: str) -> None:
        self.subscribed_as.append(framework_id)


def main() -> None:
    master, state_dir, markers = sys.argv[1:4]
    fw = Batch(master, state_dir=state_dir)
    fw.submit_many(
        TaskSpec(
            name=f"part-{i}",
            cpus=1,
            mem=64,
            command=f"echo $FRAMEWORKKIT_TASK_ID >> {markers}/part-{i}; sleep 2",
        )
        for i in range(30)
    )
    fw.run(timeout=150)
    print(
        json.dumps(
            {"subscribed_as": fw.subscribed_as, "states": {t.name: t.state.value for t in fw.tasks}}
        )
    )


if __name__ == "__main__":
    main()
