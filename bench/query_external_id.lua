-- GET /scim/v2/Users?filter=externalId eq "<random seeded externalId>".
dofile("bench/query_common.lua")

request = function()
    return filter_eq("externalId", string.format("ext-%07d", random_user()))
end
