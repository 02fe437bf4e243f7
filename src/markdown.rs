//! Markdown → sanitised HTML, once, at write time (reads serve the stored HTML).
//!
//! pulldown-cmark renders (tables, strikethrough, task lists); ammonia keeps a safe subset: no script,
//! event handler, `style`, iframe, or `javascript:`/`data:` URL survives, and links get
//! `rel="nofollow ugc noopener"`. No form control written in raw HTML survives; the task lists'
//! checkboxes are put in after sanitising, disabled: they travel through ammonia as text markers
//! holding a nonce drawn for each rendering, which no source can contain or forge (not even through
//! character references). Mentions are read from the sanitised HTML, so that only what readers see
//! can notify anyone.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Event, Options, Parser, html};

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("nofollow ugc noopener"))
            .strip_comments(true);
        b
    })
}

/// Renders `source` and sanitises the result.
pub fn render(source: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    // Markers for the task lists' checkboxes while ammonia cleans: drawn after the source was
    // written, so the source cannot hold them (plain letters and digits: no escaping changes them).
    let nonce = uuid::Uuid::now_v7().simple().to_string();
    let unchecked = format!("palabretask{nonce}u");
    let checked = format!("palabretask{nonce}c");
    let mut tasks = false;
    let parser = Parser::new_ext(source, options).map(|event| match event {
        Event::TaskListMarker(done) => {
            tasks = true;
            Event::Text(if done { &checked } else { &unchecked }.clone().into())
        }
        other => other,
    });
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    let clean = cleaner().clean(&raw).to_string();
    if tasks {
        clean
            .replace(&unchecked, r#"<input type="checkbox" disabled="">"#)
            .replace(
                &checked,
                r#"<input checked="" type="checkbox" disabled="">"#,
            )
    } else {
        clean
    }
}

/// Tags that [`plain_text`] removes without separating words (the migration of excerpts lists
/// the same).
const INLINE_TAGS: [&str; 18] = [
    "a", "abbr", "b", "code", "del", "em", "i", "ins", "kbd", "mark", "q", "s", "small", "span",
    "strong", "sub", "sup", "u",
];

/// The text of sanitised HTML (as [`render`] makes it), on one line: tags become spaces, and the
/// character references the sanitiser writes are read back. For excerpts: never raw Markdown.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let tag = &rest[open + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        // Inline markup joins its text to what surrounds it ("_court_." is "court."); any other
        // tag separates words.
        if !INLINE_TAGS.contains(&name.to_ascii_lowercase().as_str()) {
            text.push(' ');
        }
        // The tag ends at the first `>` outside a quoted attribute value (a link's title may
        // hold one: the serialiser does not escape `>` in attributes).
        let mut quote: Option<char> = None;
        let mut end = None;
        for (i, c) in rest[open..].char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '>') => {
                    end = Some(open + i + 1);
                    break;
                }
                _ => {}
            }
        }
        rest = match end {
            Some(e) => &rest[e..],
            None => "",
        };
    }
    text.push_str(rest);
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `max` characters of a text, on one line, with `…` when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// A thread list item's excerpt: the plain text of sanitised HTML, at most `max` characters in all,
/// cut with `…` when longer (the migration that filled the excerpts of older threads does the same).
pub fn summary(html: &str, max: usize) -> String {
    let text = plain_text(html);
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// `@username` mentions in sanitised HTML (as [`render`] makes it): in its text, outside `code`
/// and `pre`, unique, in order, at most `max`.
pub fn mentions(html: &str, max: usize) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut in_code = 0usize;
    let mut text = String::new();
    let mut rest = html;
    let scan = |text: &str, found: &mut Vec<String>| {
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() && found.len() < max {
            let starts = chars[i] == '@'
                && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
            if !starts {
                i += 1;
                continue;
            }
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '-')
                .collect();
            let name = name.trim_end_matches('-').to_string();
            if (3..=30).contains(&name.len())
                && !found.iter().any(|f| f.eq_ignore_ascii_case(&name))
            {
                found.push(name.clone());
            }
            i += name.len() + 1;
        }
    };
    while let Some(lt) = rest.find('<') {
        if in_code == 0 {
            text.push_str(&rest[..lt]);
        }
        // The tag, to its closing `>` outside quoted attribute values.
        let tag = &rest[lt + 1..];
        let mut quote: Option<char> = None;
        let mut end = tag.len();
        for (k, c) in tag.char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = k;
                    break;
                }
                _ => {}
            }
        }
        let inner = &tag[..end];
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if matches!(name.as_str(), "code" | "pre") {
            if closing {
                in_code = in_code.saturating_sub(1);
            } else {
                in_code += 1;
            }
        }
        // A tag separates words: `a<br>@b` is a mention of b.
        text.push(' ');
        rest = tag.get(end + 1..).unwrap_or("");
    }
    if in_code == 0 {
        text.push_str(rest);
    }
    scan(&text, &mut found);
    found
}

#[cfg(test)]
mod tests {
    #[test]
    fn summary_is_at_most_its_length() {
        let long = format!("<p>{}</p>", "é".repeat(300));
        let s = summary(&long, 240);
        assert_eq!(s.chars().count(), 240);
        assert!(s.ends_with('…'));
        assert_eq!(
            summary("<p>Court &amp; <em>net</em></p>", 240),
            "Court & net"
        );
        let spaced = format!("<p>{} fin</p>", "a".repeat(238));
        assert_eq!(summary(&spaced, 240), format!("{}…", "a".repeat(238)));
    }

    #[test]
    fn plain_text_of_rendered_markdown() {
        let html = super::render("# Titre\n\nUn **gras** & <b>x</b> `a<b`\n\n- un\n- deux");
        assert_eq!(super::plain_text(&html), "Titre Un gras & x a<b un deux");
        assert_eq!(super::excerpt("un deux trois", 7), "un deux…");
    }

    use super::*;

    #[test]
    fn renders_and_sanitises() {
        let html = render("**forêt** [lien](https://ign.fr) <script>alert(1)</script>");
        assert!(html.contains("<strong>forêt</strong>"));
        assert!(html.contains(r#"rel="nofollow ugc noopener""#));
        assert!(!html.contains("<script"));
        let html = render("[x](javascript:alert(1)) ![i](data:image/png;base64,AAAA)");
        assert!(!html.contains("javascript:"));
        assert!(!html.contains("data:"));
    }

    #[test]
    fn finds_mentions_outside_code() {
        let m = |src: &str| mentions(&render(src), 10);
        assert_eq!(
            m("Merci @camille et @Yann_B, cc @camille. mail: a@b.fr `@code`\n\n```\n@block\n```"),
            vec!["camille", "Yann_B"]
        );
        let many: String = (0..20).map(|i| format!("@user{i:02} ")).collect();
        assert_eq!(m(&many).len(), 10);
    }

    #[test]
    fn mentions_are_only_what_readers_see() {
        let m = |src: &str| mentions(&render(src), 10);
        assert!(m("<script>@carol</script>").is_empty());
        assert!(m("texte <script>@carol</script> visible").is_empty());
        assert!(m("<style>@carol</style>").is_empty());
        assert!(m("<!-- @carol -->").is_empty());
        assert!(m(r#"<a title=">@carol" href="https://x.fr">lien</a>"#).is_empty());
        assert_eq!(m("<b>@dave</b><br>@erin"), vec!["dave", "erin"]);
    }

    #[test]
    fn the_only_inputs_are_the_task_lists_disabled_checkboxes() {
        for src in [
            r#"<input type="password" name="p">"#,
            r#"<input type="text" value="Votre mot de passe">"#,
            r#"<input type="hidden" name="x">"#,
            r#"<input type="checkbox" checked>"#,
            r#"<INPUT>"#,
            "\u{F8F0} \u{F8F1} &#xF8F0; &#63729;",
            r#"[x](https://a.example "&#xF8F0;") palabretask"#,
        ] {
            let html = render(src);
            assert!(!html.to_lowercase().contains("<input"), "{src} → {html}");
        }
        let tasks = render("- [x] fait\n- [ ] à faire");
        assert_eq!(tasks.matches("<input").count(), 2, "{tasks}");
        assert_eq!(tasks.matches(r#"type="checkbox""#).count(), 2);
        assert_eq!(tasks.matches("disabled").count(), 2);
        assert_eq!(tasks.matches("checked").count(), 1);
    }
}
