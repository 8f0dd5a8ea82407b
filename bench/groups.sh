#!/usr/bin/env bash
# The Groups benchmark (issue 5), run by bench/run.sh at its end (BENCH_GROUPS=0 skips it) or on
# its own: `bash bench/groups.sh`. Starts build/scimd on a fresh SQLite database, seeds
# BENCH_GROUP_MEMBERS users plus a pool of BENCH_GROUP_POOL more through the API, puts the first
# BENCH_GROUP_MEMBERS into one group with PATCH add operations of 1,000 values, then measures with
# wrk at BENCH_GROUP_CONNECTIONS connections: PATCH adding one member (from the pool) and PATCH
# removing one member (members[value eq "id"], the same pool ids again), GET of the group with
# excludedAttributes=members next to GET /Users/{id}, and the time of a full GET of the group with
# every member (bench/group_full_get.py). Its section of bench/RESULTS.md is replaced, the rest
# kept.
set -euo pipefail
cd "$(dirname "$0")/.."

members=${BENCH_GROUP_MEMBERS:-100000}
pool=${BENCH_GROUP_POOL:-50000}
rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_GROUP_DURATION:-${BENCH_DURATION:-10s}}
conns=${BENCH_GROUP_CONNECTIONS:-8}
wrk_threads=${BENCH_WRK_THREADS:-2}
port=${BENCH_GROUP_PORT:-18090}
full_rounds=${BENCH_GROUP_FULL_ROUNDS:-10}
out=${BENCH_OUT:-bench/RESULTS.md}
work=$(mktemp -d /tmp/scimd-bench-groups.XXXXXX)
db=$work/groups.db
title="## Issue 5: a group with $members members"

cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

build/scimctl --database "$db" tenant create bench >/dev/null
export SCIMD_BENCH_TOKEN
SCIMD_BENCH_TOKEN=$(build/scimctl --database "$db" token create --tenant bench \
    --description bench-groups --expires-in-days 1 --quiet)
build/scimd --listen 127.0.0.1:$port --database "$db" 2>"$work/scimd.log" &
pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/scimd.log" 2>/dev/null && break
    sleep 0.1
done

total=$((members + pool))
echo "bench (issue 5): seeding $total users through POST /scim/v2/Users"
python3 bench/seed.py --port "$port" --token "$SCIMD_BENCH_TOKEN" --users "$total" --procs 4 \
    --ids "$work/ids" --names "$work/names"
head -n "$members" "$work/ids" >"$work/member_ids"
tail -n "$pool" "$work/ids" >"$work/pool_ids"
echo "bench (issue 5): one group, $members members added 1,000 per PATCH"
t0=$(date +%s.%N)
group=$(python3 bench/group_fill.py --port "$port" --token "$SCIMD_BENCH_TOKEN" \
    --ids "$work/member_ids" --members "$members" --batch 1000)
t1=$(date +%s.%N)
fill_s=$(python3 -c "print(round($t1 - $t0, 1))")
export SCIMD_BENCH_GROUP_ID=$group SCIMD_BENCH_IDS=$work/member_ids
export SCIMD_BENCH_POOL=$work/pool_ids SCIMD_BENCH_WRK_THREADS=$wrk_threads

# case NAME SCRIPT: BENCH_ROUNDS wrk runs; prints "rps p50 p99 non2xx" of the median-rps run.
case_run() {
    local name=$1 script=$2 results=() text rps p50 p99 non2xx
    for r in $(seq "$rounds"); do
        text=$(wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency -s "$script" \
            "http://127.0.0.1:$port" 2>&1)
        echo "$text" >"$work/$name.$r.txt"
        rps=$(echo "$text" | awk '/Requests\/sec/ {print $2}')
        p50=$(echo "$text" | awk '$1 == "50%" {print $2}')
        p99=$(echo "$text" | awk '$1 == "99%" {print $2}')
        non2xx=$(echo "$text" | awk '/Non-2xx/ {print $5}')
        results+=("$rps $p50 $p99 ${non2xx:-0}")
    done
    printf '%s\n' "${results[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p"
}

# The number of members now (the group is rendered without them; a filter counts nothing here,
# so the full GET's member count is used at the end and the pool walk is stated instead).
wrk -t"$wrk_threads" -c"$conns" -d3s -s bench/get_by_id.lua "http://127.0.0.1:$port" \
    >/dev/null 2>&1
declare -A fig
for c in get_by_id group_get; do
    echo "bench (issue 5): $c"
    fig[$c]=$(case_run "$c" "bench/$c.lua")
    echo "  ${fig[$c]}"
done
# Each add round walks the same pool slice from its start; a round after the first re-adds ids
# that are already members only if it got further than the first (then those are no-ops), so
# adds and removes alternate per round to keep every request a write.
add_rounds=()
remove_rounds=()
for r in $(seq "$rounds"); do
    for op in add remove; do
        export SCIMD_BENCH_GROUP_OP=$op
        text=$(wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency -s bench/group_member.lua \
            "http://127.0.0.1:$port" 2>&1)
        echo "$text" >"$work/group_$op.$r.txt"
        line="$(echo "$text" | awk '/Requests\/sec/ {print $2}') $(echo "$text" | awk '$1 == "50%" {print $2}') $(echo "$text" | awk '$1 == "99%" {print $2}') $(echo "$text" | awk '/Non-2xx/ {print $5}')"
        if [ "$op" = add ]; then add_rounds+=("$line"); else remove_rounds+=("$line"); fi
        echo "  $op round $r: $line"
    done
done
fig[group_add]=$(printf '%s\n' "${add_rounds[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p")
fig[group_remove]=$(printf '%s\n' "${remove_rounds[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p")
echo "bench (issue 5): full GET of the group, $full_rounds times"
full=$(python3 bench/group_full_get.py --port "$port" --token "$SCIMD_BENCH_TOKEN" \
    --group "$group" --rounds "$full_rounds")
read -r full_members full_bytes full_min full_median full_max <<<"$full"
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
# mimalloc hands a thread's freed pages back to the system on that thread's later allocations:
# the resident size once ordinary traffic has followed the full GETs is the second figure.
wrk -t"$wrk_threads" -c"$conns" -d3s -s bench/get_by_id.lua "http://127.0.0.1:$port" >/dev/null 2>&1
rss_after_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
kill "$pid" && wait "$pid" || true
pid=
db_mb=$(du -cm "$db"* | awk 'END {print $1}')

{
    echo "$title"
    echo
    echo "Produced by \`bash bench/groups.sh\` (also the last part of \`make bench\`) on"
    echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
    echo "scimd $(build/scimd --version | cut -d' ' -f2) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)),"
    echo "wrk and the clients on the same machine sharing the cores, loopback, keep-alive."
    echo "A fresh SQLite WAL database was seeded with $total users (\`bench/seed.py\`); one group got"
    echo "the first $members of them as members through $((members / 1000)) PATCH requests adding"
    echo "1,000 members each (\`bench/group_fill.py\`: $fill_s s in all). Database files after the run:"
    echo "$db_mb MB; scimd resident memory: $((rss_kb / 1024)) MB right after the full GETs below,"
    echo "$((rss_after_kb / 1024)) MB after 3 s of GET /Users/{id} that followed them."
    echo
    echo "Each case: \`wrk -t$wrk_threads -c$conns -d$duration --latency -s bench/<script>.lua http://127.0.0.1:$port\`,"
    echo "$rounds rounds, the median round by requests/s is shown."
    echo
    echo "| case | request | requests/s | p50 | p99 | non-2xx |"
    echo "|---|---|---|---|---|---|"
    local_row() { read -r rps p50 p99 non2xx <<<"$2"; echo "| $1 | $3 | $rps | $p50 | $p99 | ${non2xx:-0} |"; }
    local_row group_add "${fig[group_add]}" "PATCH /Groups/{id} add one member (group_member.lua, op add) → 204"
    local_row group_remove "${fig[group_remove]}" "PATCH /Groups/{id} remove members[value eq \"id\"] (op remove) → 204"
    local_row group_get "${fig[group_get]}" "GET /Groups/{id}?excludedAttributes=members"
    local_row get_by_id "${fig[get_by_id]}" "GET /Users/{id} (random seeded user, with its groups and roles)"
    echo
    echo "Add and remove rounds alternate (add, remove, add, ...); every request adds (or removes) one"
    echo "member of a pool of $pool users that are not among the $members, each wrk thread walking"
    echo "its own slice, so each request is one membership write and one version bump of the group,"
    echo "which holds between $members and $((members + pool)) members throughout."
    echo
    echo "Full GET of the group (\`python3 bench/group_full_get.py --rounds $full_rounds\`, one keep-alive"
    echo "connection, request sent to body read): $full_members members, $full_bytes bytes;"
    echo "min $full_min ms, median $full_median ms, max $full_max ms."
} >"$work/section.md"

python3 - "$out" "$work/section.md" "$title" <<'PY'
import os, sys
out, section, title = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
lines = open(out).read().splitlines(True) if os.path.exists(out) else []
kept, skipping = [], False
for line in lines:
    if line.startswith("## "):
        skipping = line.rstrip("\n") == title
    if not skipping:
        kept.append(line)
text = "".join(kept).rstrip("\n")
open(out, "w").write((text + "\n\n" if text else "") + section)
PY
cat "$work/section.md"
