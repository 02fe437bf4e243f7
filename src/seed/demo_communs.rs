//! The demo's communs: laureate projects of a call for commons on French open geodata — street-level
//! imagery, addresses, hedgerows, cycling networks, forests — with maintainers, partners, followers,
//! milestones, resources under open licences, and a challenge taken up and answered. Made through
//! the feature's own services.

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use crate::accounts::auth::Actor;
use crate::communs::service as communs;
use crate::communs::types::{
    AddCommunMember, CommunRole, CommunStatus, CreateCommun, NewMilestone, NewResource,
    ResourceKind, UpdateCommun,
};
use crate::discussions::gate::Open;
use crate::discussions::posts;
use crate::discussions::types::{CreatePost, NewsInput, UpdatePost};
use crate::error::AppResult;
use crate::notifications::WatchLevel;
use crate::schema::{challenges, organisations};

const CAMILLE: usize = 0;
const YANN: usize = 1;
const MORGANE: usize = 2;
const NOLWENN: usize = 3;
const ERWAN: usize = 4;
const KLERVI: usize = 5;
const TANGUY: usize = 6;
const LEA: usize = 7;

struct DemoCommun {
    slug: &'static str,
    name: &'static str,
    summary: &'static str,
    description: &'static str,
    website: &'static str,
    repository: Option<&'static str>,
    licence_policy: &'static str,
    themes: &'static [&'static str],
    territories: &'static [&'static str],
    status: CommunStatus,
    cohort: i16,
    maintainer: usize,
    contributors: &'static [usize],
    partners: &'static [&'static str],
    followers: &'static [usize],
    /// (title, planned, reached)
    milestones: &'static [(&'static str, Option<&'static str>, Option<&'static str>)],
    /// (kind, title, url, licence)
    resources: &'static [(ResourceKind, &'static str, &'static str, &'static str)],
}

const COMMUNS: &[DemoCommun] = &[
    DemoCommun {
        slug: "panoramax",
        name: "Panoramax",
        summary: "Le géocommun des photos immersives au niveau de la rue, libres et réutilisables.",
        description: "Une alternative ouverte aux images de rue propriétaires : des **instances fédérées**, \
                      des photos floutées automatiquement, sous licence libre.",
        website: "https://panoramax.fr",
        repository: Some("https://gitlab.com/panoramax"),
        licence_policy: "Logiciels sous AGPL, photos sous CC-BY-SA 4.0.",
        themes: &["imagerie"],
        territories: &["FR"],
        status: CommunStatus::Active,
        cohort: 2023,
        maintainer: NOLWENN,
        contributors: &[TANGUY],
        partners: &["OpenStreetMap France", "Kermap"],
        followers: &[LEA, ERWAN],
        milestones: &[
            (
                "Instance nationale ouverte",
                Some("2023-09-30"),
                Some("2023-10-12"),
            ),
            (
                "Floutage automatique des visages et des plaques",
                Some("2024-03-31"),
                Some("2024-03-18"),
            ),
            ("Application mobile de capture", Some("2027-03-31"), None),
        ],
        resources: &[
            (
                ResourceKind::Software,
                "API et serveur Panoramax",
                "https://gitlab.com/panoramax/server/api",
                "AGPL-3.0-or-later",
            ),
            (
                ResourceKind::Dataset,
                "Photos immersives de l'instance IGN",
                "https://panoramax.ign.fr",
                "CC-BY-SA-4.0",
            ),
        ],
    },
    DemoCommun {
        slug: "bal-bretagne",
        name: "Bases adresses locales de Bretagne",
        summary: "Des adresses tenues à jour par les communes, publiées dans la Base adresse nationale.",
        description: "Outiller et accompagner les communes bretonnes pour **créer et tenir** leur base adresse locale.",
        website: "https://adresse.data.gouv.fr",
        repository: None,
        licence_policy: "Données sous Licence Ouverte 2.0.",
        themes: &["adresses"],
        territories: &["53"],
        status: CommunStatus::Mature,
        cohort: 2022,
        maintainer: ERWAN,
        contributors: &[],
        partners: &["Brest métropole"],
        followers: &[CAMILLE],
        milestones: &[
            (
                "100 communes finistériennes publiées",
                Some("2024-12-31"),
                Some("2024-11-05"),
            ),
            ("Toutes les communes du Finistère", Some("2026-12-31"), None),
        ],
        resources: &[(
            ResourceKind::Dataset,
            "Base adresse locale de Brest",
            "https://www.data.gouv.fr/fr/datasets/base-adresse-locale-de-brest/",
            "etalab-2.0",
        )],
    },
    DemoCommun {
        slug: "haies-bocage",
        name: "Inventaire participatif des haies",
        summary: "Cartographier les haies bocagères avec les agriculteurs, les naturalistes et l'imagerie.",
        description: "Croiser l'imagerie aérienne et les relevés de terrain pour suivre **arrachages et replantations**.",
        website: "https://haies.example.org",
        repository: Some("https://github.com/example/haies"),
        licence_policy: "Données sous ODbL, code sous MIT.",
        themes: &["biodiversite", "agriculture"],
        territories: &["29"],
        status: CommunStatus::Active,
        cohort: 2025,
        maintainer: MORGANE,
        contributors: &[KLERVI],
        partners: &["Parc naturel régional d'Armorique"],
        followers: &[NOLWENN, LEA],
        milestones: &[
            (
                "Protocole de relevé publié",
                Some("2025-06-30"),
                Some("2025-07-04"),
            ),
            ("Couverture du Parc d'Armorique", Some("2026-09-30"), None),
        ],
        resources: &[(
            ResourceKind::Dataset,
            "Linéaire de haies du Parc d'Armorique",
            "https://www.data.gouv.fr/fr/datasets/haies-armorique/",
            "ODbL-1.0",
        )],
    },
    DemoCommun {
        slug: "amenagements-cyclables",
        name: "Schéma des aménagements cyclables",
        summary: "Un standard ouvert pour décrire les pistes et bandes cyclables, et leurs données.",
        description: "Un schéma de données commun, validé par les collectivités et **OpenStreetMap**.",
        website: "https://schema.data.gouv.fr",
        repository: Some("https://github.com/etalab/amenagements-cyclables"),
        licence_policy: "Schéma sous Licence Ouverte 2.0.",
        themes: &["mobilite"],
        territories: &["FR"],
        status: CommunStatus::Mature,
        cohort: 2021,
        maintainer: LEA,
        contributors: &[NOLWENN],
        partners: &["OpenStreetMap France"],
        followers: &[ERWAN],
        milestones: &[(
            "Version 0.3 du schéma",
            Some("2023-05-31"),
            Some("2023-06-02"),
        )],
        resources: &[(
            ResourceKind::Standard,
            "Schéma des aménagements cyclables",
            "https://schema.data.gouv.fr/etalab/schema-amenagements-cyclables/",
            "etalab-2.0",
        )],
    },
    DemoCommun {
        slug: "forets-ouvertes",
        name: "Forêts ouvertes",
        summary: "Des indicateurs forestiers tirés du LiDAR HD, ouverts aux communes et aux gestionnaires.",
        description: "Hauteur de canopée, volumes, **dépérissements** : des cartes calculées et publiées chaque année.",
        website: "https://forets.example.org",
        repository: None,
        licence_policy: "Données sous Licence Ouverte 2.0.",
        themes: &["forets", "climat"],
        territories: &["FR"],
        status: CommunStatus::Incubating,
        cohort: 2026,
        maintainer: KLERVI,
        contributors: &[],
        partners: &[],
        followers: &[MORGANE],
        milestones: &[(
            "Premières cartes de hauteur de canopée",
            Some("2027-06-30"),
            None,
        )],
        resources: &[],
    },
];

/// News the maintainers publish: (commun, title, body, a reply by, its text).
const NEWS: &[(&str, &str, &str, usize, &str)] = &[
    (
        "panoramax",
        "Un million de photos sur l'instance bretonne",
        "L'instance régionale vient de passer le **million de photos** de rue, toutes floutées et \
         sous CC-BY-SA 4.0. Merci aux contributeurs des tournées vélo du printemps !",
        YANN,
        "Bravo ! Les photos des routes du Trégor nous ont servi pour l'inventaire des panneaux.",
    ),
    (
        "bal-bretagne",
        "Douze communes de plus publient leur base adresse",
        "Ce trimestre, **douze communes** du Finistère ont publié leur base adresse locale. La \
         carte de couverture est à jour ; la prochaine session d'accompagnement aura lieu à Quimper.",
        CAMILLE,
        "Est-ce que la session de Quimper sera ouverte aux intercommunalités ?",
    ),
    (
        "haies-bocage",
        "Guide de saisie des haies : à vous de l'améliorer",
        "Le guide de saisie est désormais un **wiki** : corrigez-le et complétez-le directement.\n\n\
         1. Tracer la haie au milieu de son emprise.\n\
         2. Renseigner le type (arbustive, arborée, multistrate).\n",
        TANGUY,
        "Faut-il saisir les haies discontinues comme une seule haie ?",
    ),
];

fn date(s: &str) -> NaiveDate {
    s.parse().expect("demo dates parse")
}

pub fn seed(conn: &mut PgConnection, actors: &[Actor]) -> AppResult<String> {
    let username = |i: usize| actors[i].username.clone();
    let mut counts = (0, 0, 0, 0);
    for c in COMMUNS {
        communs::create(
            conn,
            &actors[CAMILLE],
            &CreateCommun {
                slug: c.slug.into(),
                name: c.name.into(),
                summary: Some(c.summary.into()),
                description: Some(c.description.into()),
                website: Some(c.website.into()),
                repository: c.repository.map(Into::into),
                licence_policy: Some(c.licence_policy.into()),
                logo_url: None,
                themes: c.themes.iter().map(|t| t.to_string()).collect(),
                territories: c.territories.iter().map(|t| t.to_string()).collect(),
                status: Some(c.status),
                cohort: Some(c.cohort),
                maintainers: vec![username(c.maintainer)],
            },
        )?;
        let maintainer = &actors[c.maintainer];
        for who in c.contributors {
            communs::add_member(
                conn,
                maintainer,
                c.slug,
                &AddCommunMember {
                    username: username(*who),
                    role: CommunRole::Contributor,
                },
            )?;
        }
        let partners: Vec<Uuid> = organisations::table
            .filter(organisations::name.eq_any(c.partners))
            .select(organisations::id)
            .load(conn)?;
        if !partners.is_empty() {
            communs::update(
                conn,
                maintainer,
                c.slug,
                UpdateCommun {
                    name: None,
                    summary: None,
                    description: None,
                    website: None,
                    repository: None,
                    licence_policy: None,
                    logo_url: None,
                    themes: None,
                    territories: None,
                    status: None,
                    cohort: None,
                    partners: Some(partners),
                },
            )?;
        }
        for who in c.followers {
            communs::subscribe(conn, &actors[*who], c.slug, WatchLevel::Watching)?;
        }
        for (title, planned, reached) in c.milestones {
            communs::create_milestone(
                conn,
                maintainer,
                c.slug,
                &NewMilestone {
                    title: title.to_string(),
                    description: None,
                    planned_on: planned.map(date),
                    done_on: reached.map(date),
                },
            )?;
            counts.1 += 1;
        }
        for (kind, title, url, licence) in c.resources {
            communs::create_resource(
                conn,
                maintainer,
                c.slug,
                &NewResource {
                    kind: *kind,
                    title: title.to_string(),
                    url: url.to_string(),
                    licence: licence.to_string(),
                    description: None,
                    challenges: Vec::new(),
                },
            )?;
            counts.2 += 1;
        }
        counts.0 += 1;
    }
    // News, each with a reply; the hedgerow guide is a wiki, improved once by an administrator.
    for (slug, title, body, replier, reply) in NEWS {
        let maintainer = COMMUNS
            .iter()
            .find(|c| c.slug == *slug)
            .map(|c| &actors[c.maintainer])
            .expect("news of a demo commun");
        let thread = crate::communs::news::publish(
            conn,
            maintainer,
            slug,
            &NewsInput {
                title: title.to_string(),
                body: body.to_string(),
            },
            &Open,
        )?;
        posts::create_reply(
            conn,
            &actors[*replier],
            thread.id,
            &CreatePost {
                body: reply.to_string(),
                reply_to: None,
            },
            &Open,
        )?
        .now()?;
        if *slug == "haies-bocage" {
            let post = thread.opening_post.id;
            posts::set_wiki(conn, maintainer, post, true)?;
            posts::edit(
                conn,
                &actors[CAMILLE],
                post,
                &UpdatePost {
                    body: format!(
                        "{body}3. Noter la date d'observation et la source (terrain, ortho-image).\n"
                    ),
                    revision: Some(1),
                },
                &Open,
                &crate::communs::news::Maintainers,
            )?;
        }
        counts.3 += 1;
    }
    // A challenge in progress (or solved) is taken up by the hedgerow inventory, whose map answers it.
    let taken: Option<(Uuid, String)> = challenges::table
        .filter(challenges::status.eq_any(["in_progress", "solved"]))
        .filter(challenges::hidden_at.is_null())
        .order((challenges::status, challenges::created_at))
        .select((challenges::id, challenges::title))
        .first(conn)
        .optional()?;
    let mut story = String::new();
    if let Some((id, title)) = taken {
        communs::take_up(conn, &actors[YANN], id, "haies-bocage")?;
        communs::create_resource(
            conn,
            &actors[MORGANE],
            "haies-bocage",
            &NewResource {
                kind: ResourceKind::Service,
                title: "Carte interactive des haies".into(),
                url: "https://haies.example.org/carte".into(),
                licence: "ODbL-1.0".into(),
                description: Some(format!("Répond au défi « {title} ».")),
                challenges: vec![id],
            },
        )?;
        counts.2 += 1;
        story = format!(", one challenge taken up (« {title} »)");
    }
    Ok(format!(
        "{} communs ({} milestones, {} resources, {} news{story})",
        counts.0, counts.1, counts.2, counts.3
    ))
}
