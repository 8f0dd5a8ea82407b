#!/usr/bin/env python3
"""Seeds a running scimd with N users through the SCIM API (POST /Users) over keep-alive
connections from several processes, and writes the created ids and userNames to files that the
wrk scripts read. Used by bench/run.sh. With --wide, each user has 10 e-mails and 10 phone
numbers and a userName starting with "wide" (for the patch_wide case)."""
import argparse
import http.client
import json
import multiprocessing
import sys


def worker(args):
    host, port, token, start, end, wide = args
    conn = http.client.HTTPConnection(host, port)
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/scim+json"}
    out = []
    for i in range(start, end):
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "user%07d@example.com" % i,
            "externalId": "ext-%07d" % i,
            "name": {"givenName": "Given%d" % i, "familyName": "Family%d" % i},
            "displayName": "User %d" % i,
            "emails": [{"value": "user%07d@example.com" % i, "type": "work", "primary": True}],
            "active": True,
        }
        if wide:
            body["userName"] = "wide%07d@example.com" % i
            body["externalId"] = "wide-ext-%07d" % i
            body["emails"] = [{"value": "wide%07d.%d@example.com" % (i, k), "type": "work",
                               "primary": k == 0} for k in range(10)]
            body["phoneNumbers"] = [{"value": "+1 555 %04d %03d" % (i % 10000, k),
                                     "type": "work"} for k in range(10)]
        conn.request("POST", "/scim/v2/Users", json.dumps(body), headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 201:
            sys.stderr.write("seed: POST %d -> %d %s\n" % (i, resp.status, data[:200]))
            sys.exit(1)
        out.append((json.loads(data)["id"], body["userName"]))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--users", type=int, default=100000)
    p.add_argument("--procs", type=int, default=4)
    p.add_argument("--ids", required=True)
    p.add_argument("--names", required=True)
    p.add_argument("--wide", action="store_true", help="10 e-mails and 10 phone numbers each")
    a = p.parse_args()
    step = (a.users + a.procs - 1) // a.procs
    jobs = [(a.host, a.port, a.token, s, min(s + step, a.users), a.wide)
            for s in range(0, a.users, step)]
    with multiprocessing.Pool(a.procs) as pool:
        results = pool.map(worker, jobs)
    with open(a.ids, "w") as ids, open(a.names, "w") as names:
        for chunk in results:
            for rid, name in chunk:
                ids.write(rid + "\n")
                names.write(name + "\n")


if __name__ == "__main__":
    main()
