"""Shared test configuration: the real Mesos fixtures come from frameworkkit's pytest plugin."""
