"""The Python 3.11 + boto3 reference `hitl-bench` runs beside our Rust functions.

It does the same work as the function it stands in for, call for call (the same DynamoDB,
Step Functions, Secrets Manager and Slack requests in the same order, the same HMAC checks,
an HTML page of the same kind), and runs under the same Lambda Runtime API, with a small
runtime-interface loop of its own (the managed Python runtime's is similar).

BENCH_FUNCTION picks the function: `create-approval-links` or `decision-api`. Everything else
comes from the same environment variables as ours. boto3 trusts the bench's CA through
AWS_CA_BUNDLE, urllib3 (the Slack call, one pool kept across events as a Python function
would) through SSL_CERT_FILE (OpenSSL's default verify paths).
"""

import base64
import hashlib
import hmac
import html
import http.client
import json
import os
import time
import urllib.parse
import uuid

import boto3
import urllib3

FUNCTION = os.environ["BENCH_FUNCTION"]
TABLE = os.environ["TABLE_NAME"]
SESSION = boto3.session.Session()
DDB = SESSION.client("dynamodb")
SECRETS = SESSION.client("secretsmanager")


def secret(secret_id):
    return SECRETS.get_secret_value(SecretId=secret_id)["SecretString"]


RING = json.loads(secret(os.environ["LINK_SIGNING_KEYS_SECRET_ID"]))
KEYS = {RING["currentKeyId"]: RING["currentKey"].encode()}
KID = RING["currentKeyId"]
BASE_URL = os.environ.get("DECISION_BASE_URL", "").rstrip("/")

if FUNCTION == "decision-api":
    SFN = SESSION.client("stepfunctions")
    SLACK_SIGNING_SECRET = None
    if os.environ.get("SLACK_SIGNING_SECRET_SECRET_ID"):
        SLACK_SIGNING_SECRET = secret(os.environ["SLACK_SIGNING_SECRET_SECRET_ID"]).encode()
        SLACK_TOKEN = secret(os.environ["SLACK_BOT_TOKEN_SECRET_ID"])
        SLACK_API = os.environ.get("SLACK_API_URL", "https://slack.com/api").rstrip("/")
        HTTP = urllib3.PoolManager(timeout=3.0, retries=False)


def link_mac(key, approval_id, decision, exp, approver):
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in ("hitl-link-v1", approval_id, decision, exp, approver):
        mac.update(part.encode() + b"\n")
    return mac.digest()


def link_url(approval_id, decision, exp, approver):
    sig = link_mac(KEYS[KID], approval_id, decision, str(exp), str(approver))
    query = urllib.parse.urlencode(
        {"d": decision, "exp": exp, "kid": KID, "a": approver,
         "sig": base64.urlsafe_b64encode(sig).rstrip(b"=").decode()})
    return f"{BASE_URL}/decisions/{approval_id}?{query}"


def create(event):
    now = int(time.time())
    approval_id = str(uuid.uuid4())
    approvers = event.get("approvers") or []
    expires_at = now + int(event.get("expiresInSeconds") or 86400)
    item = {
        "approvalId": {"S": approval_id}, "title": {"S": event["title"]},
        "approvers": {"L": [{"S": a} for a in approvers]},
        "createdAt": {"N": str(now)}, "expiresAt": {"N": str(expires_at)},
        "expiresAtTtl": {"N": str(expires_at + 30 * 86400)}, "origin": {"S": "email"},
    }
    DDB.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(approvalId)")
    links = [{"approver": a, "approveUrl": link_url(approval_id, "approve", expires_at, i),
              "rejectUrl": link_url(approval_id, "reject", expires_at, i)}
             for i, a in enumerate(approvers)]
    return {"approvalId": approval_id, "expiresAt": expires_at, "links": links}


def verified(approval_id, fields):
    field = lambda k: (fields.get(k) or [""])[0]
    key = KEYS.get(field("kid"))
    sig = field("sig")
    try:
        given = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    except ValueError:
        return None
    if key is None or not hmac.compare_digest(
            given, link_mac(key, approval_id, field("d"), field("exp"), field("a"))):
        return None
    return field("d")


def page(status, title, text, form=""):
    body = (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"</head><body><main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}"
            "</main></body></html>")
    return {"statusCode": status, "headers": {"content-type": "text/html; charset=utf-8"},
            "body": body}


def read(approval_id):
    item = DDB.get_item(TableName=TABLE, Key={"approvalId": {"S": approval_id}},
                        ConsistentRead=True).get("Item")
    return item


def link_get(event):
    approval_id = event["pathParameters"]["approvalId"]
    fields = urllib.parse.parse_qs(event.get("rawQueryString", ""))
    decision = verified(approval_id, fields)
    if decision is None:
        return page(403, "Invalid link", "This link is not valid.")
    item = read(approval_id)
    if item is None:
        return page(404, "Not found", "No such approval.")
    hidden = "".join(f'<input type=hidden name="{html.escape(k)}" value="{html.escape(v[0])}">'
                     for k, v in fields.items())
    form = f'<form method=post>{hidden}<button type=submit>Confirm: {html.escape(decision)}</button></form>'
    return page(200, item["title"]["S"], f"Confirm your decision: {decision}.", form)


def decide(approval_id, decision, who, channel):
    """The record's decision (first wins), then the delivery: claim, SendTaskSuccess, finish."""
    now = int(time.time())
    try:
        item = DDB.update_item(
            TableName=TABLE, Key={"approvalId": {"S": approval_id}},
            UpdateExpression="SET decision = :d, decidedBy = :who, decidedAt = :now",
            ConditionExpression="attribute_exists(approvalId) AND attribute_not_exists(decision) AND expiresAt > :now",
            ExpressionAttributeValues={":d": {"S": decision}, ":who": {"S": who}, ":now": {"N": str(now)}},
            ReturnValues="ALL_NEW")["Attributes"]
    except DDB.exceptions.ConditionalCheckFailedException:
        return "already decided"
    token = item["taskToken"]["S"]
    key = {"approvalId": {"S": approval_id}}
    DDB.update_item(TableName=TABLE, Key=key, UpdateExpression="SET leaseUntil = :until",
                    ConditionExpression="taskToken = :token AND attribute_not_exists(deliveredAt)",
                    ExpressionAttributeValues={":until": {"N": str(now + 60)}, ":token": {"S": token}})
    output = {"approvalId": approval_id, "decision": decision, "approved": decision == "approve",
              "decidedBy": {"id": who, "name": who, "channel": channel},
              "decidedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
    SFN.send_task_success(taskToken=token, output=json.dumps(output))
    DDB.update_item(TableName=TABLE, Key=key, UpdateExpression="SET deliveredAt = :now REMOVE leaseUntil",
                    ExpressionAttributeValues={":now": {"N": str(now)}})
    return "recorded"


def settle(approval_id):
    DDB.update_item(TableName=TABLE, Key={"approvalId": {"S": approval_id}},
                    UpdateExpression="REMOVE redrive, redriveAt")


def link_post(event):
    approval_id = event["pathParameters"]["approvalId"]
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    fields = urllib.parse.parse_qs(body)
    decision = verified(approval_id, fields)
    if decision is None:
        return page(403, "Invalid link", "This link is not valid.")
    item = read(approval_id)
    if item is None:
        return page(404, "Not found", "No such approval.")
    index = int((fields.get("a") or ["0"])[0] or 0)
    approvers = [a["S"] for a in item.get("approvers", {}).get("L", [])]
    who = approvers[index] if index < len(approvers) else "anonymous"
    if decide(approval_id, decision, who, "email") != "recorded":
        return page(409, item["title"]["S"], "Already decided.")
    settle(approval_id)
    return page(200, item["title"]["S"], "Your decision is recorded. The workflow has been told.")


def slack_click(event):
    headers = event.get("headers") or {}
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    timestamp = headers.get("x-slack-request-timestamp", "0")
    expected = "v0=" + hmac.new(SLACK_SIGNING_SECRET, f"v0:{timestamp}:{body}".encode(),
                                hashlib.sha256).hexdigest()
    if abs(time.time() - int(timestamp)) > 300 or not hmac.compare_digest(
            expected, headers.get("x-slack-signature", "")):
        return {"statusCode": 401, "body": "bad signature"}
    payload = json.loads(urllib.parse.parse_qs(body)["payload"][0])
    action = payload["actions"][0]
    approval_id = action["block_id"].removeprefix("hitl:")
    who = payload["user"]["id"]
    if read(approval_id) is None:
        return {"statusCode": 200, "body": ""}
    if decide(approval_id, action["value"], who, "slack") == "recorded":
        text = f"{action['value']} by <@{who}>"
        message = {"channel": payload["channel"]["id"], "ts": payload["message"]["ts"], "text": text,
                   "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
        answer = HTTP.request(
            "POST", f"{SLACK_API}/chat.update", body=json.dumps(message).encode(),
            headers={"Authorization": f"Bearer {SLACK_TOKEN}",
                     "Content-Type": "application/json; charset=utf-8"})
        if not json.loads(answer.data).get("ok"):
            raise RuntimeError(f"chat.update: {answer.data[:200]!r}")
        DDB.update_item(TableName=TABLE, Key={"approvalId": {"S": approval_id}},
                        UpdateExpression="SET messageUpdatedAt = :now",
                        ExpressionAttributeValues={":now": {"N": str(int(time.time()))}})
        settle(approval_id)
    return {"statusCode": 200, "body": ""}


def decision_api(event):
    route = event.get("routeKey", "")
    if route == "GET /decisions/{approvalId}":
        return link_get(event)
    if route == "POST /decisions/{approvalId}":
        return link_post(event)
    if route == "POST /slack/interactions":
        return slack_click(event)
    return {"statusCode": 404, "body": "not found"}


HANDLER = create if FUNCTION == "create-approval-links" else decision_api


def main():
    """The runtime interface: poll /next, answer /response or /error, forever."""
    api = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
    base = "/2018-06-01/runtime/invocation"
    while True:
        api.request("GET", f"{base}/next")
        answer = api.getresponse()
        event = json.loads(answer.read())
        request_id = answer.getheader("Lambda-Runtime-Aws-Request-Id")
        try:
            path, body = f"{base}/{request_id}/response", json.dumps(HANDLER(event))
        except Exception as error:  # the runtime reports any error, as Lambda's does
            path = f"{base}/{request_id}/error"
            body = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)})
        api.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        answer = api.getresponse()
        answer.read()


if __name__ == "__main__":
    main()
