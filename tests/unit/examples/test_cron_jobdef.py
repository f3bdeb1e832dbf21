"""Chronos jobs: defaults, the task of a run, and errors that name the job and the field."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from jobdef import JobDefinitionError, parse_jobs, run_spec

NIGHTLY = {"name": "nightly", "command": "etl.sh", "schedule": "R/2030-01-01T02:00:00Z/P1D"}


def test_chronos_defaults_apply_where_a_field_is_left_out() -> None:
    job = parse_jobs([NIGHTLY])["nightly"]
    assert (job.retries, job.epsilon_seconds, job.cpus, job.mem, job.disk) == (
        2,
        60.0,
        0.1,
        128.0,
        256.0,
    )
    assert job.shell and not job.disabled and job.parents is None


def test_a_run_is_a_task_named_by_job_run_and_attempt_with_chronos_environment() -> None:
    job = parse_jobs(
        [
            {
                **NIGHTLY,
                "owner": "ops@example.org",
                "environmentVariables": [
                    {"name": "STAGE", "value": "prod"},
                    {"name": "CHRONOS_JOB_NAME", "value": "not this"},
                ],
            }
        ]
    )["nightly"]
    moment = datetime(2030, 1, 1, 2, tzinfo=timezone.utc)
    spec = run_spec(job, "20300101T020000Z", 2, moment)
    assert spec.name == "nightly.20300101T020000Z.2" and spec.command == "etl.sh"
    assert spec.env["STAGE"] == "prod" and spec.env["CHRONOS_JOB_NAME"] == "nightly"
    assert spec.env["CHRONOS_JOB_OWNER"] == "ops@example.org"
    assert spec.env["CHRONOS_SCHEDULED_TIME"] == "2030-01-01T02:00:00Z"
    assert spec.env["CHRONOS_ATTEMPT"] == "2" and spec.max_retries == 0
    assert spec.labels == {
        "job": "nightly",
        "run": "20300101T020000Z",
        "scheduled": "2030-01-01T02:00:00Z",
        "attempt": "2",
    }
    argv = parse_jobs([{**NIGHTLY, "shell": False, "arguments": ["--full"]}])["nightly"]
    assert run_spec(argv, "r1", 1, moment).command == ["etl.sh", "--full"]


def test_dependent_jobs_name_existing_parents_without_a_cycle() -> None:
    jobs = parse_jobs([NIGHTLY, {"name": "report", "command": "r", "parents": ["nightly"]}])
    assert jobs["report"].parents == ["nightly"] and jobs["report"].timing is None
    with pytest.raises(JobDefinitionError, match=r"jobs\[1\].parents: no job named 'nope'"):
        parse_jobs([NIGHTLY, {"name": "report", "command": "r", "parents": ["nope"]}])
    with pytest.raises(JobDefinitionError, match="cycle: a -> b -> a"):
        parse_jobs(
            [
                NIGHTLY,
                {"name": "a", "command": "x", "parents": ["b"]},
                {"name": "b", "command": "x", "parents": ["a"]},
            ]
        )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": "has space"}, "name: 1-150 letters"),
        ({"schedule": None}, "schedule: give a schedule or parents"),
        ({"parents": ["x"]}, "schedule: give a schedule or parents"),
        ({"schedule": "R/tomorrow/P1D"}, "schedule: start 'tomorrow'"),
        ({"scheduleTimeZone": "Nowhere/Land"}, "schedule: 'Nowhere/Land' is not a time zone"),
        ({"epsilon": "P1M"}, "epsilon: give it in weeks"),
        ({"epsilon": "60"}, "epsilon: '60' is not an ISO 8601 period"),
        ({"retries": -1}, "retries: a number >= 0"),
        ({"retries": "2"}, "Expected `int`, got `str` - at `$.retries`"),
        ({"mem": -5}, "mem: a number >= 0"),
        ({"cpus": 0, "mem": 0}, "cpus: a task needs some cpus or mem"),
        ({"environmentVariables": [{"name": "A B", "value": "x"}]}, "env: 'A B' is not"),
        ({"async": True}, "unknown field `async`"),
    ],
)
def test_a_bad_field_is_named_with_its_job(change: dict[str, object], problem: str) -> None:
    with pytest.raises(JobDefinitionError, match=r"^jobs\[1\]"):
        parse_jobs([{**NIGHTLY, "name": "first"}, {**NIGHTLY, **change}])
    with pytest.raises(JobDefinitionError, match=re.escape(problem)):
        parse_jobs([{**NIGHTLY, "name": "first"}, {**NIGHTLY, **change}])


def test_the_file_is_a_list_of_uniquely_named_jobs() -> None:
    with pytest.raises(JobDefinitionError, match="jobs: a JSON list of jobs, got dict"):
        parse_jobs({"jobs": []})
    with pytest.raises(JobDefinitionError, match=r"jobs\[1\].name: 'nightly' is defined twice"):
        parse_jobs([NIGHTLY, NIGHTLY])
