-- Authenticated reactions (PUT, idempotent) from many members on many posts.
package.path = "bench/lua/?.lua;" .. package.path
local data = require("tokens")
local kinds = { "like", "thanks", "insightful", "agree" }
local i = 0
request = function()
  i = i + 1
  local t = data.tokens[(i % #data.tokens) + 1]
  local p = data.posts[(i * 13 % #data.posts) + 1]
  return wrk.format("PUT", "/api/v1/posts/" .. p .. "/reactions/" .. kinds[(i % #kinds) + 1],
    { ["Authorization"] = "Bearer " .. t })
end
