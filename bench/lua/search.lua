-- Rotates French queries (accents, stems, web-search syntax).
local queries = { "foret", "cartographier%20haies", "adresse%20commune", "lidar", "%22base%20nationale%22",
                  "imagerie%20immersive", "friche%20-ville", "donnees%20ouvertes", "incendie", "chemin%20rural" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/search?q=" .. queries[(i % #queries) + 1])
end
