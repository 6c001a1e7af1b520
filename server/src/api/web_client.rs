//! The built web client (the big screen at `/`, the field page at
//! `/field`, the logins page at `/admin`, the citizen page at `/report`), or, when the server could not find it, a page at those paths
//! that says so and how to fix it, instead of an empty 404.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};

use super::error::ApiError;
use crate::app::App;

/// Serves the web client from `dir`, or the page that says it is missing.
pub fn serve(r: Router<Arc<App>>, dir: Option<PathBuf>) -> Router<Arc<App>> {
    match dir {
        Some(dir) => {
            let field = dir.join("field.html");
            let admin = dir.join("admin.html");
            let report = dir.join("report.html");
            r.route_service("/field", ServeFile::new(field))
                .route_service("/admin", ServeFile::new(admin))
                // The citizen page: a new report, and one report's status.
                .route_service("/report", ServeFile::new(report.clone()))
                .route_service("/report/{code}", ServeFile::new(report))
                .fallback_service(ServeDir::new(dir))
        }
        None => r.fallback(missing),
    }
}

/// What a browser gets at the pages' paths without a web client; any other
/// unknown path is a plain 404.
async fn missing(uri: Uri) -> Response {
    if !matches!(
        uri.path(),
        "/" | "/index.html" | "/field" | "/field.html" | "/admin" | "/admin.html" | "/report"
    ) && !uri.path().starts_with("/report/")
    {
        return ApiError::NotFound(format!("no route {}", uri.path())).into_response();
    }
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        MISSING_PAGE,
    )
        .into_response()
}

const MISSING_PAGE: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>riskmap — 未找到网页客户端</title>
<style>body{font:16px/1.6 system-ui,sans-serif;max-width:42em;margin:3em auto;padding:0 1em;color:#1d2733}
code{background:#eef2f6;padding:.1em .3em;border-radius:3px}</style></head>
<body>
<h1>未找到网页客户端 · The web client was not found</h1>
<p>服务器正在运行，接口可用（<code>/api/openapi.json</code>），但没有找到已构建的大屏和移动端页面。</p>
<p>The server is running and its API answers (<code>/api/openapi.json</code>), but it found no
built web client to serve here.</p>
<ol>
<li>构建网页客户端 · Build it: <code>cd web-client &amp;&amp; npm ci &amp;&amp; npm run build</code></li>
<li>在仓库根目录启动，或指明目录 · Start the server from the repository's root, or point to
the build: <code>riskmap serve --static-dir web-client/dist</code></li>
</ol>
<p><code>./scripts/demo.sh</code> 会自动完成以上步骤 · does both for you.</p>
</body></html>
"#;
