//! Steps the channel tests share: images made in place, the citizen page's
//! proof of work, uploads, signed pushes, and a loopback receiver standing
//! in for another system's callback URL (a real HTTP listener, answering
//! 200 or 500 as told, keeping what it was sent).

use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::TestServer;

/// A `w`×`h` PNG of a colour gradient.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A `w`×`h` JPEG.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([200, x as u8, y as u8]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A solved challenge of the citizen page: (challenge, nonce).
pub async fn proof(s: &TestServer) -> (String, String) {
    let (_, c) = s.public_get("/api/public/challenge").await;
    let challenge = c["challenge"].as_str().unwrap().to_owned();
    let bits = u8::try_from(c["difficulty"].as_u64().unwrap()).unwrap();
    let nonce = riskmap::identity::proof::solve(&challenge, bits);
    (challenge, nonce)
}

/// `POST path` of raw bytes (with a token if given): status and body.
pub async fn upload_to(
    s: &TestServer,
    token: Option<&str>,
    path: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    upload_at(&s.base, token, path, bytes).await
}

/// [`upload_to`] a server at `base`.
pub async fn upload_at(
    base: &str,
    token: Option<&str>,
    path: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "image/png")
        .body(bytes);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A staff upload that must succeed: the attachment id.
pub async fn upload(s: &TestServer, token: &str, bytes: Vec<u8>) -> String {
    let (status, v) = upload_to(s, Some(token), "/api/attachments", bytes).await;
    assert_eq!(status, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

/// `GET path` of bytes with a token: status and bytes.
pub async fn bytes(s: &TestServer, token: Option<&str>, path: &str) -> (u16, Vec<u8>) {
    bytes_at(&s.base, token, path).await
}

/// [`bytes`] of a server at `base`.
pub async fn bytes_at(base: &str, token: Option<&str>, path: &str) -> (u16, Vec<u8>) {
    let mut r = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

/// A citizen's report with a fresh proof; status and body.
pub async fn citizen_report(s: &TestServer, mut body: Value) -> (u16, Value) {
    let (challenge, nonce) = proof(s).await;
    body["challenge"] = json!(challenge);
    body["nonce"] = json!(nonce);
    s.public_post("/api/public/reports", &body).await
}

/// Registers an intake source as `admin`: its secret.
pub async fn add_source(s: &TestServer, admin: &str, source: &Value) -> String {
    let (status, v) = s.post(admin, "/api/intake/sources", source).await;
    assert_eq!(status, 201, "{v}");
    v["secret"].as_str().unwrap().to_owned()
}

/// The loopback receiver and the hotline source calling it back (12345,
/// its code A01 = 占道经营): the receiver and the source's secret.
pub async fn hotline(s: &TestServer, admin: &str) -> (Receiver, String) {
    let secret = Arc::new(Mutex::new(String::new()));
    let rx = Receiver::start(secret.clone()).await;
    let key = add_source(
        s,
        admin,
        &json!({ "name": "hotline12345", "title": "12345 热线", "kind": "hotline",
                 "categories": { "A01": "0201" }, "callback_url": rx.url }),
    )
    .await;
    secret.lock().clone_from(&key);
    (rx, key)
}

/// Takes a dispatched-to-be incident through to closed: accepted and
/// dispatched to S1 by `disp`, signed and handled by `field` (S1, with
/// `start`/`handle` bodies' extra fields), verified and closed by `disp`
/// (the close with `close`'s extra fields).
pub async fn handle_through(
    s: &TestServer,
    id: &str,
    (disp, field): (&str, &str),
    (start, handle, close): (Option<Value>, Value, Value),
) {
    let mut steps = vec![
        (disp, json!({ "action": "accept" })),
        (disp, json!({ "action": "dispatch", "staff_id": "S1" })),
        (field, json!({ "action": "sign" })),
    ];
    steps.extend(start.map(|v| (field, merged(json!({ "action": "start" }), v))));
    steps.push((field, merged(json!({ "action": "handle" }), handle)));
    steps.push((disp, json!({ "action": "verify" })));
    steps.push((disp, merged(json!({ "action": "close" }), close)));
    crate::incidents::walk(s, id, &steps).await;
}

fn merged(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// Pushes `body` to `/api/intake/{source}` signed with `secret` at `ts`
/// (Unix seconds): status and answer.
pub async fn push_at(
    s: &TestServer,
    source: &str,
    secret: &str,
    ts: i64,
    body: &Value,
) -> (u16, Value) {
    push_signed(&s.base, source, secret, ts, body).await
}

/// [`push_at`] a server at `base`.
pub async fn push_signed(
    base: &str,
    source: &str,
    secret: &str,
    ts: i64,
    body: &Value,
) -> (u16, Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let r = reqwest::Client::new()
        .post(format!("{base}/api/intake/{source}"))
        .header("content-type", "application/json")
        .header("x-riskmap-timestamp", ts.to_string())
        .header(
            "x-riskmap-signature",
            riskmap::connector::sign(secret, ts, &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// [`push_at`] now.
pub async fn push(s: &TestServer, source: &str, secret: &str, body: &Value) -> (u16, Value) {
    push_at(s, source, secret, riskmap::clock::now_ms() / 1000, body).await
}

/// What the receiver was sent: the body and whether its signature held.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Value,
    pub signed: bool,
}

/// Another system's callback endpoint on 127.0.0.1.
pub struct Receiver {
    pub url: String,
    status: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Listening, answering 200, checking signatures with `secret` (set
    /// once known).
    pub async fn start(secret: Arc<Mutex<String>>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/callback", listener.local_addr().unwrap());
        let status = Arc::new(AtomicU16::new(200));
        let got = Arc::new(Mutex::new(Vec::new()));
        let (st, g) = (status.clone(), got.clone());
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let (st, g, secret) = (st.clone(), g.clone(), secret.clone());
                tokio::spawn(async move {
                    let Some((head, body)) = read_request(&mut conn).await else {
                        return;
                    };
                    let code = st.load(Ordering::SeqCst);
                    if code == 200 {
                        let header = |name: &str| {
                            head.lines().find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                            })
                        };
                        let signed = riskmap::connector::verify(
                            &secret.lock(),
                            header("x-riskmap-timestamp").as_deref(),
                            header("x-riskmap-signature").as_deref(),
                            &body,
                            riskmap::clock::now_ms(),
                        )
                        .is_ok();
                        g.lock().push(Received {
                            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                            signed,
                        });
                    }
                    let reply = format!(
                        "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                });
            }
        });
        Receiver { url, status, got }
    }

    /// Answers `code` from now on (500: a system that is down).
    pub fn answer(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }

    /// What it took (answered 200) so far.
    pub fn got(&self) -> Vec<Received> {
        self.got.lock().clone()
    }
}

/// One HTTP/1.1 request: its head and body.
async fn read_request(conn: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    let end = loop {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < end + len {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((head, buf[end..].to_vec()))
}

/// Polls `done` until it holds, for at most `within`; fails the test
/// naming `what` if it never does.
pub async fn until<F, Fut>(what: &str, within: std::time::Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !done().await {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
