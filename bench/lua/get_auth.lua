-- GET wrk's URL path with a member's bearer token (rotating over many members).
package.path = "bench/lua/?.lua;" .. package.path
local data = require("tokens")
local i = 0
request = function()
  i = i + 1
  local t = data.tokens[(i % #data.tokens) + 1]
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. t })
end
