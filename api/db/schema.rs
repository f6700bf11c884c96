//! The portable schema, kept by hand: identical on SQLite and PostgreSQL. IDs are UUIDv7 text,
//! times are naive UTC timestamps (the only types diesel's MultiConnection shares).

diesel::table! {
    idempotency_keys (caller, idempotency_key) {
        caller -> Text,
        idempotency_key -> Text,
        request_method -> Text,
        request_path -> Text,
        request_hash -> Text,
        response_status -> Nullable<SmallInt>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        email_normalized -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        active -> Bool,
        first_name -> Text,
        last_name -> Text,
        profession -> Nullable<Text>,
        degree -> Nullable<Text>,
        npi -> Nullable<Text>,
        nabp_eprofile_id -> Nullable<Text>,
        birth_mmdd -> Nullable<Text>,
        consent_to_report -> Bool,
        external_id -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_external_ids (client_id, external_id) {
        client_id -> Text,
        external_id -> Text,
        user_id -> Text,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> Text,
        user_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_board_ids (user_id, board) {
        user_id -> Text,
        board -> Text,
        board_id -> Text,
    }
}

diesel::table! {
    user_licenses (id) {
        id -> Text,
        user_id -> Text,
        position -> Integer,
        state -> Text,
        license_type -> Text,
        license_number -> Text,
        expires_on -> Nullable<Date>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        email_normalized -> Text,
        failed_at -> Timestamp,
        client_ip -> Text,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        algorithm -> Text,
        private_key -> Text,
        public_key -> Text,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
        purpose -> Text,
    }
}

diesel::table! {
    credential_status_lists (id) {
        id -> Text,
        purpose -> Text,
        size_bits -> Integer,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    credentials (id) {
        id -> Text,
        claim_id -> Text,
        user_id -> Text,
        status_list_id -> Text,
        status_index -> Integer,
        document -> Text,
        issued_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    integration_clients (id) {
        id -> Text,
        name -> Text,
        secret_hash -> Text,
        scopes -> Text,
        active -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(user_board_ids -> users (user_id));
diesel::joinable!(user_licenses -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    specialties (code) {
        code -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
    }
}

diesel::table! {
    topics (code) {
        code -> Text,
        name -> Text,
    }
}

// Migration 000022's catalog change marks (PostgreSQL: `catalog_marks`, one row per activity;
// SQLite: `catalog_changes`, one counter) are kept by triggers and read only by the raw query
// in `activities::store::catalog_mark`, so neither is mapped here.
diesel::table! {
    activities (id) {
        id -> Text,
        title -> Text,
        title_search -> Text,
        format -> Text,
        status -> Text,
        time_zone -> Text,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        release_date -> Nullable<Date>,
        expiry_date -> Nullable<Date>,
        sort_at -> Timestamp,
        capacity -> Nullable<Integer>,
        registration_opens_at -> Nullable<Timestamp>,
        registration_closes_at -> Nullable<Timestamp>,
        claim_deadline -> Nullable<Date>,
        details -> Text,
        created_by -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        summary_json -> Nullable<Text>,
        document_json -> Nullable<Text>,
        seats_taken -> Integer,
    }
}

diesel::table! {
    activity_credit_designations (activity_id, credit_type) {
        activity_id -> Text,
        credit_type -> Text,
        position -> Integer,
        max_amount_hundredths -> Integer,
        acpe_uan -> Nullable<Text>,
        eligible_professions -> Text,
    }
}

diesel::table! {
    activity_specialties (activity_id, code) {
        activity_id -> Text,
        code -> Text,
    }
}

diesel::table! {
    activity_topics (activity_id, code) {
        activity_id -> Text,
        code -> Text,
    }
}

diesel::table! {
    activity_professions (activity_id, profession) {
        activity_id -> Text,
        profession -> Text,
    }
}

diesel::table! {
    activity_people (activity_id, position) {
        activity_id -> Text,
        position -> Integer,
        role -> Text,
        name -> Text,
        user_id -> Nullable<Text>,
        disclosure -> Nullable<Text>,
    }
}

diesel::table! {
    activity_sessions (id) {
        id -> Text,
        activity_id -> Text,
        title -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        location -> Nullable<Text>,
        presenters -> Text,
        credit_hundredths -> Nullable<Integer>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        check_in_code -> Nullable<Text>,
        check_out_code -> Nullable<Text>,
    }
}

diesel::table! {
    session_attendance (session_id, enrollment_id) {
        session_id -> Text,
        enrollment_id -> Text,
        minutes -> Integer,
        source -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        present_from -> Nullable<Timestamp>,
        present_to -> Nullable<Timestamp>,
    }
}

diesel::joinable!(session_attendance -> activity_sessions (session_id));
diesel::joinable!(session_attendance -> enrollments (enrollment_id));

diesel::table! {
    enrollments (id) {
        id -> Text,
        activity_id -> Text,
        user_id -> Text,
        status -> Text,
        waitlist_position -> Nullable<Integer>,
        enrolled_by -> Text,
        cancel_reason -> Nullable<Text>,
        cancelled_by -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
        minutes_spent -> Nullable<Integer>,
        completed_at -> Nullable<Timestamp>,
        completion_date -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Kept by triggers on `session_attendance` (migration 000028); never written here.
        attended_sessions -> Integer,
    }
}

diesel::table! {
    credit_claims (id) {
        id -> Text,
        enrollment_id -> Text,
        activity_id -> Text,
        user_id -> Text,
        credit_type -> Text,
        amount_hundredths -> Integer,
        status -> Text,
        attested_at -> Timestamp,
        claimed_by -> Text,
        supersedes_id -> Nullable<Text>,
        superseded_by_id -> Nullable<Text>,
        completion_date -> Date,
        decision_reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        awarded_at -> Nullable<Timestamp>,
        verification_code -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        session_id -> Nullable<Text>,
        moc_board -> Nullable<Text>,
        moc_credit_type -> Nullable<Text>,
        activity_title -> Text,
        activity_format -> Text,
        acpe_uan -> Nullable<Text>,
    }
}

diesel::table! {
    credit_claim_audit (id) {
        id -> Text,
        claim_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor -> Text,
        reason -> Nullable<Text>,
        occurred_at -> Timestamp,
        retain_until -> Date,
    }
}

diesel::table! {
    credit_event_head (id) {
        id -> Integer,
        last_seq -> BigInt,
    }
}

diesel::table! {
    credit_events (seq) {
        seq -> BigInt,
        id -> Text,
        event_type -> Text,
        claim_id -> Text,
        replaces_claim_id -> Nullable<Text>,
        user_id -> Text,
        claim -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::joinable!(credit_claims -> activities (activity_id));
diesel::joinable!(credit_claims -> users (user_id));
diesel::joinable!(credit_claim_audit -> credit_claims (claim_id));
diesel::joinable!(credit_events -> users (user_id));

diesel::table! {
    surveys (id) {
        id -> Text,
        activity_id -> Text,
        kind -> Text,
        details -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    survey_responses (id) {
        id -> Text,
        survey_id -> Text,
        activity_id -> Text,
        enrollment_id -> Text,
        user_id -> Text,
        kind -> Text,
        attempt -> Integer,
        latest -> Integer,
        score_hundredths -> Nullable<Integer>,
        passed -> Nullable<Integer>,
        submitted_at -> Timestamp,
    }
}

diesel::table! {
    survey_answers (response_id, question_id) {
        response_id -> Text,
        question_id -> Text,
        survey_id -> Text,
        activity_id -> Text,
        kind -> Text,
        question_type -> Text,
        moore_level -> Text,
        latest -> Integer,
        option_ids -> Nullable<Text>,
        number_value -> Nullable<Double>,
        commit_value -> Nullable<Integer>,
        text_value -> Nullable<Text>,
        correct -> Nullable<Integer>,
    }
}

diesel::table! {
    survey_item_pairs (activity_id, user_id, question_id) {
        activity_id -> Text,
        user_id -> Text,
        question_id -> Text,
        moore_level -> Text,
        transition -> Text,
    }
}

diesel::table! {
    survey_score_pairs (activity_id, user_id) {
        activity_id -> Text,
        user_id -> Text,
        pre_score -> Double,
        post_score -> Double,
        change -> Double,
        change_squared -> Double,
    }
}

diesel::table! {
    survey_question_totals (activity_id, survey_id, kind, question_id, question_type) {
        activity_id -> Text,
        survey_id -> Text,
        kind -> Text,
        question_id -> Text,
        question_type -> Text,
        answers -> Integer,
        scored -> Integer,
        right_answers -> Integer,
        yes_answers -> Integer,
    }
}

diesel::table! {
    /// Kept by triggers on enrollments, attendance and users (migration 000028).
    participation_totals (activity_id, status) {
        activity_id -> Text,
        status -> Text,
        enrollments -> Integer,
        took_part -> Integer,
        physicians_took_part -> Integer,
        session_attendances -> Integer,
    }
}

diesel::table! {
    survey_transition_totals (activity_id, question_id, transition) {
        activity_id -> Text,
        question_id -> Text,
        transition -> Text,
        learners -> Integer,
    }
}

diesel::table! {
    survey_level_pairs (activity_id, user_id, moore_level) {
        activity_id -> Text,
        user_id -> Text,
        moore_level -> Text,
        items -> Integer,
        right_before -> Integer,
        right_after -> Integer,
    }
}

diesel::table! {
    survey_level_pair_totals (activity_id, moore_level, items, right_before, right_after) {
        activity_id -> Text,
        moore_level -> Text,
        items -> Integer,
        right_before -> Integer,
        right_after -> Integer,
        learners -> Integer,
    }
}

diesel::table! {
    survey_score_pair_totals (activity_id, pre_score, post_score) {
        activity_id -> Text,
        pre_score -> Double,
        post_score -> Double,
        learners -> Integer,
    }
}

diesel::joinable!(surveys -> activities (activity_id));
diesel::joinable!(survey_responses -> surveys (survey_id));
diesel::joinable!(survey_answers -> survey_responses (response_id));

diesel::joinable!(enrollments -> activities (activity_id));
diesel::joinable!(enrollments -> users (user_id));
diesel::joinable!(activity_credit_designations -> activities (activity_id));
diesel::joinable!(activity_specialties -> activities (activity_id));
diesel::joinable!(activity_topics -> activities (activity_id));
diesel::joinable!(activity_professions -> activities (activity_id));
diesel::table! {
    rate_limit_counters (bucket, client_key) {
        bucket -> Text,
        client_key -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        owner -> Text,
        url -> Text,
        description -> Nullable<Text>,
        event_types -> Text,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_messages (id) {
        id -> Text,
        event_type -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        endpoint_id -> Text,
        message_id -> Text,
        event_type -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        response_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> webhook_messages (message_id));
diesel::joinable!(activity_people -> activities (activity_id));
diesel::joinable!(activity_sessions -> activities (activity_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    user_external_ids,
    webhook_endpoints,
    webhook_messages,
    webhook_deliveries,
    account_tokens,
    user_board_ids,
    user_licenses,
    refresh_tokens,
    login_failures,
    signing_keys,
    credential_status_lists,
    credentials,
    integration_clients,
    idempotency_keys,
    specialties,
    topics,
    activities,
    activity_credit_designations,
    activity_specialties,
    activity_topics,
    activity_professions,
    activity_people,
    activity_sessions,
    enrollments,
    session_attendance,
    credit_claims,
    credit_claim_audit,
    credit_event_head,
    credit_events,
    surveys,
    survey_responses,
    survey_answers,
    survey_item_pairs,
    survey_score_pairs,
    survey_question_totals,
    survey_transition_totals,
    participation_totals,
    survey_level_pairs,
    survey_level_pair_totals,
    survey_score_pair_totals,
    reporting_items,
    reporting_batches,
    reporting_batch_items,
);

diesel::table! {
    provider_profile (id) {
        id -> Integer,
        details -> Text,
        version -> Integer,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    reporting_items (id) {
        id -> Text,
        destination -> Text,
        action -> Text,
        claim_id -> Nullable<Text>,
        activity_id -> Text,
        user_id -> Nullable<Text>,
        credit_type -> Text,
        amount_hundredths -> Integer,
        completion_date -> Date,
        moc_board -> Nullable<Text>,
        moc_credit_type -> Nullable<Text>,
        license_state -> Nullable<Text>,
        correction_of -> Nullable<Text>,
        due_on -> Date,
        status -> Text,
        hold_reason -> Nullable<Text>,
        rejection -> Nullable<Text>,
        batch_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reporting_batches (id) {
        id -> Text,
        destination -> Text,
        status -> Text,
        item_count -> Integer,
        file_name -> Text,
        media_type -> Text,
        file -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        service_message -> Nullable<Text>,
    }
}

diesel::table! {
    reporting_batch_items (batch_id, item_id) {
        batch_id -> Text,
        item_id -> Text,
        outcome -> Nullable<Text>,
        message -> Nullable<Text>,
    }
}

diesel::joinable!(reporting_batch_items -> reporting_items (item_id));

diesel::table! {
    code_failures (session_id, user_id) {
        session_id -> Text,
        user_id -> Text,
        failures -> Integer,
        last_failed_at -> Timestamp,
    }
}
