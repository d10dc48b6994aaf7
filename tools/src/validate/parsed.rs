//! Parsed files kept by content, as ruff keeps its results per file: `cog.yaml`, the
//! requirements and the Python files of a project are parsed once for a given path and text,
//! and every later load of the same text (the next validation after an edit to another file,
//! the check `run_locally` makes, another caller of a team host sending the same template)
//! shares the parse. Parsing is a pure function of the path and the text, so a kept parse is
//! exactly what parsing again would give.
//!
//! Bounded: files up to [`MAX_KEPT_FILE_BYTES`] are kept, at most [`MAX_KEPT_BYTES`] of text
//! and [`MAX_KEPT_FILES`] files in all; the least recently used go first. Larger files are
//! parsed every time. A Python file's parse takes up to about 40 times its text in memory
//! (measured with dense 60 KiB files), so the bounds keep the worst case near 10 MB.

use std::{
    borrow::Cow,
    collections::HashMap,
    hash::{BuildHasher, Hasher},
    sync::{Arc, Mutex, OnceLock},
};

use super::{
    bounded::SHALLOW_NESTING,
    cog_yaml::CogYaml,
    python::{PythonFile, is_shallow},
    requirements::RequirementsFile,
};

/// The largest file kept.
pub const MAX_KEPT_FILE_BYTES: usize = 16 * 1024;
/// The most text kept in all.
pub const MAX_KEPT_BYTES: usize = 256 * 1024;
/// The most files kept.
pub const MAX_KEPT_FILES: usize = 64;

/// Whether a load may parse, or only on conditions (see [`super::Project::here`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parsing {
    /// Parse what is not kept.
    Parse,
    /// Parse what is not kept when it is shallow ([`is_shallow`] to [`SHALLOW_NESTING`], as
    /// [`super::small_and_shallow`] asks of a project loaded on the caller's thread): a file
    /// that is neither ends the load.
    Shallow,
    /// Only kept parses: a file that is not kept ends the load.
    KeptOnly,
}

impl Parsing {
    /// Whether to parse `text`, which is not kept, and whether it is known to be shallow;
    /// `None` ends the load.
    fn parse_new(self, text: &str) -> Option<Depth> {
        match self {
            Parsing::Parse => Some(Depth::Unknown),
            Parsing::Shallow => is_shallow(text, SHALLOW_NESTING).then_some(Depth::Shallow),
            Parsing::KeptOnly => None,
        }
    }
}

const _: () = assert!(SHALLOW_NESTING <= super::python::NESTING_LIMIT);

/// What is known of a file's nesting before it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Nothing: the parser checks it.
    Unknown,
    /// Shallow ([`is_shallow`] to [`SHALLOW_NESTING`], far below the parser's limit).
    Shallow,
}

/// One kept parse.
#[derive(Clone)]
enum Kept {
    Cog(Arc<CogYaml>),
    Python(Arc<PythonFile>),
    Requirements(Arc<RequirementsFile>),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Cog,
    Python,
    Requirements,
}

struct Entry {
    kind: Kind,
    path: Box<str>,
    text: Box<str>,
    kept: Kept,
    used: u64,
}

#[derive(Default)]
struct Store {
    /// By a hash of kind, path and text; the entries' own path and text are compared.
    entries: HashMap<u64, Vec<Entry>>,
    files: usize,
    bytes: usize,
    clock: u64,
}

struct Memo {
    /// Randomly seeded, as std's; it hashes every file of every load, where std's SipHash
    /// cost several times as much.
    hasher: foldhash::fast::RandomState,
    store: Mutex<Store>,
}

fn memo() -> &'static Memo {
    static MEMO: OnceLock<Memo> = OnceLock::new();
    MEMO.get_or_init(|| Memo {
        hasher: foldhash::fast::RandomState::default(),
        store: Mutex::new(Store::default()),
    })
}

/// `cog.yaml`'s parse.
pub(crate) fn cog(text: Cow<'_, str>, parsing: Parsing) -> Option<Arc<CogYaml>> {
    let kept = get_or_parse(Kind::Cog, "cog.yaml", text, parsing, |text, _| {
        Kept::Cog(Arc::new(CogYaml::parse(text)))
    })?;
    match kept {
        Kept::Cog(c) => Some(c),
        _ => None,
    }
}

/// A Python file's parse.
pub(crate) fn python(path: &str, text: Cow<'_, str>, parsing: Parsing) -> Option<Arc<PythonFile>> {
    let kept = get_or_parse(Kind::Python, path, text, parsing, |text, depth| {
        Kept::Python(Arc::new(match depth {
            Depth::Unknown => PythonFile::parse(path, text),
            Depth::Shallow => PythonFile::parse_shallow(path, text),
        }))
    })?;
    match kept {
        Kept::Python(p) => Some(p),
        _ => None,
    }
}

/// A requirements file's parse.
pub(crate) fn requirements(
    path: &str,
    text: Cow<'_, str>,
    parsing: Parsing,
) -> Option<Arc<RequirementsFile>> {
    let kept = get_or_parse(Kind::Requirements, path, text, parsing, |text, _| {
        Kept::Requirements(Arc::new(RequirementsFile::parse(path, text)))
    })?;
    match kept {
        Kept::Requirements(r) => Some(r),
        _ => None,
    }
}

/// The kept parse of `text`, else (unless only kept parses are wanted) a new one, kept when
/// the file is small enough.
fn get_or_parse(
    kind: Kind,
    path: &str,
    text: Cow<'_, str>,
    parsing: Parsing,
    parse: impl FnOnce(String, Depth) -> Kept,
) -> Option<Kept> {
    if text.len() > MAX_KEPT_FILE_BYTES {
        let depth = parsing.parse_new(&text)?;
        return Some(parse(text.into_owned(), depth));
    }
    let memo = memo();
    let hash = {
        let mut h = memo.hasher.build_hasher();
        std::hash::Hash::hash(&kind, &mut h);
        h.write(path.as_bytes());
        h.write_u8(0xff);
        h.write(text.as_bytes());
        h.finish()
    };
    if let Some(kept) = lock(memo).get(hash, kind, path, &text) {
        return Some(kept);
    }
    let depth = parsing.parse_new(&text)?;
    // Parsed outside the lock: another caller never waits for this parse.
    let entry_text: Box<str> = text.as_ref().into();
    let kept = parse(text.into_owned(), depth);
    // What the put pushes out is dropped here, after the lock (a parse frees many blocks).
    let _dropped = lock(memo).put(
        hash,
        Entry {
            kind,
            path: path.into(),
            text: entry_text,
            kept: kept.clone(),
            used: 0,
        },
    );
    Some(kept)
}

fn lock(memo: &Memo) -> std::sync::MutexGuard<'_, Store> {
    // A panic while the lock was held leaves whole entries only: the store stays usable.
    memo.store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Store {
    fn get(&mut self, hash: u64, kind: Kind, path: &str, text: &str) -> Option<Kept> {
        self.clock += 1;
        let clock = self.clock;
        let entry = self
            .entries
            .get_mut(&hash)?
            .iter_mut()
            .find(|e| e.kind == kind && &*e.path == path && &*e.text == text)?;
        entry.used = clock;
        Some(entry.kept.clone())
    }

    /// Keeps `entry`, then the least recently used go until the bounds hold: returned, for
    /// the caller to drop once the lock is released.
    fn put(&mut self, hash: u64, mut entry: Entry) -> Vec<Entry> {
        self.clock += 1;
        entry.used = self.clock;
        let bucket = self.entries.entry(hash).or_default();
        if bucket
            .iter()
            .any(|e| e.kind == entry.kind && e.path == entry.path && e.text == entry.text)
        {
            return vec![entry]; // kept meanwhile by another caller
        }
        self.files += 1;
        self.bytes += entry.text.len();
        bucket.push(entry);
        let mut gone = Vec::new();
        while self.files > MAX_KEPT_FILES || self.bytes > MAX_KEPT_BYTES {
            match self.remove_least_recent() {
                Some(entry) => gone.push(entry),
                None => break,
            }
        }
        gone
    }

    fn remove_least_recent(&mut self) -> Option<Entry> {
        let (hash, index) = self
            .entries
            .iter()
            .flat_map(|(h, b)| b.iter().enumerate().map(move |(i, e)| (e.used, *h, i)))
            .min()
            .map(|(_, h, i)| (h, i))?;
        let bucket = self.entries.get_mut(&hash)?;
        let gone = bucket.swap_remove(index);
        self.files -= 1;
        self.bytes -= gone.text.len();
        if bucket.is_empty() {
            self.entries.remove(&hash);
        }
        Some(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_path_and_text_share_one_parse() {
        let text = "import replicate\n# the_same_path_and_text_share_one_parse\n";
        let a = python("main.py", text.into(), Parsing::Parse).unwrap();
        let b = python("main.py", text.into(), Parsing::Parse).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = python("main.py", text.into(), Parsing::KeptOnly).unwrap();
        assert!(Arc::ptr_eq(&a, &c));
        // Another path is another file (its findings name it).
        let other = python("helpers.py", text.into(), Parsing::Parse).unwrap();
        assert_eq!(other.path, "helpers.py");
        assert!(!Arc::ptr_eq(&a, &other));
        // One byte more is another text.
        let changed = format!("{text} ");
        assert!(python("main.py", changed.into(), Parsing::KeptOnly).is_none());
    }

    #[test]
    fn a_kept_parse_is_what_parsing_gives() {
        let text = "replicate>=1.1.0b1,<2.0.0a1\nnot a requirement ((\n# a_kept_parse\n";
        let kept = requirements("requirements.txt", text.into(), Parsing::Parse).unwrap();
        let again = requirements("requirements.txt", text.into(), Parsing::Parse).unwrap();
        assert!(Arc::ptr_eq(&kept, &again));
        let fresh = RequirementsFile::parse("requirements.txt", text);
        assert_eq!(kept.requirements.len(), fresh.requirements.len());
        assert_eq!(kept.errors, fresh.errors);
        let yaml = "build:\n  python_version: \"3.12\"\n# a_kept_parse\n";
        let cog_kept = cog(yaml.into(), Parsing::Parse).unwrap();
        assert_eq!(cog_kept.config, CogYaml::parse(yaml).config);
    }

    #[test]
    fn a_shallow_load_parses_only_shallow_new_files() {
        let shallow =
            "import replicate\n\ndef run(x: str) -> str:\n    return x  # a_shallow_load\n";
        let parsed = python("main.py", shallow.into(), Parsing::Shallow).unwrap();
        // What the full parse (with its own depth check) gives. (Not compared by `Debug`:
        // the facts hold hash maps, whose order differs between two equal maps.)
        let fresh = PythonFile::parse("main.py", shallow);
        assert_eq!(parsed.source, fresh.source);
        assert_eq!(parsed.syntax_errors, fresh.syntax_errors);
        assert_eq!(
            format!("{:?}", parsed.model.imports),
            format!("{:?}", fresh.model.imports)
        );
        let params = |f: &PythonFile| {
            let signature = f.model.predict_signature("run").map(|s| s.params.to_vec());
            format!("{signature:?}")
        };
        assert_eq!(params(&parsed), params(&fresh));
        assert!(params(&parsed).contains("\"x\""), "{}", params(&parsed));
        // Nested beyond the shallow bound: left to a big stack.
        let deep = format!(
            "x = {}1{}  # a_shallow_load\n",
            "(".repeat(30),
            ")".repeat(30)
        );
        assert!(!is_shallow(&deep, SHALLOW_NESTING));
        assert!(python("main.py", deep.as_str().into(), Parsing::Shallow).is_none());
        // Once kept, both are shared. (The memo is the process's: other tests running
        // meanwhile may push an entry out between two calls, so the pair is tried again.)
        let shared = (0..5).any(|_| {
            let parsed = python("main.py", shallow.into(), Parsing::Shallow).unwrap();
            let kept = python("main.py", deep.as_str().into(), Parsing::Parse).unwrap();
            let again = python("main.py", shallow.into(), Parsing::KeptOnly);
            let deep_again = python("main.py", deep.as_str().into(), Parsing::Shallow);
            again.is_some_and(|a| Arc::ptr_eq(&a, &parsed))
                && deep_again.is_some_and(|d| Arc::ptr_eq(&d, &kept))
        });
        assert!(shared);
        let yaml = format!("build:\n{}x: 1\n# a_shallow_load\n", " ".repeat(40));
        assert!(
            cog(yaml.into(), Parsing::Shallow).is_none(),
            "indented past the bound"
        );
    }

    #[test]
    fn large_files_are_parsed_every_time_and_never_kept() {
        let text = format!("x = 1\n{}", "#\n".repeat(MAX_KEPT_FILE_BYTES));
        let a = python("big.py", text.as_str().into(), Parsing::Parse).unwrap();
        let b = python("big.py", text.as_str().into(), Parsing::Parse).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(python("big.py", text.into(), Parsing::KeptOnly).is_none());
    }

    #[test]
    fn the_store_drops_the_least_recently_used_beyond_its_bounds() {
        let mut store = Store::default();
        let entry = |n: usize, len: usize| Entry {
            kind: Kind::Requirements,
            path: "requirements.txt".into(),
            text: format!("{n:08}{}", "-".repeat(len.saturating_sub(8))).into(),
            kept: Kept::Requirements(Arc::new(RequirementsFile::parse("requirements.txt", ""))),
            used: 0,
        };
        for n in 0..MAX_KEPT_FILES {
            assert!(store.put(n as u64, entry(n, 8)).is_empty());
        }
        // Touch the first; the second is now the least recently used.
        let first = format!("{:08}", 0);
        assert!(
            store
                .get(0, Kind::Requirements, "requirements.txt", &first)
                .is_some()
        );
        let gone = store.put(9_999, entry(9_999, 8));
        assert_eq!(gone.len(), 1, "pushed out, for the caller to drop");
        assert_eq!(&*gone[0].text, format!("{:08}", 1));
        assert_eq!(store.files, MAX_KEPT_FILES);
        assert!(
            store
                .get(
                    1,
                    Kind::Requirements,
                    "requirements.txt",
                    &format!("{:08}", 1)
                )
                .is_none()
        );
        assert!(
            store
                .get(0, Kind::Requirements, "requirements.txt", &first)
                .is_some()
        );
        // The byte bound: one entry as large as all that may be kept leaves only itself.
        let gone = store.put(77_777, entry(77_777, MAX_KEPT_BYTES));
        assert_eq!(gone.len(), MAX_KEPT_FILES);
        assert_eq!(store.files, 1);
        assert_eq!(store.bytes, MAX_KEPT_BYTES);
    }
}
