#!/usr/bin/env bash
# Relay throughput, CPU and p50/p99 latency of rooms on one gateway versus spread over three
# cluster nodes on a real nats-server, side by side in one run (bench/README.md, "Cluster").
#   bench/run-cluster.sh [--seconds=10] [--room-size=6] [--rooms=10] [--rounds=3]
#   bench/run-cluster.sh --phases=idle --sessions=10000   (idle sessions: 3 nodes against 1)
# Needs Debian's nats-server (apt-get install nats-server).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -n "${HYBRIDGE_LAUNCHED:-}" ]] || exec ./hybridge bench-cluster "$@"
MVN=(mvn -B -ntp -q -Dstyle.color=never)
cp_file="$PWD/bench/target/classpath.txt"
"${MVN[@]}" -pl bench -am test-compile -DskipTests dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
exec java -Xmx6g -cp "bench/target/classes:$(cat "$cp_file")" dev.hybridge.bench.ClusterBench "$@"
