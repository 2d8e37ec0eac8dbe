#!/usr/bin/env bash
# The gateway load benchmark (issue 3): JMH primitives, then LoadBench against the gateway and the
# plain Node ws relay. One run on this machine; figures printed, the summary goes in README.
#   bench/run.sh [--sessions=10000] [--seconds=10]
set -euo pipefail
cd "$(dirname "$0")/.."
# the launcher finds a JDK 21+ (the default java may be older) and comes back here
[[ -n "${HYBRIDGE_LAUNCHED:-}" ]] || exec ./hybridge bench-load "$@"
MVN=(mvn -B -ntp -q -Dstyle.color=never)
cp_file="$PWD/bench/target/classpath.txt"
"${MVN[@]}" -pl bench -am compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
CP="bench/target/classes:$(cat "$cp_file")"
(cd bench/node-relay && npm install --no-audit --no-fund --silent >&2)
java -cp "$CP" org.openjdk.jmh.Main HandshakePrimitivesBench -rf json -rff bench/target/jmh.json
exec java -Xmx8g -cp "$CP" dev.hybridge.bench.LoadBench "$@"
