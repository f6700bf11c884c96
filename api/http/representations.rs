//! Every representation has its own URL. An operation that answers in more than one media
//! type (CSV beside JSON, a PDF beside HTML, the signed credential beside its JSON) keeps
//! `Accept` negotiation, and also answers at `{path}.{extension}`: that path is served as the
//! plain one with `Accept` set, before routing, and is its own operation in the contract, so a
//! generated client types each result as one thing (JSON, text or bytes).

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ResourceDef, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderValue},
        Method, Uri,
    },
    middleware::Next,
    Error,
};

/// One alternative representation of an operation.
pub struct Representation {
    pub method: &'static str,
    /// The operation's path template.
    pub path: &'static str,
    /// What `{path}.{extension}` stands for.
    pub extension: &'static str,
    pub media_type: &'static str,
}

const fn csv(path: &'static str) -> Representation {
    Representation { method: "GET", path, extension: "csv", media_type: "text/csv" }
}

pub const REPRESENTATIONS: [Representation; 11] = [
    csv("/v1/activities/{activity_id}/enrollments"),
    csv("/v1/activities/{activity_id}/outcomes"),
    csv("/v1/me/transcript"),
    csv("/v1/reports/outcomes"),
    csv("/v1/surveys/{survey_id}/responses"),
    csv("/v1/users/{user_id}/transcript"),
    Representation {
        method: "GET",
        path: "/v1/credit-claims/{claim_id}/certificate",
        extension: "pdf",
        media_type: "application/pdf",
    },
    Representation {
        method: "GET",
        path: "/v1/credit-claims/{claim_id}/credential",
        extension: "jwt",
        media_type: "application/vc+jwt",
    },
    Representation {
        method: "GET",
        path: "/v1/credit-claims/{claim_id}/credential",
        extension: "svg",
        media_type: "image/svg+xml",
    },
    Representation {
        method: "GET",
        path: "/v1/credit-verifications/{code}",
        extension: "html",
        media_type: "text/html",
    },
    Representation {
        method: "POST",
        path: "/v1/credential-verifications",
        extension: "html",
        media_type: "text/html",
    },
];

/// The plain path and the media type a request for a representation's own path stands for.
fn representation_of(method: &Method, path: &str) -> Option<(String, &'static str)> {
    let (base, extension) = path.rsplit_once('.')?;
    REPRESENTATIONS
        .iter()
        .find(|r| {
            r.method == method.as_str() && r.extension == extension && ResourceDef::new(r.path).is_match(base)
        })
        .map(|r| (base.to_string(), r.media_type))
}

/// `{path}.{extension}` is served as `{path}` with `Accept: <its media type>`.
pub async fn representation_paths(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if let Some((base, media_type)) = representation_of(req.method(), req.path()) {
        let target = match req.uri().query() {
            Some(query) => format!("{base}?{query}"),
            None => base,
        };
        if let Ok(uri) = target.parse::<Uri>() {
            req.match_info_mut().get_mut().update(&uri);
            req.head_mut().uri = uri;
            req.headers_mut().insert(header::ACCEPT, HeaderValue::from_static(media_type));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_representations_have_their_own_paths() {
        let get = Method::GET;
        assert_eq!(
            representation_of(&get, "/v1/me/transcript.csv"),
            Some(("/v1/me/transcript".into(), "text/csv"))
        );
        assert_eq!(
            representation_of(&get, "/v1/credit-claims/c1/credential.jwt"),
            Some(("/v1/credit-claims/c1/credential".into(), "application/vc+jwt"))
        );
        assert_eq!(representation_of(&get, "/v1/activities.csv"), None);
        assert_eq!(representation_of(&get, "/v1/me/transcript.pdf"), None, "not one of its representations");
        assert_eq!(representation_of(&Method::POST, "/v1/me/transcript.csv"), None);
        assert_eq!(
            representation_of(&Method::POST, "/v1/credential-verifications.html"),
            Some(("/v1/credential-verifications".into(), "text/html"))
        );
        assert_eq!(representation_of(&get, "/v1/me/transcript"), None);
    }
}
