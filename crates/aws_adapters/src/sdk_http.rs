//! The AWS SDK's HTTP client: the process's one `reqwest` client (`lambda_kit::http_client`), so the
//! SDK calls share its pool (the connections init opened) and its TLS stack with the Slack,
//! Teams and Jira adapters, and the binary carries one TLS implementation instead of two.
//!
//! The SDK still owns retries and the attempt and operation timeouts; this only moves bytes.

use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// The SDK's [`HttpClient`] over the shared `reqwest` client.
#[derive(Debug, Clone, Default)]
pub struct SharedReqwest;

impl HttpClient for SharedReqwest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ReqwestConnector {
            read_timeout: settings.read_timeout(),
        })
    }
}

#[derive(Debug)]
struct ReqwestConnector {
    /// The longest wait for the answer once sent (the SDK's attempt timeout bounds the rest).
    read_timeout: Option<Duration>,
}

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move { send(request, read_timeout).await })
    }
}

async fn send(
    request: HttpRequest,
    read_timeout: Option<Duration>,
) -> Result<HttpResponse, ConnectorError> {
    let method = reqwest::Method::from_bytes(request.method().as_bytes())
        .map_err(|e| ConnectorError::other(e.into(), None))?;
    let mut outgoing = lambda_kit::http_client::shared_client().request(method, request.uri());
    for (name, value) in request.headers() {
        outgoing = outgoing.header(name, value);
    }
    // Our requests are small JSON documents, always in memory; a streaming body (S3 uploads)
    // is not something this product sends.
    let body = request.body().bytes().ok_or_else(|| {
        ConnectorError::other("a streaming request body is not supported".into(), None)
    })?;
    outgoing = outgoing.body(body.to_vec());
    if let Some(limit) = read_timeout {
        outgoing = outgoing.timeout(lambda_kit::http_client::CONNECT_TIMEOUT + limit);
    }
    let answer = outgoing.send().await.map_err(connector_error)?;
    let status = StatusCode::try_from(answer.status().as_u16())
        .map_err(|e| ConnectorError::other(e.into(), None))?;
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.map_err(connector_error)?;
    let mut response = HttpResponse::new(status, SdkBody::from(bytes));
    for (name, value) in &headers {
        if let Ok(value) = value.to_str() {
            response
                .headers_mut()
                .append(name.as_str().to_owned(), value.to_owned());
        }
    }
    Ok(response)
}

/// Timeouts and failed connections are transient (the SDK retries them); anything else is not
/// known to be.
fn connector_error(e: reqwest::Error) -> ConnectorError {
    let e = e.without_url();
    if e.is_timeout() {
        ConnectorError::timeout(e.into())
    } else if e.is_connect() || e.is_request() || e.is_body() {
        ConnectorError::io(e.into())
    } else {
        ConnectorError::other(e.into(), None)
    }
}
