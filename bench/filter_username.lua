-- GET /scim/v2/Users?filter=userName eq "<random seeded userName>".
dofile("bench/common.lua")
names = load_lines(os.getenv("SCIMD_BENCH_NAMES"))
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

request = function()
    local name = names[math.random(#names)]
    local path = "/scim/v2/Users?filter=userName%20eq%20%22" .. name .. "%22"
    return wrk.format("GET", path, {["Authorization"] = auth})
end
