//! The values the store holds, and their JSON encoding.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::StoreError;

/// Tree holding [`DocVersion`]s, keyed `<source>/<version, zero padded>`.
pub(super) const VERSIONS_TREE: &str = "doc_versions";
/// The tree holding every stored docs version (for sizes: [`super::Store::tree_stats`]).
pub const DOCS_TREE: &str = VERSIONS_TREE;
/// Tree holding each version's [`VersionInfo`] (its size and hashes, no body), same keys.
pub(super) const INFOS_TREE: &str = "doc_version_infos";
/// Tree holding [`SourceState`]s, keyed by source name.
pub(super) const SOURCES_TREE: &str = "doc_sources";

/// One fetched version of a source document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocVersion {
    /// The source name (`pipelines`, `runtime`, `cog`).
    pub source: String,
    /// 1 for the first version fetched, then increasing.
    pub version: u64,
    /// The URL it was fetched from.
    pub url: String,
    /// The body as text.
    pub body: String,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// The `ETag` response header, if any.
    pub etag: Option<String>,
    /// The `Last-Modified` response header, if any.
    pub last_modified: Option<String>,
    /// Hex sha256 of the body.
    pub sha256: String,
}

impl DocVersion {
    /// The version without its body.
    pub fn info(&self) -> VersionInfo {
        VersionInfo {
            version: self.version,
            fetched_at: self.fetched_at.clone(),
            etag: self.etag.clone(),
            sha256: self.sha256.clone(),
            size: self.body.len(),
        }
    }
}

/// A stored version without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VersionInfo {
    /// The version number.
    pub version: u64,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// The `ETag`, if any.
    pub etag: Option<String>,
    /// Hex sha256 of the body.
    pub sha256: String,
    /// Body size in bytes.
    pub size: usize,
}

/// What the store knows about one source between versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// The newest stored version number.
    pub latest: u64,
    /// When the host was last asked (RFC 3339), whether or not the body changed.
    pub checked_at: String,
    /// The validators to send next time.
    pub etag: Option<String>,
    /// The `Last-Modified` to send next time.
    pub last_modified: Option<String>,
}

/// A body just fetched, to be stored as a version.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// The source name.
    pub source: &'a str,
    /// The URL it came from.
    pub url: &'a str,
    /// The body.
    pub body: &'a str,
    /// When it was fetched (RFC 3339).
    pub fetched_at: &'a str,
    /// The `ETag` header.
    pub etag: Option<&'a str>,
    /// The `Last-Modified` header.
    pub last_modified: Option<&'a str>,
}

/// The outcome of [`super::Store::put_version`].
#[derive(Debug, Clone)]
pub struct PutOutcome {
    /// The version now latest (new, or the existing one when the body was identical).
    pub current: DocVersion,
    /// The version that was latest before, if any.
    pub previous: Option<DocVersion>,
    /// Whether a new version was added (the body differed from the latest).
    pub added: bool,
}

/// Bytes and entries of one tree (see [`super::Store::tree_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeStats {
    /// Number of entries.
    pub entries: u64,
    /// Sum of the stored values' sizes in bytes.
    pub bytes: u64,
}

/// Hex sha256 of a text.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub(super) fn version_key(source: &str, version: u64) -> String {
    format!("{source}/{version:012}")
}

pub(super) fn decode<T: DeserializeOwned>(
    tree: &str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Decode {
        tree: tree.to_owned(),
        key: key.to_owned(),
        source,
    })
}

pub(super) fn encode<T: Serialize>(
    tree: &str,
    key: &str,
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|source| StoreError::Encode {
        tree: tree.to_owned(),
        key: key.to_owned(),
        source,
    })
}
