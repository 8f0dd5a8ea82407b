-- GET /scim/v2/Users?filter=emails.value eq "<random seeded e-mail>": the multi-valued value
-- index (resource_values), not the userName column, answers it.
dofile("bench/query_common.lua")

request = function()
    return filter_eq("emails.value", string.format("user%07d@example.com", random_user()))
end
