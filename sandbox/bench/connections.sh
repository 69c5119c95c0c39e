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
source sandbox/bench/lib.sh

# The crowd needs a file descriptor per connection, on both sides.
ulimit -n 4096 2>/dev/null || true

start_sandbox
port=${base##*:}

token=$(curl -sf -X POST "$base/__sandbox/users" -H "ApiKey: $API_KEY" -H 'Content-Type: application/json' \
    -d '{}' | json_field accessToken)
[ -n "$token" ] || { echo "fixture set-up failed" >&2; exit 1; }

echo "vlens-sandbox connections: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), against $base" \
    "(default limits: 1,024 connections, 10 s header-read timeout)"
python3 "$root/sandbox/bench/connections.py" --port "$port" --api-key "$API_KEY" --token "$token" \
    --slowloris "$SLOWLORIS" --seconds "$SECONDS_EACH"
echo "peak memory (VmHWM): $(awk '/^VmHWM/ {print $2, $3}' "/proc/$pid/status")"
