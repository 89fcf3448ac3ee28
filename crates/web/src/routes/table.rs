//! The route table, read from the router itself so that no route can be left out of the
//! security tests (deny by default, the actor matrix, headers, CSRF).
//!
//! axum 0.8 has no public route introspection, but its `Debug` output lists every path of the
//! router (`node: Node { paths: {RouteId(n): "/path", ..} }`) and, per route, the methods it
//! answers (`allow_header: Bytes(b"GET,HEAD,POST")`, the value of the `Allow` header of its
//! 405 answers). Reading that keeps every `.route(..)` and `.merge(..)` line as it is: a route
//! added anywhere, in any module, shows up here. Should a future axum print something else,
//! [`table`] comes back empty or without the known routes, and the tests that use it fail
//! loudly rather than pass on nothing.

use std::collections::BTreeMap;

/// One method and path template the application serves, e.g. `("POST", "/couples/{couple_id}")`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteEntry {
    pub method: String,
    pub path: String,
}

/// Every (method, path template) of the application's router, sorted by path then method.
/// `HEAD` appears wherever `GET` does (axum answers it with the GET handler).
pub fn table() -> Vec<RouteEntry> {
    parse(&format!("{:?}", super::routes()))
}

/// Read the router's `Debug` text (see the module comment).
fn parse(debug: &str) -> Vec<RouteEntry> {
    // Only the main path router; the fallback router that follows holds the 404 handler.
    let main = debug.split("fallback_router:").next().unwrap_or_default();
    let Some((routes, node)) = main.split_once("node: Node { paths: {") else {
        return Vec::new();
    };
    let mut paths = BTreeMap::new();
    for chunk in node.split("RouteId(").skip(1) {
        let Some((id, rest)) = chunk.split_once("): \"") else {
            continue;
        };
        if let Some((path, _)) = rest.split_once('"') {
            paths.insert(id.to_owned(), path.to_owned());
        }
    }
    let mut out = Vec::new();
    for chunk in routes.split("RouteId(").skip(1) {
        let Some((id, rest)) = chunk.split_once("): ") else {
            continue;
        };
        let Some(path) = paths.get(id) else { continue };
        let methods = rest
            .split_once("allow_header: Bytes(b\"")
            .and_then(|(_, allow)| allow.split_once('"'))
            .map(|(allow, _)| allow)
            .unwrap_or_default();
        for method in methods.split(',').filter(|m| !m.is_empty()) {
            out.push(RouteEntry {
                method: method.to_owned(),
                path: path.clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(t: &[RouteEntry], method: &str, path: &str) -> bool {
        t.iter().any(|e| e.method == method && e.path == path)
    }

    #[test]
    fn the_table_holds_pages_the_api_and_their_methods() {
        let t = table();
        assert!(has(&t, "GET", "/"));
        assert!(has(&t, "HEAD", "/"));
        assert!(has(&t, "POST", "/login"));
        assert!(has(&t, "GET", "/couples/{couple_id}"));
        assert!(has(&t, "POST", "/couples/{couple_id}"));
        assert!(has(&t, "GET", "/h/{secret}"));
        assert!(has(&t, "PATCH", "/api/v1/couples/{couple_id}"));
        assert!(has(&t, "PUT", "/api/v1/sessions/{session_id}/note"));
        assert!(!has(&t, "DELETE", "/login"));
        assert!(t.len() > 60, "{t:?}");
    }

    #[test]
    fn every_public_route_is_a_route() {
        let t = table();
        for (method, path) in super::super::PUBLIC {
            assert!(has(&t, method, path), "{method} {path} is not a route");
        }
    }
}
