//! The demo community: the Fabrique des géocommuns' call for commons, in French.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use crate::accounts::auth::Actor;
use crate::accounts::models::{NewUser, Role, create_user};
use crate::config::Settings;
use crate::discussions::gate::Open;
use crate::discussions::types::{CreatePost, CreateThread, NewThreadKind, ReactionKind};
use crate::discussions::{posts::create_reply, reactions};
use crate::error::AppResult;
use crate::schema::{categories, tags, threads};

/// The demo members' password (printed by the command).
pub const PASSWORD: &str = "Forêt domaniale de Brocéliande 1789!";

const MEMBERS: &[(&str, &str, Role)] = &[
    ("camille", "Camille Le Goff", Role::Admin),
    ("yann", "Yann Kerhervé", Role::Moderator),
    ("morgane", "Morgane Riou", Role::Member),
    ("nolwenn", "Nolwenn Tanguy", Role::Member),
    ("erwan", "Erwan Le Bihan", Role::Member),
    ("klervi", "Klervi Guillou", Role::Member),
    ("tanguy", "Tanguy Morvan", Role::Member),
    ("lea", "Léa Fontaine", Role::Member),
];

const CATEGORIES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "annonces",
        "Annonces",
        "Les nouvelles de la Fabrique et de l'appel à communs.",
        "#b42318",
        "staff",
    ),
    (
        "forets",
        "Forêts",
        "Inventaires forestiers, haies, lidar et suivi des peuplements.",
        "#1a7f37",
        "everyone",
    ),
    (
        "adresses",
        "Adresses",
        "Base Adresse Nationale, adressage des communes, qualité des données.",
        "#0969da",
        "everyone",
    ),
    (
        "imagerie-immersive",
        "Imagerie immersive",
        "Vues immersives, photos 360°, Panoramax.",
        "#8250df",
        "everyone",
    ),
    (
        "idees",
        "Idées",
        "Des idées à mûrir avant d'en faire des défis.",
        "#bf8700",
        "everyone",
    ),
    (
        "entraide",
        "Entraide",
        "Questions techniques : QGIS, formats, API, bonnes pratiques.",
        "#57606a",
        "everyone",
    ),
];

const TAGS: &[(&str, &str)] = &[
    ("lidar", "LiDAR"),
    ("open-data", "Données ouvertes"),
    ("osm", "OpenStreetMap"),
    ("qgis", "QGIS"),
    ("ban", "BAN"),
    ("panoramax", "Panoramax"),
];

struct DemoThread {
    author: usize,
    category: &'static str,
    title: &'static str,
    body: &'static str,
    tags: &'static [&'static str],
    question: bool,
    /// (author, body, reply to the post at this index in the thread: 0 = opening post)
    replies: &'static [(usize, &'static str, Option<usize>)],
}

const THREADS: &[DemoThread] = &[
    DemoThread {
        author: 0,
        category: "annonces",
        title: "Bienvenue dans la communauté de l'appel à communs",
        body: "Bonjour à toutes et à tous !\n\nCet espace réunit les **lauréats**, les contributeurs et les organisations partenaires de l'appel à communs. Présentez-vous, proposez des défis, partagez vos avancées.\n\nQuelques règles simples : bienveillance, sources citées, données ouvertes dès que possible.",
        tags: &[],
        question: false,
        replies: &[
            (
                2,
                "Merci pour l'accueil ! Je travaille sur l'inventaire des haies bocagères dans le Finistère.",
                Some(0),
            ),
            (
                4,
                "Bonjour, je suis développeur dans une collectivité, intéressé par la BAN et l'adressage.",
                Some(0),
            ),
            (
                5,
                "Ravie d'être là. Je coordonne un projet de photos immersives en milieu rural.",
                None,
            ),
        ],
    },
    DemoThread {
        author: 2,
        category: "forets",
        title: "Cartographier les haies bocagères avec le lidar HD",
        body: "Le programme **LiDAR HD** couvre maintenant une bonne partie du territoire. Qui a déjà essayé d'en extraire les haies ?\n\nJe pense à un traitement en trois temps :\n\n1. modèle numérique de hauteur ;\n2. seuillage entre 2 et 15 m ;\n3. vectorisation et nettoyage.\n\nVos retours sont bienvenus, @erwan tu avais testé sur la Bretagne ?",
        tags: &["lidar", "open-data"],
        question: false,
        replies: &[
            (
                4,
                "Oui, sur le Léon. Le seuillage marche bien, mais les lisières de forêts se confondent avec les haies. Il faut un masque forestier.",
                Some(0),
            ),
            (
                1,
                "La BD Forêt peut servir de masque. Attention aux millésimes différents.",
                Some(1),
            ),
            (
                2,
                "Bonne idée, je vais croiser avec la BD Forêt v2 et publier le script.",
                Some(2),
            ),
            (
                6,
                "Je suis preneur du script ! On a le même besoin pour le suivi des linéaires plantés.",
                None,
            ),
        ],
    },
    DemoThread {
        author: 3,
        category: "forets",
        title: "Suivi des forêts après les incendies de 2022",
        body: "Dans les Monts d'Arrée et en Gironde, les surfaces brûlées sont connues, mais la **repousse** est mal suivie. Des idées de sources ouvertes pour suivre la régénération des forêts ?",
        tags: &["open-data"],
        question: false,
        replies: &[
            (
                7,
                "Les images Sentinel-2 donnent un NDVI tous les 5 jours, c'est un bon début.",
                Some(0),
            ),
            (
                2,
                "Et le lidar HD permettra de mesurer la hauteur de la régénération d'ici quelques années.",
                None,
            ),
        ],
    },
    DemoThread {
        author: 4,
        category: "adresses",
        title: "Adresses manquantes dans les hameaux : comment aider les communes ?",
        body: "Beaucoup de petites communes n'ont pas encore adressé leurs hameaux. Les secours et les livreurs s'y perdent.\n\nQuelles démarches ont fonctionné chez vous ? La **Base Adresse Nationale** propose des outils, mais l'accompagnement manque.",
        tags: &["ban"],
        question: false,
        replies: &[
            (
                0,
                "La Fabrique peut organiser des ateliers avec les secrétaires de mairie. Qui serait partant ?",
                Some(0),
            ),
            (
                6,
                "Partant pour le Morbihan. On a un guide pas à pas à partager.",
                Some(1),
            ),
            (4, "Merci @tanguy, tu peux le déposer ici ?", Some(2)),
        ],
    },
    DemoThread {
        author: 6,
        category: "entraide",
        title: "Comment charger la BAN dans QGIS par commune ?",
        body: "Je cherche à charger les adresses d'une seule commune dans QGIS sans télécharger tout le département. Il y a une API ?",
        tags: &["ban", "qgis"],
        question: true,
        replies: &[
            (
                4,
                "Oui : l'API de la BAN permet de filtrer par code INSEE, et les exports CSV par commune existent aussi.",
                Some(0),
            ),
            (
                1,
                "Pense à vérifier le système de coordonnées : les exports sont en WGS 84.",
                Some(1),
            ),
        ],
    },
    DemoThread {
        author: 5,
        category: "imagerie-immersive",
        title: "Photos immersives des chemins ruraux : retour d'expérience",
        body: "Nous avons parcouru 300 km de chemins ruraux avec une caméra 360° sur un vélo. Les images sont versées sur **Panoramax**.\n\nPoints d'attention : floutage des visages et des plaques, et poids des fichiers.",
        tags: &["panoramax", "open-data"],
        question: false,
        replies: &[
            (7, "Superbe ! Quel matériel utilisez-vous ?", Some(0)),
            (
                5,
                "Une GoPro Max et un support de guidon, rien de plus.",
                Some(1),
            ),
            (
                3,
                "On aimerait faire la même chose sur les sentiers littoraux.",
                None,
            ),
        ],
    },
    DemoThread {
        author: 7,
        category: "idees",
        title: "Défi : repérer les friches pour le zéro artificialisation nette",
        body: "Les collectivités doivent réduire l'artificialisation des sols. Repérer les **friches** réutilisables est un préalable, mais les inventaires sont incomplets.\n\nUn géocommun des friches, alimenté par les habitants et les services de l'État, pourrait-il aider ?",
        tags: &["open-data"],
        question: false,
        replies: &[
            (
                0,
                "C'est exactement le type de défi que nous voulons porter. Une organisation partenaire serait-elle intéressée ?",
                Some(0),
            ),
            (
                3,
                "Le Cerema a travaillé sur Cartofriches, ce serait un bon point de départ.",
                None,
            ),
        ],
    },
    DemoThread {
        author: 1,
        category: "entraide",
        title: "Quel format pour partager des données vectorielles volumineuses ?",
        body: "GeoPackage, FlatGeobuf ou GeoParquet ? Pour des jeux de plusieurs gigaoctets diffusés en ligne, que recommandez-vous ?",
        tags: &["qgis", "open-data"],
        question: true,
        replies: &[
            (
                2,
                "FlatGeobuf pour la lecture partielle en HTTP, GeoParquet pour l'analyse.",
                Some(0),
            ),
            (
                4,
                "GeoPackage reste le plus simple pour les utilisateurs de QGIS.",
                None,
            ),
        ],
    },
    DemoThread {
        author: 0,
        category: "annonces",
        title: "Les lauréats de la première vague sont connus",
        body: "Félicitations aux projets lauréats ! Vous trouverez ici leurs actualités au fil des mois. Chaque lauréat dispose d'un fil dédié pour présenter ses avancées.",
        tags: &[],
        question: false,
        replies: &[(5, "Merci et bravo à tous les projets !", None)],
    },
    DemoThread {
        author: 3,
        category: "adresses",
        title: "Qualité des adresses : les doublons dans les lieux-dits",
        body: "En comparant la BAN avec le cadastre, on trouve des lieux-dits en double avec des graphies différentes (Kerlann, Ker Lann, Ker-Lann). Comment les signaler ?",
        tags: &["ban"],
        question: false,
        replies: &[
            (
                4,
                "Le plus efficace est de passer par la mairie, qui est responsable de l'adressage.",
                Some(0),
            ),
            (
                1,
                "On pourrait proposer un outil de détection automatique des doublons. Un défi ?",
                None,
            ),
        ],
    },
];

/// Fills the database. Returns a summary for the operator.
pub fn seed(conn: &mut PgConnection, settings: &Settings) -> AppResult<String> {
    conn.transaction(|conn| {
        let mut actors = Vec::new();
        for (username, name, role) in MEMBERS {
            let user = create_user(
                conn,
                NewUser {
                    username: (*username).into(),
                    email: format!("{username}@demo.palabre.localhost"),
                    display_name: Some((*name).into()),
                    password: PASSWORD.into(),
                    role: *role,
                    locale: "fr".into(),
                    verified: true,
                },
            )?;
            actors.push(Actor {
                id: user.id,
                username: user.username,
                role: *role,
                session_id: Uuid::nil(),
                verified: true,
                silenced: false,
                display_name: user.display_name,
                created_at: user.created_at,
            });
        }
        // The challenges' category exists already (a migration makes it): the demo's come after it.
        for (i, (slug, name, description, color, who)) in CATEGORIES.iter().enumerate() {
            diesel::insert_into(categories::table)
                .values((
                    categories::id.eq(Uuid::now_v7()),
                    categories::slug.eq(slug),
                    categories::name.eq(name),
                    categories::description.eq(description),
                    categories::color.eq(color),
                    categories::position.eq(10 + i as i32),
                    categories::who_can_start.eq(who),
                ))
                .execute(conn)?;
        }
        for (slug, name) in TAGS {
            diesel::insert_into(tags::table)
                .values((tags::id.eq(Uuid::now_v7()), tags::slug.eq(slug), tags::name.eq(name)))
                .execute(conn)?;
        }
        let mut posts_created = 0;
        let count = THREADS.len() as i64;
        for (n, t) in THREADS.iter().enumerate() {
            let thread = crate::discussions::threads::create(
                conn,
                &actors[t.author],
                &CreateThread {
                    category: t.category.into(),
                    title: t.title.into(),
                    body: t.body.into(),
                    tags: t.tags.iter().map(|s| s.to_string()).collect(),
                    kind: Some(if t.question { NewThreadKind::Question } else { NewThreadKind::Discussion }),
                },
                &Open,
            )?
            .now()?;
            let mut post_ids = vec![thread.opening_post.id];
            for (author, body, to) in t.replies {
                let post = create_reply(
                    conn,
                    &actors[*author],
                    thread.id,
                    &CreatePost {
                        body: (*body).into(),
                        reply_to: to.map(|i| post_ids[i]),
                    },
                    &Open,
                )?
                .now()?;
                post_ids.push(post.id);
                posts_created += 1;
            }
            // A few reactions from the other members.
            for (k, actor) in actors.iter().enumerate() {
                if k != t.author && (k + n) % 3 == 0 {
                    let kind = if k % 2 == 0 { ReactionKind::Like } else { ReactionKind::Thanks };
                    reactions::set(conn, actor, post_ids[0], kind, true)?;
                }
            }
            if t.question && post_ids.len() > 1 {
                diesel::update(threads::table.find(thread.id))
                    .set(threads::accepted_post_id.eq(post_ids[1]))
                    .execute(conn)?;
            }
            // Spread the story over the last weeks, oldest first.
            let hours = ((count - n as i64) * 37) as i32;
            diesel::sql_query(
                "UPDATE posts SET created_at = created_at - make_interval(hours => $1) \
                 + make_interval(mins => (number - 1) * 95) WHERE thread_id = $2",
            )
            .bind::<diesel::sql_types::Integer, _>(hours)
            .bind::<diesel::sql_types::Uuid, _>(thread.id)
            .execute(conn)?;
            diesel::sql_query(
                "UPDATE threads SET created_at = created_at - make_interval(hours => $1), \
                 last_activity_at = (SELECT max(created_at) FROM posts WHERE thread_id = $2) WHERE id = $2",
            )
            .bind::<diesel::sql_types::Integer, _>(hours)
            .bind::<diesel::sql_types::Uuid, _>(thread.id)
            .execute(conn)?;
            posts_created += 1;
        }
        let challenges = super::demo_challenges::seed(conn, settings, &actors)?;
        let communs = super::demo_communs::seed(conn, &actors)?;
        Ok(format!(
            "demo content: {} members, {} categories, {} tags, {} threads, {} posts, {challenges}, {communs} (seeded at {}).\n\
             Every member's password: {PASSWORD}\n\
             Members: {}",
            MEMBERS.len(),
            CATEGORIES.len(),
            TAGS.len(),
            THREADS.len(),
            posts_created,
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
            MEMBERS
                .iter()
                .map(|(u, _, r)| format!("{u} ({})", r.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}
