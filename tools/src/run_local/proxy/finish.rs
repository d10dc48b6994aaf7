//! The end of a run's proxy: predictions the run left unfinished are canceled upstream, and
//! the output files of forwarded predictions are sized, so the trace says what every model
//! returned.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::Shared;
use super::forward::{read_answer, update};
use crate::run_local::RunStatus;

/// Time allowed for the cancel calls at the end of a run.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);
/// Most output files whose size is looked up at the end of a run.
const MAX_SIZED_FILES: usize = 32;
/// Time allowed for those look-ups.
const SIZE_TIMEOUT: Duration = Duration::from_secs(5);

/// Fills in the size (and a missing content type) of forwarded predictions' output files
/// with a `HEAD` of each URL (no credentials: the files are public links), so the trace says
/// what every model returned, as it does for mocked files.
pub(crate) async fn size_output_files(shared: &Shared) {
    let urls: Vec<String> = {
        let tables = shared.tables();
        let mut urls: Vec<String> = tables
            .records
            .iter()
            .filter(|r| r.mock.is_none())
            .filter_map(|r| r.call.output.as_ref()?.get("files")?.as_array())
            .flatten()
            .filter(|f| f.get("size").is_none_or(Value::is_null))
            .filter_map(|f| f.get("url")?.as_str().map(str::to_owned))
            .collect();
        urls.sort();
        urls.dedup();
        urls.truncate(MAX_SIZED_FILES);
        urls
    };
    let heads = urls.into_iter().map(|url| async move {
        let answer = shared
            .client
            .head(&url)
            .timeout(SIZE_TIMEOUT)
            .send()
            .await
            .ok()?;
        if !answer.status().is_success() {
            return None;
        }
        let header = |name: reqwest::header::HeaderName| {
            answer.headers().get(name)?.to_str().ok().map(str::to_owned)
        };
        let size = header(reqwest::header::CONTENT_LENGTH)?
            .parse::<u64>()
            .ok()?;
        let content_type = header(reqwest::header::CONTENT_TYPE);
        Some((url, size, content_type))
    });
    let found = futures::future::join_all(heads).await;
    let mut tables = shared.tables();
    for (url, size, content_type) in found.into_iter().flatten() {
        if let Some(info) = tables.files.get_mut(&url) {
            info.size = Some(size);
        }
        for record in &mut tables.records {
            fill_input_size(&mut record.call.inputs, &url, size);
        }
        for record in tables.records.iter_mut().filter(|r| r.mock.is_none()) {
            let Some(files) = record
                .call
                .output
                .as_mut()
                .and_then(|o| o.get_mut("files"))
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for file in files
                .iter_mut()
                .filter(|f| f.get("url").and_then(Value::as_str) == Some(url.as_str()))
            {
                file["size"] = Value::from(size);
                if let Some(ct) = &content_type
                    && file.get("content_type").and_then(Value::as_str)
                        == Some("application/octet-stream")
                {
                    file["content_type"] = Value::from(ct.split(';').next().unwrap_or(ct).trim());
                }
            }
        }
    }
}

/// Sets the size of the file `url` wherever the inputs show it without one.
fn fill_input_size(inputs: &mut Value, url: &str, size: u64) {
    match inputs {
        Value::Object(map) => {
            if map.get("url").and_then(Value::as_str) == Some(url)
                && map.get("size").is_some_and(Value::is_null)
            {
                map.insert("size".to_owned(), Value::from(size));
            } else {
                for v in map.values_mut() {
                    fill_input_size(v, url, size);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                fill_input_size(v, url, size);
            }
        }
        _ => {}
    }
}

/// Cancels upstream every forwarded prediction not seen finished (`POST …/cancel`), and
/// marks it canceled in the trace.
pub(crate) async fn cancel_unfinished(shared: Arc<Shared>) {
    let pending: Vec<String> = shared
        .tables()
        .records
        .iter()
        .filter(|r| r.mock.is_none())
        .filter(|r| !r.call.status.is_finished())
        .map(|r| r.id.clone())
        .collect();
    let calls = pending.into_iter().map(|id| {
        let shared = shared.clone();
        async move {
            let url = format!("{}/v1/predictions/{id}/cancel", shared.spec.upstream);
            let mut builder = shared.client.post(url).timeout(CANCEL_TIMEOUT);
            if let Some(token) = &shared.spec.token {
                builder = builder.bearer_auth(token);
            }
            match builder.send().await {
                Ok(answer) => {
                    tracing::debug!(%id, status = %answer.status(), "canceled an unfinished prediction");
                    if let Ok(bytes) = read_answer(answer).await
                        && let Ok(json) = serde_json::from_slice::<Value>(&bytes)
                    {
                        update(&shared, &json);
                    }
                }
                Err(e) => tracing::warn!(%id, "could not cancel an unfinished prediction: {e}"),
            }
            let now = shared.now_ms();
            let mut tables = shared.tables();
            if let Some(&i) = tables.by_id.get(&id) {
                let call = &mut tables.records[i].call;
                if !matches!(call.status, RunStatus::Succeeded | RunStatus::Failed) {
                    call.status = RunStatus::Canceled;
                    call.ended_ms.get_or_insert(now);
                }
            }
        }
    });
    futures::future::join_all(calls).await;
}
