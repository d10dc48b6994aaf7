//! The spec documents' versions: storing a fetched body (a new version only when it
//! changed), recording a 304, a source's state, and reading versions back.

use super::db::{db_get, db_insert};
use super::types::{INFOS_TREE, SOURCES_TREE, VERSIONS_TREE, decode, encode, version_key};
use super::{
    DocVersion, NewVersion, PutOutcome, SourceState, Store, StoreError, VersionInfo, sha256_hex,
};

impl Store {
    /// Stores a freshly fetched body. If it equals the latest version's body, no version is
    /// added; the source's validators and `checked_at` are updated either way.
    pub fn put_version(&self, new: &NewVersion<'_>) -> Result<PutOutcome, StoreError> {
        let sha256 = sha256_hex(new.body);
        let source_key = new.source.to_owned();
        self.write(|db, w| {
            let state: Option<SourceState> = db_get(db, SOURCES_TREE, &source_key)?
                .map(|b| decode(SOURCES_TREE, &source_key, &b))
                .transpose()?;
            let previous: Option<DocVersion> = match &state {
                Some(s) => {
                    let k = version_key(new.source, s.latest);
                    db_get(db, VERSIONS_TREE, &k)?
                        .map(|b| decode(VERSIONS_TREE, &k, &b))
                        .transpose()?
                }
                None => None,
            };
            let (current, added) = match &previous {
                Some(p) if p.sha256 == sha256 => (p.clone(), false),
                _ => {
                    let version = state.as_ref().map_or(0, |s| s.latest) + 1;
                    let v = DocVersion {
                        source: new.source.to_owned(),
                        version,
                        url: new.url.to_owned(),
                        body: new.body.to_owned(),
                        fetched_at: new.fetched_at.to_owned(),
                        etag: new.etag.map(str::to_owned),
                        last_modified: new.last_modified.map(str::to_owned),
                        sha256: sha256.clone(),
                    };
                    let k = version_key(new.source, version);
                    db_insert(db, w, VERSIONS_TREE, &k, encode(VERSIONS_TREE, &k, &v)?)?;
                    let info = encode(INFOS_TREE, &k, &v.info())?;
                    db_insert(db, w, INFOS_TREE, &k, info)?;
                    (v, true)
                }
            };
            let next = SourceState {
                latest: current.version,
                checked_at: new.fetched_at.to_owned(),
                etag: new.etag.map(str::to_owned),
                last_modified: new.last_modified.map(str::to_owned),
            };
            db_insert(
                db,
                w,
                SOURCES_TREE,
                &source_key,
                encode(SOURCES_TREE, &source_key, &next)?,
            )?;
            Ok(PutOutcome {
                current,
                previous: if added { previous } else { None },
                added,
            })
        })
    }

    /// Records that the host was asked and answered "not modified" at `checked_at`. When
    /// the validators are unchanged (the usual 304) only the small `checked.<source>` file and
    /// the stamp are rewritten, so a 304 costs no database write.
    pub fn mark_checked(
        &self,
        source: &str,
        checked_at: &str,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<(), StoreError> {
        let Some(state) = self.get_json::<SourceState>(SOURCES_TREE, source)? else {
            return Ok(());
        };
        let unchanged = etag.is_none_or(|e| state.etag.as_deref() == Some(e))
            && last_modified.is_none_or(|l| state.last_modified.as_deref() == Some(l));
        if unchanged {
            self.write_checked(source, checked_at)?;
            // A new stamp tells readers to look again (they keep a source's state, checked
            // time included, while the stamp stays; no database write is needed for that).
            self.bump_stamp();
            return Ok(());
        }
        self.write(|db, w| {
            let Some(bytes) = db_get(db, SOURCES_TREE, source)? else {
                return Ok(());
            };
            let mut state: SourceState = decode(SOURCES_TREE, source, &bytes)?;
            state.checked_at = checked_at.to_owned();
            if etag.is_some() {
                state.etag = etag.map(str::to_owned);
            }
            if last_modified.is_some() {
                state.last_modified = last_modified.map(str::to_owned);
            }
            db_insert(
                db,
                w,
                SOURCES_TREE,
                source,
                encode(SOURCES_TREE, source, &state)?,
            )?;
            Ok(())
        })
    }

    /// The state of a source, if anything was ever stored for it. `checked_at` is the later
    /// of the stored one and the last 304's.
    pub fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError> {
        let state: Option<SourceState> = self.get_json(SOURCES_TREE, source)?;
        Ok(self.with_checked(source, state))
    }

    /// One stored version.
    pub fn version(&self, source: &str, version: u64) -> Result<Option<DocVersion>, StoreError> {
        let key = version_key(source, version);
        let stamp = self.read_stamp();
        if let Some(hit) = self.memo().decoded(&stamp, &key) {
            return Ok(Some(hit));
        }
        // Read after the stamp: what was read is at least as new as the stamp it is kept under.
        let Some(raw) = self.get_raw(VERSIONS_TREE, &key)? else {
            return Ok(None);
        };
        let decoded: DocVersion = decode(VERSIONS_TREE, &key, &raw)?;
        self.memo().put_decoded(stamp, key, decoded.clone());
        Ok(Some(decoded))
    }

    /// The newest stored version.
    pub fn latest_version(&self, source: &str) -> Result<Option<DocVersion>, StoreError> {
        match self.source_state(source)? {
            Some(s) => self.version(source, s.latest),
            None => Ok(None),
        }
    }

    /// Every stored version of a source, oldest first, without bodies: read from the
    /// small per-version records written with each version (a version stored before those
    /// records existed is loaded once to measure it).
    pub fn list_versions(&self, source: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let prefix = format!("{source}/");
        let mut out = Vec::new();
        for key in self.list_keys(VERSIONS_TREE)? {
            if !key.starts_with(&prefix) {
                continue;
            }
            if let Some(info) = self.get_json::<VersionInfo>(INFOS_TREE, &key)? {
                out.push(info);
            } else if let Some(v) = self.get_json::<DocVersion>(VERSIONS_TREE, &key)? {
                out.push(v.info());
            }
        }
        out.sort_by_key(|v| v.version);
        Ok(out)
    }
}
