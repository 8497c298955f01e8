//! The template's HttpApi routes on 127.0.0.1, with API Gateway's HTTP API payload format 2.0
//! events and response mapping, and its route throttling ([`throttle`]).

pub mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::runtime_api::FunctionPool;

#[derive(Clone)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: Arc<FunctionPool>,
    /// The route's throttling (`RouteSettings` or the API's defaults); `None`: unlimited.
    pub throttle: Option<Arc<throttle::TokenBucket>>,
}

/// Matches `/decisions/{approvalId}` (and `{proxy+}`) against a request path.
pub fn match_route(pattern: &str, path: &str) -> Option<Map<String, Value>> {
    let mut params = Map::new();
    let mut pattern_parts = pattern.trim_matches('/').split('/');
    let mut path_parts = path.trim_matches('/').split('/');
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(actual)) if p.starts_with('{') && p.ends_with("+}") => {
                let rest: Vec<&str> = std::iter::once(actual).chain(path_parts.by_ref()).collect();
                params.insert(p[1..p.len() - 2].to_string(), Value::String(rest.join("/")));
                return Some(params);
            }
            (Some(p), Some(actual)) if p.starts_with('{') && p.ends_with('}') => {
                if actual.is_empty() {
                    return None;
                }
                params.insert(
                    p[1..p.len() - 1].to_string(),
                    Value::String(percent_decode(actual)),
                );
            }
            (Some(p), Some(actual)) if p == actual => {}
            _ => return None,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_parameters(raw: &str) -> Map<String, Value> {
    let mut params: Map<String, Value> = Map::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (
            percent_decode(&k.replace('+', " ")),
            percent_decode(&v.replace('+', " ")),
        );
        // API Gateway joins repeated keys with commas.
        match params.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                params.insert(k, Value::String(v));
            }
        }
    }
    params
}

/// The API Gateway HTTP API (payload format 2.0) event for a request.
pub fn event(
    route_key: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    source_ip: &str,
    body: &[u8],
    path_parameters: Map<String, Value>,
) -> Value {
    let (header_map, cookies) = headers_and_cookies(headers);
    let raw_query = uri.query().unwrap_or("").to_string();
    let (body_value, is_base64) = event_body(headers, body);
    let now = time::OffsetDateTime::now_utc();
    let user_agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": uri.path(),
        "rawQueryString": raw_query,
        "headers": header_map,
        "requestContext": {
            "accountId": crate::template::ACCOUNT,
            "apiId": "local",
            "domainName": headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1"),
            "domainPrefix": "local",
            "http": {"method": method.as_str(), "path": uri.path(), "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": user_agent},
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format(time::macros::format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000")).unwrap_or_default(),
            "timeEpoch": (now.unix_timestamp_nanos() / 1_000_000) as i64
        },
        "isBase64Encoded": is_base64
    });
    if !cookies.is_empty() {
        event["cookies"] = Value::Array(cookies);
    }
    if !raw_query.is_empty() {
        event["queryStringParameters"] = Value::Object(query_parameters(&raw_query));
    }
    if !path_parameters.is_empty() {
        event["pathParameters"] = Value::Object(path_parameters);
    }
    if !body_value.is_null() {
        event["body"] = body_value;
    }
    event
}

/// The event's `headers` (repeated headers joined with commas, as API Gateway does) and its
/// `cookies`.
fn headers_and_cookies(headers: &HeaderMap) -> (Map<String, Value>, Vec<Value>) {
    let mut header_map = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == "cookie" {
            cookies.extend(
                value
                    .split(';')
                    .map(|c| Value::String(c.trim().to_string())),
            );
            continue;
        }
        match header_map.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                header_map.insert(name.as_str().to_string(), Value::String(value));
            }
        }
    }
    (header_map, cookies)
}

/// The event's body: text as is, anything else base64 (`isBase64Encoded`); none when empty.
fn event_body(headers: &HeaderMap, body: &[u8]) -> (Value, bool) {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_text = content_type.is_empty()
        || content_type.starts_with("text/")
        || content_type.contains("json")
        || content_type.contains("xml")
        || content_type.contains("x-www-form-urlencoded");
    match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) if is_text => (Value::String(text.to_string()), false),
        _ => (
            Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
            true,
        ),
    }
}

/// Maps a function's answer to the HTTP response, as API Gateway does for payload 2.0.
pub fn response(answer: Result<Value, Value>) -> Response<Body> {
    let internal = || {
        Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"message":"Internal Server Error"}"#))
            .unwrap()
    };
    let Ok(value) = answer else { return internal() };
    // A bare value (no statusCode) is returned as JSON with 200.
    if value.get("statusCode").is_none() {
        return Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(value.to_string()))
            .unwrap();
    }
    let Some(status) = value["statusCode"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
    else {
        return internal();
    };
    let mut builder = Response::builder().status(status);
    builder = with_headers(builder, &value);
    let body = value["body"].as_str().unwrap_or_default();
    let bytes = if value["isBase64Encoded"].as_bool().unwrap_or(false) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    builder
        .body(Body::from(bytes))
        .unwrap_or_else(|_| internal())
}

/// The answer's `headers`, `multiValueHeaders` and `cookies` (as `set-cookie`) on `builder`.
fn with_headers(
    mut builder: axum::http::response::Builder,
    value: &Value,
) -> axum::http::response::Builder {
    if let Some(headers) = value["headers"].as_object() {
        for (k, v) in headers {
            if let Some(v) = v.as_str() {
                builder = builder.header(k, v);
            }
        }
    }
    if let Some(headers) = value["multiValueHeaders"].as_object() {
        for (k, values) in headers {
            for v in values
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                builder = builder.header(k, v);
            }
        }
    }
    for cookie in value["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        builder = builder.header("set-cookie", cookie);
    }
    builder
}

/// Serves one request through the matching route; `None` when no route matches.
pub async fn dispatch(
    routes: &[Route],
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: &Bytes,
) -> Option<Response<Body>> {
    let (route, params) = routes.iter().find_map(|r| {
        let method_ok = r.method == "ANY"
            || r.method == method.as_str()
            || (method == Method::HEAD && r.method == "GET");
        if !method_ok {
            return None;
        }
        match_route(&r.path, uri.path()).map(|p| (r, p))
    })?;
    if route.throttle.as_ref().is_some_and(|bucket| !bucket.take()) {
        return Some(throttle::too_many_requests());
    }
    let route_key = format!("{} {}", route.method, route.path);
    crate::edge::meter::METER.http_request(&route_key);
    let event = event(
        &route_key,
        method,
        uri,
        headers,
        &peer.ip().to_string(),
        body,
        params,
    );
    let mut response = response(route.function.invoke(event).await);
    if method == Method::HEAD {
        *response.body_mut() = Body::empty();
    }
    Some(response)
}

pub struct ApiState {
    pub routes: Vec<Route>,
    pub ui: Arc<crate::ui::Ui>,
}

/// Everything on the API port: `/_local/...` is the local page, the rest are HttpApi routes.
pub async fn handle(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    if uri.path() == "/" || uri.path() == "/_local" || uri.path().starts_with("/_local/") {
        return state.ui.handle(&method, &uri, &body).await;
    }
    match dispatch(&state.routes, &method, &uri, &headers, peer, &body).await {
        Some(response) => response,
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"message":"Not Found"}"#))
            .unwrap(),
    }
}

#[cfg(test)]
mod tests;
