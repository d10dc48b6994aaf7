//! The fake Replicate API itself: the shapes replicate-python 1.1.0b3 reads, prediction
//! status transitions, files, validation and RFC 7807 errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pipelines_test_fakes::replicate::{FakeReplicate, Fault};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn get(fake: &FakeReplicate, path: &str) -> (u16, Value) {
    let resp = http()
        .get(format!("{}{path}", fake.base_url))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn post(fake: &FakeReplicate, path: &str, body: Value) -> (u16, Value) {
    let resp = http()
        .post(format!("{}{path}", fake.base_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn model_objects_have_what_the_client_needs() {
    let fake = FakeReplicate::start().await;
    for model in fake.model_refs() {
        let (status, body) = get(&fake, &format!("/v1/models/{model}")).await;
        assert_eq!(status, 200);
        for field in [
            "url",
            "owner",
            "name",
            "description",
            "visibility",
            "run_count",
        ] {
            assert!(!body[field].is_null(), "{model}: {field}");
        }
        let latest = &body["latest_version"];
        assert!(latest["id"].is_string());
        assert!(latest["created_at"].is_string());
        assert!(
            latest["cog_version"].is_string(),
            "cog_version must be a string"
        );
        assert!(latest["openapi_schema"]["components"]["schemas"]["Input"].is_object());
        assert!(latest["openapi_schema"]["components"]["schemas"]["Output"].is_object());
    }
}

#[tokio::test]
async fn versions_and_versionless_models() {
    let fake = FakeReplicate::start().await;
    let (status, body) = get(&fake, "/v1/models/acme/echo-text/versions").await;
    assert_eq!(status, 200);
    assert_eq!(body["results"].as_array().unwrap().len(), 2);
    let id = body["results"][1]["id"].as_str().unwrap().to_owned();
    let (status, version) = get(&fake, &format!("/v1/models/acme/echo-text/versions/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(version["id"], json!(id));

    let (status, body) = get(&fake, "/v1/models/acme/quick-caption/versions").await;
    assert_eq!(
        (status, body),
        (404, json!({"detail": "Not found", "status": 404}))
    );
}

#[tokio::test]
async fn prediction_moves_from_starting_to_succeeded() {
    let fake = FakeReplicate::start().await;
    let version = fake.version_ids("acme/chatter-3b")[0].clone();
    let (status, created) = post(
        &fake,
        "/v1/predictions",
        json!({"version": version, "input": {"prompt": "hi"}}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["status"], "starting");
    assert_eq!(created["model"], "acme/chatter-3b");
    assert_eq!(created["version"], json!(version));
    assert_eq!(created["input"], json!({"prompt": "hi"}));
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        created["urls"]["get"],
        json!(format!("{}/v1/predictions/{id}", fake.base_url))
    );
    let (_, p1) = get(&fake, &format!("/v1/predictions/{id}")).await;
    assert_eq!(p1["status"], "processing");
    assert_eq!(p1["output"], json!(["Here ", "is ", "my "]));
    let (_, p2) = get(&fake, &format!("/v1/predictions/{id}")).await;
    assert_eq!(p2["status"], "succeeded");
    assert_eq!(
        p2["output"],
        json!(["Here ", "is ", "my ", "answer ", "to: ", "hi"])
    );
    assert!(p2["completed_at"].is_string());
    let (_, p3) = get(&fake, &format!("/v1/predictions/{id}")).await;
    assert_eq!(p3["status"], "succeeded");
}

#[tokio::test]
async fn versionless_prediction_and_file_outputs() {
    let fake = FakeReplicate::start().await;
    let (status, created) = post(
        &fake,
        "/v1/models/acme/pixel-forge/predictions",
        json!({"input": {"prompt": "a cat", "num_outputs": 2, "output_format": "png"}}),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    get(&fake, &format!("/v1/predictions/{id}")).await;
    let (_, done) = get(&fake, &format!("/v1/predictions/{id}")).await;
    let urls = done["output"].as_array().unwrap();
    assert_eq!(urls.len(), 2);
    let url = urls[0].as_str().unwrap();
    assert!(url.starts_with(&fake.base_url) && url.ends_with(".png"));
    let bytes = http().get(url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"\x89PNG");

    let (_, caption) = post(
        &fake,
        "/v1/models/acme/quick-caption/predictions",
        json!({"input": {"image": "https://example.invalid/x.png"}}),
    )
    .await;
    assert_eq!(caption["version"], "hidden");
}

#[tokio::test]
async fn failing_and_canceled_predictions() {
    let fake = FakeReplicate::start().await;
    let (_, created) = post(
        &fake,
        "/v1/models/acme/echo-text/predictions",
        json!({"input": {"text": "please FAIL_PREDICTION"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    get(&fake, &format!("/v1/predictions/{id}")).await;
    let (_, failed) = get(&fake, &format!("/v1/predictions/{id}")).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("simulated failure")
    );
    assert!(failed["logs"].as_str().unwrap().contains("Traceback"));

    let (_, created) = post(
        &fake,
        "/v1/models/acme/echo-text/predictions",
        json!({"input": {"text": "x"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let (status, canceled) = post(&fake, &format!("/v1/predictions/{id}/cancel"), json!({})).await;
    assert_eq!(
        (status, canceled["status"].clone()),
        (200, json!("canceled"))
    );
}

#[tokio::test]
async fn invalid_inputs_and_versions_are_rejected() {
    let fake = FakeReplicate::start().await;
    let (status, body) = post(
        &fake,
        "/v1/models/acme/pixel-forge/predictions",
        json!({"input": {"aspect_ratio": "2:1", "num_outputs": "3"}}),
    )
    .await;
    assert_eq!(status, 422);
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("prompt is required"), "{detail}");
    assert!(detail.contains("aspect_ratio must be one of"), "{detail}");
    assert!(detail.contains("Expected: integer"), "{detail}");

    let (status, body) = post(
        &fake,
        "/v1/predictions",
        json!({"version": "0000", "input": {}}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["title"], "Invalid version or not permitted");
}

#[tokio::test]
async fn files_upload_and_download() {
    let fake = FakeReplicate::start().await;
    let form = reqwest::multipart::Form::new().part(
        "content",
        reqwest::multipart::Part::bytes(b"hello bytes".to_vec())
            .file_name("in.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let resp = http()
        .post(format!("{}/v1/files", fake.base_url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let file: Value = resp.json().await.unwrap();
    for field in [
        "id",
        "name",
        "content_type",
        "size",
        "etag",
        "checksums",
        "metadata",
        "created_at",
    ] {
        assert!(!file[field].is_null(), "{field}");
    }
    assert_eq!(file["name"], "in.txt");
    assert_eq!(file["size"], 11);
    let id = file["id"].as_str().unwrap();
    assert_eq!(
        file["urls"]["get"],
        json!(format!("{}/v1/files/{id}", fake.base_url))
    );
    assert_eq!(fake.uploaded_file(id).unwrap(), b"hello bytes");
    let downloaded = http()
        .get(format!("{}/v1/files/{id}/download", fake.base_url))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&downloaded[..], b"hello bytes");
}

#[tokio::test]
async fn errors_are_rfc7807_and_switches_work() {
    let fake = FakeReplicate::start().await;
    fake.require_token(Some("r8_ok"));
    let (status, body) = get(&fake, "/v1/models/acme/echo-text").await;
    assert_eq!(status, 401);
    assert_eq!(body["title"], "Unauthenticated");
    assert_eq!(
        body["detail"],
        "You did not pass a valid authentication token"
    );
    let resp = http()
        .get(format!("{}/v1/models/acme/echo-text", fake.base_url))
        .bearer_auth("r8_ok")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        fake.requests().last().unwrap().authorization.as_deref(),
        Some("Bearer r8_ok")
    );

    fake.require_token(None);
    fake.inject(Fault::status(429).retry_after("7"));
    let resp = http()
        .get(format!("{}/v1/models/acme/echo-text", fake.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    let (status, _) = get(&fake, "/v1/models/acme/echo-text").await;
    assert_eq!(status, 200, "a fault applies once by default");
}
