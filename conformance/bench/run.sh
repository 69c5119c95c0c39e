#!/usr/bin/env bash
# Prints the wall time of the whole conformance suite (release build) against the embedded
# sandbox: one warm-up run, then five timed runs of the binary (sandbox start, every case, the
# coverage table), and their minimum and median.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet -p vlens-conformance
bin="${CARGO_TARGET_DIR:-target}/release/vlens-conformance"
export CI=true # compare snapshots, never write them
"$bin" --quiet > /dev/null
times=()
for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    "$bin" --quiet > /dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
cases=$("$bin" --list 2>/dev/null | grep -c ': test$')
echo "conformance suite, release, embedded sandbox, ${cases} trials on $(nproc) cores"
echo "wall time per run (ms): ${times[*]}"
echo "min ${sorted[0]} ms, median ${sorted[2]} ms"
