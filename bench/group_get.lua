-- GET /scim/v2/Groups/{id}?excludedAttributes=members: the large group without its members (what
-- Entra ID asks for), which reads no membership row.
dofile("bench/common.lua")
local group = os.getenv("SCIMD_BENCH_GROUP_ID")

request = function()
    return wrk.format("GET", "/scim/v2/Groups/" .. group .. "?excludedAttributes=members",
        {["Authorization"] = auth})
end
