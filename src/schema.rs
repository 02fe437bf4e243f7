// Diesel table definitions, matching `migrations/` (as `diesel print-schema` writes them).

diesel::table! {
    jobs (id) {
        id -> Uuid,
        kind -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        max_attempts -> Nullable<Int4>,
        run_at -> Timestamptz,
        last_error -> Nullable<Text>,
        unique_key -> Nullable<Text>,
        created_at -> Timestamptz,
        failed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Uuid,
        message_id -> Text,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        headers -> Jsonb,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    periodic_runs (name, period_start) {
        name -> Text,
        period_start -> Timestamptz,
        enqueued_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        email -> Nullable<Text>,
        display_name -> Text,
        bio -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        locale -> Text,
        email_verified_at -> Nullable<Timestamptz>,
        digest_frequency -> Text,
        digest_day -> Int2,
        digest_hour -> Int2,
        erased_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        silenced_until -> Nullable<Timestamptz>,
        suspended_until -> Nullable<Timestamptz>,
        thread_count -> Int4,
        reply_count -> Int4,
        challenge_count -> Int4,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Uuid,
        created_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    user_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Uuid,
        purpose -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    throttles (key) {
        key -> Text,
        window_start -> Timestamptz,
        failures -> Int4,
    }
}

diesel::table! {
    organisations (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        website -> Nullable<Text>,
        description -> Text,
        created_by -> Nullable<Uuid>,
        member_count -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    organisation_members (organisation_id, user_id) {
        organisation_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> Uuid,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        target_type -> Text,
        target_id -> Uuid,
        reason -> Nullable<Text>,
        details -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(organisation_members -> organisations (organisation_id));
diesel::joinable!(organisation_members -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    jobs,
    moderation_log,
    organisation_members,
    organisations,
    outbox,
    periodic_runs,
    refresh_tokens,
    sessions,
    throttles,
    user_tokens,
    users,
);
