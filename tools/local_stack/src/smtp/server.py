"""The local stack's SMTP server (aiosmtpd, from the pinned Python tools).

Two listeners on 127.0.0.1: STARTTLS (a plain connection that must be upgraded before AUTH or
MAIL) on HITL_SMTP_STARTTLS_PORT and TLS from the first byte on HITL_SMTP_TLS_PORT. The certificate is made for this run by a private CA whose
certificate (HITL_SMTP_DIR/ca.pem) the functions trust (SSL_CERT_FILE), so the functions' TLS
check is the real one.
AUTH (PLAIN, LOGIN) is required, with the credentials in HITL_SMTP_USERNAME and
HITL_SMTP_PASSWORD. Every accepted message is printed on stdout as one JSON line; the local
stack puts it in its outbox, beside the SES mail.
"""

import asyncio
import datetime
import ipaddress
import json
import logging
import os
import ssl
import sys
import uuid
import warnings
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _cert(subject, issuer, public_key, signing_key, ca, sans=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


def tls_context(directory):
    """A CA (written to ca.pem, for the clients) and a server certificate it signed."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("hitl local CA", "hitl local CA", ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = _cert("localhost", "hitl local CA", key.public_key(), ca_key, False, sans)
    pem = serialization.Encoding.PEM
    paths = {name: os.path.join(directory, name) for name in ("ca.pem", "cert.pem", "key.pem")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(paths["cert.pem"], "wb") as f:
        f.write(cert.public_bytes(pem) + ca.public_bytes(pem))
    with open(paths["key.pem"], "wb") as f:
        f.write(
            key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(paths["cert.pem"], paths["key.pem"])
    return context, paths["ca.pem"]


class Authenticator:
    def __init__(self, username, password):
        self.username = username.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False)


def addresses(message, header):
    value = message[header]
    return [a.addr_spec.lower() for a in value.addresses] if value is not None else []


def body(message, kind):
    part = message.get_body(preferencelist=(kind,))
    return part.get_content() if part is not None else ""


class Handler:
    def __init__(self, security):
        self.security = security

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        sender = message["From"].addresses[0] if message["From"] is not None else None
        to, cc = addresses(message, "To"), addresses(message, "Cc")
        rcpt = [r.lower() for r in envelope.rcpt_tos]
        record = {
            "id": (message["Message-ID"] or str(uuid.uuid4())).strip("<>"),
            "via": "smtp",
            "from": sender.addr_spec if sender else envelope.mail_from,
            "fromName": (sender.display_name or None) if sender else None,
            "to": to,
            "cc": cc,
            # Bcc is in the envelope only: whoever got it without being in To or Cc.
            "bcc": [r for r in rcpt if r not in to and r not in cc],
            "replyTo": addresses(message, "Reply-To"),
            "subject": str(message["Subject"] or ""),
            "text": body(message, "plain"),
            "html": body(message, "html"),
            "security": self.security,
            "authenticated": session.authenticated,
        }
        print(json.dumps(record), flush=True)
        return "250 2.0.0 OK: queued as " + record["id"]


async def main():
    directory = os.environ["HITL_SMTP_DIR"]
    os.makedirs(directory, exist_ok=True)
    context, ca_file = tls_context(directory)
    authenticator = Authenticator(os.environ["HITL_SMTP_USERNAME"], os.environ["HITL_SMTP_PASSWORD"])
    loop = asyncio.get_running_loop()

    def smtp(security, **kwargs):
        return lambda: SMTP(
            Handler(security),
            hostname="localhost",
            authenticator=authenticator,
            auth_required=True,
            **kwargs,
        )

    starttls = await loop.create_server(
        smtp("starttls", tls_context=context, require_starttls=True),
        "127.0.0.1",
        int(os.environ["HITL_SMTP_STARTTLS_PORT"]),
    )
    # aiosmtpd cannot tell a TLS listener from a plain one: it would offer AUTH only after a
    # STARTTLS. This listener is TLS from the first byte, so AUTH needs no STARTTLS here.
    tls = await loop.create_server(
        smtp("tls", auth_require_tls=False),
        "127.0.0.1",
        int(os.environ["HITL_SMTP_TLS_PORT"]),
        ssl=context,
    )
    ready = {
        "event": "ready",
        "starttlsPort": starttls.sockets[0].getsockname()[1],
        "tlsPort": tls.sockets[0].getsockname()[1],
        "caFile": ca_file,
    }
    print(json.dumps(ready), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    # The TLS listener's auth_require_tls=False (see main) is what this warns about.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    # aiosmtpd warns of its own deprecated Session.login_data on every AUTH.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
