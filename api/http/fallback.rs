//! Answers requests that match no handler: 405 with `Allow` when the path exists with other
//! methods, 404 otherwise. actix alone answers 404 for both, because each handler is its own
//! resource; the table of routes is taken from the generated OpenAPI document, so it can
//! never disagree with the contract.

use actix_web::{dev::ResourceDef, web, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// Paths (as OpenAPI templates) and the methods each accepts.
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<String>)>,
}

impl RouteTable {
    /// The documented routes, and the documentation's own when it is served (`docs`).
    pub fn from_openapi(document: &utoipa::openapi::OpenApi, docs: bool) -> RouteTable {
        let mut routes: Vec<(ResourceDef, Vec<String>)> = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("TRACE", item.trace.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(method, _)| method.to_string())
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        // Served outside the documented API, but real resources all the same.
        if docs {
            routes.push((ResourceDef::new("/openapi.json"), vec!["GET".into()]));
            routes.push((ResourceDef::new("/docs"), vec!["GET".into()]));
            routes.push((ResourceDef::prefix("/docs/"), vec!["GET".into()]));
        }
        RouteTable { routes }
    }

    /// The methods allowed on `path`, or `None` when no route has that path. A concrete path
    /// is matched before templated ones (as OpenAPI says): `/v1/enrollments/batch` is only what
    /// it declares, not also `/v1/enrollments/{enrollment_id}`.
    pub fn allowed_methods(&self, path: &str) -> Option<Vec<String>> {
        let matching: Vec<&(ResourceDef, Vec<String>)> =
            self.routes.iter().filter(|(def, _)| def.is_match(path)).collect();
        let concrete: Vec<&(ResourceDef, Vec<String>)> = matching
            .iter()
            .copied()
            .filter(|(def, _)| !def.pattern().is_some_and(|p| p.contains('{')))
            .collect();
        let chosen = if concrete.is_empty() { matching } else { concrete };
        let mut allowed: Vec<String> =
            chosen.into_iter().flat_map(|(_, methods)| methods.iter().cloned()).collect();
        if allowed.is_empty() {
            return None;
        }
        allowed.sort();
        allowed.dedup();
        Some(allowed)
    }
}

/// The app's default service.
pub async fn unmatched(req: HttpRequest, table: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    Err(match table.allowed_methods(req.path()) {
        Some(allowed) => ApiError::MethodNotAllowed { allowed },
        None => ApiError::NotFound,
    })
}

#[cfg(test)]
mod tests {
    use super::RouteTable;

    #[test]
    fn concrete_paths_are_matched_before_templated_ones() {
        let table = RouteTable::from_openapi(&crate::openapi::document(), false);
        assert_eq!(table.allowed_methods("/v1/enrollments/batch"), Some(vec!["POST".to_string()]));
        assert_eq!(table.allowed_methods("/v1/enrollments/0193f1a4"), Some(vec!["GET".to_string()]));
        assert_eq!(table.allowed_methods("/v1/nothing-here"), None);
    }
}
