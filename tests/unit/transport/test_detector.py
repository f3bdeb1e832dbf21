from __future__ import annotations

import asyncio
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.transport import (
    StaticDetector,
    ZooKeeperDetector,
    detector_for,
    leader_znode,
    master_url_from_info,
    parse_zk_url,
)

sequences = st.lists(st.integers(min_value=0, max_value=9_999_999_999), min_size=1, unique=True)
noise = st.lists(st.sampled_from(["info_0000000001", "log_replicas", "json.info_", "json.info_x1"]))


@given(sequences=sequences, others=noise, seed=st.integers())
def test_leader_is_the_json_info_node_with_the_lowest_sequence(
    sequences: list[int], others: list[str], seed: int
) -> None:
    children = [f"json.info_{sequence:010d}" for sequence in sequences] + others
    random.Random(seed).shuffle(children)
    assert leader_znode(children) == f"json.info_{min(sequences):010d}"


@given(others=noise)
def test_no_json_info_node_means_no_leader(others: list[str]) -> None:
    assert leader_znode(others) is None


def master_info(**fields: object) -> bytes:
    info: dict[str, object] = {"id": "m-1", "ip": 16777343, "port": 5050, "version": "1.11.0"}
    info.update(fields)
    return json.dumps(info).encode()


def test_master_url_prefers_the_address_ip() -> None:
    data = master_info(address={"hostname": "mesos-a", "ip": "127.0.0.3", "port": 5051})
    assert master_url_from_info(data) == "http://127.0.0.3:5051"
    assert master_url_from_info(data, scheme="https") == "https://127.0.0.3:5051"


def test_master_url_falls_back_to_the_hostname_then_the_pid() -> None:
    by_name = master_info(address={"hostname": "mesos-a", "port": 5050})
    assert master_url_from_info(by_name) == "http://mesos-a:5050"
    by_pid = master_info(pid="master@127.0.0.4:5052")
    assert master_url_from_info(by_pid.decode()) == "http://127.0.0.4:5052"


def test_master_url_brackets_ipv6() -> None:
    data = master_info(address={"ip": "::1", "port": 5050})
    assert master_url_from_info(data) == "http://[::1]:5050"


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1, 2]",
        b'{"id": "m-1"}',
        master_info(address={"ip": "127.0.0.1"}),
        master_info(address={"ip": "127.0.0.1", "port": 70000}),
        master_info(address={"port": 5050}),
        b"\xff\xfe",
    ],
)
def test_unusable_master_info_raises_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="MasterInfo"):
        master_url_from_info(data)


def test_parse_zk_url_with_several_hosts() -> None:
    target = parse_zk_url("zk://127.0.0.1:2181,127.0.0.2:2181/mesos/")
    assert (target.hosts, target.path, target.username, target.password) == (
        "127.0.0.1:2181,127.0.0.2:2181",
        "/mesos",
        None,
        None,
    )


@given(password=st.text(alphabet=st.characters(blacklist_characters="*"), min_size=3))
def test_parse_zk_url_with_credentials_keeps_the_password_out_of_sight(password: str) -> None:
    url = f"zk://operator:{password}@127.0.0.1:2181/nested/mesos"
    target = parse_zk_url(url)
    assert target.username == "operator"
    assert target.password is not None and target.password.reveal() == password
    assert target.path == "/nested/mesos"
    assert target.hosts == "127.0.0.1:2181"
    masked = "zk://operator:********@127.0.0.1:2181/nested/mesos"
    assert str(target) == masked
    assert f":{password}@" not in repr(target)
    assert repr(ZooKeeperDetector(url)) == f"ZooKeeperDetector({masked!r})"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:2181/mesos",
        "zk://127.0.0.1:2181",
        "zk://127.0.0.1:2181/",
        "zk://127.0.0.1:2181,,127.0.0.2:2181/mesos",
        "zk://operator@127.0.0.1:2181/mesos",
        "zk://operator:@127.0.0.1:2181/mesos",
    ],
)
def test_bad_zk_urls_name_the_master_argument(url: str) -> None:
    with pytest.raises(ValueError, match="master"):
        parse_zk_url(url)


def test_zk_url_errors_do_not_echo_credentials() -> None:
    with pytest.raises(ValueError) as caught:
        parse_zk_url("zk://operator:topsecret@127.0.0.1:2181")
    assert "topsecret" not in str(caught.value)


def test_detector_for_picks_by_form() -> None:
    assert isinstance(detector_for("zk://127.0.0.1:2181/mesos"), ZooKeeperDetector)
    single = detector_for("127.0.0.1:5050")
    assert isinstance(single, StaticDetector)
    assert single.urls == ("http://127.0.0.1:5050",)
    listed = detector_for(["https://127.0.0.1:5050/", "127.0.0.2:5050"], tls=True)
    assert isinstance(listed, StaticDetector)
    assert listed.urls == ("https://127.0.0.1:5050", "https://127.0.0.2:5050")
    prefixed = detector_for("http://127.0.0.1:5050/master")
    assert isinstance(prefixed, StaticDetector)
    assert prefixed.urls == ("http://127.0.0.1:5050/master",)


@pytest.mark.parametrize(
    "master",
    [
        "127.0.0.1",
        "ftp://127.0.0.1:5050",
        "http://user:pw@127.0.0.1:5050",
        "http://127.0.0.1:5050/?x=1",
        ["zk://127.0.0.1:2181/mesos"],
        [],
        "",
    ],
)
def test_bad_master_addresses_are_refused(master: str | list[str]) -> None:
    with pytest.raises(ValueError, match=r"master|urls"):
        detector_for(master)


def test_detector_for_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="master"):
        detector_for(5050)  # type: ignore[arg-type]


async def test_static_detector_rotates_on_failure_of_the_current_master() -> None:
    detector = StaticDetector(["127.0.0.1:5050", "127.0.0.2:5050"])
    first = await detector.leader()
    change = asyncio.ensure_future(detector.wait_for_change(first))
    detector.report_failure("http://127.0.0.9:5050")
    await asyncio.sleep(0)
    assert not change.done()
    detector.report_failure(first)
    assert await change == "http://127.0.0.2:5050" == await detector.leader()
    detector.report_failure("http://127.0.0.2:5050")
    assert await detector.leader() == first


async def test_single_static_master_never_changes() -> None:
    detector = StaticDetector(["127.0.0.1:5050"])
    leader = await detector.leader()
    detector.report_failure(leader)
    assert await detector.leader() == leader
