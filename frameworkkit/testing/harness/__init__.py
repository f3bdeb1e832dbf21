"""Test-harness stand-ins for Mesos helper programs the PyPI bindings lack; not part of the SDK."""
