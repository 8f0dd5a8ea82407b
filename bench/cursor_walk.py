#!/usr/bin/env python3
"""Walks every user of a running scimd with RFC 9865 cursor pagination (GET /scim/v2/Users?cursor=
then nextCursor until it is absent) at a fixed count over one keep-alive connection, and times
every page: the latency of a page is from sending the request to having read the whole body
(parsing the JSON to find nextCursor is not counted). For contrast it also times index paging
(startIndex) at the first and at the last page. Used by bench/run.sh for issue 3.

Prints a human summary to stderr and one line to stdout:
  pages users total_s first_ms last_ms median_ms head_ms tail_ms index_first_ms index_last_ms
where head_ms and tail_ms are the mean page latency of the first and the last tenth of the
pages: a walk that is linear in the number of users has tail_ms close to head_ms."""
import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse


def timed_get(conn, path, headers):
    """Returns (status, body bytes, seconds) for one GET."""
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, body, time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--expect", type=int, default=0, help="users the walk must see (0: any)")
    a = p.parse_args()
    conn = http.client.HTTPConnection(a.host, a.port)
    headers = {"Authorization": "Bearer " + a.token}

    latencies = []
    seen = set()
    cursor = ""
    total = None
    walk_start = time.perf_counter()
    while cursor is not None:
        path = "/scim/v2/Users?count=%d&cursor=%s" % (a.count, urllib.parse.quote(cursor, safe=""))
        status, body, seconds = timed_get(conn, path, headers)
        if status != 200:
            sys.stderr.write("cursor_walk: %s -> %d %s\n" % (path, status, body[:300]))
            sys.exit(1)
        latencies.append(seconds)
        doc = json.loads(body)
        total = doc.get("totalResults")
        for r in doc.get("Resources", []):
            if r["id"] in seen:
                sys.stderr.write("cursor_walk: %s returned twice\n" % r["id"])
                sys.exit(1)
            seen.add(r["id"])
        cursor = doc.get("nextCursor")
    walk_s = time.perf_counter() - walk_start
    if len(seen) != total or (a.expect and len(seen) != a.expect):
        sys.stderr.write("cursor_walk: saw %d users, totalResults %s, expected %d\n"
                         % (len(seen), total, a.expect))
        sys.exit(1)

    n = len(latencies)
    tenth = max(1, n // 10)
    head = statistics.mean(latencies[:tenth])
    tail = statistics.mean(latencies[-tenth:])
    # Index paging for contrast: the first page and the last one (OFFSET total - count).
    _, _, index_first = timed_get(conn, "/scim/v2/Users?startIndex=1&count=%d" % a.count, headers)
    last_start = max(1, total - a.count + 1)
    _, _, index_last = timed_get(
        conn, "/scim/v2/Users?startIndex=%d&count=%d" % (last_start, a.count), headers)
    ms = lambda s: round(s * 1000, 1)
    sys.stderr.write(
        "cursor_walk: %d users in %d pages of %d in %.1f s; page latency first %.1f ms, last "
        "%.1f ms, median %.1f ms, first tenth %.1f ms, last tenth %.1f ms; index paging first "
        "page %.1f ms, last page %.1f ms\n"
        % (len(seen), n, a.count, walk_s, ms(latencies[0]), ms(latencies[-1]),
           ms(statistics.median(latencies)), ms(head), ms(tail), ms(index_first),
           ms(index_last)))
    print(n, len(seen), round(walk_s, 2), ms(latencies[0]), ms(latencies[-1]),
          ms(statistics.median(latencies)), ms(head), ms(tail), ms(index_first), ms(index_last))


if __name__ == "__main__":
    main()
