//! Markdown → sanitised HTML, once, at write time (reads serve the stored HTML).
//!
//! pulldown-cmark renders (tables, strikethrough, task lists); ammonia keeps a safe subset: no script,
//! event handler, `style`, iframe, or `javascript:`/`data:` URL survives, and links get
//! `rel="nofollow ugc noopener"`.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Options, Parser, html};

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("nofollow ugc noopener"))
            .add_tag_attributes("input", &["type", "checked", "disabled"])
            .add_tags(&["input"])
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
    let parser = Parser::new_ext(source, options);
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    cleaner().clean(&raw).to_string()
}

/// `@username` mentions in `source` (outside code), unique, in order, at most `max`.
pub fn mentions(source: &str, max: usize) -> Vec<String> {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let mut found: Vec<String> = Vec::new();
    let mut in_code = 0usize;
    for event in Parser::new(source) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Text(text) if in_code == 0 => {
                let chars: Vec<char> = text.chars().collect();
                let mut i = 0;
                while i < chars.len() {
                    let starts = chars[i] == '@'
                        && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
                    if starts {
                        let name: String = chars[i + 1..]
                            .iter()
                            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '-')
                            .collect();
                        let name = name.trim_end_matches('-').to_string();
                        if (3..=30).contains(&name.len())
                            && !found.iter().any(|f| f.eq_ignore_ascii_case(&name))
                        {
                            found.push(name.clone());
                            if found.len() == max {
                                return found;
                            }
                        }
                        i += name.len() + 1;
                    } else {
                        i += 1;
                    }
                }
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
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
        assert_eq!(
            mentions(
                "Merci @camille et @Yann_B, cc @camille. mail: a@b.fr `@code`\n\n```\n@block\n```",
                10
            ),
            vec!["camille", "Yann_B"]
        );
        let many: String = (0..20).map(|i| format!("@user{i:02} ")).collect();
        assert_eq!(mentions(&many, 10).len(), 10);
    }
}
