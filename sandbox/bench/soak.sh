#!/usr/bin/env bash
# Memory soak of vlens-sandbox (not a timed test): hammers the calls that used to grow memory
# without bound (issue 8) for DURATION seconds, all at once, and prints the sandbox's resident
# memory (VmRSS) at the start, every 10 s, at its peak and at the end, after a last purge.
# Loopback only; bounded in time (DURATION, default 60 s) and in connections (11 in all).
#
#   sandbox/bench/soak.sh               # 60 s
#   DURATION=30 sandbox/bench/soak.sh
#
# The load, in an isolated tenant T (its clock is moved every 10 s, +3,601 s, so that what
# expires does, and T's purge runs):
#   - ID front (DI1) with the ApiKey only and a 511,000-byte image: a new incomplete transaction
#     per call (expires after an hour; image bytes capped at 64 MiB per tenant, 507 beyond);
#   - StepRequestOtp for one request (each OTP supersedes the last);
#   - StepVerifyPhone to random phone numbers (an OTP per number; OTPs capped per tenant);
#   - GenerateSignContractLink (a link per call; links capped per tenant);
#   - admin login (a refresh token per call, kept 7 days; capped per tenant);
# and in the Default tenant, POST /__sandbox/tenants (capped at 256 tenants, 507 beyond).
# The sandbox runs with --rate-limits off, so that throttling does not hide the growth.
# Goal: RSS flat (within 10 %) once the caps and the first purge are reached.
set -euo pipefail

DURATION=${DURATION:-60}
API_KEY=sandbox-api-key

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source sandbox/bench/lib.sh

need_wrk

jobs_started=()
before_stop() {
    for job in "${jobs_started[@]}"; do
        kill "$job" 2>/dev/null || true
        wait "$job" 2>/dev/null || true
    done
}
start_sandbox --rate-limits off

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$pid/status"; }
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f MB", kb / 1024}'; }

post() { curl -sf -X POST "$base$1" -H "ApiKey: $2" -H 'Content-Type: application/json' -d "$3"; }

# The isolated tenant T, a verified user of it and an approved Personal Loan.
tenant=$(post /__sandbox/tenants "$API_KEY" '{}')
key=$(printf '%s' "$tenant" | json_field apiKey)
tenancy=$(printf '%s' "$tenant" | json_field tenancyName)
token=$(post /__sandbox/users "$key" '{}' | json_field accessToken)
request=$(curl -sf -X POST "$base/api/BusinessRequest/Create/414" \
    -H "ApiKey: $key" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"geoLocation":{"latitude":30.0444,"longitude":31.2357},"requestFieldsValues":{"fullName":"Soak User","monthlyIncome":"15000","loanAmount":"50000","loanPurpose":"Car","firstInstallmentDate":"2026-02-01"}}' \
    | json_field id)
[ -n "$key" ] && [ -n "$token" ] && [ -n "$request" ] || { echo "fixture set-up failed" >&2; exit 1; }

# A 511,000-byte PNG (a real signature, then padding), base64 in a DI1 body.
python3 - "$work/front.json" <<'PY'
import base64, json, sys
image = b"\x89PNG\r\n\x1a\n" + bytes(511_000 - 8)
json.dump({"image": base64.b64encode(image).decode()}, open(sys.argv[1], "w"))
PY

here='"geoLocation":{"latitude":30.0444,"longitude":31.2357},"userDeviceUtcTime":"2025-01-15T10:30:00Z"'
lua() { # name, method, body (Lua expression), extra header lines
    cat >"$work/$1.lua" <<LUA
wrk.method = "$2"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["ApiKey"] = "$key"
$4
$3
LUA
}
lua front POST 'local f = io.open("'"$work"'/front.json", "rb"); wrk.body = f:read("*a"); f:close()' ''
lua otp POST "wrk.body = '{$here,\"requestId\":\"$request\"}'" "wrk.headers[\"Authorization\"] = \"Bearer $token\""
lua link POST "wrk.body = '{$here,\"requestId\":\"$request\"}'" "wrk.headers[\"Authorization\"] = \"Bearer $token\""
lua login POST "wrk.body = '{\"tenancyName\":\"$tenancy\",\"userNameOrEmailAddress\":\"admin\",\"password\":\"123qwe\"}'" \
    "wrk.headers[\"TenancyName\"] = \"$tenancy\""
lua phones POST '
init = function(args) math.randomseed(os.time() + math.floor(os.clock() * 1000000)) end
request = function()
    local phone = string.format("+2010%08d", math.random(0, 99999999))
    return wrk.format(nil, nil, nil, "{\"phoneNumber\":\"" .. phone .. "\"}")
end' ''
cat >"$work/tenants.lua" <<LUA
wrk.method = "POST"
wrk.headers["ApiKey"] = "$API_KEY"
LUA

start_rss=$(rss_kb)
echo "vlens-sandbox memory soak: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), ${DURATION} s against $base"
echo "RSS at the start (fixtures made):   $(mb "$start_rss")"

load() { # name, connections, path
    wrk -t1 -c"$2" -d"${DURATION}s" -s "$work/$1.lua" "$base$3" >"$work/$1.txt" 2>&1 &
    jobs_started+=($!)
}
load front 2 /api/DigitalIdentity/verify/id/front
load otp 2 /api/BusinessRequest/CustomerSign/StepRequestOtp
load phones 2 /api/DigitalIdentity/Register/StepVerifyPhone
load link 2 /api/BusinessRequest/GenerateSignContractLink
load login 2 /api/credentials/Login
load tenants 1 /__sandbox/tenants

samples=()
for second in $(seq 1 "$DURATION"); do
    sleep 1
    samples+=("$(rss_kb)")
    if (( second % 10 == 0 )); then
        post /__sandbox/clock "$key" '{"advanceSeconds": 3601}' >/dev/null || true
        echo "RSS at ${second} s:                  $(mb "${samples[-1]}")"
    fi
done
wait "${jobs_started[@]}" 2>/dev/null || true
jobs_started=()
# A last purge: T's clock moves, and whatever expired goes.
post /__sandbox/clock "$key" '{"advanceSeconds": 3601}' >/dev/null
sleep 1
end_rss=$(rss_kb)
peak=0
for sample in "${samples[@]}"; do (( sample > peak )) && peak=$sample; done

echo "RSS peak (sampled each second):     $(mb "$peak")   (VmHWM $(mb "$(hwm_kb)"))"
echo "RSS at the end (after the purge):   $(mb "$end_rss")"
# Flatness: the spread (max - min) of the samples against their mean, after the first purge
# (10 s) and over the second half (once the per-tenant caps are full at this load).
spread() { # label, samples...
    local label=$1
    shift
    awk -v label="$label" -v list="$*" 'BEGIN {
        n = split(list, s, " "); min = s[1]; max = s[1]; sum = 0
        for (i = 1; i <= n; i++) { if (s[i] < min) min = s[i]; if (s[i] > max) max = s[i]; sum += s[i] }
        printf "RSS %-27s min %.1f MB, max %.1f MB, spread %.1f %% of the mean\n",
            label ":", min / 1024, max / 1024, 100 * (max - min) / (sum / n)
    }'
}
spread "from 11 s to the end" "${samples[@]:10}"
half=$(( DURATION / 2 ))
spread "from $((half + 1)) s to the end" "${samples[@]:$half}"
printf '%-10s %10s %12s\n' "load" "requests" "non-2xx"
for name in front otp phones link login tenants; do
    total=$(awk '/requests in/ {print $1}' "$work/$name.txt")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/$name.txt")
    printf '%-10s %10s %12s\n' "$name" "${total:-?}" "${non2xx:-0}"
done
