//! The `HttpApi` events of a function: method, path and the route's throttling, as API Gateway
//! applies it: the event's `RouteSettings`, else its API's `DefaultRouteSettings`, field by
//! field. An event without `ApiId` (SAM's implicit API) or without settings has none: only the
//! account's limits, which the local stack does not model.

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::resolver::Resolver;

/// One route of the HttpApi.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRoute {
    /// METHOD or ANY.
    pub method: String,
    /// The path with its `{params}`.
    pub path: String,
    pub throttle: Option<Throttle>,
}

/// API Gateway's token bucket for a route: `burst` requests at once, refilled at `rate` a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub burst: u64,
    pub rate: f64,
}

/// The routes of a function's `Events`.
pub(super) fn http_routes(
    resolver: &Resolver,
    events: Option<&Yaml>,
) -> Result<Vec<HttpRoute>, String> {
    let mut routes = Vec::new();
    for (_, event) in events.and_then(Yaml::as_mapping).into_iter().flatten() {
        if event.get("Type").and_then(Yaml::as_str) != Some("HttpApi") {
            continue;
        }
        let p = event.get("Properties");
        let text = |key: &str, default: &str| {
            p.and_then(|p| p.get(key))
                .and_then(Yaml::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let own = p.and_then(|p| p.get("RouteSettings"));
        let defaults = p
            .and_then(|p| p.get("ApiId"))
            .and_then(referenced)
            .and_then(|api| resolver.resources.get(api))
            .and_then(|api| api.get("Properties"))
            .and_then(|props| props.get("DefaultRouteSettings"));
        routes.push(HttpRoute {
            method: text("Method", "ANY").to_uppercase(),
            path: text("Path", "/{proxy+}"),
            throttle: throttle(resolver, own, defaults)?,
        });
    }
    Ok(routes)
}

/// The resource an `ApiId: !Ref Api` (or `{Ref: Api}`) names.
fn referenced(value: &Yaml) -> Option<&str> {
    match value {
        Yaml::Tagged(tagged) if tagged.tag == "!Ref" => tagged.value.as_str(),
        Yaml::Mapping(m) => m.get("Ref").and_then(Yaml::as_str),
        _ => None,
    }
}

/// Each limit from the route's settings, else the API's defaults; a route needs both to be
/// throttled (API Gateway's missing one is the account's, far above what the stack serves).
fn throttle(
    resolver: &Resolver,
    own: Option<&Yaml>,
    defaults: Option<&Yaml>,
) -> Result<Option<Throttle>, String> {
    let limit = |key: &str| -> Result<Option<f64>, String> {
        let value = own
            .and_then(|o| o.get(key))
            .or_else(|| defaults.and_then(|d| d.get(key)));
        let Some(value) = value else { return Ok(None) };
        match resolver.resolve(value)? {
            Json::Number(n) => Ok(n.as_f64()),
            Json::String(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{key}: {s} is not a number")),
            other => Err(format!("{key}: {other} is not a number")),
        }
    };
    Ok(
        match (
            limit("ThrottlingBurstLimit")?,
            limit("ThrottlingRateLimit")?,
        ) {
            (Some(burst), Some(rate)) => Some(Throttle {
                burst: burst as u64,
                rate,
            }),
            _ => None,
        },
    )
}
