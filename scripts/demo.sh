#!/usr/bin/env bash
# Set up a fresh Debian machine (as root) and run the main job: a Spark-style word count over a
# generated text of 4 MB on an embedded real Mesos 1.11 cluster of 10 agents, with a progress
# bar, the top words and the time of each stage. Arguments go to the word count, e.g.
#   bash scripts/demo.sh --executor-cores 1 --cores-max 6 -v
# The text and the counts stay in ${TMPDIR:-/tmp}/frameworkkit-demo; the cluster is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install -q -e .
python3 -m frameworkkit.cli setup
work="${TMPDIR:-/tmp}/frameworkkit-demo"
mkdir -p "$work"
port=$(python3 -c 'from frameworkkit.testing import free_port; print(free_port())')
trap 'python3 -m frameworkkit.cli cluster down --port "$port" >/dev/null' EXIT
master=$(python3 -m frameworkkit.cli cluster up --agents 10 --port "$port" --quiet)
echo "embedded Mesos 1.11 cluster with 10 agents at $master" >&2
python3 examples/spark_style/make_text.py --megabytes 4 "$work/book.txt"
python3 examples/spark_style/wordcount.py --master "$master" --input "$work/book.txt" \
    --output "$work/counts.tsv" --block-size 256k "$@"
