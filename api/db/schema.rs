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
