use super::*;

#[test]
fn routes_match_with_parameters() {
    let p = match_route("/decisions/{approvalId}", "/decisions/abc-1").unwrap();
    assert_eq!(p["approvalId"], "abc-1");
    assert!(match_route("/decisions/{approvalId}", "/decisions/").is_none());
    assert!(match_route("/decisions/{approvalId}", "/decisions/a/b").is_none());
    assert_eq!(
        match_route("/files/{proxy+}", "/files/a/b").unwrap()["proxy"],
        "a/b"
    );
}

#[test]
fn events_follow_payload_format_2() {
    let uri: Uri = "/decisions/a1?d=approve&exp=5&sig=a%2Bb".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    headers.insert("user-agent", "test".parse().unwrap());
    headers.insert("cookie", "a=1; b=2".parse().unwrap());
    let mut params = Map::new();
    params.insert("approvalId".into(), "a1".into());
    let e = event(
        "POST /decisions/{approvalId}",
        &Method::POST,
        &uri,
        &headers,
        "127.0.0.1",
        b"d=approve",
        params,
    );
    assert_eq!(e["version"], "2.0");
    assert_eq!(e["rawQueryString"], "d=approve&exp=5&sig=a%2Bb");
    assert_eq!(e["queryStringParameters"]["sig"], "a+b");
    assert_eq!(e["pathParameters"]["approvalId"], "a1");
    assert_eq!(e["requestContext"]["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(e["requestContext"]["http"]["userAgent"], "test");
    assert_eq!(e["body"], "d=approve");
    assert_eq!(e["isBase64Encoded"], false);
    assert_eq!(e["cookies"], json!(["a=1", "b=2"]));
    let binary = event(
        "POST /x",
        &Method::POST,
        &uri,
        &HeaderMap::new(),
        "127.0.0.1",
        &[0xff, 0x00],
        Map::new(),
    );
    assert_eq!(binary["isBase64Encoded"], true);
}

#[test]
fn errors_become_500_and_responses_map_back() {
    assert_eq!(response(Err(json!({"errorType": "x"}))).status(), 500);
    let r = response(Ok(
        json!({"statusCode": 409, "headers": {"content-type": "text/html"}, "body": "<p>x</p>"}),
    ));
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["content-type"], "text/html");
}
