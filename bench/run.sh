#!/usr/bin/env bash
# The scimd benchmark (make bench): starts build/scimd on a fresh SQLite database, seeds
# BENCH_USERS users through the API, then runs wrk (loopback, keep-alive) against the hot
# endpoints, BENCH_ROUNDS times each, and writes the median figures with the exact commands to
# bench/RESULTS.md. Not part of make test.
# Then the query part (issue 3, BENCH_QUERY=0 skips it, BENCH_QUERY_ONLY=1 runs nothing else):
# a second scimd on a fresh database seeded with BENCH_QUERY_USERS users (default 1,000,000;
# smaller to try it), wrk on indexed filters next to GET by id, and a cursor walk over every
# user (bench/cursor_walk.py); its section of bench/RESULTS.md is replaced, the rest kept.
# Last, the Groups part (issue 5, bench/groups.sh; BENCH_GROUPS=0 skips it).
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
    [ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# ---- Issue 3: queries at scale ---------------------------------------------------------------
query=${BENCH_QUERY:-1}
query_only=${BENCH_QUERY_ONLY:-0}
query_users=${BENCH_QUERY_USERS:-1000000}
query_count=${BENCH_QUERY_COUNT:-1000}
qport=${BENCH_QUERY_PORT:-$((port + 1))}
query_cases="get_by_id query_username query_email query_external_id query_modified"
# One section per size, so a reduced run and the full one can stand side by side.
query_prefix="## Issue 3:"
query_title="$query_prefix filters, sorting and cursor paging at scale, $query_users users"

# query_case NAME SCRIPT: as run_case (defined further down, after the main seeding) but against
# the query server: BENCH_ROUNDS wrk runs, prints "rps p50 p99 non2xx" of the median-rps run.
query_case() {
    local name=$1 script=$2 results=() text rps p50 p99 non2xx
    for r in $(seq "$rounds"); do
        text=$(wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency -s "$script" \
            "http://127.0.0.1:$qport" 2>&1)
        echo "$text" >"$work/query-$name.$r.txt"
        rps=$(echo "$text" | awk '/Requests\/sec/ {print $2}')
        p50=$(echo "$text" | awk '$1 == "50%" {print $2}')
        p99=$(echo "$text" | awk '$1 == "99%" {print $2}')
        non2xx=$(echo "$text" | awk '/Non-2xx/ {print $5}')
        results+=("$rps $p50 $p99 ${non2xx:-0}")
    done
    printf '%s\n' "${results[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p"
}

# query_get PATH: GET with the query token; prints the body.
query_get() {
    python3 - "$qport" "$SCIMD_BENCH_TOKEN" "$1" <<'EOF'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("GET", sys.argv[3], headers={"Authorization": "Bearer " + sys.argv[2]})
r = c.getresponse()
body = r.read().decode()
if r.status != 200:
    sys.exit("bench: GET %s -> %d %s" % (sys.argv[3], r.status, body[:300]))
print(body)
EOF
}

# Seeds the query server, runs the cases and the cursor walk, writes $work/query_section.md.
query_bench() {
    local qdb=$work/query.db qlog=$work/query-scimd.log
    build/scimctl --database "$qdb" tenant create bench >/dev/null
    export SCIMD_BENCH_TOKEN
    SCIMD_BENCH_TOKEN=$(build/scimctl --database "$qdb" token create --tenant bench \
        --description bench-query --expires-in-days 1 --quiet)
    build/scimd --listen 127.0.0.1:$qport --database "$qdb" 2>"$qlog" &
    qpid=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$qlog" 2>/dev/null && break
        sleep 0.1
    done
    echo "bench (issue 3): seeding $query_users users through POST /scim/v2/Users"
    local t0 t1 seed_s qseed_rate
    t0=$(date +%s.%N)
    python3 bench/seed.py --port "$qport" --token "$SCIMD_BENCH_TOKEN" --users "$query_users" \
        --procs 4 --ids "$work/query_ids" --names "$work/query_names"
    t1=$(date +%s.%N)
    seed_s=$(python3 -c "print(round($t1 - $t0))")
    qseed_rate=$(python3 -c "print(round($query_users / ($t1 - $t0)))")
    # The lastModified of the 101st most recently modified user: "gt" it matches about 100.
    local after matched
    after=$(query_get "/scim/v2/Users?sortBy=meta.lastModified&sortOrder=descending&count=101&attributes=meta.lastModified" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["Resources"][100]["meta"]["lastModified"])')
    matched=$(query_get "/scim/v2/Users?count=0&filter=meta.lastModified%20gt%20%22$after%22" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["totalResults"])')
    export SCIMD_BENCH_IDS=$work/query_ids SCIMD_BENCH_QUERY_USERS=$query_users
    export SCIMD_BENCH_MODIFIED_AFTER=$after
    # A discarded warm-up round, so the first case does not pay for the seeding's aftermath
    # (WAL checkpoint, cold caches).
    wrk -t"$wrk_threads" -c"$conns" -d5s -s bench/get_by_id.lua "http://127.0.0.1:$qport" \
        >/dev/null 2>&1
    local -A qfig
    for c in $query_cases; do
        echo "bench (issue 3): $c"
        qfig[$c]=$(query_case "$c" "bench/$c.lua")
        echo "  ${qfig[$c]}"
    done
    echo "bench (issue 3): cursor walk over $query_users users, count=$query_count"
    local walk
    walk=$(python3 bench/cursor_walk.py --port "$qport" --token "$SCIMD_BENCH_TOKEN" \
        --count "$query_count" --expect "$query_users")
    local qrss_kb db_mb
    qrss_kb=$(awk '/VmRSS/ {print $2}' /proc/$qpid/status)
    kill "$qpid" && wait "$qpid" || true
    qpid=
    db_mb=$(du -cm "$qdb"* | awk 'END {print $1}')
    local pages walked walk_s first_ms last_ms median_ms head_ms tail_ms index_first index_last
    read -r pages walked walk_s first_ms last_ms median_ms head_ms tail_ms index_first \
        index_last <<<"$walk"
    local label="$query_users users"
    [ "$query_users" -lt 1000000 ] && label="$query_users users (reduced size, not the 1,000,000 of the issue)"
    {
        echo "$query_title"
        echo
        echo "Size: **$label**."
        echo
        echo "Produced by \`BENCH_QUERY_USERS=$query_users make bench\` (the query part of bench/run.sh;"
        echo "\`BENCH_QUERY_ONLY=1\` runs it alone) on $(date -u +%Y-%m-%d), $(nproc) cores,"
        echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), scimd $(build/scimd --version | cut -d' ' -f2) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)),"
        echo "wrk and the clients on the same machine sharing the cores, loopback, keep-alive."
        echo "A fresh SQLite WAL database was seeded with $query_users users through POST /scim/v2/Users"
        echo "(\`python3 bench/seed.py --users $query_users --procs 4\`: $seed_s s, $qseed_rate users/s);"
        echo "user i has userName and one work e-mail user<i>@example.com and externalId ext-<i>."
        echo "Database files after the run: $db_mb MB; scimd resident memory: $((qrss_kb / 1024)) MB."
        echo
        echo "Each case: \`wrk -t$wrk_threads -c$conns -d$duration --latency -s bench/<case>.lua http://127.0.0.1:$qport\`,"
        echo "$rounds rounds after a discarded 5 s warm-up of get_by_id, the median round by requests/s"
        echo "is shown; every request names a random seeded user (uniform over all $query_users)."
        echo
        echo "| case | request | requests/s | p50 | p99 | non-2xx |"
        echo "|---|---|---|---|---|---|"
        local c rps p50 p99 non2xx what
        for c in $query_cases; do
            read -r rps p50 p99 non2xx <<<"${qfig[$c]}"
            case $c in
            get_by_id) what='GET /Users/{id}' ;;
            query_username) what='GET /Users?filter=userName eq "…"' ;;
            query_email) what='GET /Users?filter=emails.value eq "…"' ;;
            query_external_id) what='GET /Users?filter=externalId eq "…"' ;;
            query_modified) what="GET /Users?filter=meta.lastModified gt \"$after\" ($matched results per request)" ;;
            esac
            echo "| $c | $what | $rps | $p50 | $p99 | $non2xx |"
        done
        echo
        echo "meta.lastModified: the time is the lastModified of the 101st most recently modified"
        echo "user (\`sortBy=meta.lastModified&sortOrder=descending&count=101\`), so \"gt\" matches $matched."
        echo
        echo "Cursor walk (RFC 9865): \`python3 bench/cursor_walk.py --port $qport --token <token> --count $query_count --expect $query_users\`"
        echo "follows nextCursor from \`cursor=\` until it is absent over one keep-alive connection,"
        echo "checking that every user comes exactly once. Page latency is request sent to body read."
        echo
        echo "| users | pages of $query_count | whole walk | first page | last page | median page | mean of first 10% | mean of last 10% |"
        echo "|---|---|---|---|---|---|---|---|"
        echo "| $walked | $pages | $walk_s s | $first_ms ms | $last_ms ms | $median_ms ms | $head_ms ms | $tail_ms ms |"
        echo
        echo "The walk is linear in the number of users when the last pages cost what the first ones"
        echo "do. For contrast, index paging: startIndex=1&count=$query_count took $index_first ms and the"
        echo "last page (startIndex=$((query_users - query_count + 1))&count=$query_count, an OFFSET scan) took $index_last ms."
    } >"$work/query_section.md"
}

# Replaces the issue 3 section of this size in $out (from its title to the next "## " title or the
# end) with $work/query_section.md, keeping everything else.
query_write_section() {
    python3 - "$out" "$work/query_section.md" "$query_title" <<'EOF'
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
EOF
}

if [ "$query_only" = 1 ]; then
    query_bench
    query_write_section
    cat "$out"
    exit 0
fi

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
# The issue 3 and 5 sections survive the rewrite of $out below (each part replaces its own).
[ -f "$out" ] && awk -v p="$query_prefix" -v g="## Issue 5:" \
    '/^## /{s=(index($0, p) == 1 || index($0, g) == 1)} s' "$out" >"$work/query_kept.md"
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
if [ "$query" = 1 ]; then
    kill "$pid" && wait "$pid" || true
    pid=
    query_bench
fi
if [ -s "$work/query_kept.md" ]; then
    echo >>"$out"
    cat "$work/query_kept.md" >>"$out"
fi
[ -s "$work/query_section.md" ] && query_write_section
# Issue 5: a group with 100,000 members (bench/groups.sh, its own server and section of $out;
# BENCH_GROUPS=0 skips it).
if [ "${BENCH_GROUPS:-1}" = 1 ]; then
    [ -n "${pid:-}" ] && kill "$pid" && wait "$pid" || true
    pid=
    bash bench/groups.sh
fi
cat "$out"
