-- PATCH /scim/v2/Users/{id} replacing one attribute (title) on users that have 10 e-mails and 10
-- phone numbers (seeded by bench/seed.py --wide), so the cost of reading, patching, validating
-- and writing a wide document shows. Every request writes: the title is a fresh number.
dofile("bench/common.lua")
ids = load_lines(os.getenv("SCIMD_BENCH_WIDE_IDS"))
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local n = 0

request = function()
    local id = ids[math.random(#ids)]
    n = n + 1
    local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],' ..
        '"Operations":[{"op":"replace","path":"title","value":"t' .. n .. '-' ..
        math.random(1000000) .. '"}]}'
    return wrk.format("PATCH", "/scim/v2/Users/" .. id,
        {["Authorization"] = auth, ["Content-Type"] = "application/scim+json"}, body)
end
