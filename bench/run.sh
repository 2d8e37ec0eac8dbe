#!/usr/bin/env bash
# The gateway load benchmark: JMH handshake primitives (when the handshakes phase runs), then
# LoadBench against the gateway and the plain Node ws relay. Modes, commands and what each
# prints: bench/README.md.
#   bench/run.sh [--sessions=10000] [--seconds=10] [--phases=handshakes,idle,relay,node,shape] ...
#   bench/run.sh --phases=shape --shapes=5000x2,500x20,closed,pingpong --rounds=3
#   bench/run.sh --phases=storm --storm-sessions=10000
# Needs `ulimit -n` of about twice the largest shape or the session count plus 256; LoadBench
# checks it at start and says what to raise.
set -euo pipefail
cd "$(dirname "$0")/.."
# the launcher finds a JDK 21+ (the default java may be older) and comes back here
[[ -n "${HYBRIDGE_LAUNCHED:-}" ]] || exec ./hybridge bench-load "$@"
MVN=(mvn -B -ntp -q -Dstyle.color=never)
cp_file="$PWD/bench/target/classpath.txt"
# test-compile, not compile: bench depends on pq-crypto's test kit (its test-jar), which the reactor
# resolves to pq-crypto/target/test-classes only once they are compiled (never from ~/.m2)
"${MVN[@]}" -pl bench -am test-compile -DskipTests dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
CP="bench/target/classes:$(cat "$cp_file")"
(cd bench/node-relay && npm ci --no-audit --no-fund --silent >&2)
phases="handshakes,idle,relay,node,shape"
for a in "$@"; do [[ "$a" == --phases=* ]] && phases="${a#--phases=}"; done
if [[ ",$phases," == *,handshakes,* ]]; then
  java -cp "$CP" org.openjdk.jmh.Main HandshakePrimitivesBench -rf json -rff bench/target/jmh.json
fi
exec java -Xmx8g -cp "$CP" dev.hybridge.bench.LoadBench "$@"
