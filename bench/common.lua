-- Shared by the wrk scripts: the bearer token from the environment and a line loader.
token = os.getenv("SCIMD_BENCH_TOKEN")
auth = "Bearer " .. token

function load_lines(path)
    local t = {}
    for line in io.lines(path) do
        t[#t + 1] = line
    end
    return t
end
