from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.transport import (
    HttpAnswer,
    MesosConnection,
    RequestRejected,
    Secret,
    TransportOptions,
)

from .fake_master import SUBSCRIBE_CALL, FakeMaster


def renderings(secret: Secret) -> list[str]:
    return [repr(secret), str(secret), f"{secret}", f"{secret:>20}", repr([secret])]


@given(value=st.text(), other=st.text())
def test_secret_renders_the_same_whatever_its_value(value: str, other: str) -> None:
    assert renderings(Secret(value)) == renderings(Secret(other))
    assert Secret(value).reveal() == value


def test_secret_renderings_hide_the_value() -> None:
    for shown in renderings(Secret("hunter2")):
        assert "hunter2" not in shown


def test_secret_rejects_non_str() -> None:
    with pytest.raises(TypeError, match="secret"):
        Secret(b"bytes")  # type: ignore[arg-type]


def test_options_repr_hides_the_secret() -> None:
    options = TransportOptions(principal="crunch", secret=Secret("hunter2-secret"))
    assert "hunter2-secret" not in repr(options)
    assert "crunch" in repr(options)


def test_options_refuse_a_plain_str_secret() -> None:
    with pytest.raises(TypeError, match="secret"):
        TransportOptions(principal="crunch", secret="hunter2")  # type: ignore[arg-type]


def test_secret_without_principal_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        TransportOptions(secret=Secret("hunter2"))


async def test_secret_stays_out_of_logs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    master = FakeMaster(lambda request: HttpAnswer(401, content=b"denied"))
    options = TransportOptions(principal="crunch", secret=Secret("hunter2-secret"))
    caplog.set_level(logging.DEBUG)
    async with MesosConnection("127.0.0.1:5050", options=options, transport=master) as conn:
        with pytest.raises(RequestRejected) as caught:
            await conn.subscribe(SUBSCRIBE_CALL)
    assert caught.value.status == 401
    rendered = f"{caught.value} {caught.value!r} {conn!r} {conn.options!r}"
    assert "hunter2-secret" not in rendered
    assert "hunter2-secret" not in caplog.text
    assert master.requests[0].headers["Authorization"].startswith("Basic ")
