-- Authenticated replies from many members at once, spread over many threads. Bodies are drawn from
-- the bench seed's vocabulary (src/seed/bench.rs, WORDS) with its sentence lengths, so that the posts
-- the benchmark adds look like the data set to search (a fixed sentence skewed later searches).
package.path = "bench/lua/?.lua;" .. package.path
local data = require("tokens")
local words = { "forêt","haie","bocage","adresse","commune","hameau","lidar","donnée","ouverte","carte","cartographie","territoire","parcelle","cadastre","route","chemin","rivière","littoral","imagerie","photo","immersive","relevé","inventaire","peuplement","chêne","hêtre","châtaignier","incendie","repousse","sentinelle","satellite","modèle","hauteur","altitude","qualité","base","nationale","collectivité","mairie","habitant","contributeur","lauréat","défi","commun","géocommun","partenaire","organisation","projet","atelier","réunion","outil","logiciel","format","export","import","fichier","serveur","interface","service","public","politique","friche","artificialisation","biodiversité","zone","humide","prairie","verger","sentier","vélo","école","santé","secours","pompier","livraison","numérotation","voie","rue","place","quartier","bourg","village","ville","région","département","Bretagne","Finistère","Morbihan","Gironde","Vosges","Alpes","Jura","Landes","Corse","mesurer","cartographier","publier","partager","vérifier","corriger","compléter","ajouter","télécharger","documenter","animer","proposer","améliorer","suivre","comparer","croiser","nouveau","ancien","précis","complet","libre","utile","simple","rapide","fiable","local" }
local i = 0
local seed = 42
-- Park-Miller: the same bodies on every run, and its products stay exact in LuaJIT's doubles.
local function rand(n)
  seed = (seed * 16807) % 2147483647
  return seed % n + 1
end
request = function()
  i = i + 1
  local t = data.tokens[(i % #data.tokens) + 1]
  local th = data.threads[(i * 7 % #data.threads) + 1]
  local sentences = {}
  for s = 1, rand(4) do
    local w = {}
    for k = 1, 4 + rand(10) do w[k] = words[rand(#words)] end
    sentences[s] = table.concat(w, " ") .. "."
  end
  local body = table.concat(sentences, " ")
  return wrk.format("POST", "/api/v1/threads/" .. th .. "/posts",
    { ["Authorization"] = "Bearer " .. t, ["Content-Type"] = "application/json" },
    '{"body": "' .. body .. '"}')
end
