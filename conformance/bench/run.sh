#!/usr/bin/env bash
# Prints the wall time of the whole conformance suite (release build) against the embedded
# sandbox: one warm-up run, then RUNS timed runs (default 5) of the binary (sandbox start,
# every case, the coverage table), and their minimum and median. Arguments go to the binary:
# `bash conformance/bench/run.sh --report junit=/tmp/r.xml --report json=/tmp/r.json
# --report html=/tmp/r.html` times the suite with all three reports written.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet -p vlens-conformance
bin="${CARGO_TARGET_DIR:-target}/release/vlens-conformance"
runs="${RUNS:-5}"
export CI=true # compare snapshots, never write them
"$bin" --quiet "$@" > /dev/null
times=()
for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$bin" --quiet "$@" > /dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
cases=$("$bin" --list 2>/dev/null | grep -c ': test')
echo "conformance suite, release, embedded sandbox, ${cases} trials on $(nproc) cores${*:+, with $*}"
echo "wall time per run (ms): ${times[*]}"
echo "min ${sorted[0]} ms, median ${sorted[$(( runs / 2 ))]} ms"
