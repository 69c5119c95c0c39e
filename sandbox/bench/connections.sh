#!/usr/bin/env bash
# Connection figures of vlens-sandbox (not a timed test): requests per second pipelined at
# depth 2 on one connection (TCP_NODELAY), and the p50/p99/max latency of CheckEligibility for
# four paced keep-alive clients, alone and then beside SLOWLORIS connections that each send one
# byte of their request head per second (reconnecting when the server closes them). Loopback
# only; about 50 s in all.
#
#   sandbox/bench/connections.sh
#   SLOWLORIS=800 SECONDS_EACH=30 sandbox/bench/connections.sh
#
# Target: beside 500 slowloris connections, other clients' p99 stays under 50 ms.
set -euo pipefail

SLOWLORIS=${SLOWLORIS:-500}
SECONDS_EACH=${SECONDS_EACH:-20}
API_KEY=sandbox-api-key

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

echo "building the release binary..." >&2
cargo build --release -q -p vlens-sandbox
binary="${CARGO_TARGET_DIR:-$root/target}/release/vlens-sandbox"

# The crowd needs a file descriptor per connection, on both sides.
ulimit -n 4096 2>/dev/null || true

work=$(mktemp -d)
RUST_LOG=warn "$binary" --host 127.0.0.1 --port 0 --seed 1 >"$work/stdout" 2>"$work/stderr" &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

base=""
for _ in $(seq 1 100); do
    base=$(sed -n 's/^vlens-sandbox listening on //p' "$work/stdout")
    [ -n "$base" ] && break
    sleep 0.1
done
case "$base" in
    http://127.0.0.1:*) ;;
    *) echo "the sandbox did not start (or not on 127.0.0.1): $(cat "$work/stderr")" >&2; exit 1 ;;
esac
port=${base##*:}

json_field() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
token=$(curl -sf -X POST "$base/__sandbox/users" -H "ApiKey: $API_KEY" -H 'Content-Type: application/json' \
    -d '{}' | json_field accessToken)
[ -n "$token" ] || { echo "fixture set-up failed" >&2; exit 1; }

echo "vlens-sandbox connections: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), against $base" \
    "(default limits: 1,024 connections, 10 s header-read timeout)"
python3 "$root/sandbox/bench/connections.py" --port "$port" --api-key "$API_KEY" --token "$token" \
    --slowloris "$SLOWLORIS" --seconds "$SECONDS_EACH"
echo "peak memory (VmHWM): $(awk '/^VmHWM/ {print $2, $3}' "/proc/$pid/status")"
