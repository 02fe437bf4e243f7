-- Shared by the authenticated scenarios: each wrk thread reads the bearer tokens and ids that
-- bench/run prepared, and rotates through them.
local M = {}

local function lines(path)
  local out = {}
  local f = io.open(path, "r")
  if f then
    for l in f:lines() do if #l > 0 then out[#out + 1] = l end end
    f:close()
  end
  return out
end

M.tokens = lines(os.getenv("BENCH_TOKENS") or "bench/results/tokens.txt")
M.threads = lines(os.getenv("BENCH_THREADS") or "bench/results/threads.txt")
M.posts = lines(os.getenv("BENCH_POSTS") or "bench/results/posts.txt")
return M
