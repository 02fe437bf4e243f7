//! Themes (curated by admins) and territories (the Code officiel géographique, read-only), and the
//! parsing every feature uses to accept them as input.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use uuid::Uuid;

use super::types::*;
use crate::accounts::auth::Actor;
use crate::db::fixed::fixed;
use crate::error::{AppError, AppResult};
use crate::input::{Errors, Slug, one_line};
use crate::pagination::{Page, PageQuery};
use crate::schema::{territories, themes};

// ---- themes ------------------------------------------------------------------------------------

type ThemeRow = (String, String, String, String, i32, bool);

const THEME_COLUMNS: (
    themes::slug,
    themes::name,
    themes::name_en,
    themes::description,
    themes::position,
    themes::active,
) = (
    themes::slug,
    themes::name,
    themes::name_en,
    themes::description,
    themes::position,
    themes::active,
);

fn theme((slug, name, name_en, description, position, active): ThemeRow) -> Theme {
    Theme {
        slug,
        name,
        name_en,
        description,
        position,
        active,
    }
}

/// Every theme, by position (retired ones included, marked).
pub fn all_themes(conn: &mut PgConnection) -> AppResult<Page<Theme>> {
    let rows: Vec<ThemeRow> = themes::table
        .select(THEME_COLUMNS)
        .order((themes::position, themes::slug))
        .load(conn)?;
    Ok(Page {
        items: rows.into_iter().map(theme).collect(),
        next_cursor: None,
    })
}

pub fn one_theme(conn: &mut PgConnection, slug: &str) -> AppResult<Theme> {
    let row: ThemeRow = themes::table
        .filter(themes::slug.eq(slug))
        .select(THEME_COLUMNS)
        .first(conn)?;
    Ok(theme(row))
}

fn check_theme_text(
    errors: &mut Errors,
    name: Option<&str>,
    name_en: Option<&str>,
    description: Option<&str>,
    position: Option<i32>,
) -> (Option<String>, Option<String>) {
    let name = errors.check_opt("name", name, |n| one_line(n, 2, 60));
    let name_en = errors.check_opt("name_en", name_en, |n| one_line(n, 2, 60));
    errors.check_opt("description", description, |d| {
        crate::input::free_text(d, 500)
    });
    if let Some(p) = position {
        errors.ensure("position", (0..=10000).contains(&p), "0 to 10000.");
    }
    (name, name_en)
}

/// Adds a theme (administrators).
pub fn create_theme(
    conn: &mut PgConnection,
    actor: &Actor,
    input: CreateTheme,
) -> AppResult<Theme> {
    actor.require_admin()?;
    let mut errors = Errors::new();
    let slug = errors.check("slug", Slug::parse(&input.slug, 40));
    let (name, name_en) = check_theme_text(
        &mut errors,
        Some(&input.name),
        Some(&input.name_en),
        input.description.as_deref(),
        input.position,
    );
    errors.finish()?;
    let slug = slug.map(Slug::into_inner).unwrap_or_default();
    diesel::insert_into(themes::table)
        .values((
            themes::id.eq(Uuid::now_v7()),
            themes::slug.eq(&slug),
            themes::name.eq(name.unwrap_or_default()),
            themes::name_en.eq(name_en.unwrap_or_default()),
            themes::description.eq(input.description.unwrap_or_default()),
            themes::position.eq(input.position.unwrap_or(0)),
        ))
        .execute(conn)?;
    one_theme(conn, &slug)
}

/// Changes a theme (administrators); `active: false` retires it.
pub fn update_theme(
    conn: &mut PgConnection,
    actor: &Actor,
    slug: &str,
    input: UpdateTheme,
) -> AppResult<Theme> {
    actor.require_admin()?;
    one_theme(conn, slug)?;
    let mut errors = Errors::new();
    let (name, name_en) = check_theme_text(
        &mut errors,
        input.name.as_deref(),
        input.name_en.as_deref(),
        input.description.as_deref(),
        input.position,
    );
    errors.finish()?;
    #[derive(AsChangeset)]
    #[diesel(table_name = themes)]
    struct Changes {
        name: Option<String>,
        name_en: Option<String>,
        description: Option<String>,
        position: Option<i32>,
        active: Option<bool>,
        updated_at: chrono::DateTime<Utc>,
    }
    diesel::update(themes::table.filter(themes::slug.eq(slug)))
        .set(&Changes {
            name,
            name_en,
            description: input.description,
            position: input.position,
            active: input.active,
            updated_at: Utc::now(),
        })
        .execute(conn)?;
    one_theme(conn, slug)
}

/// Theme slugs from input: `min` to `max` distinct active themes, in the order given; 422 on
/// `field` naming the unknown or retired ones.
pub fn parse_themes(
    conn: &mut PgConnection,
    slugs: &[String],
    field: &str,
    min: usize,
    max: usize,
) -> AppResult<Vec<String>> {
    parse_themes_keeping(conn, slugs, field, min, max, &[])
}

/// [`parse_themes`], where the retired themes of `keep` (what an edited resource has already) may
/// stay.
pub fn parse_themes_keeping(
    conn: &mut PgConnection,
    slugs: &[String],
    field: &str,
    min: usize,
    max: usize,
    keep: &[String],
) -> AppResult<Vec<String>> {
    let mut unique: Vec<String> = Vec::new();
    for s in slugs {
        if !unique.contains(s) {
            unique.push(s.clone());
        }
    }
    if unique.len() < min || unique.len() > max {
        return Err(AppError::validation(
            field,
            if min == max {
                format!("Choose {min} theme(s).")
            } else {
                format!("Choose {min} to {max} themes.")
            },
        ));
    }
    let found: Vec<String> = themes::table
        .filter(themes::slug.eq_any(&unique))
        .filter(themes::active.eq(true).or(themes::slug.eq_any(keep)))
        .select(themes::slug)
        .load(conn)?;
    let missing: Vec<&str> = unique
        .iter()
        .filter(|s| !found.contains(s))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::validation(
            field,
            format!(
                "Unknown or retired themes: {} (GET /themes lists them).",
                missing.join(", ")
            ),
        ));
    }
    Ok(unique)
}

/// The themes of `slugs`, by position.
pub fn theme_refs(conn: &mut PgConnection, slugs: &[String]) -> AppResult<Vec<ThemeRef>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String)> = themes::table
        .filter(themes::slug.eq_any(slugs))
        .order((themes::position, themes::slug))
        .select((themes::slug, themes::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(slug, name)| ThemeRef { slug, name })
        .collect())
}

/// A theme named in a filter: any theme, retired ones included (what carries it still does); 422
/// on `field` when there is none.
pub fn existing_theme(conn: &mut PgConnection, slug: &str, field: &str) -> AppResult<String> {
    themes::table
        .filter(themes::slug.eq(slug))
        .select(themes::slug)
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            AppError::validation(field, "No theme has this slug (GET /themes lists them).")
        })
}

// ---- territories ---------------------------------------------------------------------------------

/// A territory with its path, as other features store it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = territories)]
pub struct TerritoryRow {
    pub id: String,
    pub level: String,
    pub code: String,
    pub name: String,
    pub path: Vec<String>,
}

impl TerritoryRow {
    pub fn public(&self) -> Territory {
        Territory {
            id: self.id.clone(),
            code: self.code.clone(),
            level: TerritoryLevel::parse(&self.level),
            name: self.name.clone(),
        }
    }
}

/// The ids a territory reference may mean, most likely first: a geozone id means itself; a bare
/// INSEE code of two or three characters means the région with that code if there is one, else the
/// département (the contract's `53` is Bretagne); five characters a commune; `FR` the country.
pub fn candidates(input: &str) -> Result<Vec<String>, String> {
    let s = input.trim();
    let code_ok = |c: &str| {
        !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_digit() || b == b'A' || b == b'B')
    };
    if s.eq_ignore_ascii_case("fr") || s == "country:fr" {
        return Ok(vec!["country:fr".into()]);
    }
    if let Some(rest) = s.strip_prefix("fr:") {
        let (level, code) = rest.split_once(':').unwrap_or(("", ""));
        if matches!(level, "region" | "departement" | "commune") && code_ok(code) && code.len() <= 5
        {
            return Ok(vec![s.to_string()]);
        }
    }
    let code = s.to_ascii_uppercase();
    if code_ok(&code) {
        match code.len() {
            2 | 3 => {
                return Ok(vec![
                    format!("fr:region:{code}"),
                    format!("fr:departement:{code}"),
                ]);
            }
            5 => return Ok(vec![format!("fr:commune:{code}")]),
            _ => {}
        }
    }
    Err(
        "Not a territory: send an INSEE code (`29019`, `29`, `2A`, `971`, `53`, `FR`) or a territory id \
         (`fr:departement:75`)."
            .into(),
    )
}

/// Resolves a territory reference from input; 422 on `field` when it is malformed or unknown.
pub fn resolve_territory(
    conn: &mut PgConnection,
    input: &str,
    field: &str,
) -> AppResult<TerritoryRow> {
    let mut rows = resolve_all(conn, std::slice::from_ref(&input), field)?;
    Ok(rows.remove(0))
}

/// Resolves every reference of `inputs`, in order, with one query for all of them; 422 on `field`
/// for the first that is malformed or unknown.
fn resolve_all<S: AsRef<str>>(
    conn: &mut PgConnection,
    inputs: &[S],
    field: &str,
) -> AppResult<Vec<TerritoryRow>> {
    let wanted: Vec<Vec<String>> = inputs
        .iter()
        .map(|i| candidates(i.as_ref()).map_err(|m| AppError::validation(field, m)))
        .collect::<AppResult<_>>()?;
    let all: Vec<&String> = wanted.iter().flatten().collect();
    let rows: Vec<TerritoryRow> = territories::table
        .filter(territories::id.eq_any(all))
        .select(TerritoryRow::as_select())
        .load(conn)?;
    wanted
        .iter()
        .map(|ids| {
            ids.iter()
                .find_map(|id| rows.iter().find(|r| &r.id == id).cloned())
                .ok_or_else(|| {
                    AppError::validation(
                        field,
                        "No territory of the official geography has this code.",
                    )
                })
        })
        .collect()
}

/// Several territory references (organisations' interests, subscriptions): at most `max`, each
/// resolved; 422 on `field` for the first that is not.
pub fn resolve_territories(
    conn: &mut PgConnection,
    inputs: &[String],
    field: &str,
    max: usize,
) -> AppResult<Vec<TerritoryRow>> {
    if inputs.len() > max {
        return Err(AppError::validation(
            field,
            format!("At most {max} territories."),
        ));
    }
    let mut out: Vec<TerritoryRow> = Vec::new();
    for row in resolve_all(conn, inputs, field)? {
        if !out.iter().any(|r| r.id == row.id) {
            out.push(row);
        }
    }
    Ok(out)
}

/// Territories by id, in the order asked (unknown ids are skipped).
pub fn territories_by_id(conn: &mut PgConnection, ids: &[String]) -> AppResult<Vec<Territory>> {
    let rows: Vec<TerritoryRow> = territories::table
        .filter(territories::id.eq_any(ids))
        .select(TerritoryRow::as_select())
        .load(conn)?;
    Ok(ids
        .iter()
        .filter_map(|id| rows.iter().find(|r| &r.id == id).map(TerritoryRow::public))
        .collect())
}

/// One territory with what contains it (any reference form); 404 when unknown.
pub fn one_territory(conn: &mut PgConnection, reference: &str) -> AppResult<TerritoryDetail> {
    let row = resolve_territory(conn, reference, "id").map_err(|_| AppError::NotFound)?;
    let parents: Vec<String> = row.path[..row.path.len().saturating_sub(1)].to_vec();
    Ok(TerritoryDetail {
        territory: row.public(),
        within: territories_by_id(conn, &parents)?,
    })
}

/// Territories whose name starts with `q` (accents and case ignored), by name; keyset-paginated.
pub fn search_territories(
    conn: &mut PgConnection,
    query: &TerritoryQuery,
) -> AppResult<Page<Territory>> {
    let paging = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = paging.limit()?;
    let after: Option<(String, String)> = paging.after()?;
    let prefix = match query.q.as_deref().map(str::trim) {
        Some(q) if q.chars().count() > 100 => {
            return Err(AppError::validation("q", "At most 100 characters."));
        }
        Some(q) if q.contains('\0') => {
            return Err(AppError::validation("q", "Text may not contain U+0000."));
        }
        Some("") => {
            return Err(AppError::validation(
                "q",
                "Write the start of a name (or leave `q` out).",
            ));
        }
        Some(q) => q.to_string(),
        None => String::new(),
    };
    // A prefix is a range of the "C"-collated index: from the prefix to the prefix followed by the
    // last code point.
    let mut q = territories::table
        .select((TerritoryRow::as_select(), territories::search_name))
        .filter(
            fixed::<Bool>("territories.search_name >= lower(unaccent(")
                .bind::<Text, _>(prefix.clone())
                .sql(")) AND territories.search_name < lower(unaccent(")
                .bind::<Text, _>(prefix)
                .sql(")) || chr(1114111)"),
        )
        .into_boxed();
    if let Some(level) = query.level {
        q = q.filter(territories::level.eq(level.as_str()));
    }
    if let Some((name, id)) = after {
        q = q.filter(
            fixed::<Bool>("(territories.search_name, territories.id) > (")
                .bind::<Text, _>(name)
                .sql(", ")
                .bind::<Text, _>(id)
                .sql(")"),
        );
    }
    let rows: Vec<(TerritoryRow, String)> = q
        .order((territories::search_name, territories::id))
        .limit(limit + 1)
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |(r, name)| (name.clone(), r.id.clone()),
        |(r, _)| r.public(),
    ))
}

/// The union of the paths of `territories` (what they are and what contains them), stored with
/// what declares interest in them, for matching.
pub fn scope_of(territories: &[TerritoryRow]) -> Vec<String> {
    let mut scope: Vec<String> = Vec::new();
    for t in territories {
        for id in &t.path {
            if !scope.contains(id) {
                scope.push(id.clone());
            }
        }
    }
    scope
}

#[cfg(test)]
mod tests {
    use super::candidates;

    #[test]
    fn references_resolve_to_candidate_ids() {
        assert_eq!(candidates("29019").unwrap(), ["fr:commune:29019"]);
        assert_eq!(candidates("2a004").unwrap(), ["fr:commune:2A004"]);
        assert_eq!(
            candidates("53").unwrap(),
            ["fr:region:53", "fr:departement:53"]
        );
        assert_eq!(
            candidates("971").unwrap(),
            ["fr:region:971", "fr:departement:971"]
        );
        assert_eq!(candidates("FR").unwrap(), ["country:fr"]);
        assert_eq!(
            candidates("fr:departement:75").unwrap(),
            ["fr:departement:75"]
        );
        for bad in [
            "",
            "Brest",
            "1234",
            "fr:canton:29",
            "29 019",
            "fr:region:",
            "'; drop",
        ] {
            assert!(candidates(bad).is_err(), "{bad}");
        }
    }
}
