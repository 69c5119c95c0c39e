#!/usr/bin/env bash
# Times the same three flows with Hurl 8.0.1 and with vlens-conformance, side by side with
# hyperfine in one run against one release `vlens-sandbox`, and prints both medians and their
# ratio. The flows (flows/hurl/*.hurl and flows/cases/*.yaml) make the same requests: activation
# 10 km away (10 requests), activation 81 km away with liveness re-validated (12), who may call
# what (9); each runs 20 times, 60 flows and 620 requests per timed run.
#
#   bash conformance/bench/versus-hurl.sh            # RUNS=20 timed runs each (default)
#
# Hurl is installed with cargo when missing (about 5 minutes once; it needs libcurl4-openssl-dev,
# libxml2-dev, libclang-dev and pkg-config, which this script installs with apt-get when run as
# root). hyperfine comes from apt. Not part of CI: the install is too slow for it.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
runs="${RUNS:-20}"
repeat=20
hurl_version=8.0.1

need_apt() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" > /dev/null 2>&1 || missing+=("$package")
    done
    if ((${#missing[@]})); then
        if [[ $(id -u) != 0 ]]; then
            echo "please install: ${missing[*]}" >&2
            exit 1
        fi
        apt-get install -y -qq "${missing[@]}" > /dev/null || {
            apt-get update -qq > /dev/null
            apt-get install -y -qq "${missing[@]}" > /dev/null
        }
    fi
}

need_apt hyperfine
if ! command -v hurl > /dev/null || [[ $(hurl --version | head -1) != "hurl $hurl_version"* ]]; then
    need_apt libcurl4-openssl-dev libxml2-dev libclang-dev pkg-config
    echo "installing hurl $hurl_version with cargo (about 5 minutes, once)" >&2
    cargo install --locked hurl --version "$hurl_version"
fi

cargo build --release --quiet -p vlens-conformance -p vlens-sandbox --features vlens-sandbox/cli
bin_dir="${CARGO_TARGET_DIR:-target}/release"
work=$(mktemp -d)
sandbox_pid=
cleanup() {
    [[ -n $sandbox_pid ]] && kill "$sandbox_pid" 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts a release sandbox logging at RUST_LOG=$1 to $work/sandbox-$1.log; sets base_url.
start_sandbox() {
    RUST_LOG=$1 "$bin_dir/vlens-sandbox" --port 0 --rate-limits off \
        --max-users 1000000 --max-requests 1000000 --max-transactions 1000000 \
        > "$work/sandbox-$1.out" 2> "$work/sandbox-$1.log" &
    sandbox_pid=$!
    base_url=
    for _ in $(seq 100); do
        base_url=$(grep -o 'http://[0-9.:]*' "$work/sandbox-$1.out" | head -1 || true)
        [[ -n $base_url ]] && curl -fs -H "ApiKey: sandbox-api-key" "$base_url/__sandbox/health" > /dev/null && return
        sleep 0.05
    done
    echo "the sandbox did not start: $(cat "$work/sandbox-$1.log")" >&2
    exit 1
}

# One sandbox for both tools, logging nothing per request. No rate limits, and room for every
# run's users and requests: each timed run makes 60 users, 40 business requests and 620
# requests.
start_sandbox warn

# vlens-conformance gets the 60 flows as 60 case files (as Hurl gets 3 files repeated 20 times).
mkdir "$work/cases"
for flow in conformance/bench/flows/cases/*.yaml; do
    name=$(basename "$flow" .yaml)
    for n in $(seq -w "$repeat"); do
        sed "s/^name: \"\(.*\)\"$/name: \"\1 #$n\"/" "$flow" > "$work/cases/${name}_$n.yaml"
    done
done

hurl_command="hurl --test --jobs 2 --repeat $repeat --variable base_url=$base_url \
--variable api_key=sandbox-api-key --variable admin_password=123qwe \
$root/conformance/bench/flows/hurl/*.hurl"
vlens_command="env CI=true VLENS_BASE_URL=$base_url VLENS_CASES_DIR=$work/cases \
$root/$bin_dir/vlens-conformance --quiet"

# Both must pass before either is timed.
$hurl_command > "$work/hurl.log" 2>&1 || { cat "$work/hurl.log" >&2; exit 1; }
$vlens_command > "$work/vlens.log" 2>&1 || { cat "$work/vlens.log" >&2; exit 1; }
trials=$(grep -o '[0-9]* passed' "$work/vlens.log" | sed -n 1p)

hyperfine --style none --warmup 2 --runs "$runs" --export-csv "$work/times.csv" \
    --command-name "hurl $hurl_version --jobs 2" "$hurl_command" \
    --command-name "vlens-conformance (release)" "$vlens_command" > /dev/null

kill "$sandbox_pid"
wait "$sandbox_pid" 2> /dev/null || true

# Start-up: from just before the process starts to the first request and to the first request
# of a case (after the target probe), as the sandbox's request log times them (a log line is
# written when the reply is, so its latency is taken off).
start_sandbox info
arrival_ns() { # the arrival of the request a log line describes, in ns since the epoch
    local line stamp latency
    line=$(sed 's/\x1b\[[0-9;]*m//g' <<< "$1")
    stamp=$(cut -d' ' -f1 <<< "$line")
    latency=$(grep -o 'latency_us=[0-9]*' <<< "$line" | cut -d= -f2)
    echo $(( $(date -d "$stamp" +%s%N) - ${latency:-0} * 1000 ))
}
first=() first_case=()
for _ in $(seq "$runs"); do
    seen=$(wc -l < "$work/sandbox-info.log")
    start=$(date +%s%N)
    env CI=true VLENS_BASE_URL="$base_url" VLENS_CASES_DIR="$work/cases" \
        "$root/$bin_dir/vlens-conformance" --quiet > /dev/null
    requests=$(tail -n +"$((seen + 1))" "$work/sandbox-info.log" | grep 'latency_us')
    probe=$(head -1 <<< "$requests")
    case_request=$(grep -v '/__sandbox/health' <<< "$requests" | sed -n 1p)
    first+=($(( ($(arrival_ns "$probe") - start) / 1000 )))
    first_case+=($(( ($(arrival_ns "$case_request") - start) / 1000 )))
done
median_us() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

echo "$((repeat * 3)) flows ($trials), one release vlens-sandbox, $(nproc) cores, $runs runs each"
# hyperfine's CSV: command,mean,stddev,median,user,system,min,max (seconds).
awk -F, 'NR > 1 { printf "  %-30s median %7.1f ms  (min %6.1f, max %6.1f)\n", $1, $4 * 1000, $7 * 1000, $8 * 1000; median[NR] = $4 }
    END { printf "  vlens-conformance is %.2fx faster than hurl (ratio of medians)\n", median[2] / median[3] }' \
    "$work/times.csv"
awk -v a="$(median_us "${first[@]}")" -v b="$(median_us "${first_case[@]}")" 'BEGIN {
    printf "  vlens-conformance start-up (median): %.1f ms to its first request, %.1f ms to the first request of a case\n", a / 1000, b / 1000 }'
