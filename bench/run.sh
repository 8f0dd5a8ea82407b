#!/usr/bin/env bash
# The scimd benchmark (make bench): starts build/scimd on a fresh SQLite database, seeds
# BENCH_USERS users through the API, then runs wrk (loopback, keep-alive) against the hot
# endpoints, BENCH_ROUNDS times each, and writes the median figures with the exact commands to
# bench/RESULTS.md. Not part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."

users=${BENCH_USERS:-100000}
rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_DURATION:-10s}
conns=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-2}
port=${BENCH_PORT:-18080}
work=$(mktemp -d /tmp/scimd-bench.XXXXXX)
db=$work/bench.db
out=bench/RESULTS.md

cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

build/scimctl --database "$db" tenant create bench >/dev/null
export SCIMD_BENCH_TOKEN=$(build/scimctl --database "$db" token create --tenant bench \
    --description bench --expires-in-days 1 --quiet)
build/scimd --listen 127.0.0.1:$port --database "$db" 2>"$work/scimd.log" &
pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/scimd.log" 2>/dev/null && break
    sleep 0.1
done

echo "bench: seeding $users users through POST /scim/v2/Users"
seed_start=$(date +%s.%N)
python3 bench/seed.py --port "$port" --token "$SCIMD_BENCH_TOKEN" --users "$users" --procs 4 \
    --ids "$work/ids" --names "$work/names"
seed_end=$(date +%s.%N)
seed_rate=$(python3 -c "print(round($users / ($seed_end - $seed_start)))")
export SCIMD_BENCH_IDS=$work/ids SCIMD_BENCH_NAMES=$work/names
wide_users=${BENCH_WIDE_USERS:-1000}
echo "bench: seeding $wide_users users with 10 e-mails and 10 phone numbers (patch_wide)"
python3 bench/seed.py --port "$port" --token "$SCIMD_BENCH_TOKEN" --users "$wide_users" \
    --procs 4 --wide --ids "$work/wide_ids" --names "$work/wide_names"
export SCIMD_BENCH_WIDE_IDS=$work/wide_ids

# run_case NAME SCRIPT: BENCH_ROUNDS wrk runs; prints "rps p50 p99" of the median-rps run.
run_case() {
    local name=$1 script=$2 results=()
    for r in $(seq "$rounds"); do
        export SCIMD_BENCH_RUN="$name$r"
        local text
        text=$(wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency -s "$script" \
            "http://127.0.0.1:$port" 2>&1)
        echo "$text" >"$work/$name.$r.txt"
        local rps p50 p99 non2xx
        rps=$(echo "$text" | awk '/Requests\/sec/ {print $2}')
        p50=$(echo "$text" | awk '$1 == "50%" {print $2}')
        p99=$(echo "$text" | awk '$1 == "99%" {print $2}')
        non2xx=$(echo "$text" | awk '/Non-2xx/ {print $5}')
        results+=("$rps $p50 $p99 ${non2xx:-0}")
    done
    printf '%s\n' "${results[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p"
}

declare -A figures
for c in get_by_id filter_username post_users patch_active patch_wide; do
    echo "bench: $c"
    figures[$c]=$(run_case "$c" "bench/$c.lua")
    echo "  ${figures[$c]}"
done
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
hw="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"

{
    echo "# scimd benchmark results"
    echo
    echo "Produced by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $hw, wrk on the same"
    echo "machine sharing the cores, loopback, keep-alive. scimd $(build/scimd --version | cut -d' ' -f2),"
    echo "SQLite WAL database seeded with $users users through POST /scim/v2/Users"
    echo "(seeding rate: $seed_rate users/s from 4 Python clients)."
    echo
    echo "Each case: \`wrk -t$wrk_threads -c$conns -d$duration --latency -s bench/<case>.lua http://127.0.0.1:$port\`,"
    echo "$rounds rounds, the median round by requests/s is shown."
    echo
    echo "| case | requests/s | p50 | p99 | non-2xx |"
    echo "|---|---|---|---|---|"
    for c in get_by_id filter_username post_users patch_active patch_wide; do
        read -r rps p50 p99 non2xx <<<"${figures[$c]}"
        echo "| $c | $rps | $p50 | $p99 | $non2xx |"
    done
    echo
    echo "scimd resident memory after the run: $((rss_kb / 1024)) MB."
    echo
    echo "Cases: get_by_id = GET /Users/{id} for random seeded ids; filter_username ="
    echo "GET /Users?filter=userName eq \"…\" for random seeded names; post_users = POST /Users with"
    echo "unique userNames; patch_active = PATCH replace active on random users; patch_wide ="
    echo "PATCH replace of title on random users that have 10 e-mails and 10 phone numbers"
    echo "($wide_users such users seeded)."
} >"$out"
cat "$out"
