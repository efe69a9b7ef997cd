-- wrk script: sends every request as POST with the JSON body read from the file named by BENCH_BODY_FILE.
-- Extra header fields (such as Portkey's routing headers) come from wrk's -H options.
local path = os.getenv("BENCH_BODY_FILE")
if path == nil then
    error("BENCH_BODY_FILE is not set: point it at the JSON request body")
end
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
wrk.headers["Content-Type"] = "application/json"
file:close()
