//! The JSON body extractor every handler uses instead of `web::Json`.
//!
//! It answers the cases `web::Json` gets wrong for an API contract: a wrong content type is a
//! 415, a body over the configured limit a 413, malformed JSON a 400, and JSON that parses but
//! has the wrong shape (a missing field, an unknown enum value, a number out of range) a 422
//! naming the field, like every other validation error.

use std::{future::Future, ops::Deref, pin::Pin};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use validator::Validate;

use crate::error::{ApiError, FieldError};

/// Largest accepted request body, stored as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A deserialized and validated JSON body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for ApiJson<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(1024 * 1024, |l| l.0);
        let content_type_ok = is_json_content_type(req);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType {
                    detail: "send the body as application/json".into(),
                });
            }
            if declared_length.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::BadRequest { detail: format!("could not read the body: {e}") })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            let value = parse_json::<T>(&body)?;
            value.validate()?;
            Ok(ApiJson(value))
        })
    }
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 naming the field). Every
/// request body of this API is an object (serde would also read a struct from an array).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest { detail: format!("the body is not valid JSON: {e}") })?;
    if !value.is_object() {
        return Err(ApiError::validation("body", "type", "the body must be a JSON object"));
    }
    if let Some(field) = nul_path(&value, "") {
        // PostgreSQL text cannot hold NUL; refused before any query, naming the field.
        return Err(ApiError::validation(field, "nul", "must not contain NUL characters (\\u0000)"));
    }
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        shape_error(&path, error.inner())
    })
}

/// The path of the first string (or key) holding a NUL character, if any.
fn nul_path(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    match value {
        Value::String(text) if text.contains('\0') => {
            Some(if at.is_empty() { "body".into() } else { at.to_string() })
        }
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_path(item, &format!("{at}[{i}]")))
        }
        Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "")))
            } else {
                nul_path(field, &join(key))
            }
        }),
        _ => None,
    }
}

/// JSON does not tell `3` from `3.0`, and JSON Schema calls both integers; serde does not.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64() {
                if float.fract() == 0.0 && float.abs() < 9.0e15 {
                    *value = Value::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

fn shape_error(path: &str, error: &serde_json::Error) -> ApiError {
    let message = error.to_string();
    // serde's message ends with " at line L column C", which means nothing to API clients.
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
    let (field, code) = if let Some(missing) = message.strip_prefix("missing field `") {
        let name = missing.trim_end_matches('`');
        (join_path(path, name), "required")
    } else if message.starts_with("unknown field `") {
        // The path already ends with the unknown field's name.
        (path.to_string(), "unknown_field")
    } else if message.starts_with("unknown variant") {
        (path.to_string(), "enum")
    } else {
        (path.to_string(), "type")
    };
    let field = if field == "." || field.is_empty() { "body".to_string() } else { field };
    ApiError::Validation { errors: vec![FieldError::new(field, code, message)] }
}

fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// For JSON Merge Patch fields (RFC 7396): absent stays `None` (through `#[serde(default)]`),
/// `null` becomes `Some(None)` (clear the field), a value becomes `Some(Some(value))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A JSON object body taken as it is: the body of a JSON Merge Patch, which is applied to the
/// current document and then validated as a whole.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct JsonObject(pub serde_json::Map<String, serde_json::Value>);

impl Validate for JsonObject {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// RFC 7396 JSON Merge Patch: objects merge key by key, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// `current` with a JSON Merge Patch applied, read back and validated like a request body (422
/// naming the field).
pub fn patched<T: Serialize + DeserializeOwned + Validate>(
    current: &T,
    patch: &serde_json::Value,
) -> Result<T, ApiError> {
    let mut document = serde_json::to_value(current).map_err(ApiError::internal)?;
    merge_patch(&mut document, patch);
    from_value(document)
}

/// Deserializes a JSON value into `T` with the same errors as a request body (422 naming the
/// field), then runs `T`'s validation rules.
pub fn from_value<T: DeserializeOwned + Validate>(value: serde_json::Value) -> Result<T, ApiError> {
    let parsed: T = serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        shape_error(&path, error.inner())
    })?;
    parsed.validate()?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        kind: Kind,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Course,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
    }

    fn field_of(err: ApiError) -> (String, String) {
        match err {
            ApiError::Validation { errors } => (errors[0].field.clone(), errors[0].code.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(parse_json::<Outer>(b"{\"name\": "), Err(ApiError::BadRequest { .. })));
        assert!(matches!(
            parse_json::<Outer>(br#"{"name": "x", "items": []} trailing"#),
            Err(ApiError::BadRequest { .. })
        ));
    }

    #[test]
    fn merge_patches_follow_rfc_7396() {
        let mut target = serde_json::json!({"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]});
        merge_patch(&mut target, &serde_json::json!({"a": "z", "c": {"f": null}, "list": [3]}));
        assert_eq!(target, serde_json::json!({"a": "z", "c": {"d": "e"}, "list": [3]}));
    }

    #[test]
    fn whole_floats_are_integers() {
        #[derive(Debug, Deserialize)]
        struct Minutes {
            minutes: i32,
            amount: f64,
        }
        let parsed: Minutes = parse_json(br#"{"minutes": 345.0, "amount": 2}"#).unwrap();
        assert_eq!((parsed.minutes, parsed.amount), (345, 2.0));
    }

    #[test]
    fn bodies_must_be_objects() {
        let err = parse_json::<Outer>(br#"["x", []]"#).unwrap_err();
        assert_eq!(field_of(err), ("body".into(), "type".into()));
    }

    #[test]
    fn shape_errors_name_the_field() {
        let err = parse_json::<Outer>(br#"{"name": "x", "items": [{"kind": "lecture"}]}"#).unwrap_err();
        assert_eq!(field_of(err), ("items[0].kind".into(), "enum".into()));
        let err = parse_json::<Outer>(br#"{"items": []}"#).unwrap_err();
        assert_eq!(field_of(err), ("name".into(), "required".into()));
        let err = parse_json::<Outer>(br#"{"name": 3, "items": []}"#).unwrap_err();
        assert_eq!(field_of(err), ("name".into(), "type".into()));
        let err = parse_json::<Outer>(br#"{"name": "x", "items": [], "role": "admin"}"#).unwrap_err();
        assert_eq!(field_of(err), ("role".into(), "unknown_field".into()));
    }
}
