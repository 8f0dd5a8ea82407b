-- PATCH /scim/v2/Groups/{id}: one member added (SCIMD_BENCH_GROUP_OP=add) or removed (remove) per
-- request, walking the ids of SCIMD_BENCH_POOL in order; each wrk thread takes its own slice, so
-- every request writes one membership row (none is a no-op). The remove run walks the same ids
-- the add run added.
dofile("bench/common.lua")
local pool = load_lines(os.getenv("SCIMD_BENCH_POOL"))
local group = os.getenv("SCIMD_BENCH_GROUP_ID")
local op = os.getenv("SCIMD_BENCH_GROUP_OP")
local threads = tonumber(os.getenv("SCIMD_BENCH_WRK_THREADS") or "2")
local counter = 1
local next_id = 0

function setup(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
end

function init(args)
    local slice = math.floor(#pool / threads)
    first = tid * slice
    last = first + slice
end

request = function()
    local i = first + counter
    counter = counter + 1
    if i > last then
        i = first + 1
        counter = 2
    end
    local path, value
    if op == "add" then
        path = '"path":"members","value":[{"value":"' .. pool[i] .. '"}]'
    else
        path = '"path":"members[value eq \\"' .. pool[i] .. '\\"]"'
    end
    local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],' ..
        '"Operations":[{"op":"' .. op .. '",' .. path .. '}]}'
    return wrk.format("PATCH", "/scim/v2/Groups/" .. group,
        {["Authorization"] = auth, ["Content-Type"] = "application/scim+json"}, body)
end
