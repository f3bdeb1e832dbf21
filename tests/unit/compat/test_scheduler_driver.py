from __future__ import annotations

import base64
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

import addict
import pytest

from frameworkkit.compat import DriverStatus, MesosSchedulerDriver, decode_data, encode_data

from .conftest import FRAMEWORK, DriverFactory, RecordingScheduler
from .scripted_master import MASTER_INFO, ScriptedMaster, offer, offers, update

pytestmark = pytest.mark.timeout(60)

TASK = {
    "task_id": {"value": "task-1"},
    "agent_id": {"value": "agent-1"},
    "name": "task-1",
    "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}],
    "command": {"value": "echo hello"},
}


def test_registered_with_framework_id_and_master_info(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    [(framework_id, master_info)] = scheduler.wait_for("registered")
    assert framework_id == {"value": "fw-1"}
    assert master_info == MASTER_INFO
    assert registered.framework_id == "fw-1"
    assert registered.connected
    assert registered.version == "1.11.0"
    assert registered.master == "127.0.0.1:5050"
    [subscribe] = master.subscribes()
    info = subscribe["subscribe"]["framework_info"]
    assert (info["user"], info["name"]) == (FRAMEWORK["user"], FRAMEWORK["name"])
    assert info["failover_timeout"] == 100
    assert {"type": "GPU_RESOURCES"} in info["capabilities"]
    assert "id" not in info


def test_callbacks_arrive_in_stream_order_with_pymesos_arguments(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    data = encode_data(b"\x00from executor")
    master.send(
        {"type": "HEARTBEAT"},
        offers(offer("o-1"), offer("o-2", agent_id="agent-2")),
        {"type": "RESCIND", "rescind": {"offer_id": {"value": "o-1"}}},
        {
            "type": "MESSAGE",
            "message": {
                "agent_id": {"value": "a-1"},
                "executor_id": {"value": "e-1"},
                "data": data,
            },
        },
        {"type": "FAILURE", "failure": {"agent_id": {"value": "a-2"}}},
        {
            "type": "FAILURE",
            "failure": {"agent_id": {"value": "a-3"}, "executor_id": {"value": "e-3"}, "status": 9},
        },
        {
            "type": "INVERSE_OFFERS",
            "inverse_offers": {"inverse_offers": [{"id": {"value": "i-1"}}]},
        },
        {
            "type": "RESCIND_INVERSE_OFFER",
            "rescind_inverse_offer": {"inverse_offer_id": {"value": "i-1"}},
        },
        update("t-1", "TASK_RUNNING"),
    )
    scheduler.wait_for("statusUpdate")
    assert scheduler.calls[1:] == [
        ("processHeartBeat", ()),
        ("resourceOffers", ([offer("o-1"), offer("o-2", agent_id="agent-2")],)),
        ("offerRescinded", ({"value": "o-1"},)),
        ("frameworkMessage", ({"value": "e-1"}, {"value": "a-1"}, data)),
        ("slaveLost", ({"value": "a-2"},)),
        ("executorLost", ({"value": "e-3"}, {"value": "a-3"}, 9)),
        ("inverseOffers", ([{"id": {"value": "i-1"}}],)),
        ("inverseOfferRescinded", ({"value": "i-1"},)),
        ("statusUpdate", (update("t-1", "TASK_RUNNING")["update"]["status"],)),
    ]
    assert decode_data(scheduler.calls[4][1][2]) == b"\x00from executor"


def test_plain_dicts_by_default(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    master.send(offers(offer("o-1")))
    [([received],)] = scheduler.wait_for("resourceOffers")
    assert type(received) is dict
    assert type(received["agent_id"]) is dict


def test_addict_views_with_use_addict(
    make_driver: DriverFactory, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    driver = make_driver(use_addict=True)
    driver.start()
    [(framework_id, master_info)] = scheduler.wait_for("registered")
    assert isinstance(framework_id, addict.Dict) and framework_id.value == "fw-1"
    assert master_info.hostname == MASTER_INFO["hostname"]
    master.send(offers(offer("o-1", cpus=3.5)))
    [([received],)] = scheduler.wait_for("resourceOffers")
    assert isinstance(received, addict.Dict)
    assert received.agent_id.value == "agent-1"
    assert [r.scalar.value for r in received.resources if r.name == "cpus"] == [3.5]


def test_implicit_acknowledgement_follows_the_callback(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    token = uuid.uuid4().bytes
    in_callback = threading.Event()

    def check_not_yet_acknowledged(driver: MesosSchedulerDriver, status: Any) -> None:
        assert master.calls("ACKNOWLEDGE") == []
        in_callback.set()

    scheduler.reactions["statusUpdate"] = check_not_yet_acknowledged
    master.send(update("t-1", "TASK_RUNNING"), update("t-1", "TASK_FINISHED", uuid=token))
    [ack] = master.wait_for_calls("ACKNOWLEDGE")
    assert in_callback.is_set()
    assert ack == {
        "type": "ACKNOWLEDGE",
        "framework_id": {"value": "fw-1"},
        "acknowledge": {
            "agent_id": {"value": "agent-1"},
            "task_id": {"value": "t-1"},
            "uuid": base64.b64encode(token).decode(),
        },
    }
    assert len(scheduler.wait_for("statusUpdate", 2)) == 2


def test_explicit_acknowledgement_only_when_asked(
    make_driver: DriverFactory, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    driver = make_driver(implicit_acknowledgements=False)
    driver.start()
    scheduler.wait_for("registered")
    tokens = [uuid.uuid4().bytes, uuid.uuid4().bytes]
    master.send(update("t-1", "TASK_RUNNING", uuid=tokens[0]))
    master.send(update("t-2", "TASK_RUNNING", uuid=tokens[1]))
    statuses = scheduler.wait_for("statusUpdate", 2)
    driver.acknowledgeStatusUpdate(statuses[1][0])
    [ack] = master.wait_for_calls("ACKNOWLEDGE")
    assert ack["acknowledge"]["task_id"] == {"value": "t-2"}
    assert base64.b64decode(ack["acknowledge"]["uuid"]) == tokens[1]


def test_launch_tasks_accepts_with_a_launch_operation(
    registered: MesosSchedulerDriver, master: ScriptedMaster
) -> None:
    registered.launchTasks({"value": "o-1"}, [TASK], {"refuse_seconds": 5})
    registered.launchTasks([{"value": "o-2"}, {"value": "o-3"}], [addict.Dict(TASK)])
    first, second = master.wait_for_calls("ACCEPT", 2)
    assert first == {
        "type": "ACCEPT",
        "framework_id": {"value": "fw-1"},
        "accept": {
            "offer_ids": [{"value": "o-1"}],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": [TASK]}}],
            "filters": {"refuse_seconds": 5.0},
        },
    }
    assert second["accept"]["offer_ids"] == [{"value": "o-2"}, {"value": "o-3"}]
    assert second["accept"]["operations"][0]["launch"]["task_infos"] == [TASK]
    assert "filters" not in second["accept"]


def test_launching_nothing_declines(
    registered: MesosSchedulerDriver, master: ScriptedMaster
) -> None:
    registered.launchTasks({"value": "o-1"}, [], {"refuse_seconds": 30})
    [decline] = master.wait_for_calls("DECLINE")
    assert decline["decline"] == {
        "offer_ids": [{"value": "o-1"}],
        "filters": {"refuse_seconds": 30.0},
    }
    assert master.calls("ACCEPT") == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [(None, None), ({}, None), ({"refuse_seconds": 0}, 0.0), ({"refuse_seconds": 86400}, 86400.0)],
)
def test_decline_carries_the_filters(
    registered: MesosSchedulerDriver,
    master: ScriptedMaster,
    filters: dict[str, float] | None,
    expected: float | None,
) -> None:
    registered.declineOffer([{"value": "o-1"}, {"value": "o-2"}], filters)
    [decline] = master.wait_for_calls("DECLINE")
    assert decline["decline"]["offer_ids"] == [{"value": "o-1"}, {"value": "o-2"}]
    assert decline["decline"].get("filters") == (
        None if expected is None else {"refuse_seconds": expected}
    )


@pytest.mark.parametrize(
    ("filters", "error", "field"),
    [
        ({"refuse": 5}, ValueError, "filters"),
        ({"refuse_seconds": -1}, ValueError, "refuse_seconds"),
        ({"refuse_seconds": "5"}, TypeError, "refuse_seconds"),
        (5, TypeError, "filters"),
    ],
)
def test_bad_filters_fail_in_the_caller(
    registered: MesosSchedulerDriver, filters: Any, error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        registered.declineOffer({"value": "o-1"}, filters)


def test_bad_task_fails_in_the_caller(registered: MesosSchedulerDriver) -> None:
    no_command = {key: value for key, value in TASK.items() if key != "command"}
    with pytest.raises(ValueError, match="command or an executor"):
        registered.launchTasks({"value": "o-1"}, [no_command])
    with pytest.raises(TypeError, match="offer_ids"):
        registered.launchTasks(42, [TASK])


def test_calls_from_another_thread_and_from_callbacks_keep_their_order(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    def kill_then_revive(driver: MesosSchedulerDriver, offers: Any) -> None:
        driver.killTask({"value": "t-9"})
        driver.reviveOffers(["web"])

    scheduler.reactions["resourceOffers"] = kill_then_revive
    worker = threading.Thread(target=registered.suppressOffers)
    worker.start()
    worker.join()
    master.wait_for_calls("SUPPRESS")
    master.send(offers(offer("o-1")))
    master.wait_for_calls("REVIVE")
    assert master.calls() == [
        {"type": "SUPPRESS", "framework_id": {"value": "fw-1"}, "suppress": {}},
        {"type": "KILL", "framework_id": {"value": "fw-1"}, "kill": {"task_id": {"value": "t-9"}}},
        {"type": "REVIVE", "framework_id": {"value": "fw-1"}, "revive": {"roles": ["web"]}},
    ]


def test_messages_reconciliation_and_requests(
    registered: MesosSchedulerDriver, master: ScriptedMaster
) -> None:
    registered.sendFrameworkMessage({"value": "e-1"}, {"value": "a-1"}, encode_data(b"ping"))
    registered.reconcileTasks([{"task_id": {"value": "t-1"}, "agent_id": {"value": "a-1"}}])
    registered.reconcileTasks([])
    resources = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}}]
    registered.requestResources([{"agent_id": {"value": "a-1"}, "resources": resources}])
    [message] = master.wait_for_calls("MESSAGE")
    explicit, implicit = master.wait_for_calls("RECONCILE", 2)
    [request] = master.wait_for_calls("REQUEST")
    assert message["message"] == {
        "agent_id": {"value": "a-1"},
        "executor_id": {"value": "e-1"},
        "data": encode_data(b"ping"),
    }
    assert explicit["reconcile"] == {
        "tasks": [{"task_id": {"value": "t-1"}, "agent_id": {"value": "a-1"}}]
    }
    assert implicit["reconcile"] == {"tasks": []}
    assert request["request"] == {
        "requests": [{"agent_id": {"value": "a-1"}, "resources": resources}]
    }


def test_operation_status_updates_are_acknowledged(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    token = uuid.uuid4().bytes
    status = {
        "operation_id": {"value": "op-1"},
        "state": "OPERATION_FINISHED",
        "agent_id": {"value": "a-1"},
        "uuid": {"value": base64.b64encode(token).decode()},
    }
    master.send({"type": "UPDATE_OPERATION_STATUS", "update_operation_status": {"status": status}})
    [ack] = master.wait_for_calls("ACKNOWLEDGE_OPERATION_STATUS")
    assert scheduler.wait_for("operationStatusUpdate") == [(status,)]
    assert ack["acknowledge_operation_status"] == {
        "agent_id": {"value": "a-1"},
        "operation_id": {"value": "op-1"},
        "uuid": base64.b64encode(token).decode(),
    }


def test_reregistered_after_the_stream_ends(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    master.end_stream()
    [master_info] = scheduler.wait_for("reregistered")[0]
    assert master_info == MASTER_INFO
    assert scheduler.names() == ["registered", "disconnected", "reregistered"]
    second = master.wait_for_subscribes(2)[1]
    assert second["framework_id"] == {"value": "fw-1"}
    assert second["subscribe"]["framework_info"]["id"] == {"value": "fw-1"}


def test_a_known_framework_id_reregisters_at_once(
    make_driver: DriverFactory, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    driver = make_driver(framework={**FRAMEWORK, "id": {"value": "fw-1"}})
    driver.start()
    scheduler.wait_for("reregistered")
    assert "registered" not in scheduler.names()
    assert master.subscribes()[0]["framework_id"] == {"value": "fw-1"}


def test_stop_tears_down_and_ends_the_driver(
    registered: MesosSchedulerDriver, master: ScriptedMaster
) -> None:
    assert registered.stop() is DriverStatus.DRIVER_STOPPED
    assert registered.join() is DriverStatus.DRIVER_STOPPED
    assert master.calls() == [{"type": "TEARDOWN", "framework_id": {"value": "fw-1"}}]
    assert registered.framework_id is None
    assert not registered.connected


@pytest.mark.parametrize(
    ("end", "status"),
    [
        (lambda driver: driver.stop(failover=True), DriverStatus.DRIVER_STOPPED),
        (lambda driver: driver.abort(), DriverStatus.DRIVER_ABORTED),
    ],
)
def test_failover_stop_and_abort_leave_the_framework(
    registered: MesosSchedulerDriver, master: ScriptedMaster, end: Any, status: DriverStatus
) -> None:
    registered.declineOffer({"value": "o-1"})
    assert end(registered) is status
    assert registered.join() is status
    assert [call["type"] for call in master.calls()] == ["DECLINE"]
    assert registered.framework_id == "fw-1"


def test_stop_inside_a_callback_acknowledges_then_tears_down_and_calls_nothing_more(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    scheduler.reactions["statusUpdate"] = lambda driver, status: driver.stop()
    token = uuid.uuid4().bytes
    master.send(update("t-1", "TASK_FINISHED", uuid=token), offers(offer("o-1")))
    assert registered.join() is DriverStatus.DRIVER_STOPPED
    assert [call["type"] for call in master.calls()] == ["ACKNOWLEDGE", "TEARDOWN"]
    assert scheduler.names() == ["registered", "statusUpdate"]


def test_error_event_aborts_before_the_error_callback(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    seen: list[bool] = []
    scheduler.reactions["error"] = lambda driver, message: seen.append(driver.aborted)
    master.send({"type": "ERROR", "error": {"message": "Framework has been removed"}})
    assert registered.join() is DriverStatus.DRIVER_ABORTED
    assert scheduler.wait_for("error") == [("Framework has been removed",)]
    assert seen == [True]
    assert master.calls() == []


@pytest.mark.parametrize(("failover", "expected_calls"), [(False, ["TEARDOWN"]), (True, [])])
def test_a_raising_callback_aborts_without_acknowledging(
    make_driver: DriverFactory,
    master: ScriptedMaster,
    scheduler: RecordingScheduler,
    failover: bool,
    expected_calls: list[str],
) -> None:
    def broken(driver: MesosSchedulerDriver, status: Any) -> None:
        raise RuntimeError("bug in the scheduler")

    scheduler.reactions["statusUpdate"] = broken
    driver = make_driver(failover=failover)
    driver.start()
    scheduler.wait_for("registered")
    master.send(update("t-1", "TASK_RUNNING", uuid=uuid.uuid4().bytes), offers(offer("o-1")))
    assert driver.join() is DriverStatus.DRIVER_ABORTED
    assert [call["type"] for call in master.calls()] == expected_calls
    assert scheduler.names() == ["registered", "statusUpdate"]


def test_calls_while_not_subscribed_are_dropped(
    make_driver: DriverFactory, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    driver = make_driver()
    driver.declineOffer({"value": "o-early"})
    driver.start()
    scheduler.wait_for("registered")
    driver.killTask({"value": "t-1"})
    master.wait_for_calls("KILL")
    assert [call["type"] for call in master.calls()] == ["KILL"]


def test_refused_subscription_aborts_with_an_error(scheduler: RecordingScheduler) -> None:
    refusing = ScriptedMaster(subscribe_status=401)
    driver = MesosSchedulerDriver(scheduler, FRAMEWORK, "127.0.0.1:5050", transport=refusing)
    assert driver.run() is DriverStatus.DRIVER_ABORTED
    [(message,)] = scheduler.wait_for("error")
    assert "401" in message


def test_timeout_bounds_the_wait_for_a_master(scheduler: RecordingScheduler) -> None:
    unavailable = ScriptedMaster(subscribe_status=503)
    driver = MesosSchedulerDriver(
        scheduler, FRAMEWORK, "127.0.0.1", timeout=0.3, transport=unavailable
    )
    assert driver.run() is DriverStatus.DRIVER_ABORTED
    [(message,)] = scheduler.wait_for("error")
    assert "0.3 s" in message
    assert {urlsplit(r.url).netloc for r in unavailable.requests} == {"127.0.0.1:5050"}


def test_restart_after_failover_stop_reregisters(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    registered.stop(failover=True)
    registered.join()
    assert registered.start() is DriverStatus.DRIVER_RUNNING
    scheduler.wait_for("reregistered")
    assert master.wait_for_subscribes(2)[1]["framework_id"] == {"value": "fw-1"}


def test_join_from_a_callback_is_refused(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    errors: list[BaseException] = []

    def join_inside(driver: MesosSchedulerDriver) -> None:
        try:
            driver.join()
        except RuntimeError as exc:
            errors.append(exc)

    scheduler.reactions["processHeartBeat"] = join_inside
    master.send({"type": "HEARTBEAT"})
    scheduler.wait_for("processHeartBeat")
    assert len(errors) == 1 and "never returns" in str(errors[0])
    assert registered.connected


def test_a_scheduler_without_some_callbacks_still_runs(
    make_driver: DriverFactory, master: ScriptedMaster
) -> None:
    class OnlyOffers:
        def __init__(self) -> None:
            self.offers: list[Any] = []
            self.got_offers = threading.Event()

        def resourceOffers(self, driver: MesosSchedulerDriver, offers: Any) -> None:
            self.offers.extend(offers)
            self.got_offers.set()

    sched = OnlyOffers()
    driver = make_driver(sched=sched)
    driver.start()
    master.send(update("t-1", "TASK_RUNNING", uuid=uuid.uuid4().bytes), offers(offer("o-1")))
    assert sched.got_offers.wait(10)
    assert [o["id"] for o in sched.offers] == [{"value": "o-1"}]
    master.wait_for_calls("ACKNOWLEDGE")


def test_inverse_offers_are_accepted_and_declined(
    registered: MesosSchedulerDriver, master: ScriptedMaster
) -> None:
    registered.acceptInverseOffers({"value": "i-1"})
    registered.declineInverseOffer([{"value": "i-2"}], {"refuse_seconds": 60})
    [accept] = master.wait_for_calls("ACCEPT_INVERSE_OFFERS")
    [decline] = master.wait_for_calls("DECLINE_INVERSE_OFFERS")
    assert accept["accept_inverse_offers"] == {"inverse_offer_ids": [{"value": "i-1"}]}
    assert decline["decline_inverse_offers"] == {
        "inverse_offer_ids": [{"value": "i-2"}],
        "filters": {"refuse_seconds": 60.0},
    }


def test_update_framework_sends_and_keeps_the_new_info(
    registered: MesosSchedulerDriver, master: ScriptedMaster, scheduler: RecordingScheduler
) -> None:
    registered.updateFramework({**FRAMEWORK, "name": "renamed", "roles": ["a", "b"]}, ["b"])
    [call] = master.wait_for_calls("UPDATE_FRAMEWORK")
    info = call["update_framework"]["framework_info"]
    assert (info["name"], info["roles"], info["id"]) == ("renamed", ["a", "b"], {"value": "fw-1"})
    assert call["update_framework"]["suppressed_roles"] == ["b"]
    assert registered.framework == info
    master.end_stream()
    scheduler.wait_for("reregistered")
    assert master.wait_for_subscribes(2)[1]["subscribe"]["framework_info"] == info


def test_stop_right_after_start_ends_without_teardown(
    make_driver: DriverFactory, master: ScriptedMaster
) -> None:
    master.subscribe_status = 503  # not subscribed yet when stop() comes, however fast
    driver = make_driver()
    assert driver.join() is DriverStatus.DRIVER_NOT_STARTED
    driver.start()
    assert driver.stop() is DriverStatus.DRIVER_STOPPED
    assert driver.join() is DriverStatus.DRIVER_STOPPED
    assert master.calls() == []
