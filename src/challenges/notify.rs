//! Who hears of what happens to a challenge: one statement per event, never a query per recipient.

use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::service::ChallengeRow;

/// `challenge_status`: the author, the followers (`watching`) and the supporters hear of a move,
/// but not who made it nor who muted the challenge.
pub fn status_changed(
    conn: &mut PgConnection,
    actor: Uuid,
    c: &ChallengeRow,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title) \
         SELECT uuid_generate_v7(), r.user_id, 'challenge_status', $1, 'challenge', $2, $3 FROM ( \
             SELECT proposer_id AS user_id FROM challenges WHERE id = $2 \
             UNION SELECT user_id FROM challenge_subscriptions WHERE challenge_id = $2 AND level = 'watching' \
             UNION SELECT user_id FROM challenge_supports WHERE challenge_id = $2 \
         ) r JOIN users u ON u.id = r.user_id AND u.erased_at IS NULL \
         WHERE r.user_id <> $1 \
           AND NOT EXISTS (SELECT 1 FROM challenge_subscriptions m \
                           WHERE m.challenge_id = $2 AND m.user_id = r.user_id AND m.level = 'muted')",
    )
    .bind::<SqlUuid, _>(actor)
    .bind::<SqlUuid, _>(c.id)
    .bind::<Text, _>(&c.title)
    .execute(conn)
}

/// `challenge_match`: when a challenge opens, the members of every organisation whose interests
/// match it — a theme in common, and one of its territories containing the challenge's or inside
/// it — hear of it, each once however many of their organisations match (its proposer, who knows,
/// and whoever opened it excepted). A challenge opens once
/// (the lifecycle never returns to `open`), so this runs once per challenge.
pub fn matching_organisations(
    conn: &mut PgConnection,
    actor: Uuid,
    c: &ChallengeRow,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title) \
         SELECT uuid_generate_v7(), m.user_id, 'challenge_match', $1, 'challenge', $2, $3 FROM ( \
             SELECT DISTINCT om.user_id FROM organisations o \
             JOIN organisation_members om ON om.organisation_id = o.id \
             WHERE o.themes && $4 AND (o.territories && $5 OR $6 = ANY(o.territory_scope)) \
         ) m JOIN users u ON u.id = m.user_id AND u.erased_at IS NULL \
         WHERE m.user_id <> $1 AND m.user_id <> $7",
    )
    .bind::<SqlUuid, _>(actor)
    .bind::<SqlUuid, _>(c.id)
    .bind::<Text, _>(&c.title)
    .bind::<Array<Text>, _>(&c.themes)
    .bind::<Array<Text>, _>(&c.territory_path)
    .bind::<Text, _>(&c.territory_id)
    .bind::<SqlUuid, _>(c.proposer_id)
    .execute(conn)
}

/// `pledge`: both sides of a pledge hear of it — the challenge's author and the organisation's
/// members — but not who acted, nor who muted the challenge.
pub fn pledge(
    conn: &mut PgConnection,
    actor: Uuid,
    challenge: &ChallengeRow,
    organisation: Uuid,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notifications (id, user_id, kind, actor_id, target_type, target_id, target_title) \
         SELECT uuid_generate_v7(), r.user_id, 'pledge', $1, 'challenge', $2, $3 FROM ( \
             SELECT $4::uuid AS user_id \
             UNION SELECT user_id FROM organisation_members WHERE organisation_id = $5 \
         ) r JOIN users u ON u.id = r.user_id AND u.erased_at IS NULL \
         WHERE r.user_id <> $1 \
           AND NOT EXISTS (SELECT 1 FROM challenge_subscriptions m \
                           WHERE m.challenge_id = $2 AND m.user_id = r.user_id AND m.level = 'muted')",
    )
    .bind::<SqlUuid, _>(actor)
    .bind::<SqlUuid, _>(challenge.id)
    .bind::<Text, _>(&challenge.title)
    .bind::<SqlUuid, _>(challenge.proposer_id)
    .bind::<SqlUuid, _>(organisation)
    .execute(conn)
}
