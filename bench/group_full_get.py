#!/usr/bin/env python3
"""Times --rounds full GETs of one group (every member rendered) over one keep-alive connection:
request sent to the whole body read. Prints "members bytes min_ms median_ms max_ms".
Used by bench/groups.sh."""
import argparse
import http.client
import json
import statistics
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--rounds", type=int, default=10)
    a = p.parse_args()
    conn = http.client.HTTPConnection("127.0.0.1", a.port)
    headers = {"Authorization": "Bearer " + a.token}
    times, size, members = [], 0, 0
    for _ in range(a.rounds):
        t0 = time.perf_counter()
        conn.request("GET", "/scim/v2/Groups/" + a.group, headers=headers)
        r = conn.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            sys.exit("group_full_get: %d %s" % (r.status, body[:300]))
        size = len(body)
        members = len(json.loads(body).get("members", []))
    print("%d %d %.1f %.1f %.1f" % (members, size, min(times), statistics.median(times),
                                    max(times)))


if __name__ == "__main__":
    main()
