-- Authenticated replies from many members at once, spread over many threads.
package.path = "bench/lua/?.lua;" .. package.path
local data = require("tokens")
local i = 0
local words = { "forêt", "haie", "adresse", "lidar", "commune", "carte", "donnée", "relevé", "chemin", "photo" }
request = function()
  i = i + 1
  local t = data.tokens[(i % #data.tokens) + 1]
  local th = data.threads[(i * 7 % #data.threads) + 1]
  local body = "Réponse de banc d'essai " .. i .. " : " .. words[(i % #words) + 1] .. " et " .. words[((i * 3) % #words) + 1] .. "."
  return wrk.format("POST", "/api/v1/threads/" .. th .. "/posts",
    { ["Authorization"] = "Bearer " .. t, ["Content-Type"] = "application/json" },
    '{"body": "' .. body .. '"}')
end
