-- GET /scim/v2/Users?filter=userName eq "<random seeded userName>" (generated, not loaded).
dofile("bench/query_common.lua")

request = function()
    return filter_eq("userName", string.format("user%07d@example.com", random_user()))
end
