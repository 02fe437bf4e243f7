//! The demo's challenges and organisations: realistic défis across French territories (communes,
//! départements, régions, overseas), with locations, supports, pledges from public and private
//! organisations, and their histories — made through the features' own services.

use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::accounts::auth::Actor;
use crate::challenges::pledges;
use crate::challenges::service as challenges;
use crate::challenges::types::{
    ChallengeStatus, CreateChallenge, CreatePledge, NewChallengeStatus, PledgeKind, PledgeMove,
    PledgeStatus, Transition, UpdatePledge,
};
use crate::config::Settings;
use crate::error::AppResult;
use crate::organisations::service as organisations;
use crate::organisations::{
    AddMember, CreateOrganisation, MemberRole, OrganisationKind, UpdateOrganisation,
};

/// Member indexes of the demo (see `demo::MEMBERS`).
const CAMILLE: usize = 0;
const YANN: usize = 1;
const MORGANE: usize = 2;
const NOLWENN: usize = 3;
const ERWAN: usize = 4;
const KLERVI: usize = 5;
const TANGUY: usize = 6;
const LEA: usize = 7;

struct DemoOrg {
    name: &'static str,
    kind: OrganisationKind,
    website: &'static str,
    description: &'static str,
    admin: usize,
    members: &'static [usize],
    themes: &'static [&'static str],
    territories: &'static [&'static str],
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        name: "Brest métropole",
        kind: OrganisationKind::Public,
        website: "https://www.brest.fr",
        description: "Service information géographique de la métropole.",
        admin: ERWAN,
        members: &[],
        themes: &["biodiversite", "urbanisme", "mer-et-littoral", "mobilite"],
        territories: &["29019"],
    },
    DemoOrg {
        name: "Parc naturel régional d'Armorique",
        kind: OrganisationKind::Public,
        website: "https://www.pnr-armorique.fr",
        description: "Bocage, landes et littoral des monts d'Arrée à la presqu'île de Crozon.",
        admin: KLERVI,
        members: &[MORGANE],
        themes: &["biodiversite", "agriculture", "forets"],
        territories: &["29"],
    },
    DemoOrg {
        name: "Kermap",
        kind: OrganisationKind::Private,
        website: "https://www.kermap.com",
        description: "Observation de la Terre et intelligence artificielle, à Rennes.",
        admin: TANGUY,
        members: &[],
        themes: &["imagerie", "climat", "agriculture", "risques"],
        territories: &["FR"],
    },
    DemoOrg {
        name: "OpenStreetMap France",
        kind: OrganisationKind::Association,
        website: "https://www.openstreetmap.fr",
        description: "L'association des contributeurs d'OpenStreetMap en France.",
        admin: NOLWENN,
        members: &[LEA],
        themes: &["adresses", "mobilite", "imagerie"],
        territories: &["FR"],
    },
    DemoOrg {
        name: "BRGM — Observatoire de la côte aquitaine",
        kind: OrganisationKind::Research,
        website: "https://www.observatoire-cote-aquitaine.fr",
        description: "Suivi du trait de côte sableux et rocheux de la Nouvelle-Aquitaine.",
        admin: LEA,
        members: &[],
        themes: &["mer-et-littoral", "risques"],
        territories: &["75"],
    },
];

struct DemoChallenge {
    author: usize,
    title: &'static str,
    summary: &'static str,
    problem: &'static str,
    impact: &'static str,
    themes: &'static [&'static str],
    territory: &'static str,
    location: Option<fn() -> Value>,
    /// The organisation (index in `ORGS`) proposing it with its author.
    organisation: Option<usize>,
    /// Moves after submission: to, by whom, note.
    moves: &'static [(ChallengeStatus, usize, Option<&'static str>)],
    supporters: &'static [usize],
    /// Pledges: organisation, its member offering, kind, message, then the status it reaches.
    pledges: &'static [(usize, usize, PledgeKind, &'static str, PledgeStatus)],
    draft: bool,
}

fn finistere() -> Value {
    json!({"type": "Polygon", "coordinates": [[
        [-4.79, 48.32], [-4.77, 48.63], [-4.05, 48.72], [-3.53, 48.64], [-3.39, 48.12],
        [-3.55, 47.80], [-4.37, 47.79], [-4.73, 48.03], [-4.79, 48.32]
    ]]})
}

fn lacanau_coast() -> Value {
    json!({"type": "LineString", "coordinates": [
        [-1.2055, 45.0402], [-1.2012, 45.0058], [-1.1967, 44.9703], [-1.1915, 44.9350]
    ]})
}

fn lyon_school() -> Value {
    json!({"type": "Point", "coordinates": [4.8357, 45.7640]})
}

fn reunion_wetlands() -> Value {
    json!({"type": "MultiPolygon", "coordinates": [
        [[[55.60, -21.00], [55.66, -21.00], [55.66, -20.95], [55.60, -20.95], [55.60, -21.00]]],
        [[[55.70, -21.35], [55.76, -21.35], [55.76, -21.30], [55.70, -21.30], [55.70, -21.35]]]
    ]})
}

fn corse_du_sud() -> Value {
    json!({"type": "Polygon", "coordinates": [[
        [8.55, 41.40], [9.35, 41.40], [9.40, 42.05], [8.60, 42.05], [8.55, 41.40]
    ]]})
}

fn cayenne() -> Value {
    json!({"type": "Point", "coordinates": [-52.3335, 4.9224]})
}

const CHALLENGES: &[DemoChallenge] = &[
    DemoChallenge {
        author: MORGANE,
        title: "Cartographier les haies bocagères du Finistère",
        summary: "Un inventaire ouvert et suivi dans le temps des haies du Finistère, pour savoir où elles disparaissent et où les replanter.",
        problem: "Les haies bocagères reculent encore : **arrachages** lors de remembrements, vieillissement, maladies. Les inventaires existants sont partiels, datés, et chacun garde le sien.\n\n- les communes ne savent pas ce qu'elles perdent ;\n- les programmes Breizh Bocage manquent d'un état des lieux partagé ;\n- les agriculteurs ne peuvent pas faire valoir leurs plantations.",
        impact: "Un référentiel commun des haies, mis à jour chaque année à partir de l'imagerie et des relevés de terrain, réutilisable par les communes, le Parc et les chambres d'agriculture.",
        themes: &["biodiversite", "agriculture"],
        territory: "29",
        location: Some(finistere),
        organisation: Some(1),
        moves: &[
            (ChallengeStatus::UnderReview, YANN, None),
            (
                ChallengeStatus::Open,
                YANN,
                Some("Un défi clair, porté avec le Parc : ouvert aux engagements."),
            ),
        ],
        supporters: &[CAMILLE, NOLWENN, ERWAN, KLERVI, TANGUY],
        pledges: &[
            (
                2,
                TANGUY,
                PledgeKind::Data,
                "Nous pouvons fournir une détection automatique des haies sur les orthophotos 2021 et 2024.",
                PledgeStatus::Accepted,
            ),
            (
                0,
                ERWAN,
                PledgeKind::Testing,
                "La métropole teste le référentiel sur ses huit communes dès cet hiver.",
                PledgeStatus::Offered,
            ),
        ],
        draft: false,
    },
    DemoChallenge {
        author: LEA,
        title: "Suivre le recul du trait de côte à Lacanau",
        summary: "Mesurer chaque année le trait de côte de Lacanau et partager les relevés avec les habitants et les services de l'État.",
        problem: "À Lacanau, la dune recule de plusieurs mètres certaines années. Les relevés existent mais restent dispersés entre l'observatoire, la commune et les bureaux d'études.",
        impact: "Une série ouverte des positions du trait de côte, pour préparer la relocalisation des biens et informer les acquéreurs.",
        themes: &["mer-et-littoral", "risques"],
        territory: "33214",
        location: Some(lacanau_coast),
        organisation: Some(4),
        moves: &[
            (ChallengeStatus::UnderReview, YANN, None),
            (ChallengeStatus::Open, YANN, None),
            (
                ChallengeStatus::InProgress,
                CAMILLE,
                Some("Le BRGM et OpenStreetMap France s'en chargent."),
            ),
        ],
        supporters: &[MORGANE, KLERVI],
        pledges: &[
            (
                4,
                LEA,
                PledgeKind::Expertise,
                "Nos géomorphologues encadrent les relevés GNSS deux fois par an.",
                PledgeStatus::Delivered,
            ),
            (
                3,
                NOLWENN,
                PledgeKind::Code,
                "Un outil de saisie collaborative des laisses de mer, sous licence libre.",
                PledgeStatus::Accepted,
            ),
        ],
        draft: false,
    },
    DemoChallenge {
        author: KLERVI,
        title: "Repérer les îlots de chaleur dans les cours d'école lyonnaises",
        summary: "Croiser températures de surface, végétation et revêtements pour choisir les cours d'école à débitumer en priorité.",
        problem: "Les cours d'école sont souvent les lieux les plus chauds du quartier en juin. Les données de température de surface existent, mais ne sont pas reliées aux établissements.",
        impact: "Une carte des cours d'école classées par exposition à la chaleur, pour planifier les travaux.",
        themes: &["climat", "urbanisme"],
        territory: "69123",
        location: Some(lyon_school),
        organisation: None,
        moves: &[
            (ChallengeStatus::UnderReview, YANN, None),
            (ChallengeStatus::Open, YANN, None),
        ],
        supporters: &[LEA, MORGANE, TANGUY],
        pledges: &[],
        draft: false,
    },
    DemoChallenge {
        author: NOLWENN,
        title: "Adresser les lieux-dits de Guyane",
        summary: "Donner une adresse aux habitations des lieux-dits guyanais, pour les secours, le courrier et l'accès aux droits.",
        problem: "Hors des bourgs, de nombreuses habitations n'ont pas d'adresse. Les secours se perdent, le courrier n'arrive pas.",
        impact: "Des adresses certifiées dans la Base Adresse Nationale pour les lieux-dits de Guyane.",
        themes: &["adresses"],
        territory: "973",
        location: Some(cayenne),
        organisation: Some(3),
        moves: &[(ChallengeStatus::UnderReview, YANN, None)],
        supporters: &[LEA, ERWAN],
        pledges: &[],
        draft: false,
    },
    DemoChallenge {
        author: TANGUY,
        title: "Inventorier les zones humides de La Réunion",
        summary: "Un inventaire partagé des zones humides réunionnaises, des mares d'altitude aux étangs littoraux.",
        problem: "Les zones humides de l'île sont mal connues et menacées par l'urbanisation.",
        impact: "Un inventaire ouvert versé au SIG de l'Office de l'eau.",
        themes: &["eau", "biodiversite"],
        territory: "974",
        location: Some(reunion_wetlands),
        organisation: None,
        moves: &[
            (ChallengeStatus::UnderReview, YANN, None),
            (ChallengeStatus::Open, YANN, None),
            (ChallengeStatus::InProgress, YANN, None),
            (
                ChallengeStatus::Solved,
                YANN,
                Some("L'inventaire est publié sous Licence Ouverte."),
            ),
        ],
        supporters: &[MORGANE],
        pledges: &[],
        draft: false,
    },
    DemoChallenge {
        author: ERWAN,
        title: "Anticiper le risque d'incendie en Corse-du-Sud",
        summary: "Combiner couverts forestiers, sécheresse des sols et accès pompiers pour cartographier le risque d'incendie.",
        problem: "Les feux de forêt gagnent en intensité et les cartes d'aléa datent.",
        impact: "Une carte d'aléa mise à jour chaque été, partagée avec le SDIS.",
        themes: &["forets", "risques"],
        territory: "2A",
        location: Some(corse_du_sud),
        organisation: None,
        moves: &[
            (ChallengeStatus::UnderReview, YANN, None),
            (ChallengeStatus::Open, YANN, None),
        ],
        supporters: &[KLERVI],
        pledges: &[(
            2,
            TANGUY,
            PledgeKind::Funding,
            "Un stage de six mois financé pour la première carte.",
            PledgeStatus::Offered,
        )],
        draft: false,
    },
    DemoChallenge {
        author: LEA,
        title: "Compléter les aménagements cyclables d'Île-de-France",
        summary: "Recenser les discontinuités des itinéraires cyclables franciliens.",
        problem: "Les itinéraires s'interrompent aux limites communales et personne n'a la vue d'ensemble.",
        impact: "Une liste priorisée des discontinuités, tenue à jour par la communauté.",
        themes: &["mobilite"],
        territory: "11",
        location: None,
        organisation: None,
        moves: &[],
        supporters: &[NOLWENN, ERWAN, TANGUY, MORGANE],
        pledges: &[],
        draft: false,
    },
    DemoChallenge {
        author: ERWAN,
        title: "Des bornes de recharge pour chaque canton rural",
        summary: "Placer des bornes de recharge là où il n'y en a aucune à 20 km.",
        problem: "Les zones blanches de la recharge électrique freinent le passage au véhicule électrique.",
        impact: "Une carte des zones blanches de la recharge.",
        themes: &["energie", "mobilite"],
        territory: "27",
        location: None,
        organisation: None,
        moves: &[(
            ChallengeStatus::Rejected,
            YANN,
            Some("Déjà couvert par le schéma directeur régional : voir le fil pour les liens."),
        )],
        supporters: &[],
        pledges: &[],
        draft: false,
    },
    DemoChallenge {
        author: NOLWENN,
        title: "Photographier les centres-bourgs de Mayotte",
        summary: "Une campagne d'imagerie immersive des centres-bourgs mahorais.",
        problem: "Brouillon en cours de rédaction.",
        impact: "",
        themes: &["imagerie"],
        territory: "976",
        location: None,
        organisation: None,
        moves: &[],
        supporters: &[],
        pledges: &[],
        draft: true,
    },
];

/// Creates the demo's organisations and challenges; returns a summary.
pub fn seed(conn: &mut PgConnection, settings: &Settings, actors: &[Actor]) -> AppResult<String> {
    let mut org_ids: Vec<Uuid> = Vec::new();
    for o in ORGS {
        let detail = organisations::create(
            conn,
            &actors[o.admin],
            &CreateOrganisation {
                name: o.name.into(),
                kind: o.kind,
                website: Some(o.website.into()),
                description: Some(o.description.into()),
            },
        )?;
        let id = detail.organisation.id;
        for m in o.members {
            organisations::add_member(
                conn,
                &actors[o.admin],
                id,
                &AddMember {
                    username: actors[*m].username.clone(),
                    role: MemberRole::Member,
                },
            )?;
        }
        organisations::update(
            conn,
            &actors[o.admin],
            id,
            UpdateOrganisation {
                name: None,
                kind: None,
                website: None,
                description: None,
                themes: Some(o.themes.iter().map(|s| s.to_string()).collect()),
                territories: Some(o.territories.iter().map(|s| s.to_string()).collect()),
            },
        )?;
        org_ids.push(id);
    }
    let mut count = 0;
    for c in CHALLENGES {
        let created = challenges::create(
            conn,
            settings,
            &actors[c.author],
            CreateChallenge {
                title: c.title.into(),
                summary: c.summary.into(),
                problem: c.problem.into(),
                impact: Some(c.impact.into()),
                themes: c.themes.iter().map(|s| s.to_string()).collect(),
                territory: c.territory.into(),
                location: c.location.map(|f| f()),
                organisation_id: c.organisation.map(|i| org_ids[i]),
                status: Some(if c.draft {
                    NewChallengeStatus::Draft
                } else {
                    NewChallengeStatus::Submitted
                }),
            },
        )?;
        let id = created.item.id;
        for s in c.supporters {
            challenges::support(conn, &actors[*s], id, true)?;
        }
        for (to, who, note) in c.moves {
            challenges::transition(
                conn,
                settings,
                &actors[*who],
                id,
                Transition {
                    to: *to,
                    note: note.map(str::to_string),
                },
                &crate::challenges::hooks::Silent,
            )?;
        }
        for (org, member, kind, message, reaches) in c.pledges {
            let p = pledges::create(
                conn,
                &actors[*member],
                id,
                &CreatePledge {
                    organisation_id: org_ids[*org],
                    kind: *kind,
                    message: (*message).into(),
                },
            )?;
            // Offers are answered by a moderator (an author may belong to the pledging organisation).
            let path: &[(PledgeMove, usize)] = match reaches {
                PledgeStatus::Accepted => &[(PledgeMove::Accepted, YANN)],
                PledgeStatus::Delivered => &[
                    (PledgeMove::Accepted, YANN),
                    (PledgeMove::Delivered, *member),
                ],
                PledgeStatus::Declined => &[(PledgeMove::Declined, YANN)],
                PledgeStatus::Withdrawn => &[(PledgeMove::Withdrawn, *member)],
                PledgeStatus::Offered => &[],
            };
            for (status, who) in path {
                pledges::update(
                    conn,
                    &actors[*who],
                    p.id,
                    &UpdatePledge {
                        status: *status,
                        note: None,
                    },
                )?;
            }
        }
        count += 1;
    }
    Ok(format!("{} organisations, {count} challenges", ORGS.len()))
}
