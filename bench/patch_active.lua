-- PATCH /scim/v2/Users/{id} replacing active (alternating true/false so every request writes).
dofile("bench/common.lua")
ids = load_lines(os.getenv("SCIMD_BENCH_IDS"))
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local flip = false

request = function()
    local id = ids[math.random(#ids)]
    flip = not flip
    local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],' ..
        '"Operations":[{"op":"replace","path":"active","value":' .. tostring(flip) .. '}]}'
    return wrk.format("PATCH", "/scim/v2/Users/" .. id,
        {["Authorization"] = auth, ["Content-Type"] = "application/scim+json"}, body)
end
