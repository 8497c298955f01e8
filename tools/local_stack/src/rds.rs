//! moto's RDS query API, called through the edge as any AWS client would: the example seeds
//! its instances with it and the tests read instance states back.

/// Calls an RDS action (`Version` is added) and returns the XML answer.
pub async fn call(edge: &str, params: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut form: Vec<(&str, &str)> = vec![("Version", "2014-10-31")];
    form.extend_from_slice(params);
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let action = params
        .iter()
        .find(|(k, _)| *k == "Action")
        .map(|(_, v)| *v)
        .unwrap_or("?");
    let response = reqwest::Client::new()
        .post(format!("{edge}/"))
        // moto routes by the SigV4 credential scope; the signature itself is not checked.
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/rds/aws4_request, SignedHeaders=host, Signature=0",
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("RDS {action}: {e}"))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        return Err(anyhow::anyhow!("RDS {action}: HTTP {status}: {text}"));
    }
    Ok(text)
}

/// Creates a small postgres instance, tagged `hitl:idle=true` when `idle`.
pub async fn create_instance(edge: &str, id: &str, idle: bool) -> anyhow::Result<()> {
    let mut params = vec![
        ("Action", "CreateDBInstance"),
        ("DBInstanceIdentifier", id),
        ("DBInstanceClass", "db.t3.micro"),
        ("Engine", "postgres"),
        ("AllocatedStorage", "20"),
        ("MasterUsername", "admin"),
        ("MasterUserPassword", "local-only-password"),
    ];
    if idle {
        params.extend([
            ("Tags.Tag.1.Key", "hitl:idle"),
            ("Tags.Tag.1.Value", "true"),
        ]);
    }
    call(edge, &params).await.map(|_| ())
}

/// The instance's `DBInstanceStatus` (`available`, `stopped`, ...).
pub async fn instance_status(edge: &str, id: &str) -> anyhow::Result<String> {
    let xml = call(
        edge,
        &[
            ("Action", "DescribeDBInstances"),
            ("DBInstanceIdentifier", id),
        ],
    )
    .await?;
    xml.split("<DBInstanceStatus>")
        .nth(1)
        .and_then(|s| s.split("</DBInstanceStatus>").next())
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no DBInstanceStatus for {id} in {xml}"))
}

fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
