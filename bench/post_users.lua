-- POST /scim/v2/Users with a unique userName per request (thread id + counter).
dofile("bench/common.lua")
local counter = 0
tid = tid or 0
local threads_seen = 0

setup = function(thread)
    threads_seen = threads_seen + 1
    thread:set("tid", threads_seen)
end

init = function(args)
    prefix = os.getenv("SCIMD_BENCH_RUN") or "r"
end

request = function()
    counter = counter + 1
    local name = string.format("bench-%s-%d-%d@example.com", prefix, tid, counter)
    local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
        '","name":{"givenName":"Bench","familyName":"User"},"emails":[{"value":"' .. name ..
        '","type":"work","primary":true}],"active":true}'
    return wrk.format("POST", "/scim/v2/Users",
        {["Authorization"] = auth, ["Content-Type"] = "application/scim+json"}, body)
end
