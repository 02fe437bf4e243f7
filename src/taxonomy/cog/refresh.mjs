#!/usr/bin/env node
// refresh.mjs — regenerate the `territories` data migration from the French
// Code officiel géographique (COG), as packaged by Etalab in the npm package
// `@etalab/decoupage-administratif` (data: Licence Ouverte 2.0 / Etalab).
//
// Usage:   npm ci && node refresh.mjs <output.sql>
// Example: node refresh.mjs ../../../migrations/<timestamp>_territories_<year>/up.sql
//
// The only dependency is the data package itself, pinned to an exact version
// in package.json next to this script; bump it there and re-run to refresh.
// The `territories` table is created by another migration; this script only
// emits data (INSERT ... ON CONFLICT DO UPDATE, so loading twice is harmless).
//
// What is kept:
//   - one 'country' row, FR;
//   - the 18 régions (13 metropolitan + 5 overseas, INSEE codes '01'..'94');
//   - the 101 départements (incl. '2A', '2B' and overseas '971'..'974', '976');
//   - current communes only (type 'commune-actuelle'), each under its
//     département.
// What is left out, on purpose:
//   - communes déléguées / associées and Paris/Lyon/Marseille municipal
//     arrondissements (they are not current communes);
//   - the collectivités d'outre-mer (975, 977, 978, 984, 986-989): the package
//     lists them with zone 'com' and a pseudo-région equal to their own code,
//     i.e. they belong to no real région; their communes are left out with them.
// Keys: INSEE région and département codes overlap completely (région '53'
// Bretagne vs département '53' Mayenne, '94' Corse vs Val-de-Marne, '75'
// Nouvelle-Aquitaine vs Paris: all 18 régions collide). So each row's key is
// its data.gouv.fr geozone id, unambiguous: 'country:fr', 'fr:region:53',
// 'fr:departement:29', 'fr:commune:29019'; `code` keeps the bare INSEE code.
// After the rows, two UPDATEs derive each row's `path` (its id and every
// containing territory's, from the country down) and `search_name` (lower
// case, accents folded) for the name look-up.
//
// The script fails (exit 1) rather than emit anything inconsistent: a commune
// whose département is missing from departements.json, a département whose
// région is missing, a région mismatch, a malformed or duplicate code, etc.

import { readFileSync, writeFileSync, renameSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const PKG = '@etalab/decoupage-administratif'
const BATCH = 5000 // max rows per INSERT statement
const COUNTRY_ID = 'country:fr'
const regionId = (code) => `fr:region:${code}`
const departementId = (code) => `fr:departement:${code}`
const communeId = (code) => `fr:commune:${code}`

// Print a message and exit non-zero. Used for every data inconsistency.
function fail (message) {
  process.stderr.write(`refresh.mjs: error: ${message}\n`)
  process.exit(1)
}

const outPath = process.argv[2]
if (!outPath || process.argv.length > 3) {
  process.stderr.write('usage: node refresh.mjs <output.sql>\n')
  process.exit(2)
}

// ---------------------------------------------------------------------------
// Locate and read the package (resolved from this script's directory, so the
// pinned copy in the adjacent node_modules is the one used).
// ---------------------------------------------------------------------------
const require = createRequire(import.meta.url)
let pkgDir
try {
  pkgDir = dirname(require.resolve(`${PKG}/package.json`))
} catch {
  fail(`cannot find ${PKG}; run \`npm ci\` next to refresh.mjs first`)
}
const readJson = (rel) => JSON.parse(readFileSync(join(pkgDir, rel), 'utf8'))
const version = readJson('package.json').version
const regions = readJson('data/regions.json')
const departements = readJson('data/departements.json')
const communes = readJson('data/communes.json')

// The package carries no explicit data date; its README has a table mapping
// each COG "millésime" (year, i.e. the COG as of 1 January that year) to a
// package version. Use it when the installed version is listed there.
function dataDate () {
  let readme = ''
  try { readme = readFileSync(join(pkgDir, 'README.md'), 'utf8') } catch { return null }
  const escaped = version.replace(/\./g, '\\.')
  const m = readme.match(new RegExp(`^\\|\\s*(\\d{4})\\s*\\|\\s*${escaped}\\s*\\|`, 'm'))
  return m ? `COG ${m[1]}, as of 1 January ${m[1]}` : null
}
const date = dataDate() ?? 'data date not stated by the package'

// ---------------------------------------------------------------------------
// Filter and validate.
// ---------------------------------------------------------------------------
const byCode = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) // code-point order, locale-independent
const isCom = (x) => x.zone === 'com' // collectivité d'outre-mer

// Régions: keep real ones, drop the COM pseudo-régions.
const keptRegions = regions.filter((r) => !isCom(r)).sort(byCode)
const droppedRegions = regions.filter(isCom).map((r) => r.code).sort()
const regionCodes = new Set(keptRegions.map((r) => r.code))
for (const r of keptRegions) {
  if (!/^\d{2}$/.test(r.code)) fail(`unexpected région code ${JSON.stringify(r.code)} (${r.nom})`)
}

// Départements: keep those of a real région; drop those of a COM pseudo-région.
const allDepCodes = new Set(departements.map((d) => d.code))
const droppedRegionSet = new Set(droppedRegions)
const keptDeps = []
const droppedDeps = []
for (const d of departements) {
  if (isCom(d) || droppedRegionSet.has(d.region)) { droppedDeps.push(d.code); continue }
  if (!regionCodes.has(d.region)) fail(`département ${d.code} (${d.nom}) has unknown région ${JSON.stringify(d.region)}`)
  if (!/^(\d{2}|2[AB]|97[1-6])$/.test(d.code)) fail(`unexpected département code ${JSON.stringify(d.code)} (${d.nom})`)
  keptDeps.push(d)
}
keptDeps.sort(byCode)
droppedDeps.sort()
const depRegion = new Map(keptDeps.map((d) => [d.code, d.region]))

// Communes: current ones only, in a kept département; anything orphaned fails.
const keptCommunes = []
let skippedNotCurrent = 0
let skippedCom = 0
for (const c of communes) {
  if (c.type !== 'commune-actuelle') { skippedNotCurrent++; continue }
  if (!allDepCodes.has(c.departement)) {
    fail(`commune ${c.code} (${c.nom}) has département ${JSON.stringify(c.departement)}, missing from departements.json`)
  }
  if (!depRegion.has(c.departement)) { skippedCom++; continue } // commune of a COM
  if (c.region !== depRegion.get(c.departement)) {
    fail(`commune ${c.code} (${c.nom}) has région ${c.region} but its département ${c.departement} is in ${depRegion.get(c.departement)}`)
  }
  if (!/^(\d{2}|2[AB])\d{3}$/.test(c.code) || !c.code.startsWith(c.departement)) {
    fail(`unexpected commune code ${JSON.stringify(c.code)} in département ${c.departement}`)
  }
  keptCommunes.push(c)
}
keptCommunes.sort(byCode)

// ---------------------------------------------------------------------------
// Build rows (parents before children), then SQL.
// ---------------------------------------------------------------------------
// Row: [id, level, code, name, parent_id]
const rows = [
  [COUNTRY_ID, 'country', 'FR', 'France', null],
  ...keptRegions.map((r) => [regionId(r.code), 'region', r.code, r.nom, COUNTRY_ID]),
  ...keptDeps.map((d) => [departementId(d.code), 'departement', d.code, d.nom, regionId(d.region)]),
  ...keptCommunes.map((c) => [communeId(c.code), 'commune', c.code, c.nom, departementId(c.departement)])
]

// Primary-key uniqueness (a duplicate inside one INSERT ... ON CONFLICT would
// make PostgreSQL abort with "cannot affect row a second time").
const seen = new Set()
for (const [id] of rows) {
  if (seen.has(id)) fail(`duplicate id ${id}`)
  seen.add(id)
}

// SQL string literal: standard_conforming_strings is on (PostgreSQL default),
// so only the single quote needs escaping, by doubling it. Names are kept as
// given (UTF-8). Control characters (incl. NUL) are refused rather than guessed.
function lit (v) {
  if (v === null || v === undefined) return 'NULL'
  if (typeof v !== 'string' || v === '') fail(`bad value ${JSON.stringify(v)}`)
  if (/[\u0000-\u001f\u007f]/.test(v)) fail(`control character in ${JSON.stringify(v)}`)
  return `'${v.replace(/'/g, "''")}'`
}

const INSERT = 'INSERT INTO territories (id, level, code, name, parent_id) VALUES'
const CONFLICT = 'ON CONFLICT (id) DO UPDATE SET level = EXCLUDED.level, code = EXCLUDED.code, name = EXCLUDED.name, parent_id = EXCLUDED.parent_id;'
// Paths from the country down (parents come first in the table, so four passes by level suffice).
const DERIVED = [
  "UPDATE territories t SET path = ARRAY[t.id] WHERE t.level = 'country';",
  "UPDATE territories t SET path = p.path || t.id FROM territories p WHERE p.id = t.parent_id AND t.level = 'region';",
  "UPDATE territories t SET path = p.path || t.id FROM territories p WHERE p.id = t.parent_id AND t.level = 'departement';",
  "UPDATE territories t SET path = p.path || t.id FROM territories p WHERE p.id = t.parent_id AND t.level = 'commune';",
  'UPDATE territories SET search_name = lower(unaccent(name));',
  // A refresh may move a commune to another département (or a territory's parent may change): what
  // keeps a territory's path with it follows. (No-op when the tables do not exist yet.)
  "DO $$ BEGIN IF to_regclass('challenges') IS NOT NULL THEN " +
    'UPDATE challenges c SET territory_path = t.path FROM territories t ' +
    'WHERE t.id = c.territory_id AND c.territory_path <> t.path; END IF; ' +
    "IF to_regclass('organisations') IS NOT NULL AND EXISTS (SELECT 1 FROM information_schema.columns " +
    "WHERE table_name = 'organisations' AND column_name = 'territory_scope') THEN " +
    'UPDATE organisations o SET territory_scope = ARRAY(SELECT DISTINCT p FROM territories t, unnest(t.path) p ' +
    "WHERE t.id = ANY(o.territories) ORDER BY p) WHERE o.territories <> '{}'; END IF; END $$;"
]

const out = [
  `-- Generated by src/taxonomy/cog/refresh.mjs from ${PKG}@${version} (${date}), Licence Ouverte 2.0 / Etalab. Do not edit by hand.`,
  `-- Kept: France, ${keptRegions.length} régions, ${keptDeps.length} départements (incl. overseas 971-974, 976), ${keptCommunes.length} current communes (type 'commune-actuelle').`,
  "-- Rows are keyed by their data.gouv.fr geozone id ('fr:region:53', 'fr:departement:29'): INSEE région and département codes overlap; `code` holds the INSEE code.",
  `-- Left out: collectivités d'outre-mer, which have no région (pseudo-régions/départements ${droppedDeps.join(', ')}; ${skippedCom} communes), and ${skippedNotCurrent} communes déléguées/associées and municipal arrondissements.`
]
for (let i = 0; i < rows.length; i += BATCH) {
  const chunk = rows.slice(i, i + BATCH)
  out.push(INSERT)
  out.push(chunk.map((r) => `(${r.map(lit).join(',')})`).join(',\n'))
  out.push(CONFLICT)
}
out.push(...DERIVED)
const sql = out.join('\n') + '\n'

// Write atomically: a failed run never leaves a half-written migration.
const tmp = `${outPath}.tmp-${process.pid}`
writeFileSync(tmp, sql, 'utf8')
renameSync(tmp, outPath)

process.stderr.write(
  `refresh.mjs: ${PKG}@${version} (${date}): country=1 region=${keptRegions.length} ` +
  `departement=${keptDeps.length} commune=${keptCommunes.length} ` +
  `(left out: ${droppedDeps.length} COM, ${skippedCom} COM communes, ${skippedNotCurrent} non-current communes); ` +
  `${rows.length} rows in ${Math.ceil(rows.length / BATCH)} statements, ${Buffer.byteLength(sql)} bytes -> ${outPath}\n`
)
