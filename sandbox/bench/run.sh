#!/usr/bin/env bash
# Benchmark of vlens-sandbox (not a timed test): requests per second and p99 latency of
# CheckEligibility (GET) and StepRequestOtp (POST, within 80 km), and the sandbox's peak
# memory (VmHWM). Load goes to 127.0.0.1 only.
#
#   sandbox/bench/run.sh                 # 10 s per endpoint, 64 connections, 2 wrk threads
#   DURATION=30s CONNECTIONS=128 sandbox/bench/run.sh
#
# Targets (2 cores, wrk on the same machine): 20,000 req/s CheckEligibility,
# 10,000 req/s StepRequestOtp.
set -euo pipefail

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
API_KEY=sandbox-api-key

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source sandbox/bench/lib.sh

need_wrk

# --rate-limits off: a throttled StepRequestOtp still answers HTTP 200 (TooManyOtpRequests in the
# envelope), so with the limits on wrk would measure refusals after the tenth OTP.
start_sandbox --rate-limits off

# A verified user (registered in Cairo) and an approved Personal Loan, through the control API.
user=$(curl -sf -X POST "$base/__sandbox/users" -H "ApiKey: $API_KEY" -H 'Content-Type: application/json' -d '{}')
token=$(printf '%s' "$user" | json_field accessToken)
request=$(curl -sf -X POST "$base/api/BusinessRequest/Create/414" \
    -H "ApiKey: $API_KEY" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"geoLocation":{"latitude":30.0444,"longitude":31.2357},"requestFieldsValues":{"fullName":"Bench User","monthlyIncome":"15000","loanAmount":"50000","loanPurpose":"Car","firstInstallmentDate":"2026-02-01"}}' \
    | json_field id)
[ -n "$token" ] && [ -n "$request" ] || { echo "fixture set-up failed" >&2; exit 1; }

# 30.3, 31.5 is about 38 km from Cairo: within the 80 km rule.
otp_body="{\"geoLocation\":{\"latitude\":30.3,\"longitude\":31.5},\"userDeviceUtcTime\":\"2025-01-15T10:30:00Z\",\"requestId\":\"$request\"}"
cat >"$work/otp.lua" <<LUA
wrk.method = "POST"
wrk.body = '$otp_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["ApiKey"] = "$API_KEY"
wrk.headers["Authorization"] = "Bearer $token"
LUA

# Each endpoint must answer a success envelope before it is measured.
curl -sf "$base/api/BusinessRequest/CheckEligibility" -H "ApiKey: $API_KEY" -H "Authorization: Bearer $token" \
    | grep -q '"error_code":null' || { echo "CheckEligibility does not succeed" >&2; exit 1; }
curl -sf -X POST "$base/api/BusinessRequest/CustomerSign/StepRequestOtp" -H "ApiKey: $API_KEY" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$otp_body" \
    | grep -q '"otpRequestId"' || { echo "StepRequestOtp does not succeed" >&2; exit 1; }

run() {
    local name=$1 out=$2
    shift 2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$out"
    if grep -q 'Non-2xx' "$out"; then
        echo "$name: some replies were not 2xx:" >&2
        cat "$out" >&2
        exit 1
    fi
    local rps p99
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    printf '%-34s %12s req/s   p99 %s\n' "$name" "$rps" "$p99"
}

echo "vlens-sandbox benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m)," \
    "wrk -t$THREADS -c$CONNECTIONS -d$DURATION against $base"
run "CheckEligibility (GET)" "$work/eligibility.txt" \
    -H "ApiKey: $API_KEY" -H "Authorization: Bearer $token" "$base/api/BusinessRequest/CheckEligibility"
run "StepRequestOtp (POST, ~38 km)" "$work/otp.txt" \
    -s "$work/otp.lua" "$base/api/BusinessRequest/CustomerSign/StepRequestOtp"
echo "peak memory (VmHWM): $(awk '/^VmHWM/ {print $2, $3}' "/proc/$pid/status")"
