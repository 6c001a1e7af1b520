//! HTTPS on `--listen` with `--tls-cert`/`--tls-key`: a real TLS handshake
//! with a certificate made by openssl for the test, a request answered over
//! it, a printed venue code's link over https, plain HTTP refused, and a bad key refused at start with a reason.

#![allow(clippy::unwrap_used)]

use riskmap_tests as common;

use std::process::Command;
use std::sync::Arc;

use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A test CA and a certificate for localhost signed by it: (CA, cert, key).
fn make_cert(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let p = |name: &str| dir.join(name);
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=riskmap test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    std::fs::write(
        p("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ]);
    (p("ca.pem"), p("cert.pem"), p("key.pem"))
}

/// One HTTP/1.1 request over TLS (`head` without its last blank line, or
/// with its body after it); the whole answer.
async fn over_tls(config: &Arc<ClientConfig>, addr: std::net::SocketAddr, head: &str) -> String {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(config.clone())
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let request = match head.split_once("\r\n\r\n") {
        Some((h, body)) => format!("{h}\r\nConnection: close\r\n\r\n{body}"),
        None => format!("{head}Connection: close\r\n\r\n"),
    };
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn https_serves_and_plain_http_is_refused() {
    let (mut args, tmp) = common::test_args().await;
    let (ca, cert, key) = make_cert(tmp.path());
    args.tls_cert = Some(cert);
    args.tls_key = Some(key);
    let s = TestServer::start_with(args).await;
    let addr = s.server().addr;
    // What the operator is told to open is https.
    let banner = riskmap::serve::banner(s.server(), false, true);
    assert!(
        banner.contains(&format!("riskmap is running at https://{addr}/")),
        "{banner}"
    );

    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&ca).unwrap())
        .unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    let host = format!("localhost:{}", addr.port());
    let answer = over_tls(
        &config,
        addr,
        &format!("GET /health HTTP/1.1\r\nHost: {host}\r\n"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"status":"ok"}"#), "{answer}");

    // A printed venue code links back over https: a phone opening an
    // http:// link on this port would get no answer.
    let body = serde_json::json!({ "username": "admin", "password": s.admin_password }).to_string();
    let login = over_tls(
        &config,
        addr,
        &format!(
            "POST /api/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    let token = login
        .split(r#""token":""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let code = over_tls(
        &config,
        addr,
        &format!(
            "GET /api/venues/K1/code HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        ),
    )
    .await;
    assert!(
        code.contains(&format!(r#""link":"https://{host}/field?venue=K1."#)),
        "{code}"
    );

    // Plain HTTP gets no answer from a TLS port.
    let plain = s.http.get(format!("http://{addr}/health")).send().await;
    assert!(plain.is_err(), "{plain:?}");
}

#[tokio::test]
async fn a_bad_key_is_refused_at_start() {
    let (mut args, tmp) = common::test_args().await;
    let (_, cert, _) = make_cert(tmp.path());
    std::fs::write(tmp.path().join("bad.pem"), "not a key").unwrap();
    args.tls_cert = Some(cert);
    args.tls_key = Some(tmp.path().join("bad.pem"));
    let Err(e) = riskmap::serve::start(args).await else {
        panic!("started with a bad key")
    };
    assert!(e.to_string().contains("--tls-key"), "{e}");
}
