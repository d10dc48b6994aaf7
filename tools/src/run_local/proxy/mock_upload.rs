//! `POST /v1/files` when no upstream is reachable (fully mocked runs): the file is kept by
//! the proxy and served like a mock output, with the content type its bytes say.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::mock::store_file;
use super::{Shared, json_response, problem, read_body};

/// Longest upload read.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// `POST /v1/files` when no upstream is reachable (fully mocked runs): kept here.
pub(crate) async fn upload(shared: &Shared, request: Request) -> Response {
    let boundary = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_owned());
    let body = match read_body(request.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some((name, content_type, content)) = boundary.and_then(|b| content_part(&body, &b)) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "Expected a multipart/form-data body with a `content` part",
        );
    };
    // The trace shows what was really sent: the type its bytes say, else the declared one.
    let content_type = match crate::run_local::magic::media_type(&content) {
        Some(sniffed) => sniffed.to_owned(),
        None if content_type == "application/octet-stream" => {
            crate::run_local::data_uri::media_type_for(&name).to_owned()
        }
        None => content_type,
    };
    let size = content.len();
    let url = store_file(shared, &name, &content_type, content);
    let id = url.rsplit('/').nth(1).unwrap_or("f").to_owned();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    json_response(
        StatusCode::CREATED,
        &json!({
            "id": id, "name": name, "content_type": content_type, "size": size,
            "etag": format!("\"{id}\""), "checksums": {}, "metadata": {},
            "created_at": now, "expires_at": null, "urls": {"get": url},
        }),
    )
}

/// The `content` part of a multipart body: file name, content type, bytes.
fn content_part(body: &[u8], boundary: &str) -> Option<(String, String, axum::body::Bytes)> {
    let delimiter = format!("--{boundary}");
    let parts = split(body, delimiter.as_bytes());
    for part in parts {
        let header_end = find(part, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..header_end]).to_string();
        if !head.contains("name=\"content\"") {
            continue;
        }
        let mut data = &part[header_end + 4..];
        if data.ends_with(b"\r\n") {
            data = &data[..data.len() - 2];
        }
        let name = head
            .split("filename=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("file")
            .to_owned();
        let content_type = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("content-type:")
                    .then(|| l[13..].trim().to_owned())
            })
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        return Some((name, content_type, axum::body::Bytes::copy_from_slice(data)));
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(body: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, delimiter) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    parts
        .into_iter()
        .map(|p| p.strip_prefix(b"\r\n").unwrap_or(p))
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_content_part() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}\r\n--XX--\r\n";
        let (name, ty, data) = content_part(body, "XX").unwrap();
        assert_eq!(
            (name.as_str(), ty.as_str(), &data[..]),
            ("a.txt", "text/plain", &b"hello"[..])
        );
    }
}
