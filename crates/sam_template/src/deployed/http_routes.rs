//! The `HttpApi` events of a function: method, path and the route's throttling, as API Gateway
//! applies it: the event's `RouteSettings`, else its API's `DefaultRouteSettings`, field by
//! field. An event without `ApiId` (SAM's implicit API) or without settings has none: only the
//! account's limits.

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use crate::error::At;
use crate::function::events;
use crate::resolver::Resolver;
use crate::{Error, Result};

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
    id: &str,
    events_field: Option<&Yaml>,
) -> Result<Vec<HttpRoute>> {
    let mut routes = Vec::new();
    for (name, kind, event) in events(events_field) {
        if kind != "HttpApi" {
            continue;
        }
        let p = event.get("Properties");
        let text = |key: &str, default: &str| match p.and_then(|p| p.get(key)) {
            None => Ok(default.to_string()),
            Some(Yaml::String(s)) => Ok(s.clone()),
            Some(_) => {
                let field = format!("Events.{name}.Properties.{key}");
                Err(Error::field(id, &field, "not a literal string"))
            }
        };
        let own = p.and_then(|p| p.get("RouteSettings"));
        let defaults = p
            .and_then(|p| p.get("ApiId"))
            .and_then(referenced)
            .and_then(|api| resolver.resources.get(api))
            .and_then(|api| api.get("Properties"))
            .and_then(|props| props.get("DefaultRouteSettings"));
        let field = format!("Events.{name}.Properties.RouteSettings");
        routes.push(HttpRoute {
            method: text("Method", "ANY")?.to_uppercase(),
            path: text("Path", "/{proxy+}")?,
            throttle: throttle(resolver, own, defaults).at(id, &field)?,
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
/// throttled (API Gateway's missing one is the account's).
fn throttle(
    resolver: &Resolver,
    own: Option<&Yaml>,
    defaults: Option<&Yaml>,
) -> Result<Option<Throttle>> {
    let limit = |key: &str| -> Result<Option<f64>> {
        let value = own
            .and_then(|o| o.get(key))
            .or_else(|| defaults.and_then(|d| d.get(key)));
        let Some(value) = value else { return Ok(None) };
        let not_a_number =
            |v: &dyn std::fmt::Display| Error::Intrinsic(format!("{key}: {v} is not a number"));
        match resolver.resolve(value)? {
            Json::Number(n) => Ok(n.as_f64()),
            Json::String(s) => s.trim().parse().map(Some).map_err(|_| not_a_number(&s)),
            other => Err(not_a_number(&other)),
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
