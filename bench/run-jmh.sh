#!/usr/bin/env bash
# Builds bench/target/benchmarks.jar and runs every Hybridge JMH benchmark in one JMH run, then
# prints the summary (gateway handshake vs the sum of its primitives, records/s, BC vs JDK ML-KEM).
#
#   bench/run-jmh.sh                 # full run: 1 fork, 3 x 2 s warmup, 5 x 2 s measurement
#   bench/run-jmh.sh -wi 1 -i 2      # extra arguments go to JMH (they override the defaults)
#   QUICK=1 bench/run-jmh.sh         # a short run while developing (1 x 1 s warmup, 2 x 1 s)
#   SKIP_BUILD=1 bench/run-jmh.sh    # reuse the jar
#   BENCH='hopHandshake|xwing' bench/run-jmh.sh   # only benchmarks matching a regex
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

if [[ -n "${QUICK:-}" ]]; then
  settings=(-f 1 -wi 1 -w 1s -i 2 -r 1s)
else
  settings=(-f 1 -wi 3 -w 2s -i 5 -r 2s)
fi

# The JDK's ML-KEM (JEP 496) exists from JDK 24: without it, leave those benchmarks out.
exclude=()
if [[ "$("$java" -cp "$jar" 'dev.hybridge.bench.MlKemBench$JdkMlKem')" != yes ]]; then
  echo "note: $("$java" -version 2>&1 | head -1) has no ML-KEM-768; the mlkemJdk benchmarks are skipped" >&2
  exclude=(-e 'mlkemJdk')
fi

mkdir -p "$out"
"$java" -jar "$jar" "${BENCH:-dev\.hybridge\.bench\.}" "${settings[@]}" -t 1 -prof gc -prof dev.hybridge.bench.CpuTimeProfiler \
  -rf json -rff "$out/jmh-result.json" "${exclude[@]}" "$@" | tee "$out/jmh-output.txt"

echo
"$java" -cp "$jar" dev.hybridge.bench.Summary "$out/jmh-result.json" | tee "$out/jmh-summary.txt"
"$java" -cp "$jar" dev.hybridge.bench.Summary "$out/jmh-result.json" --markdown > "$out/jmh-summary.md"
echo
echo "JSON: $out/jmh-result.json   summary: $out/jmh-summary.txt (Markdown: $out/jmh-summary.md)"
