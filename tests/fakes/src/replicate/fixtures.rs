//! Fixture models, loaded from `tests/fakes/fixtures/replicate/models/*.json`.
//!
//! A fixture file holds `model` (the API's model fields without `latest_version`),
//! `versionless`, `versions` (latest first, each `{id, created_at, cog_version,
//! openapi_schema}`) and `fake` (how predictions behave: an `output` template, `logs`,
//! search `tags`).

use serde::Deserialize;
use serde_json::{Value, json};

const FIXTURES: &[(&str, &str)] = &[
    (
        "acme__echo-text.json",
        include_str!("../../fixtures/replicate/models/acme__echo-text.json"),
    ),
    (
        "acme__chatter-3b.json",
        include_str!("../../fixtures/replicate/models/acme__chatter-3b.json"),
    ),
    (
        "acme__pixel-forge.json",
        include_str!("../../fixtures/replicate/models/acme__pixel-forge.json"),
    ),
    (
        "acme__quick-caption.json",
        include_str!("../../fixtures/replicate/models/acme__quick-caption.json"),
    ),
    (
        "acme__scene-inspector.json",
        include_str!("../../fixtures/replicate/models/acme__scene-inspector.json"),
    ),
    (
        "acme__upscale.x2.json",
        include_str!("../../fixtures/replicate/models/acme__upscale.x2.json"),
    ),
    (
        "acme__story-board.json",
        include_str!("../../fixtures/replicate/models/acme__story-board.json"),
    ),
    (
        "acme__tile-grid.json",
        include_str!("../../fixtures/replicate/models/acme__tile-grid.json"),
    ),
    (
        "acme__either-way.json",
        include_str!("../../fixtures/replicate/models/acme__either-way.json"),
    ),
    // Output shapes and scaffold wiring (fetch_model_schema, scaffold_pipeline).
    (
        "shapes__any-format.json",
        include_str!("../../fixtures/replicate/models/shapes__any-format.json"),
    ),
    (
        "shapes__embedder.json",
        include_str!("../../fixtures/replicate/models/shapes__embedder.json"),
    ),
    (
        "shapes__latent-consistency-model.json",
        include_str!("../../fixtures/replicate/models/shapes__latent-consistency-model.json"),
    ),
    (
        "shapes__safety-check.json",
        include_str!("../../fixtures/replicate/models/shapes__safety-check.json"),
    ),
    (
        "shapes__transcriber.json",
        include_str!("../../fixtures/replicate/models/shapes__transcriber.json"),
    ),
    (
        "shapes__tree-parser.json",
        include_str!("../../fixtures/replicate/models/shapes__tree-parser.json"),
    ),
    (
        "shapes__vision-chat.json",
        include_str!("../../fixtures/replicate/models/shapes__vision-chat.json"),
    ),
    // The tasks of issue 19 (two of them real recorded versions, see their `provenance`).
    (
        "chigozienri__image-urls-to-video.json",
        include_str!("../../fixtures/replicate/models/chigozienri__image-urls-to-video.json"),
    ),
    (
        "andreasjansson__blip-2.json",
        include_str!("../../fixtures/replicate/models/andreasjansson__blip-2.json"),
    ),
    (
        "tasks__outpainter.json",
        include_str!("../../fixtures/replicate/models/tasks__outpainter.json"),
    ),
    (
        "tasks__voice-convert.json",
        include_str!("../../fixtures/replicate/models/tasks__voice-convert.json"),
    ),
    (
        "tasks__nano-banana.json",
        include_str!("../../fixtures/replicate/models/tasks__nano-banana.json"),
    ),
    // Mocks (run_locally): an example output, format inputs, a real schema's bounds.
    (
        "shapes__frame-animator.json",
        include_str!("../../fixtures/replicate/models/shapes__frame-animator.json"),
    ),
    (
        "shapes__music-maker.json",
        include_str!("../../fixtures/replicate/models/shapes__music-maker.json"),
    ),
    (
        "shapes__stable-diffusion.json",
        include_str!("../../fixtures/replicate/models/shapes__stable-diffusion.json"),
    ),
];

/// One model version as the API returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct FixtureVersion {
    /// 64-hex version id.
    pub id: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// The cog version that built it.
    pub cog_version: String,
    /// The model's OpenAPI schema.
    pub openapi_schema: Value,
}

/// How predictions of a fixture model behave.
#[derive(Debug, Clone, Deserialize)]
pub struct FakeBehaviour {
    /// Output template. Strings may contain `{input.NAME}`, `{file:NAME}` (a file URL
    /// served by the fake) and, as a whole string, `{files:INPUT:EXT_INPUT}` (a list of
    /// file URLs, as many as the integer input `INPUT`, with the extension taken from
    /// input `EXT_INPUT`; both fall back to the schema defaults).
    pub output: Value,
    /// Logs of a successful run (`{input.NAME}` allowed).
    #[serde(default)]
    pub logs: String,
    /// Search tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct FixtureFile {
    model: Value,
    #[serde(default)]
    versionless: bool,
    versions: Vec<FixtureVersion>,
    fake: FakeBehaviour,
}

/// A model the fake serves.
#[derive(Debug, Clone)]
pub struct FixtureModel {
    /// Owner.
    pub owner: String,
    /// Name.
    pub name: String,
    /// The model's API fields other than `latest_version`.
    pub meta: Value,
    /// Whether the model has no addressable versions (official-style model).
    pub versionless: bool,
    /// Versions, latest first (versionless models still have one: the hidden latest).
    pub versions: Vec<FixtureVersion>,
    /// Prediction behaviour.
    pub fake: FakeBehaviour,
}

impl FixtureModel {
    /// `owner/name`.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// The model object as `GET /v1/models/o/n` returns it.
    pub fn to_json(&self) -> Value {
        let mut obj = self.meta.clone();
        if let Some(map) = obj.as_object_mut() {
            map.insert(
                "url".into(),
                json!(format!(
                    "https://replicate.com/{}/{}",
                    self.owner, self.name
                )),
            );
            map.insert("owner".into(), json!(self.owner));
            map.insert("name".into(), json!(self.name));
            map.insert(
                "latest_version".into(),
                self.versions
                    .first()
                    .map(version_json)
                    .unwrap_or(Value::Null),
            );
        }
        obj
    }

    /// The schema's `Input` properties.
    pub fn input_properties(&self, version: &FixtureVersion) -> serde_json::Map<String, Value> {
        version
            .openapi_schema
            .pointer("/components/schemas/Input/properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    /// A copy under another `owner/name`, with fresh version ids.
    pub fn renamed(&self, new_ref: &str) -> Option<FixtureModel> {
        let (owner, name) = new_ref.split_once('/')?;
        if owner.is_empty() || name.is_empty() || name.contains('/') {
            return None;
        }
        let mut copy = self.clone();
        copy.owner = owner.to_owned();
        copy.name = name.to_owned();
        for (i, v) in copy.versions.iter_mut().enumerate() {
            v.id = super::state::sha2_hex(&format!("{new_ref}@{i}"));
        }
        Some(copy)
    }
}

/// A recorded model version (`{id, created_at, cog_version, openapi_schema}`, as the API
/// returns it under `latest_version`) served as `owner/name`, its predictions answering
/// `output` (a template, as in a fixture's `fake` section). `None` when `reference` is not
/// `owner/name` or `version` is not a version object.
pub fn recorded(reference: &str, version: &Value, output: Value) -> Option<FixtureModel> {
    let (owner, name) = reference.split_once('/')?;
    if owner.is_empty() || name.is_empty() || name.contains('/') {
        return None;
    }
    let version: FixtureVersion = serde_json::from_value(version.clone()).ok()?;
    Some(FixtureModel {
        owner: owner.to_owned(),
        name: name.to_owned(),
        meta: json!({
            "owner": owner,
            "name": name,
            "description": null,
            "visibility": "public",
            "github_url": null,
            "paper_url": null,
            "license_url": null,
            "run_count": 0,
            "cover_image_url": null,
            "default_example": null,
        }),
        versionless: false,
        versions: vec![version],
        fake: FakeBehaviour {
            output,
            logs: String::new(),
            tags: Vec::new(),
        },
    })
}

/// A version object as the API returns it.
pub fn version_json(v: &FixtureVersion) -> Value {
    json!({
        "id": v.id,
        "created_at": v.created_at,
        "cog_version": v.cog_version,
        "openapi_schema": v.openapi_schema,
    })
}

/// Loads every fixture model. A broken fixture is a bug in this crate: it panics.
#[allow(clippy::panic)]
pub fn load_all() -> Vec<FixtureModel> {
    FIXTURES
        .iter()
        .map(|(file, text)| {
            let parsed: FixtureFile = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("fixture {file} is not valid: {e}"));
            let owner = parsed.model["owner"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let name = parsed.model["name"].as_str().unwrap_or_default().to_owned();
            FixtureModel {
                owner,
                name,
                meta: parsed.model,
                versionless: parsed.versionless,
                versions: parsed.versions,
                fake: parsed.fake,
            }
        })
        .collect()
}
