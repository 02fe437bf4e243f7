//! The layers of `src/`, enforced: a module imports core and the modules of lower layers, never one
//! of its own layer or above; core imports no feature, and core's own modules form an order too.
//! Handler files (`handlers.rs`, `handlers/`) hold no SQL: no `diesel`, no `crate::schema`.
//!
//! The lists below are the project's layering (README, "Architecture"); a new top-level module must
//! be placed in them, or this test fails.

use std::path::{Path, PathBuf};

/// Core, lowest first: each may import the ones before it.
const CORE: &[&str] = &[
    "error",
    "input",
    "config",
    "schema",
    "markdown",
    "pagination",
    "telemetry",
    "db",
    "jobs",
    "mail",
    "throttle",
    "feature",
    "http",
    "housekeeping",
    "ops",
];

/// Features, lowest layer first. Modules of one layer do not import each other.
const FEATURES: &[&[&str]] = &[
    &["accounts"],
    &["notifications"],
    &["taxonomy"],
    &["organisations"],
    &["discussions"],
    &["challenges"],
    &["communs"],
    &["moderation"],
    &["search", "feeds", "opendata", "webhooks", "digests"],
];

/// What composes the features: may import anything, and nothing imports it.
const TOP: &[&str] = &["app", "cli", "openapi", "seed", "lib", "main"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Core(usize),
    Feature(usize),
    Top,
}

fn rank(module: &str) -> Option<Rank> {
    if let Some(i) = CORE.iter().position(|m| *m == module) {
        return Some(Rank::Core(i));
    }
    if let Some(i) = FEATURES.iter().position(|l| l.contains(&module)) {
        return Some(Rank::Feature(i));
    }
    TOP.contains(&module).then_some(Rank::Top)
}

/// `src/accounts/service.rs` → `accounts`; `src/app.rs` → `app`.
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The line without its `//` comment (a `//` inside a string literal stays).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let (mut in_str, mut i) = (false, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
        i += 1;
    }
    line
}

/// The top-level modules named after `crate::` on a line: `crate::a::b` gives `a`,
/// `crate::{a, b::c}` gives `a` and `b`.
fn crate_imports(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if matches!(before, Some(c) if c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::` in macros, or part of another identifier
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(item.trim().split("::").next().unwrap().to_string());
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            if !item.trim().is_empty() {
                found.push(item.trim().split("::").next().unwrap().to_string());
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// Every rule `src` breaks, as `file:line: message`.
fn violations(rel: &Path, src: &str) -> Vec<String> {
    let module = module_of(rel);
    let here = rel.display();
    let Some(own) = rank(&module) else {
        return vec![format!(
            "{here}: module `{module}` is in no layer; place it in tests/api/layers.rs and README"
        )];
    };
    let is_handler = rel.file_name().is_some_and(|f| f == "handlers.rs")
        || rel.components().any(|c| c.as_os_str() == "handlers");
    let mut out = Vec::new();
    // Multi-line `use crate::{...}` groups: join each statement before reading it.
    let mut statement = String::new();
    let mut first_line = 0;
    for (n, raw) in src.lines().enumerate() {
        let line = strip_comment(raw);
        if statement.is_empty() {
            first_line = n + 1;
        }
        statement.push_str(line);
        statement.push(' ');
        let open = statement.matches('{').count() > statement.matches('}').count();
        if statement.trim_start().starts_with("use ") && open {
            continue;
        }
        let text = std::mem::take(&mut statement);
        for target in crate_imports(&text) {
            let Some(theirs) = rank(&target) else {
                continue; // an item of the crate root (a macro, a re-export), not a module
            };
            if target == module {
                continue;
            }
            let allowed = own == Rank::Top
                || theirs < own && !(matches!(own, Rank::Core(_)) && theirs >= Rank::Feature(0));
            if !allowed {
                out.push(format!(
                    "{here}:{first_line}: `{module}` ({own:?}) imports `crate::{target}` ({theirs:?}), \
                     which is not below it"
                ));
            }
        }
        if is_handler && (text.contains("diesel::") || text.contains("crate::schema")) {
            out.push(format!(
                "{here}:{first_line}: a handler file uses SQL (`diesel`/`schema`); move it to the feature's service"
            ));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_imports_only_core_and_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 30, "the walk found the source files");
    let mut all = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let text = std::fs::read_to_string(file).unwrap();
        all.extend(violations(rel, &text));
    }
    assert!(
        all.is_empty(),
        "layering violations:\n  {}",
        all.join("\n  ")
    );
}

#[test]
fn the_layer_check_catches_violations() {
    let check = |path: &str, src: &str| violations(Path::new(path), src);
    // A feature importing one above it, sideways, and core importing a feature.
    assert_eq!(
        check("accounts/service.rs", "use crate::discussions::export;").len(),
        1
    );
    assert_eq!(
        check("search/mod.rs", "let x = crate::feeds::thing();").len(),
        1,
        "same layer"
    );
    assert_eq!(
        check("jobs/mod.rs", "crate::notifications::run(r);").len(),
        1
    );
    assert_eq!(
        check("db/mod.rs", "use crate::mail::Mailer;").len(),
        1,
        "core order"
    );
    assert_eq!(check("app.rs", "use crate::feature::Feature;").len(), 0);
    // Grouped and multi-line imports are read whole.
    let grouped = "use crate::{\n    error::AppError,\n    discussions::view,\n};";
    let found = check("notifications/service.rs", grouped);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("notifications/service.rs:1"), "{found:?}");
    assert!(found[0].contains("crate::discussions"), "{found:?}");
    // Lower layers and core are fine; comments and strings are not imports.
    assert!(
        check(
            "discussions/posts.rs",
            "use crate::accounts::auth::Actor;\nuse crate::notifications::Event;\n\
             /// see `crate::search`\nlet u = \"http://x\"; // crate::feeds"
        )
        .is_empty()
    );
    // Handlers hold no SQL.
    assert_eq!(
        check("discussions/handlers/threads.rs", "use diesel::prelude::*;").len(),
        1
    );
    assert_eq!(
        check("accounts/handlers.rs", "use crate::schema::users;").len(),
        1
    );
    // A module in no layer is reported.
    assert_eq!(check("gadgets/mod.rs", "").len(), 1);
}
