"""Shared test configuration: the real Mesos fixtures come from frameworkkit's pytest plugin;
the dockerised cluster's from its opt-in plugin (through pytest-docker).

Hypothesis runs without its timing checks (the per-example deadline and the slow-generation
health check): the tests run on busy shared machines, where a slow example says nothing about
the code under test.
"""

from hypothesis import HealthCheck, settings

pytest_plugins = ["frameworkkit.testing.docker_fixtures"]

settings.register_profile(
    "busy-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("busy-machine")
