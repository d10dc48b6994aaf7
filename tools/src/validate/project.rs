//! Loading a project — the validator's only I/O — from a directory or from inline files.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::bounded::is_small;
use super::cog_yaml::CogYaml;
use super::parsed::{self, Parsing};
use super::python::PythonFile;
use super::python::model::DefaultKind;
use super::requirements::RequirementsFile;

/// A file's text as the loader reads it: borrowed from inline files, owned when read.
type Text<'a> = Cow<'a, str>;

/// The largest file the loader reads.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// Why a project could not be loaded (a bad project is not an error: it yields diagnostics).
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The path does not exist.
    #[error("{path} does not exist")]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// The path is not a directory.
    #[error("{path} is not a directory; pass the directory that holds cog.yaml")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The path resolves outside every allowed root (a `..` escape or a symlink out).
    #[error("{path} is outside the allowed roots ({roots}); pass a path inside them")]
    OutsideRoots {
        /// The path as given.
        path: PathBuf,
        /// The roots, comma-separated.
        roots: String,
    },
    /// A file name in an inline project is absolute or climbs out with `..`.
    #[error("invalid file name {name:?}: use a relative path such as \"main.py\"")]
    InvalidFileName {
        /// The name.
        name: String,
    },
    /// A file is too large to be a pipeline source.
    #[error("{file} is {bytes} bytes; the limit is {limit}")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A file is not UTF-8 text.
    #[error("{file} is not UTF-8 text")]
    NotUtf8 {
        /// The file.
        file: String,
    },
    /// Reading failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Parsing took longer than its budget (or its thread could not run).
    #[error("the project could not be analysed within {seconds} s; simplify main.py")]
    Budget {
        /// The budget.
        seconds: u64,
    },
}

/// One parameter of the predict function.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictParam {
    /// Its name.
    pub name: String,
    /// Its annotation as written, e.g. `str`, `int | None`.
    pub annotation: Option<String>,
    /// True when it has no default (`Input()` without `default=` counts as none).
    pub required: bool,
}

/// `predict: "file.py:function"` split into its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictTarget {
    /// The Python file, relative to the root.
    pub file: String,
    /// The function (or class) name.
    pub function: String,
}

/// A pipeline project, parsed once: `cog.yaml`, the predict file, the requirements.
#[derive(Debug)]
pub struct Project {
    pub(crate) cog: Option<Arc<CogYaml>>,
    pub(crate) predict: Option<PredictTarget>,
    pub(crate) python: Option<Arc<PythonFile>>,
    pub(crate) requirements: Option<Arc<RequirementsFile>>,
    /// The project's own Python modules the predict file imports (directly or through one
    /// another), parsed.
    pub(crate) local_modules: Vec<Arc<PythonFile>>,
    /// The requirements file `cog.yaml` names, when it is missing.
    pub(crate) missing_requirements: Option<String>,
    /// Top-level names in the project (files and directories), for local imports.
    pub(crate) entries: BTreeSet<String>,
}

impl Project {
    /// Loads a project from a directory (any path: confine it first with
    /// [`crate::request::confine`] when it comes from an untrusted client). Files whose real path leaves the directory are
    /// refused.
    pub fn from_dir(dir: &Path) -> Result<Project, ProjectError> {
        let meta = std::fs::metadata(dir).map_err(|e| io_error(dir, e))?;
        if !meta.is_dir() {
            return Err(ProjectError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        let root = dir.canonicalize().map_err(|e| io_error(dir, e))?;
        let mut entries = BTreeSet::new();
        let listing = std::fs::read_dir(&root).map_err(|e| io_error(&root, e))?;
        for entry in listing.flatten() {
            if let Some(name) = entry.file_name().to_str() {
                entries.insert(name.to_string());
            }
        }
        let mut read = |name: &str| Ok(read_confined(&root, name)?.map(Text::Owned));
        Project::assemble(&mut read, entries, Parsing::Parse).map(|p| p.unwrap_or_else(empty))
    }

    /// Loads a project from inline files, e.g. `{"cog.yaml": "...", "main.py": "..."}`.
    pub fn from_files(files: &BTreeMap<String, String>) -> Result<Project, ProjectError> {
        Project::inline(files, Parsing::Parse).map(|p| p.unwrap_or_else(empty))
    }

    /// [`Project::from_files`] when it may run on the caller's thread, any thread with a
    /// default-sized stack: every file it parses was parsed before (the same path and text;
    /// see `parsed`), or the files are small and each new one is shallow (as
    /// [`super::small_and_shallow`] asks). `Ok(None)` when something is left to parse on a
    /// big stack; errors are those of [`Project::from_files`]. Each file is looked up once.
    pub fn here(files: &BTreeMap<String, String>) -> Result<Option<Project>, ProjectError> {
        Project::inline(
            files,
            if is_small(files) {
                Parsing::Shallow
            } else {
                Parsing::KeptOnly
            },
        )
    }

    fn inline(
        files: &BTreeMap<String, String>,
        parsing: Parsing,
    ) -> Result<Option<Project>, ProjectError> {
        let mut clean = BTreeMap::new();
        for (name, text) in files {
            let normal = normalize_name(name)?;
            if text.len() as u64 > MAX_FILE_BYTES {
                return Err(ProjectError::TooLarge {
                    file: name.clone(),
                    bytes: text.len() as u64,
                    limit: MAX_FILE_BYTES,
                });
            }
            clean.insert(normal, text.as_str());
        }
        let entries = clean
            .keys()
            .filter_map(|k| k.split('/').next())
            .map(str::to_string)
            .collect();
        let mut read = |name: &str| {
            // The loader asks for normalised names mostly: a direct hit needs no work.
            let text = match clean.get(name) {
                Some(text) => Some(*text),
                None => normalize_name(name)
                    .ok()
                    .and_then(|n| clean.get(&n).copied()),
            };
            Ok::<_, ProjectError>(text.map(Text::Borrowed))
        };
        Project::assemble(&mut read, entries, parsing)
    }

    /// The project from what `read` gives; `None` only when `parsing` is
    /// not [`Parsing::Parse`] and some file is left to parse.
    fn assemble<'t>(
        read: &mut dyn FnMut(&str) -> Result<Option<Text<'t>>, ProjectError>,
        entries: BTreeSet<String>,
        parsing: Parsing,
    ) -> Result<Option<Project>, ProjectError> {
        let cog = match read("cog.yaml")? {
            Some(text) => match parsed::cog(text, parsing) {
                Some(cog) => Some(cog),
                None => return Ok(None),
            },
            None => None,
        };
        let config = cog.as_ref().and_then(|c| c.config.as_ref().ok());
        let predict = config
            .and_then(|c| c.predict.as_ref())
            .and_then(|p| parse_predict(&p.value));
        let python_path = match &predict {
            Some(p) => p.file.clone(),
            None => "main.py".to_string(),
        };
        let python = match read(&python_path)? {
            Some(src) => match parsed::python(&python_path, src, parsing) {
                Some(py) => Some(py),
                None => return Ok(None),
            },
            None => None,
        };
        let named = config.and_then(|c| c.python_requirements.as_ref());
        let (requirements_path, missing_requirements) = match named {
            Some(named) => (named.value.as_str(), Some(named.value.clone())),
            None => ("requirements.txt", None),
        };
        let (requirements, missing_requirements) = match read(requirements_path)? {
            Some(src) => match parsed::requirements(requirements_path, src, parsing) {
                Some(r) => (Some(r), None),
                None => return Ok(None),
            },
            None => (None, missing_requirements),
        };
        let local_modules = match &python {
            Some(py) => match local_modules(py, &entries, read, parsing) {
                Some(modules) => modules,
                None => return Ok(None),
            },
            None => Vec::new(),
        };
        Ok(Some(Project {
            cog,
            predict,
            python,
            requirements,
            local_modules,
            missing_requirements,
            entries,
        }))
    }

    /// The models the Python file passes to `replicate.use()` (as `owner/name`, versions
    /// dropped, deduplicated, in source order): the schemas to fetch before validating.
    pub fn used_models(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let Some(py) = &self.python else {
            return out;
        };
        for call in &py.model.use_calls {
            if let Some(reference) = call.reference.reference() {
                let model = crate::schema::ModelRef::model_of(reference).to_string();
                if model.contains('/') && !out.contains(&model) {
                    out.push(model);
                }
            }
        }
        out
    }

    /// The valid model references the Python file passes to `replicate.use()`, as written
    /// (with their pinned versions), deduplicated, in source order: the schemas the
    /// validator looks up.
    pub fn used_refs(&self) -> Vec<crate::schema::ModelRef> {
        let mut out = Vec::new();
        let Some(py) = &self.python else {
            return out;
        };
        for call in &py.model.use_calls {
            if let Some(Ok(r)) = call
                .reference
                .reference()
                .map(|r| crate::schema::ModelRef::parse(r.trim()))
                && !out.contains(&r)
            {
                out.push(r);
            }
        }
        out
    }

    /// The parameters of the function `predict` names (default `run`; a class's `predict`
    /// method without `self`), as written: what a local run checks its inputs against.
    /// `None` when the file or function is missing.
    pub fn predict_params(&self) -> Option<Vec<PredictParam>> {
        let py = self.python.as_ref()?;
        let name = self.predict.as_ref().map_or("run", |p| p.function.as_str());
        let signature = py.model.predict_signature(name)?;
        Some(
            signature
                .params
                .iter()
                .map(|p| PredictParam {
                    name: p.name.clone(),
                    annotation: p.annotation.as_ref().map(|a| py.text(a.span()).to_string()),
                    required: match &p.default {
                        DefaultKind::Missing => true,
                        DefaultKind::Input { default } => default.is_none(),
                        DefaultKind::None | DefaultKind::Value => false,
                    },
                })
                .collect(),
        )
    }

    /// The Python file `predict` names (or `main.py`), when present.
    pub fn python_path(&self) -> Option<&str> {
        self.python.as_ref().map(|p| p.path.as_str())
    }
}

/// What [`Parsing::Parse`] never gives (it parses every file): a load that stopped at a
/// file not kept. A project with no files, were it ever reached.
fn empty() -> Project {
    Project {
        cog: None,
        predict: None,
        python: None,
        requirements: None,
        local_modules: Vec::new(),
        missing_requirements: None,
        entries: BTreeSet::new(),
    }
}

/// At most this many local modules are followed from the predict file.
const MAX_LOCAL_MODULES: usize = 32;

/// The project's own modules `py` imports, transitively (bounded), parsed; `None` when
/// `parsing` is not [`Parsing::Parse`] and one of them is left to parse.
fn local_modules<'t>(
    py: &PythonFile,
    entries: &BTreeSet<String>,
    read: &mut dyn FnMut(&str) -> Result<Option<Text<'t>>, ProjectError>,
    parsing: Parsing,
) -> Option<Vec<Arc<PythonFile>>> {
    let mut seen: BTreeSet<String> = BTreeSet::from([py.path.clone()]);
    let mut out: Vec<Arc<PythonFile>> = Vec::new();
    let mut queue: Vec<String> = module_files(py, entries);
    while let Some(file) = queue.pop() {
        if out.len() >= MAX_LOCAL_MODULES || !seen.insert(file.clone()) {
            continue;
        }
        // A local module that cannot be read (too large, outside the root) is skipped: the
        // predict file's own findings still stand.
        if let Ok(Some(src)) = read(&file) {
            let module = parsed::python(&file, src, parsing)?;
            queue.extend(module_files(&module, entries));
            out.push(module);
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Some(out)
}

/// The local files an import of `py` may name: `helpers.py`, `pkg/__init__.py`,
/// `pkg/sub.py`, and `x.py` for `from . import x` / `from .x import y`.
fn module_files(py: &PythonFile, entries: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for import in &py.model.imports {
        if import.level > 0 {
            if let Some(top) = import.module.split('.').next().filter(|t| !t.is_empty()) {
                out.push(format!("{top}.py"));
            }
            continue;
        }
        let top = import.top();
        if entries.contains(&format!("{top}.py")) {
            out.push(format!("{top}.py"));
        } else if entries.contains(top) {
            out.push(format!("{top}/__init__.py"));
            let path = import.module.replace('.', "/");
            if path != top {
                out.push(format!("{path}.py"));
                out.push(format!("{path}/__init__.py"));
            }
        }
    }
    out
}

/// Splits `main.py:run`; `None` when malformed.
pub(crate) fn parse_predict(value: &str) -> Option<PredictTarget> {
    let (file, function) = value.trim().rsplit_once(':')?;
    let valid_ident = !function.is_empty()
        && !function.starts_with(|c: char| c.is_ascii_digit())
        && function.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !file.ends_with(".py") || file.len() <= 3 || !valid_ident {
        return None;
    }
    Some(PredictTarget {
        file: normalize_name(file).ok()?,
        function: function.to_string(),
    })
}

/// `./a/b.py` → `a/b.py`; refuses absolute paths and `..`.
fn normalize_name(name: &str) -> Result<String, ProjectError> {
    // A plain name (no separator, not `.` or `..`) is its own normal form: the usual case.
    if !name.is_empty() && !name.contains('/') && name != "." && name != ".." {
        return Ok(name.to_string());
    }
    let invalid = || ProjectError::InvalidFileName {
        name: name.to_string(),
    };
    let mut parts = Vec::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str().ok_or_else(invalid)?),
            Component::CurDir => {}
            _ => return Err(invalid()),
        }
    }
    if parts.is_empty() {
        return Err(invalid());
    }
    Ok(parts.join("/"))
}

pub(crate) fn io_error(path: &Path, source: std::io::Error) -> ProjectError {
    if source.kind() == std::io::ErrorKind::NotFound {
        ProjectError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        ProjectError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn read_confined(root: &Path, name: &str) -> Result<Option<String>, ProjectError> {
    let Ok(rel) = normalize_name(name) else {
        return Ok(None);
    };
    let path = root.join(&rel);
    let real = match path.canonicalize() {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path, e)),
    };
    if !real.starts_with(root) {
        return Err(ProjectError::OutsideRoots {
            path,
            roots: root.display().to_string(),
        });
    }
    let meta = std::fs::metadata(&real).map_err(|e| io_error(&real, e))?;
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ProjectError::TooLarge {
            file: rel,
            bytes: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    let bytes = std::fs::read(&real).map_err(|e| io_error(&real, e))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| ProjectError::NotUtf8 { file: rel })
}
