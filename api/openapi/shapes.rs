//! The last pass over the generated document, on its JSON: schemas shaped as clients need them.
//!
//! - Response types that extend a request type become one object (no `allOf`).
//! - Pages reference their item schema instead of copying it.
//! - Every field a response always carries is `required` (an `Option` is still sent, as
//!   `null`): utoipa marks `#[serde(default)]` fields optional, which is right for requests
//!   only. A schema used by both requests and responses whose required fields differ is split:
//!   the response keeps its name, requests get `{name}Input`.
//! - Each alternative representation (CSV, PDF, the signed credential...) is its own operation
//!   at `{path}.{extension}` answering that media type only, so that a generated client types
//!   each result as one thing.
//! - Operations anyone may call declare `security: []`: public ones, and the catalog, where a
//!   token only widens what is seen (their descriptions say how), so that generated clients
//!   call them with or without credentials.
//! - Text fields the server fills from a fixed set are enums.
//! - The headers the server adds everywhere are documented where it adds them: `X-Request-Id`
//!   on every response, `Link` on pages, `Idempotent-Replayed` where `Idempotency-Key` is
//!   honoured, `Retry-After` on 5XX (sent with 503).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};
use utoipa::openapi::OpenApi as Document;

/// Fields a response leaves out when they are empty (`skip_serializing_if`): the only ones a
/// response schema does not require.
const OMITTED_WHEN_EMPTY: [(&str, &str); 14] = [
    ("Problem", "detail"),
    ("Problem", "instance"),
    ("Problem", "request_id"),
    ("Problem", "errors"),
    ("Jwk", "crv"),
    ("Jwk", "x"),
    ("Jwk", "n"),
    ("Jwk", "e"),
    ("VerificationCheck", "problem"),
    ("CredentialVerification", "credential"),
    ("LearnerIdentifiers", "details"),
    ("CreditDesignation", "moc_credit_types"),
    ("WebhookEndpoint", "secret"),
    ("Term", "parent_code"),
];

pub(super) fn finish(document: Document, activity_input_example: &Value) -> Document {
    let Ok(mut json) = serde_json::to_value(&document) else { return document };
    let schemas = json.pointer("/components/schemas").cloned().unwrap_or_default();
    merge_all_ofs(&mut json, &schemas);
    reference_page_items(&mut json);
    require_response_fields(&mut json);
    representation_siblings(&mut json);
    document_headers(&mut json);
    open_security(&mut json);
    add_activity_examples(&mut json, activity_input_example);
    add_response_examples(&mut json);
    illustrate_collections(&mut json);
    add_csv_examples(&mut json);
    list_fixed_sets(&mut json);
    serde_json::from_value(json).unwrap_or(document)
}

/// Everywhere (components and inline response schemas), an `allOf` of several parts becomes
/// one object: utoipa writes a response type that flattens its request type (`Activity` holds
/// every `ActivityInput` field) as an `allOf` whose first part's `additionalProperties: false`
/// would forbid the very fields it adds.
fn merge_all_ofs(value: &mut Value, components: &Value) {
    match value {
        Value::Object(map) => {
            if map.get("allOf").and_then(|a| a.as_array()).is_some_and(|parts| parts.len() > 1) {
                *value = merged_object(value, components);
                return;
            }
            for child in map.values_mut() {
                merge_all_ofs(child, components);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| merge_all_ofs(item, components)),
        _ => {}
    }
}

fn merged_object(schema: &Value, components: &Value) -> Value {
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let part = match part["$ref"].as_str().and_then(|r| r.strip_prefix(SCHEMAS)) {
            Some(name) => components[name].clone(),
            None => part.clone(),
        };
        let part = if part.get("allOf").is_some() { merged_object(&part, components) } else { part };
        properties.extend(part["properties"].as_object().cloned().unwrap_or_default());
        required.extend(part["required"].as_array().cloned().unwrap_or_default());
    }
    let mut merged = json!({"type": "object", "properties": properties, "required": required});
    if let Some(description) = schema.get("description") {
        merged["description"] = description.clone();
    }
    merged
}

const SCHEMAS: &str = "#/components/schemas/";

/// `Page_X` lists `X`s by reference (utoipa copies a generic argument's schema inline), so a
/// generated client has one `X` type whether it reads a page or one item.
fn reference_page_items(json: &mut Value) {
    let Some(schemas) = json.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    let names: BTreeSet<String> = schemas.keys().cloned().collect();
    for (name, schema) in schemas.iter_mut() {
        let Some(item) = name.strip_prefix("Page_") else { continue };
        if names.contains(item) {
            schema["properties"]["data"]["items"] = json!({"$ref": format!("{SCHEMAS}{item}")});
        }
    }
}

/// Names of the component schemas `value` refers to.
fn refs_in(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix(SCHEMAS))
            {
                found.insert(name.to_string());
            }
            map.values().for_each(|child| refs_in(child, found));
        }
        Value::Array(items) => items.iter().for_each(|item| refs_in(item, found)),
        _ => {}
    }
}

/// `start` and every schema reachable from it.
fn closure(start: BTreeSet<String>, schemas: &Map<String, Value>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = start.into_iter().collect();
    while let Some(name) = todo.pop() {
        if let Some(schema) = schemas.get(&name) {
            if seen.insert(name) {
                let mut next = BTreeSet::new();
                refs_in(schema, &mut next);
                todo.extend(next);
            }
        }
    }
    seen
}

/// The operations of the document (paths, then webhooks, which are requests we send).
fn operations(json: &Value) -> (Vec<&Value>, Vec<&Value>) {
    let of = |pointer: &str| -> Vec<&Value> {
        json.pointer(pointer)
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|items| items.values())
            .filter_map(Value::as_object)
            .flat_map(|item| item.values())
            .filter(|op| op.get("responses").is_some())
            .collect()
    };
    (of("/paths"), of("/webhooks"))
}

/// The schemas requests use and those responses use (webhook bodies count as responses: the
/// receiver reads what we send).
fn usage(json: &Value, schemas: &Map<String, Value>) -> (BTreeSet<String>, BTreeSet<String>) {
    let (paths, webhooks) = operations(json);
    let (mut request, mut response) = (BTreeSet::new(), BTreeSet::new());
    for op in paths {
        refs_in(&op["requestBody"], &mut request);
        refs_in(&op["parameters"], &mut request);
        refs_in(&op["responses"], &mut response);
    }
    for op in webhooks {
        refs_in(&op["requestBody"], &mut response);
    }
    (closure(request, schemas), closure(response, schemas))
}

/// What a response always carries: every property but those left out when empty.
fn always_sent(name: &str, schema: &Value) -> Option<Vec<String>> {
    let properties = schema.get("properties")?.as_object()?;
    let omitted = |field: &str| OMITTED_WHEN_EMPTY.contains(&(name, field));
    Some(properties.keys().filter(|field| !omitted(field)).cloned().collect())
}

fn required_of(schema: &Value) -> BTreeSet<String> {
    schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// Rewrites `$ref`s to the schemas in `renamed` (old name → new name).
fn rename_refs(value: &mut Value, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                if let Some(new) = target.strip_prefix(SCHEMAS).and_then(|name| renamed.get(name)) {
                    *target = format!("{SCHEMAS}{new}");
                }
            }
            map.values_mut().for_each(|child| rename_refs(child, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_refs(item, renamed)),
        _ => {}
    }
}

fn require_response_fields(json: &mut Value) {
    let Some(schemas) = json.pointer("/components/schemas").and_then(Value::as_object).cloned() else {
        return;
    };
    let (request, response) = usage(json, &schemas);
    let differs = |name: &String| {
        always_sent(name, &schemas[name])
            .is_some_and(|sent| required_of(&schemas[name]) != sent.into_iter().collect())
    };
    // Shared schemas that must split: those whose required fields differ, and those that refer
    // to one that splits (their request side must refer to the request variant).
    let shared: BTreeSet<String> = request.intersection(&response).cloned().collect();
    let mut split: BTreeSet<String> = shared.iter().filter(|name| differs(name)).cloned().collect();
    loop {
        let more: BTreeSet<String> = shared
            .iter()
            .filter(|name| !split.contains(*name))
            .filter(|name| {
                let mut inner = BTreeSet::new();
                refs_in(&schemas[*name], &mut inner);
                !inner.is_disjoint(&split)
            })
            .cloned()
            .collect();
        if more.is_empty() {
            break;
        }
        split.extend(more);
    }
    // `{name}Input`, or `{name}Request` where a request type already has that name.
    let request_name = |name: &String| {
        [format!("{name}Input"), format!("{name}Request")].into_iter().find(|n| !schemas.contains_key(n))
    };
    let renamed: BTreeMap<String, String> =
        split.iter().filter_map(|name| Some((name.clone(), request_name(name)?))).collect();
    rename_request_side(json, &schemas, &request, &response, &renamed);
    let Some(components) = json.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    for name in &response {
        if let Some(sent) = components.get(name).and_then(|schema| always_sent(name, schema)) {
            components[name]["required"] = json!(sent);
        }
    }
}

/// Adds the request variants of split schemas and points every request-side reference at them.
fn rename_request_side(
    json: &mut Value,
    schemas: &Map<String, Value>,
    request: &BTreeSet<String>,
    response: &BTreeSet<String>,
    renamed: &BTreeMap<String, String>,
) {
    if renamed.is_empty() {
        return;
    }
    if let Some(items) = json.pointer_mut("/paths").and_then(Value::as_object_mut) {
        for item in items.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                for part in ["requestBody", "parameters"] {
                    if let Some(value) = op.get_mut(part) {
                        rename_refs(value, renamed);
                    }
                }
            }
        }
    }
    let Some(components) = json.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    for (old, new) in renamed {
        let mut copy = schemas[old].clone();
        rename_refs(&mut copy, renamed);
        components.insert(new.clone(), copy);
    }
    for name in request.difference(response) {
        if let Some(schema) = components.get_mut(name) {
            rename_refs(schema, renamed);
        }
    }
}

fn string_header(description: &str) -> Value {
    json!({"description": description, "schema": {"type": "string"}})
}

/// Headers sent by shared plumbing (request ids, pagination, idempotency, unavailability),
/// added to each response that carries them.
fn document_headers(json: &mut Value) {
    json["components"]["headers"]["X-Request-Id"] = string_header(
        "The request's id (the caller's `X-Request-Id` when it sent a valid one); problem bodies repeat it",
    );
    let Some(paths) = json.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter(|op| op.get("responses").is_some()) {
            let idempotent = op["parameters"]
                .as_array()
                .is_some_and(|all| all.iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"));
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            for (status, response) in responses.iter_mut() {
                let headers = &mut response["headers"];
                headers["X-Request-Id"] = json!({"$ref": "#/components/headers/X-Request-Id"});
                let page = response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("#/components/schemas/Page_"));
                if page && response["headers"].get("Link").is_none() {
                    response["headers"]["Link"] =
                        string_header("`<...>; rel=\"next\"`: the next page, when there is one");
                }
                if idempotent && status.starts_with('2') {
                    response["headers"]["Idempotent-Replayed"] = json!({
                        "description": "`true` when this is the stored answer to an earlier request with the same \
                            `Idempotency-Key` (nothing was done again)",
                        "schema": {"type": "string", "enum": ["true"]},
                    });
                }
                if status == "5XX" && response["headers"].get("Retry-After").is_none() {
                    response["headers"]["Retry-After"] = json!({
                        "description": "With 503 (database unavailable): seconds to wait before retrying",
                        "schema": {"type": "integer", "minimum": 1},
                    });
                }
            }
        }
    }
}

/// `{path}.{extension}` beside each operation with alternative representations
/// (`http::representations`): it answers that media type only, and the operation keeps the
/// others in its documented 200.
fn representation_siblings(json: &mut Value) {
    for r in crate::http::representations::REPRESENTATIONS {
        let method = r.method.to_lowercase();
        let pointer = format!("/paths/{}/{method}", pointer_escape(r.path));
        let Some(operation) = json.pointer_mut(&pointer) else { continue };
        let mut sibling = operation.clone();
        let content = operation.pointer_mut("/responses/200/content").and_then(Value::as_object_mut);
        let media = content.and_then(|content| content.remove(r.media_type)).unwrap_or_default();
        let schema = Some(media["schema"].clone()).filter(|s| !s.is_null());
        let note = format!(
            "\n\nAlso as `{}`: `{} {}.{}` (or `Accept: {}`).",
            r.media_type, r.method, r.path, r.extension, r.media_type
        );
        let description = operation["description"].as_str().unwrap_or_default().to_string();
        operation["description"] = json!(format!("{description}{note}").trim_start());
        let id = sibling["operationId"].as_str().unwrap_or_default().to_string();
        sibling["operationId"] = json!(format!("{id}_{}", r.extension));
        let summary = sibling["summary"].as_str().unwrap_or_default().to_string();
        sibling["summary"] = json!(format!("{summary} ({})", r.extension.to_uppercase()));
        // Text stays a string; a PDF is bytes.
        let schema = match r.media_type {
            "application/pdf" => json!({"type": "string", "format": "binary"}),
            _ => schema.filter(|s| s["type"] == "string").unwrap_or_else(|| json!({"type": "string"})),
        };
        sibling["responses"]["200"]["content"] = json!({ r.media_type: {"schema": schema} });
        if let Some(example) = media.get("example") {
            sibling["responses"]["200"]["content"][r.media_type]["example"] = example.clone();
        }
        if r.extension == "csv" {
            sibling["responses"]["200"]["headers"]["Content-Disposition"] =
                string_header("`attachment; filename=\"...csv\"`");
            // A CSV export is one file, not a page: `limit` and `cursor` do not apply.
            if let Some(parameters) = sibling.get_mut("parameters").and_then(Value::as_array_mut) {
                parameters
                    .retain(|p| !(p["in"] == "query" && (p["name"] == "limit" || p["name"] == "cursor")));
            }
        }
        let path = format!("{}.{}", r.path, r.extension);
        json["paths"][path.as_str()][method.as_str()] = sibling;
    }
}

/// A path as a JSON pointer token (`/` is `~1`, `~` is `~0`).
fn pointer_escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

/// `security: []` for operations that need no token: utoipa writes `security(())` as `[{}]`,
/// which generators read as "authentication required"; and an operation whose requirements
/// include `{}` beside a bearer token (optional authentication) is one anyone may call.
fn open_security(json: &mut Value) {
    let Some(paths) = json.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            let Some(requirements) = op.get("security").and_then(Value::as_array) else { continue };
            let anonymous = requirements.iter().any(|r| r.as_object().is_some_and(Map::is_empty));
            let bearer = requirements.iter().any(|r| r.get("bearer").is_some());
            if anonymous && (requirements.len() == 1 || bearer) {
                op.insert("security".into(), json!([]));
            }
        }
    }
}

/// `Activity` (and a page of them) illustrated with the create example as the server stores
/// it (`stored`: parsed and written back by the server's own types), the server's fields (id,
/// status, versions, times), and `null` or `[]` for anything still unset.
fn add_activity_examples(json: &mut Value, input: &Value) {
    let Some(schemas) = json.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(properties) = schemas.get("Activity").map(|s| s["properties"].clone()) else { return };
    let mut activity = input.clone();
    let stored = json!({
        "id": "0193f1a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
        "status": "published",
        "created_by": "0193f19e-5d4c-7b3a-9f8e-7d6c5b4a3f2e",
        "version": 2,
        "created_at": "2026-12-01T09:00:00Z",
        "updated_at": "2026-12-01T09:30:00Z",
        "published_at": "2026-12-01T09:30:00Z",
    });
    for (name, value) in stored.as_object().into_iter().flatten() {
        activity[name] = value.clone();
    }
    let all = Value::Object(schemas.clone());
    complete(&mut activity, &json!({"properties": properties}), &all);
    if let Some(deadline) = activity["claim_deadline"].as_str().map(str::to_string) {
        activity["effective_claim_deadline"] = json!(deadline);
    }
    if let Ok(parsed) = serde_json::from_value::<crate::activities::dto::Activity>(activity.clone()) {
        let listing = crate::activities::rules::listing(&parsed);
        let summary = crate::activities::dto::ActivitySummary { listing, seats_left: Some(37) };
        if let (Some(schema), Ok(example)) =
            (schemas.get_mut("ActivitySummary"), serde_json::to_value(summary))
        {
            schema["example"] = example;
        }
    }
    schemas["Activity"]["example"] = activity.clone();
    if let Some(page) = schemas.get_mut("Page_Activity") {
        page["example"] = json!({"data": [activity], "next_cursor": "eyJpZCI6IjAxOTNmMWEwIn0"});
    }
}

/// The examples of `super::examples` on the schemas that have none, completed as the server
/// writes them.
fn add_response_examples(json: &mut Value) {
    let Some(schemas) = json.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, mut example) in super::examples::response_examples() {
        let Some(schema) = schemas.get(name) else { continue };
        if schema.get("example").is_some() {
            continue;
        }
        super::examples::resolve(&mut example, schemas);
        let all = Value::Object(schemas.clone());
        complete(&mut example, schema, &all);
        schemas[name]["example"] = example;
    }
}

/// A page of an illustrated item shows that item (as the last page: no `next_cursor`), a
/// choice (`oneOf`) its first branch, and a response that is a bare array of one a one-item
/// array.
fn illustrate_collections(json: &mut Value) {
    let Some(schemas) = json.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return;
    };
    let item_example = |schemas: &serde_json::Map<String, Value>, items: &Value| {
        let name = items["$ref"].as_str()?.strip_prefix(SCHEMAS)?;
        schemas.get(name)?.get("example").cloned()
    };
    let pages: Vec<(String, Value)> = schemas
        .iter()
        .filter(|(name, page)| name.starts_with("Page_") && page.get("example").is_none())
        .filter_map(|(name, page)| {
            let item = item_example(schemas, &page["properties"]["data"]["items"])?;
            Some((name.clone(), json!({"data": [item], "next_cursor": null})))
        })
        .collect();
    for (name, example) in pages {
        schemas[&name]["example"] = example;
    }
    // A choice of pages is an `anyOf`: an empty page is a page of either.
    for schema in schemas.values_mut() {
        let pages = schema["oneOf"].as_array().is_some_and(|branches| {
            branches
                .iter()
                .all(|b| b["$ref"].as_str().is_some_and(|r| r.starts_with("#/components/schemas/Page_")))
        });
        if let (true, Some(object)) = (pages, schema.as_object_mut()) {
            if let Some(branches) = object.remove("oneOf") {
                object.insert("anyOf".into(), branches);
            }
        }
    }
    // A choice of illustrated schemas shows its first.
    let choices: Vec<(String, Value)> = schemas
        .iter()
        .filter(|(_, schema)| schema.get("example").is_none())
        .filter_map(|(name, schema)| {
            let branches = schema.get("oneOf").or_else(|| schema.get("anyOf"))?;
            let first = branches.as_array()?.first()?;
            Some((name.clone(), item_example(schemas, first)?))
        })
        .collect();
    for (name, example) in choices {
        schemas[&name]["example"] = example;
    }
    let schemas = schemas.clone();
    let Some(paths) = json.get_mut("paths").and_then(Value::as_object_mut) else { return };
    let operations = paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut());
    let responses = operations.filter_map(|op| op.get_mut("responses").and_then(Value::as_object_mut));
    for response in responses.flat_map(|responses| responses.values_mut()) {
        for media in response
            .get_mut("content")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|c| c.values_mut())
        {
            if media.get("example").is_some() || media["schema"]["type"] != "array" {
                continue;
            }
            if let Some(item) = item_example(&schemas, &media["schema"]["items"]) {
                media["example"] = json!([item]);
            }
        }
    }
}

/// CSV examples on each CSV operation and its `.csv` sibling.
fn add_csv_examples(json: &mut Value) {
    let schemas = json.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default();
    for (path, csv) in super::examples::csv_examples(&schemas) {
        for path in [path.to_string(), format!("{path}.csv")] {
            let pointer = format!("/paths/{}/get/responses/200/content/text~1csv", pointer_escape(&path));
            if let Some(media) = json.pointer_mut(&pointer).and_then(Value::as_object_mut) {
                media.insert("example".into(), json!(csv));
            }
        }
    }
}

/// The object schema `schema` stands for: through a `$ref`, or the object branch of a
/// `oneOf`/`anyOf` (how a nullable reference is written).
fn object_schema<'a>(schema: &'a Value, schemas: &'a Value) -> &'a Value {
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.strip_prefix(SCHEMAS)) {
        return object_schema(&schemas[name], schemas);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branch) = schema[key].as_array().and_then(|branches| {
            branches
                .iter()
                .map(|b| object_schema(b, schemas))
                .find(|b| b.get("properties").is_some() || b.get("items").is_some())
        }) {
            return branch;
        }
    }
    schema
}

/// Fills what a request example leaves out as a response carries it: `null` for nullable
/// fields, `[]` for lists, at every depth.
fn complete(value: &mut Value, schema: &Value, schemas: &Value) {
    let schema = object_schema(schema, schemas);
    match value {
        Value::Object(object) => {
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                match object.get_mut(name) {
                    Some(inner) => complete(inner, property, schemas),
                    None => {
                        let resolved = object_schema(property, schemas);
                        let types = [&property["type"], &resolved["type"]];
                        let nullable =
                            types.iter().any(|t| t.as_array().is_some_and(|t| t.contains(&json!("null"))))
                                || property["oneOf"]
                                    .as_array()
                                    .is_some_and(|b| b.iter().any(|b| b["type"] == "null"));
                        if types.iter().any(|t| **t == "array") {
                            object.insert(name.clone(), json!([]));
                        } else if nullable {
                            object.insert(name.clone(), Value::Null);
                        }
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| complete(item, &schema["items"], schemas)),
        _ => {}
    }
}

/// Text fields whose values come from a fixed set (kept as text in the code, where they are
/// protocol words, audit records or codes checked against a table): listed as enums so that
/// generated clients type them. Schemathesis checks the responses it gets against them, and
/// sends requests outside them expecting a 4XX.
const FIXED_SETS: [(&str, &str, &[&str]); 13] = [
    ("StateLicense", "state", &crate::users::rules::US_JURISDICTIONS),
    ("StateLicenseInput", "state", &crate::users::rules::US_JURISDICTIONS),
    ("TokenResponse", "token_type", &["Bearer"]),
    ("ClientTokenResponse", "token_type", &["Bearer"]),
    ("HealthStatus", "status", &["ok", "ready"]),
    ("Jwk", "kty", &["OKP", "RSA"]),
    ("Jwk", "crv", &["Ed25519"]),
    ("Jwk", "use", &["sig"]),
    ("Jwk", "alg", &["EdDSA", "RS256"]),
    (
        "VerificationCheck",
        "check",
        &["format", "issuer_key", "signature", "context", "type", "claims", "issuer", "dates", "status"],
    ),
    ("ClaimHistoryEntry", "action", &["claimed", "awarded", "approved", "rejected", "revoked", "superseded"]),
    ("Attendance", "source", &["check_in", "planner"]),
    (
        "OAuthErrorBody",
        "error",
        &[
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "server_error",
            "temporarily_unavailable",
        ],
    ),
];

fn list_fixed_sets(json: &mut Value) {
    for (schema, field, values) in FIXED_SETS {
        let Some(property) = json.pointer_mut(&format!("/components/schemas/{schema}/properties/{field}"))
        else {
            continue;
        };
        let mut allowed: Vec<Value> = values.iter().map(|v| json!(v)).collect();
        if property["type"].as_array().is_some_and(|types| types.contains(&json!("null"))) {
            allowed.push(Value::Null);
        }
        property["enum"] = json!(allowed);
    }
}
