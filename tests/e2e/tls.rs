//! HTTPS on `--listen` with `--tls-cert`/`--tls-key`: a real TLS handshake
//! with a certificate made by openssl for the test, a request answered over
//! it, plain HTTP refused, and a bad key refused at start with a reason.

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

#[tokio::test]
async fn https_serves_and_plain_http_is_refused() {
    let (mut args, tmp) = common::test_args().await;
    let (ca, cert, key) = make_cert(tmp.path());
    args.tls_cert = Some(cert);
    args.tls_key = Some(key);
    let s = TestServer::start_with(args).await;
    let addr = s.server().addr;

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
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"status":"ok"}"#), "{answer}");

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
