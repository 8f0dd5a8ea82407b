-- Shared by the query_*.lua wrk scripts (issue 3): the bearer token, and a random user of the
-- SCIMD_BENCH_QUERY_USERS users that bench/seed.py created as user<i>@example.com with
-- externalId ext-<i> and one work e-mail equal to the userName (i zero-padded to 7 digits).
dofile("bench/common.lua")
query_users = tonumber(os.getenv("SCIMD_BENCH_QUERY_USERS"))
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

function random_user()
    return math.random(0, query_users - 1)
end

-- GET /scim/v2/Users?filter=<attr> eq "<value>" with the filter percent-encoded.
function filter_eq(attr, value)
    local path = "/scim/v2/Users?filter=" .. attr .. "%20eq%20%22" ..
        value:gsub("@", "%%40") .. "%22"
    return wrk.format("GET", path, {["Authorization"] = auth})
end
