#!/usr/bin/env python3
"""Creates one group in a running scimd and makes the first --members ids of --ids its members
through PATCH add operations of --batch values each (the way Okta and Entra ID push groups).
Prints the group id. Used by bench/groups.sh."""
import argparse
import http.client
import json
import sys
import time

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--members", type=int, required=True)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--name", default="Bench Group")
    a = p.parse_args()
    ids = [line.strip() for line in open(a.ids)][: a.members]
    if len(ids) < a.members:
        sys.exit("group_fill: only %d ids in %s" % (len(ids), a.ids))
    conn = http.client.HTTPConnection("127.0.0.1", a.port)
    headers = {"Authorization": "Bearer " + a.token, "Content-Type": "application/scim+json"}
    conn.request("POST", "/scim/v2/Groups",
                 json.dumps({"schemas": [GROUP], "displayName": a.name, "members": []}), headers)
    r = conn.getresponse()
    body = r.read()
    if r.status != 201:
        sys.exit("group_fill: POST /Groups -> %d %s" % (r.status, body[:300]))
    gid = json.loads(body)["id"]
    t0 = time.time()
    for s in range(0, len(ids), a.batch):
        ops = [{"op": "add", "path": "members",
                "value": [{"value": i} for i in ids[s : s + a.batch]]}]
        conn.request("PATCH", "/scim/v2/Groups/" + gid,
                     json.dumps({"schemas": [PATCH_OP], "Operations": ops}), headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 204:
            sys.exit("group_fill: PATCH -> %d %s" % (r.status, body[:300]))
    sys.stderr.write("group_fill: %d members in batches of %d in %.1f s\n"
                     % (len(ids), a.batch, time.time() - t0))
    print(gid)


if __name__ == "__main__":
    main()
