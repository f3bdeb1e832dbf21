#!/usr/bin/env bash
# Set up a fresh Debian machine (as root) and run the whole test suite: unit and property tests,
# integration tests on an embedded real Mesos 1.11 cluster, the dockerised tier (ZooKeeper and three
# masters in containers, failover under load), lint, types and the docs build; then the unit tier
# again on every supported Python.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 NO_MKDOCS_2_WARNING=1
python3 -m pip install -q -e '.[test,dev,docs]'
python3 -m frameworkkit.cli setup --zookeeper --docker --quiet
python3 -m pytest -q -p no:cacheprovider "$@"
ruff check .
ruff format --check .
mypy
mypy --strict examples
mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
# The unit tier on Python 3.10 to 3.13 (tox), with the pyenv interpreters of this machine kind.
pythons=$(printf '%s:' "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[0-3].*/bin)
PATH="$pythons$PATH" "$(command -v python3)" -m tox -q -e py310,py311,py312,py313
