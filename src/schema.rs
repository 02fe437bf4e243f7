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
        themes -> Array<Text>,
        territories -> Array<Text>,
        territory_scope -> Array<Text>,
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
        decision_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    categories (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        description -> Text,
        color -> Text,
        parent_id -> Nullable<Uuid>,
        position -> Int4,
        who_can_start -> Text,
        thread_count -> Int4,
        post_count -> Int4,
        created_at -> Timestamptz,
        commun_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    tags (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    threads (id) {
        id -> Uuid,
        category_id -> Uuid,
        author_id -> Uuid,
        title -> Text,
        kind -> Text,
        pinned -> Bool,
        locked -> Bool,
        reply_count -> Int4,
        participant_count -> Int4,
        reaction_count -> Int4,
        score -> Int4,
        last_activity_at -> Timestamptz,
        last_poster_id -> Nullable<Uuid>,
        accepted_post_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        subject_type -> Nullable<Text>,
        subject_id -> Nullable<Uuid>,
        hidden_at -> Nullable<Timestamptz>,
        archived_at -> Nullable<Timestamptz>,
        slow_mode_seconds -> Int4,
        excerpt -> Text,
        opening_shown -> Bool,
    }
}

diesel::table! {
    thread_tags (thread_id, tag_id) {
        thread_id -> Uuid,
        tag_id -> Uuid,
    }
}

diesel::table! {
    posts (id) {
        id -> Uuid,
        thread_id -> Uuid,
        number -> Int4,
        author_id -> Uuid,
        reply_to_id -> Nullable<Uuid>,
        body -> Text,
        body_html -> Text,
        reaction_counts -> Jsonb,
        edited_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        hidden_at -> Nullable<Timestamptz>,
        wiki -> Bool,
        revision -> Int4,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> Uuid,
        post_id -> Uuid,
        editor_id -> Uuid,
        previous_body -> Text,
        created_at -> Timestamptz,
        number -> Int4,
        body -> Text,
    }
}

diesel::table! {
    post_reactions (post_id, user_id, kind) {
        post_id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    thread_subscriptions (user_id, thread_id) {
        user_id -> Uuid,
        thread_id -> Uuid,
        level -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    thread_reads (user_id, thread_id) {
        user_id -> Uuid,
        thread_id -> Uuid,
        post_number -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    category_subscriptions (user_id, category_id) {
        user_id -> Uuid,
        category_id -> Uuid,
        level -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notifications (id) {
        id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        actor_id -> Nullable<Uuid>,
        target_type -> Text,
        target_id -> Uuid,
        target_title -> Text,
        post_id -> Nullable<Uuid>,
        decision_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        user_id -> Nullable<Uuid>,
        key -> Text,
        request -> Text,
        status -> Int2,
        location -> Nullable<Text>,
        body -> Jsonb,
        created_at -> Timestamptz,
        scope -> Text,
    }
}

diesel::table! {
    retired_usernames (username_hash) {
        username_hash -> Text,
        retired_at -> Timestamptz,
    }
}

diesel::table! {
    themes (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        name_en -> Text,
        description -> Text,
        position -> Int4,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    territories (id) {
        id -> Text,
        level -> Text,
        code -> Text,
        name -> Text,
        parent_id -> Nullable<Text>,
        path -> Array<Text>,
        search_name -> Text,
    }
}

// `bbox` (box) and `search` (tsvector) are read and written in SQL fragments only.
diesel::table! {
    challenges (id) {
        id -> Uuid,
        title -> Text,
        summary -> Text,
        problem -> Text,
        problem_html -> Text,
        impact -> Text,
        impact_html -> Text,
        status -> Text,
        themes -> Array<Text>,
        territory_id -> Text,
        territory_path -> Array<Text>,
        location -> Nullable<Jsonb>,
        proposer_id -> Uuid,
        organisation_id -> Nullable<Uuid>,
        thread_id -> Nullable<Uuid>,
        supports_count -> Int4,
        pledges_count -> Int4,
        last_activity_at -> Timestamptz,
        status_changed_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        organisation_ids -> Array<Uuid>,
        hidden_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    challenge_transitions (id) {
        id -> Uuid,
        challenge_id -> Uuid,
        actor_id -> Nullable<Uuid>,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    challenge_supports (challenge_id, user_id) {
        challenge_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    challenge_subscriptions (user_id, challenge_id) {
        user_id -> Uuid,
        challenge_id -> Uuid,
        level -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    pledges (id) {
        id -> Uuid,
        challenge_id -> Uuid,
        organisation_id -> Uuid,
        author_id -> Uuid,
        kind -> Text,
        message -> Text,
        message_html -> Text,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    pledge_events (id) {
        id -> Uuid,
        pledge_id -> Uuid,
        actor_id -> Nullable<Uuid>,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    decisions (id) {
        id -> Uuid,
        user_id -> Uuid,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        target_type -> Text,
        target_id -> Uuid,
        target_title -> Text,
        decision_visibility -> Array<Text>,
        decision_provision -> Nullable<Text>,
        decision_account -> Nullable<Text>,
        decision_ground -> Text,
        decision_ground_reference_url -> Nullable<Text>,
        illegal_content_legal_ground -> Nullable<Text>,
        illegal_content_explanation -> Nullable<Text>,
        incompatible_content_ground -> Nullable<Text>,
        incompatible_content_explanation -> Nullable<Text>,
        category -> Text,
        content_type -> Array<Text>,
        content_date -> Nullable<Timestamptz>,
        decision_facts -> Text,
        source_type -> Text,
        automated_detection -> Bool,
        automated_decision -> Text,
        application_date -> Timestamptz,
        end_date -> Nullable<Timestamptz>,
        reversed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    moderation_items (id) {
        id -> Uuid,
        kind -> Text,
        target_type -> Text,
        target_id -> Uuid,
        status -> Text,
        flag_count -> Int4,
        auto_hidden -> Bool,
        claimed_by -> Nullable<Uuid>,
        claimed_at -> Nullable<Timestamptz>,
        resolution -> Nullable<Text>,
        resolution_reason -> Nullable<Text>,
        resolved_by -> Nullable<Uuid>,
        resolved_at -> Nullable<Timestamptz>,
        decision_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    flags (id) {
        id -> Uuid,
        item_id -> Uuid,
        flagger_id -> Uuid,
        target_type -> Text,
        target_id -> Uuid,
        reason -> Text,
        message -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    held_drafts (id) {
        id -> Uuid,
        author_id -> Uuid,
        kind -> Text,
        thread_id -> Nullable<Uuid>,
        title -> Text,
        body -> Text,
        draft -> Jsonb,
        held_for -> Text,
        status -> Text,
        published_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    appeals (id) {
        id -> Uuid,
        decision_id -> Uuid,
        user_id -> Uuid,
        message -> Text,
        status -> Text,
        resolved_by -> Nullable<Uuid>,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
        resolved_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    watched_words (id) {
        id -> Uuid,
        pattern -> Text,
        is_regex -> Bool,
        action -> Text,
        replacement -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(threads -> categories (category_id));
diesel::joinable!(thread_tags -> threads (thread_id));
diesel::joinable!(thread_tags -> tags (tag_id));
diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(post_reactions -> posts (post_id));
diesel::joinable!(thread_subscriptions -> threads (thread_id));
diesel::joinable!(thread_reads -> threads (thread_id));
diesel::joinable!(category_subscriptions -> categories (category_id));

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(organisation_members -> organisations (organisation_id));
diesel::joinable!(organisation_members -> users (user_id));

diesel::joinable!(challenges -> territories (territory_id));
diesel::joinable!(challenges -> users (proposer_id));
diesel::joinable!(challenges -> organisations (organisation_id));
diesel::joinable!(challenge_transitions -> challenges (challenge_id));
diesel::joinable!(challenge_supports -> challenges (challenge_id));
diesel::joinable!(challenge_subscriptions -> challenges (challenge_id));
diesel::joinable!(pledges -> challenges (challenge_id));
diesel::joinable!(pledges -> organisations (organisation_id));
diesel::joinable!(pledges -> users (author_id));
diesel::joinable!(pledge_events -> pledges (pledge_id));

diesel::table! {
    subscribers (id) {
        id -> Uuid,
        email -> Text,
        locale -> Text,
        frequency -> Text,
        digest_day -> Int2,
        digest_hour -> Int2,
        category_ids -> Array<Uuid>,
        themes -> Array<Text>,
        territory_id -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamptz>,
        pending -> Nullable<Jsonb>,
        token_hash -> Nullable<Text>,
        token_expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    digest_interests (user_id) {
        user_id -> Uuid,
        themes -> Array<Text>,
        territory_id -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    digests (recipient_id, period) {
        recipient_id -> Uuid,
        period -> Date,
        recipient_kind -> Text,
        slot_at -> Timestamptz,
        status -> Text,
        covered_from -> Nullable<Timestamptz>,
        outbox_id -> Nullable<Uuid>,
        items -> Int4,
        created_at -> Timestamptz,
        composed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    adopted_subscribers (subscriber_id) {
        subscriber_id -> Uuid,
        user_id -> Uuid,
        adopted_at -> Timestamptz,
    }
}

diesel::joinable!(digest_interests -> users (user_id));
diesel::joinable!(adopted_subscribers -> users (user_id));

diesel::table! {
    communs (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        summary -> Text,
        description -> Text,
        description_html -> Text,
        website -> Nullable<Text>,
        repository -> Nullable<Text>,
        licence_policy -> Text,
        logo_url -> Nullable<Text>,
        themes -> Array<Text>,
        territories -> Array<Text>,
        territory_scope -> Array<Text>,
        status -> Text,
        cohort -> Nullable<Int2>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    commun_members (commun_id, user_id) {
        commun_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    commun_partners (commun_id, organisation_id) {
        commun_id -> Uuid,
        organisation_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    commun_subscriptions (user_id, commun_id) {
        user_id -> Uuid,
        commun_id -> Uuid,
        level -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    milestones (id) {
        id -> Uuid,
        commun_id -> Uuid,
        title -> Text,
        description -> Text,
        description_html -> Text,
        planned_on -> Nullable<Date>,
        done_on -> Nullable<Date>,
        reached_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    resources (id) {
        id -> Uuid,
        commun_id -> Uuid,
        kind -> Text,
        title -> Text,
        url -> Text,
        licence -> Text,
        description -> Text,
        description_html -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    challenge_communs (challenge_id, commun_id) {
        challenge_id -> Uuid,
        commun_id -> Uuid,
        added_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    resource_challenges (resource_id, challenge_id) {
        resource_id -> Uuid,
        challenge_id -> Uuid,
    }
}

diesel::joinable!(commun_members -> communs (commun_id));
diesel::joinable!(commun_members -> users (user_id));
diesel::joinable!(commun_partners -> communs (commun_id));
diesel::joinable!(commun_partners -> organisations (organisation_id));
diesel::joinable!(milestones -> communs (commun_id));
diesel::joinable!(resources -> communs (commun_id));
diesel::joinable!(challenge_communs -> communs (commun_id));
diesel::joinable!(challenge_communs -> challenges (challenge_id));
diesel::joinable!(resource_challenges -> resources (resource_id));
diesel::joinable!(resource_challenges -> challenges (challenge_id));

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamptz>,
        failures -> Int4,
        retry_after -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        webhook_id -> Uuid,
        event_id -> Uuid,
        event_type -> Text,
        subject_type -> Nullable<Text>,
        subject_id -> Nullable<Uuid>,
        body -> Text,
        status -> Text,
        attempts -> Int4,
        response_code -> Nullable<Int4>,
        duration_ms -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamptz,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    webhooks,
    webhook_deliveries,
    challenge_communs,
    commun_members,
    commun_partners,
    commun_subscriptions,
    communs,
    milestones,
    resource_challenges,
    resources,
    decisions,
    moderation_items,
    flags,
    held_drafts,
    appeals,
    watched_words,
    retired_usernames,
    challenges,
    challenge_subscriptions,
    challenge_supports,
    adopted_subscribers,
    digest_interests,
    digests,
    subscribers,
    challenge_transitions,
    pledge_events,
    pledges,
    territories,
    themes,
    categories,
    category_subscriptions,
    idempotency_keys,
    jobs,
    notifications,
    post_reactions,
    post_revisions,
    posts,
    tags,
    thread_reads,
    thread_subscriptions,
    thread_tags,
    threads,
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
