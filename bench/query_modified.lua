-- GET /scim/v2/Users?filter=meta.lastModified gt "<T>" where bench/run.sh chose T
-- (SCIMD_BENCH_MODIFIED_AFTER) so that about 100 users match: every request returns them all
-- (count defaults to 100).
dofile("bench/common.lua")
local after = os.getenv("SCIMD_BENCH_MODIFIED_AFTER")
local path = "/scim/v2/Users?filter=meta.lastModified%20gt%20%22" .. after .. "%22"

request = function()
    return wrk.format("GET", path, {["Authorization"] = auth})
end
