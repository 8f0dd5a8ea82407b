-- GET /scim/v2/Users/{id} for random seeded ids.
dofile("bench/common.lua")
ids = load_lines(os.getenv("SCIMD_BENCH_IDS"))
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

request = function()
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/scim/v2/Users/" .. id, {["Authorization"] = auth})
end
