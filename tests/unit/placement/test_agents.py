from __future__ import annotations

import pytest

from frameworkkit.placement import Agent, render_attribute
from frameworkkit.placement.agents import attribute_names, render_scalar
from frameworkkit.protocol import messages
from tests.unit.placement import factories as f


def attribute(**fields: object) -> messages.Attribute:
    return messages.Attribute(name="a", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        (1.5, "1.5"),
        (0.1234, "0.123"),
        (12345.0, "12,345"),
        (-0.5, "-0.5"),
        (0.0004, "0"),
        (2.0625, "2.062"),
    ],
)
def test_scalars_render_as_marathon_does(value: float, text: str) -> None:
    assert render_scalar(value) == text


def test_each_attribute_type_renders_as_marathon_does() -> None:
    assert render_attribute(attribute(type="TEXT", text=messages.Text(value="r1"))) == "r1"
    assert render_attribute(attribute(type="SCALAR", scalar=messages.Scalar(value=16.0))) == "16"
    spans = messages.Ranges(
        range=[messages.Range(begin=10, end=12), messages.Range(begin=1, end=4)]
    )
    assert render_attribute(attribute(type="RANGES", ranges=spans)) == "[1-4,10-12]"
    items = messages.ValueSet(item=["sales", "logs"])
    assert render_attribute(attribute(type="SET", set=items)) == "{logs,sales}"
    with pytest.raises(ValueError, match="'a'"):
        render_attribute(attribute(type="TEXT"))


def test_agent_from_offer_reads_fields_and_domain() -> None:
    offer = f.fixture_offers("offers_reservations_1_11.json")[0]
    agent = Agent.from_offer(offer)
    assert agent.attributes == {
        "rack": "r1",
        "cores": "16",
        "slots": "[1-4,10-12]",
        "datasets": "{logs,sales}",
    }
    assert agent.field_value("hostname") == agent.field_value("@hostname") == "node-10.example"
    assert agent.field_value("@agent_id") == offer.agent_id.value
    assert agent.field_value("@region") == "eu-west"
    assert agent.field_value("@zone") == "eu-west-1a"
    assert agent.field_value("missing") is None


def test_agent_from_agent_info() -> None:
    info = messages.AgentInfo(hostname="h", id=messages.ID(value="S1"))
    assert Agent.from_agent_info(info) == Agent("S1", "h")
    with pytest.raises(ValueError, match=r"AgentInfo\.id"):
        Agent.from_agent_info(messages.AgentInfo(hostname="h"))
    with pytest.raises(ValueError, match=r"Agent\.hostname"):
        Agent("S1", "")


def test_attribute_names_an_item() -> None:
    assert attribute_names("{logs,sales}", "sales")
    assert attribute_names("sales", "sales")
    assert not attribute_names("{logs,sales}", "sale")
    assert not attribute_names("wholesales", "sales")
