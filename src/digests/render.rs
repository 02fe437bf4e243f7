//! A digest as an email: subject, HTML (inline styles on the shared mail layout) and plain text, in
//! the recipient's locale, with the list headers of RFC 2369 and RFC 8058.
//!
//! The HTML keeps its styles inline, written so in the templates (as every palabre email is): the
//! layout is a 600-pixel table that narrows to the screen (`width:100%; max-width:600px`), which is
//! what survives Gmail, Outlook and phone clients. No CSS inliner runs per message — a digest is
//! rendered thousands of times a minute, and the templates are ours.

use std::sync::OnceLock;

use chrono::Datelike;
use chrono_tz::Europe::Paris;
use minijinja::Environment;
use serde_json::json;

use super::types::{Digest, RecipientKind, UnsubscribeView};
use crate::config::Settings;
use crate::mail::{self, Locale, Rendered};

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "digest.html",
    "digest.txt",
    "subscribe_confirm.fr.subject",
    "subscribe_confirm.fr.html",
    "subscribe_confirm.fr.txt",
    "subscribe_confirm.en.subject",
    "subscribe_confirm.en.html",
    "subscribe_confirm.en.txt",
    "unsubscribe.html",
];

pub fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| mail::environment_with(TEMPLATES))
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `samedi 5 décembre 2026` / `Saturday 5 December 2026` (local date in Paris).
fn long_date(locale: Locale, at: chrono::DateTime<chrono::Utc>) -> String {
    let d = at.with_timezone(&Paris).date_naive();
    let (days, months) = match locale {
        Locale::Fr => (DAYS_FR, MONTHS_FR),
        Locale::En => (DAYS_EN, MONTHS_EN),
    };
    let day = if locale == Locale::Fr && d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    };
    format!(
        "{} {day} {} {}",
        days[d.weekday().num_days_from_monday() as usize],
        months[d.month0() as usize],
        d.year()
    )
}

/// `5 décembre` / `5 December`.
fn short_date(locale: Locale, at: chrono::DateTime<chrono::Utc>) -> String {
    let d = at.with_timezone(&Paris).date_naive();
    match locale {
        Locale::Fr if d.day() == 1 => format!("1er {}", MONTHS_FR[d.month0() as usize]),
        Locale::Fr => format!("{} {}", d.day(), MONTHS_FR[d.month0() as usize]),
        Locale::En => format!("{} {}", d.day(), MONTHS_EN[d.month0() as usize]),
    }
}

fn is_weekly(d: &Digest) -> bool {
    d.recipient.frequency == super::types::Frequency::Weekly
}

/// The subject: the period, then what is in it.
pub fn subject(d: &Digest) -> String {
    let l = d.recipient.locale;
    let when = if is_weekly(d) {
        match l {
            Locale::Fr => format!("semaine du {}", short_date(l, d.period.from)),
            Locale::En => format!("week of {}", short_date(l, d.period.from)),
        }
    } else {
        short_date(l, d.period.until)
    };
    let replies: i64 = d.watched.iter().map(|w| w.new_replies).sum();
    let mut parts: Vec<String> = Vec::new();
    let n = d.new_challenges.len();
    match (l, n) {
        (_, 0) => {}
        (Locale::Fr, 1) => parts.push("1 nouveau défi".into()),
        (Locale::Fr, n) => parts.push(format!("{n} nouveaux défis")),
        (Locale::En, 1) => parts.push("1 new challenge".into()),
        (Locale::En, n) => parts.push(format!("{n} new challenges")),
    }
    match (l, replies) {
        (_, 0) => {}
        (Locale::Fr, 1) => parts.push("1 réponse à vos sujets suivis".into()),
        (Locale::Fr, r) => parts.push(format!("{r} réponses à vos sujets suivis")),
        (Locale::En, 1) => parts.push("1 reply in threads you follow".into()),
        (Locale::En, r) => parts.push(format!("{r} replies in threads you follow")),
    }
    let head = match l {
        Locale::Fr => format!("Votre résumé palabre ({when})"),
        Locale::En => format!("Your palabre digest ({when})"),
    };
    if parts.is_empty() {
        head
    } else {
        let sep = if l == Locale::Fr { "\u{a0}: " } else { ": " };
        format!("{head}{sep}{}", parts.join(", "))
    }
}

/// A challenge status, in `locale`.
pub fn status_label(locale: Locale, status: &str) -> &'static str {
    let fr = locale == Locale::Fr;
    match status {
        "draft" if fr => "brouillon",
        "draft" => "draft",
        "submitted" if fr => "proposé",
        "submitted" => "submitted",
        "under_review" if fr => "en examen",
        "under_review" => "under review",
        "open" if fr => "ouvert aux engagements",
        "open" => "open for pledges",
        "in_progress" if fr => "en cours",
        "in_progress" => "in progress",
        "solved" if fr => "résolu",
        "solved" => "solved",
        "rejected" if fr => "refusé",
        "rejected" => "rejected",
        "withdrawn" if fr => "retiré",
        "withdrawn" => "withdrawn",
        "closed" if fr => "clos",
        _ => "closed",
    }
}

/// A pledge kind, in `locale`.
pub fn pledge_label(locale: Locale, kind: &str) -> &'static str {
    let fr = locale == Locale::Fr;
    match kind {
        "funding" if fr => "financement",
        "funding" => "funding",
        "data" if fr => "données",
        "data" => "data",
        "code" => "code",
        "expertise" => "expertise",
        "equipment" if fr => "équipement",
        "equipment" => "equipment",
        "testing" if fr => "expérimentation",
        _ => "testing",
    }
}

fn strings(locale: Locale, kind: RecipientKind, weekly: bool) -> serde_json::Value {
    match locale {
        Locale::Fr => json!({
            "title": if weekly { "Votre résumé de la semaine" } else { "Votre résumé du jour" },
            "new_challenges": "Nouveaux défis",
            "challenge_updates": "Les défis que vous suivez",
            "status_now": "Désormais",
            "pledge_by": "Engagement de",
            "watched": "Vos sujets suivis",
            "new_thread": "Nouveau sujet",
            "one_reply": "1 nouvelle réponse",
            "replies": "nouvelles réponses",
            "replies_short": "réponses",
            "participants": "participants",
            "reactions": "réactions",
            "read_more": "Lire",
            "popular": "Les discussions actives",
            "announcements": "Annonces",
            "communs": "Les communs que vous suivez",
            "milestone_reached": "Étape franchie",
            "news_published": "Actualité",
            "resource_published": "Nouvelle ressource",
            "one_unread": "1 notification non lue",
            "unread": "notifications non lues",
            "settings": "Gérer mes préférences",
            "unsubscribe": "Me désabonner",
            "colon": "\u{a0}:",
            "lquo": "«\u{a0}",
            "rquo": "\u{a0}»",
            "why": match kind {
                RecipientKind::Member => "Vous recevez ce résumé parce que vous l’avez choisi dans vos préférences de membre de palabre.",
                RecipientKind::Subscriber => "Vous recevez ce résumé parce que vous vous y êtes abonné·e et l’avez confirmé.",
            },
        }),
        Locale::En => json!({
            "title": if weekly { "Your weekly digest" } else { "Your daily digest" },
            "new_challenges": "New challenges",
            "challenge_updates": "Challenges you follow",
            "status_now": "Now",
            "pledge_by": "Pledge by",
            "watched": "Threads you follow",
            "new_thread": "New thread",
            "one_reply": "1 new reply",
            "replies": "new replies",
            "replies_short": "replies",
            "participants": "participants",
            "reactions": "reactions",
            "read_more": "Read",
            "popular": "Active discussions",
            "announcements": "Announcements",
            "communs": "Communs you follow",
            "milestone_reached": "Milestone reached",
            "news_published": "News",
            "resource_published": "New resource",
            "one_unread": "1 unread notification",
            "unread": "unread notifications",
            "settings": "Manage my preferences",
            "unsubscribe": "Unsubscribe",
            "colon": ":",
            "lquo": "“",
            "rquo": "”",
            "why": match kind {
                RecipientKind::Member => "You receive this digest because you chose it in your palabre member settings.",
                RecipientKind::Subscriber => "You receive this digest because you subscribed to it and confirmed.",
            },
        }),
    }
}

/// The digest as an email.
pub fn render(d: &Digest) -> anyhow::Result<Rendered> {
    let locale = d.recipient.locale;
    let weekly = is_weekly(d);
    let period_label = if weekly {
        match locale {
            Locale::Fr => format!(
                "Du {} au {}",
                long_date(locale, d.period.from),
                long_date(locale, d.period.until)
            ),
            Locale::En => format!(
                "From {} to {}",
                long_date(locale, d.period.from),
                long_date(locale, d.period.until)
            ),
        }
    } else {
        let s = long_date(locale, d.period.until);
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    let mut preheader: Vec<&str> = Vec::new();
    for (present, what) in [
        (!d.new_challenges.is_empty(), "new_challenges"),
        (!d.challenge_updates.is_empty(), "challenge_updates"),
        (!d.watched.is_empty(), "watched"),
        (!d.popular.is_empty(), "popular"),
        (!d.announcements.is_empty(), "announcements"),
        (!d.communs.is_empty(), "communs"),
    ] {
        if present {
            preheader.push(what);
        }
    }
    let t = strings(locale, d.recipient.kind, weekly);
    let preheader: Vec<String> = preheader
        .iter()
        .filter_map(|k| t[*k].as_str().map(String::from))
        .collect();
    let ctx = json!({
        "d": d,
        "t": t,
        "period_label": period_label,
        "preheader": preheader.join(" · "),
        "locale": locale.as_str(),
        "subject": d.subject,
    });
    let env = environment();
    Ok(Rendered {
        subject: d.subject.clone(),
        text: env
            .get_template("digest.txt")?
            .render(minijinja::value::Serde(&ctx))?,
        html: env
            .get_template("digest.html")?
            .render(minijinja::value::Serde(&ctx))?,
    })
}

/// The headers of a digest: RFC 2369 `List-Unsubscribe` (the one-click HTTPS URL and a `mailto:`),
/// RFC 8058 `List-Unsubscribe-Post`, `List-Id`, and the marks of bulk, automatic mail.
pub fn headers(
    settings: &Settings,
    unsubscribe_url: &str,
    token: &str,
) -> Vec<(&'static str, String)> {
    vec![
        (
            "List-Unsubscribe",
            format!(
                "<{unsubscribe_url}>, <mailto:{}?subject=unsubscribe%20{token}>",
                settings.unsubscribe_mailto
            ),
        ),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()),
        ("List-Id", list_id(settings)),
        ("Precedence", "bulk".into()),
        ("Auto-Submitted", "auto-generated".into()),
    ]
}

/// `palabre digest <digest.example.org>`: the host of the public URL.
pub fn list_id(settings: &Settings) -> String {
    let host = settings
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("localhost")
        .split(['/', ':'])
        .next()
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
        .unwrap_or("localhost");
    format!("palabre digest <digest.{host}>")
}

/// The page an unsubscribe link opens in a browser (what it stops, and the buttons that stop it),
/// or the page after the button was pressed (`done`).
pub fn unsubscribe_page(
    locale: Locale,
    view: &UnsubscribeView,
    action: &str,
    done: Option<&str>,
) -> anyhow::Result<String> {
    let t = match locale {
        Locale::Fr => json!({
            "page_title": "Désabonnement — palabre",
            "question": "Ne plus recevoir le résumé palabre ?",
            "current": "Résumé envoyé à",
            "daily": "chaque jour",
            "weekly": "chaque semaine",
            "stop": "Me désabonner",
            "lower": "Le recevoir seulement une fois par semaine",
            "already": "Cette adresse ne reçoit plus le résumé palabre.",
        }),
        Locale::En => json!({
            "page_title": "Unsubscribe — palabre",
            "question": "Stop receiving the palabre digest?",
            "current": "Digest sent to",
            "daily": "daily",
            "weekly": "weekly",
            "stop": "Unsubscribe",
            "lower": "Only receive it once a week",
            "already": "This address no longer receives the palabre digest.",
        }),
    };
    let ctx = json!({"t": t, "v": view, "action": action, "done": done, "locale": locale.as_str()});
    Ok(environment()
        .get_template("unsubscribe.html")?
        .render(minijinja::value::Serde(&ctx))?)
}
