#!/usr/bin/env bash
# Set up a fresh Debian machine (as root) and run the main job: an embedded real Mesos 1.11
# cluster with 10 agents and a framework estimating pi with 40 tasks packed onto it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install -q -e .
python3 -m frameworkkit.cli setup
python3 examples/pi_estimate.py "$@"
