#!/usr/bin/env bash
# Builds bench/target/benchmarks.jar and runs the crypto JMH benchmarks in one JMH run, then
# prints the summary (gateway handshake vs the sum of its primitives, records/s, BC vs JDK ML-KEM).
#
#   bench/run-jmh.sh                 # full run: 1 fork, 3 x 2 s warmup, 5 x 2 s measurement
#   bench/run-jmh.sh -wi 1 -i 2      # extra arguments go to JMH (they override the defaults)
#   QUICK=1 bench/run-jmh.sh         # a short run while developing (1 x 1 s warmup, 2 x 1 s)
#   SKIP_BUILD=1 bench/run-jmh.sh    # reuse the jar
#   BENCH='hopHandshake|xwing' bench/run-jmh.sh   # only benchmarks matching a regex
#   WAIT_QUIET=0.8 bench/run-jmh.sh  # first wait (up to 30 min) for a 1-minute load average below 0.8
#
# Results: bench/target/jmh-result.json (JMH JSON), bench/target/jmh-output.txt (JMH's log),
# bench/target/jmh-summary.txt and jmh-summary.md (the summary, plain and Markdown).
# Sized for a 2-core machine: one fork, one benchmark thread; JMH's own JVM runs beside it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

if [[ -z "${JAVA_HOME:-}" ]]; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    if [[ -x "$j/bin/java" ]]; then export JAVA_HOME="$j"; break; fi
  done
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jar="$here/target/benchmarks.jar"
out="$here/target"

if [[ -z "${SKIP_BUILD:-}" ]]; then
  # -am builds pq-crypto from this checkout, never a pq-crypto snapshot from ~/.m2.
  (cd "$root" && mvn -B -ntp -q -pl bench -am package -DskipTests)
fi

# Ten 1-second measurement iterations rather than five of 2 s: on a shared machine the Summary's
# "best iteration" figures then come from a shorter, less disturbed window.
if [[ -n "${QUICK:-}" ]]; then
  settings=(-f 1 -wi 1 -w 1s -i 2 -r 1s)
else
  settings=(-f 1 -wi 3 -w 2s -i 10 -r 1s)
fi

if [[ -n "${WAIT_QUIET:-}" ]]; then
  for _ in $(seq 180); do
    awk -v limit="$WAIT_QUIET" '{ exit !($1 < limit) }' /proc/loadavg && break
    sleep 10
  done
fi

# The JDK's ML-KEM (JEP 496) exists from JDK 24: without it, leave those benchmarks out.
exclude=()
if [[ "$("$java" -cp "$jar" 'dev.hybridge.bench.MlKemBench$JdkMlKem')" != yes ]]; then
  echo "note: $("$java" -version 2>&1 | head -1) has no ML-KEM-768; the mlkemJdk benchmarks are skipped" >&2
  exclude=(-e 'mlkemJdk')
fi

mkdir -p "$out"
# Load average at the start, every 30 s during the run and at the end: other work on the machine
# shows here (the run itself keeps about one core busy).
echo "start $(date -Is) load $(cut -d' ' -f1-3 /proc/loadavg)" > "$out/jmh-load.txt"
( while sleep 30; do echo "      $(date -Is) load $(cut -d' ' -f1-3 /proc/loadavg)"; done >> "$out/jmh-load.txt" ) &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT
"$java" -jar "$jar" "${BENCH:-dev\.hybridge\.bench\.(PrimitivesBench|RecordBench|HandshakeBench|MlKemBench)\.}" "${settings[@]}" -t 1 -prof gc -prof dev.hybridge.bench.CpuTimeProfiler \
  -rf json -rff "$out/jmh-result.json" "${exclude[@]}" "$@" | tee "$out/jmh-output.txt"

kill "$sampler" 2>/dev/null || true
echo "end   $(date -Is) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/jmh-load.txt"
echo
awk '{ n++; s += $4 } END { printf "load average during the run: %.2f (mean of %d samples, 1-minute averages)\n", s / n, n }' "$out/jmh-load.txt"
"$java" -cp "$jar" dev.hybridge.bench.Summary "$out/jmh-result.json" | tee "$out/jmh-summary.txt"
"$java" -cp "$jar" dev.hybridge.bench.Summary "$out/jmh-result.json" --markdown > "$out/jmh-summary.md"
echo
echo "JSON: $out/jmh-result.json   summary: $out/jmh-summary.txt (Markdown: $out/jmh-summary.md)"
