"""Shared test configuration: the real Mesos fixtures come from frameworkkit's pytest plugin;
the dockerised cluster's from its opt-in plugin (through pytest-docker)."""

pytest_plugins = ["frameworkkit.testing.docker_fixtures"]
