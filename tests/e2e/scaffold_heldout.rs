//! The held-out check run for real (issue 19, item 12): every project `scaffold_pipeline`
//! writes without placeholders for a pair of real recorded model versions that a chain can
//! join must validate clean and run under `run_locally` with every model mocked
//! (`{"*": "auto"}`: real cog, real replicate-python, the run's mock proxy), calling both
//! models in order with the first one's output where the scaffold wired it; and its output
//! must hold the kind `run()`'s annotation says — a `Path` is a real file whose bytes sniff
//! as one of the media the models produced, `str` is text, a list is a non-empty list of its
//! item kind, an `Output` has exactly its declared fields, each of its own kind (and one
//! named `video`, `audio` or `image` holds that kind of file).
//!
//! The pairs are generated, not picked: every ordered pair of the real versions in
//! `tools/tests/fixtures_real_schemas/` where the first model's output kind (text, files)
//! fits an input kind of the second (text, `Path`, `list[Path]`) — the enumeration of
//! `tools/tests/scaffold_heldout.rs`, which checks all of them statically — each with the
//! three output choices (automatic, `Output`, `Path`): 156 scaffolds of 52 model pairs, all
//! scaffolded through the binary. The 48 without placeholders are the ones that must run
//! (the others cannot: PY032 stops them).
//!
//! Starting cog takes seconds per run, so the clean scaffolds are grouped into equivalence
//! classes computed from the scaffolds themselves. Two are in one class when they have the
//! same first model's output shape on the wire (its OpenAPI `Output` schema without titles
//! and descriptions, so `x-cog-array-type: iterator` and `concatenate` count), the same
//! wiring into the second (each input fed by the first step: its Python type and the source
//! with its pick/join, if any), the same second model's output shape, the same `run()`
//! parameters (type, and whether required) and the same return annotation with the same
//! `Output` field types. Model names, input names and descriptions are not in the key. One
//! scaffold of each class (the first in model-name order) is run: the 48 clean scaffolds
//! make 32 classes, run two at a time in MCP sessions of up to eight. The counts are
//! asserted loosely (a change to the scaffolder may merge or split classes); the test
//! prints every class with its size and the pair it ran.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Mutex,
};

use pipelines_tools::schema::{ModelRef, ModelSchema, render};
use pipelines_tools::validate::Project;
use pipelines_tools::workflow::run_signature;
use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    output_kinds::{PNG, annotation, check_kind, produced_media},
    py,
    run_tools::{run_call, run_sandbox, stdio_run},
    support,
};

/// Runs at once (the suite runs on two cores).
const WORKERS: usize = 2;
/// Representatives per MCP session (each session is one harness process under the hang
/// guard; a run takes a few seconds).
const PER_SESSION: usize = 8;

/// The output choices every pair is scaffolded with (`None`: the automatic one).
const OUTPUT_CHOICES: [Option<&str>; 3] = [None, Some("Output"), Some("Path")];

/// (`owner/name`, recorded version) of every real schema fixture, by name.
fn real_versions() -> Vec<(String, Value)> {
    let dir = support::workspace_root().join("tools/tests/fixtures_real_schemas");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let read = |file: &PathBuf| serde_json::from_str(&std::fs::read_to_string(file).unwrap());
    files
        .iter()
        .map(|file| {
            let stem = file.file_stem().unwrap().to_string_lossy();
            (stem.replace("__", "/"), read(file).unwrap())
        })
        .collect()
}

fn schema_of(model: &str, version: &Value) -> ModelSchema {
    render(
        &ModelRef::parse(model).unwrap(),
        &version["openapi_schema"],
        version["id"].as_str().map(str::to_owned),
    )
}

/// A model's OpenAPI `Output` schema without titles and descriptions: the shape its output
/// has on the wire (`x-cog-array-type: iterator` and `x-cog-array-display: concatenate`
/// included), which a Python type such as `str` or `list[Path]` does not tell apart.
fn output_shape(versions: &[(String, Value)], schema: &ModelSchema) -> String {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| *k != "title" && *k != "description")
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    let model = schema.model.to_string();
    let (_, version) = versions.iter().find(|(m, _)| *m == model).unwrap();
    strip(&version["openapi_schema"]["components"]["schemas"]["Output"]).to_string()
}

/// Whether a chain can join `a` into `b`: text into a text input, or files into a file
/// input (as `tools/tests/scaffold_heldout.rs` enumerates them).
fn joinable(a: &ModelSchema, b: &ModelSchema) -> bool {
    let files = a.output.shape.as_ref().is_some_and(|s| s.has_files());
    let text = a.output.python_type == "str";
    b.inputs.iter().any(|i| {
        let t = i.python_type.to_string();
        (text && t.starts_with("str"))
            || (files && (t.starts_with("Path") || t.starts_with("list[Path]")))
    })
}

/// One scaffold of a pair: the request and what the binary answered.
struct Scaffold {
    a: ModelSchema,
    b: ModelSchema,
    output: Option<&'static str>,
    /// The two models' OpenAPI `Output` schemas, without titles and descriptions.
    shapes: (String, String),
    report: Value,
}

impl Scaffold {
    fn label(&self) -> String {
        format!(
            "{} → {} (output {})",
            self.a.model,
            self.b.model,
            self.output.unwrap_or("automatic")
        )
    }

    fn args(&self) -> Value {
        let mut args = json!({
            "name": "heldout",
            "models": [self.a.model.to_string(), self.b.model.to_string()],
        });
        if let Some(output) = self.output {
            args["output"] = json!(output);
        }
        args
    }

    fn main_py(&self) -> &str {
        self.report["main_py"].as_str().unwrap()
    }

    fn files(&self) -> BTreeMap<String, String> {
        self.report["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["content"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// `run()`'s parameters: (name, annotation, required).
    fn params(&self) -> Vec<(String, String, bool)> {
        let project = Project::from_files(&self.files()).unwrap();
        run_signature(&project)
            .unwrap_or_else(|| panic!("{}: no run() signature\n{}", self.label(), self.main_py()))
            .params
            .into_iter()
            .map(|p| (p.name, p.python_type, p.required))
            .collect()
    }

    /// The equivalence class: everything that decides what runs and what comes out, with
    /// the models' and inputs' names left out.
    fn class_key(&self) -> String {
        let step_a = &self.report["steps"][0];
        let a_id = step_a["id"]
            .as_str()
            .or(step_a["model"].as_str())
            .unwrap()
            .to_string();
        let mut wiring: Vec<String> = self.report["steps"][1]["inputs"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, source)| source["step"] == json!(a_id))
            .map(|(name, source)| {
                let ty = self
                    .b
                    .inputs
                    .iter()
                    .find(|i| &i.name == name)
                    .map(|i| i.python_type.to_string())
                    .unwrap_or_else(|| format!("unknown input {name}"));
                let mut how = source.as_object().unwrap().clone();
                how.remove("step");
                format!("{ty} {}", Value::Object(how))
            })
            .collect();
        wiring.sort();
        let mut params: Vec<String> = self
            .params()
            .into_iter()
            .map(|(_, ty, required)| format!("{ty}{}", if required { "" } else { "?" }))
            .collect();
        params.sort();
        let (returns, fields) = annotation(self.main_py());
        let fields: Vec<&str> = fields.iter().map(|(_, ty)| ty.as_str()).collect();
        format!(
            "{} → [{}] → {} | run({}) -> {returns}{{{}}}",
            self.shapes.0,
            wiring.join(", "),
            self.shapes.1,
            params.join(", "),
            fields.join(", ")
        )
    }
}

/// The run called both models, mocked, in order, and each input of the second that the
/// scaffold wired from the first received the first's output: one of its files (by URL), or
/// its text whole.
fn check_chain(rep: &Scaffold, run: &Value) -> Result<(), String> {
    let calls = run["calls"].as_array().cloned().unwrap_or_default();
    let models: Vec<&str> = calls.iter().filter_map(|c| c["model"].as_str()).collect();
    let expected = [rep.a.model.to_string(), rep.b.model.to_string()];
    if models != expected || calls.iter().any(|c| c["mocked"] != true) {
        return Err(format!(
            "called {models:?} (mocked?), expected {expected:?}"
        ));
    }
    let step_a = &rep.report["steps"][0];
    let a_id = step_a["id"].as_str().or(step_a["model"].as_str()).unwrap();
    let produced = &calls[0]["output"];
    let urls: Vec<&str> = produced["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["url"].as_str())
        .collect();
    let wired = rep.report["steps"][1]["inputs"].as_object().unwrap();
    for (name, source) in wired {
        if source["step"] != json!(a_id) {
            continue;
        }
        let sent = &calls[1]["inputs"][name];
        let items = sent
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![sent.clone()]);
        for item in &items {
            let fits = match item {
                Value::Object(file) => file
                    .get("url")
                    .and_then(Value::as_str)
                    .is_some_and(|u| urls.contains(&u)),
                Value::String(text) => {
                    produced["kind"] == "text"
                        && produced["length"] == json!(text.chars().count())
                        && produced["preview"]
                            .as_str()
                            .is_some_and(|p| text.starts_with(p.trim_end_matches('…')))
                }
                _ => false,
            };
            if !fits {
                return Err(format!(
                    "input {name} of {} got {item}, not the output of {a_id}: {produced}",
                    rep.b.model
                ));
            }
        }
    }
    Ok(())
}

/// Values for the required `run()` inputs: text, or a picture for a file.
fn inputs_for(scaffold: &Scaffold, picture: &Path) -> Value {
    let mut inputs = serde_json::Map::new();
    for (name, ty, required) in scaffold.params() {
        if !required {
            continue;
        }
        let value = match ty.as_str() {
            "str" => json!("a red fox in the snow"),
            "Path" => json!(picture.display().to_string()),
            other => panic!(
                "{}: no test value for required input {name}: {other}",
                scaffold.label()
            ),
        };
        inputs.insert(name, value);
    }
    Value::Object(inputs)
}

fn call(name: &str, args: Value) -> Value {
    json!({"op": "call_tool", "name": name, "args": args})
}

fn ok(doc: &Value, index: usize) -> Value {
    let r = py::result(doc, index);
    assert!(!py::is_error(r), "operation {index}: {}", py::tool_text(r));
    r["structuredContent"].clone()
}

/// Scaffolds (into `dir<n>`), validates and runs each of `reps` in one MCP session; returns
/// one failure message per pair that did not hold.
fn run_batch(
    fakes: &Fakes,
    work: &Path,
    picture: &Path,
    reps: &[(usize, &Scaffold)],
) -> Vec<String> {
    let mut ops = Vec::new();
    for (n, rep) in reps {
        let dir = format!("pair{n}");
        let mut args = rep.args();
        args["path"] = json!(dir);
        ops.push(call("scaffold_pipeline", args));
        ops.push(call("validate_pipeline", json!({"path": dir})));
        ops.push(run_call(json!({
            "path": dir,
            "inputs": inputs_for(rep, picture),
            "mocks": {"*": "auto"},
            "mock_latency_ms": 0,
        })));
    }
    let doc = stdio_run(&run_sandbox(fakes), work, Value::Array(ops));
    let mut failures = Vec::new();
    for (i, (_, rep)) in reps.iter().enumerate() {
        let label = rep.label();
        let written = ok(&doc, 3 * i);
        if written["main_py"] != rep.report["main_py"] {
            failures.push(format!(
                "{label}: the project written differs from the one classified"
            ));
            continue;
        }
        let validation = ok(&doc, 3 * i + 1);
        if validation["summary"] != json!({"errors": 0, "warnings": 0}) {
            failures.push(format!("{label}: not clean: {validation:#}"));
            continue;
        }
        let run = ok(&doc, 3 * i + 2);
        if run["status"] != "succeeded" {
            failures.push(format!(
                "{label}: the run {}: {}\n{}",
                run["status"],
                run["error"],
                rep.main_py()
            ));
            continue;
        }
        if let Err(e) = check_chain(rep, &run) {
            failures.push(format!(
                "{label}: {e}\ncalls: {:#}\n{}",
                run["calls"],
                rep.main_py()
            ));
            continue;
        }
        let (returns, fields) = annotation(rep.main_py());
        if let Err(e) = check_kind(&run["output"], &returns, &fields, &produced_media(&run)) {
            failures.push(format!(
                "{label}: -> {returns}: {e}\noutput: {:#}\ncalls: {:#}\n{}",
                run["output"],
                run["calls"],
                rep.main_py()
            ));
        }
    }
    failures
}

#[test]
fn every_clean_scaffold_of_a_real_pair_runs_and_returns_its_annotated_kinds() {
    let fakes = Fakes::start();
    let versions = real_versions();
    assert!(versions.len() >= 10, "{} real versions", versions.len());
    let schemas: Vec<ModelSchema> = versions
        .iter()
        .map(|(model, version)| {
            // The fake serves some of these already (the same recorded versions): those
            // stay as they are, so the cache other tests share sees one version of each.
            match fakes.replicate.latest_version(model) {
                Some((id, openapi)) => assert!(
                    version["id"] == json!(id) && version["openapi_schema"] == openapi,
                    "the fake serves another version of {model}"
                ),
                None => assert!(
                    fakes.replicate.add_recorded(model, version, Value::Null),
                    "{model}"
                ),
            }
            schema_of(model, version)
        })
        .collect();

    // Every joinable pair with every output choice, scaffolded by the binary (inline).
    let mut requests = Vec::new();
    for a in &schemas {
        for b in &schemas {
            if a.model != b.model && joinable(a, b) {
                for output in OUTPUT_CHOICES {
                    requests.push((a.clone(), b.clone(), output));
                }
            }
        }
    }
    let mut scaffolds: Vec<Scaffold> = requests
        .into_iter()
        .map(|(a, b, output)| Scaffold {
            shapes: (output_shape(&versions, &a), output_shape(&versions, &b)),
            a,
            b,
            output,
            report: Value::Null,
        })
        .collect();
    let ops: Vec<Value> = scaffolds
        .iter()
        .map(|s| {
            let mut args = s.args();
            args["inline"] = json!(true);
            call("scaffold_pipeline", args)
        })
        .collect();
    let work = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let doc = stdio_run(&run_sandbox(&fakes), work.path(), Value::Array(ops));
    for (i, s) in scaffolds.iter_mut().enumerate() {
        s.report = ok(&doc, i);
    }
    let clean: Vec<&Scaffold> = scaffolds
        .iter()
        .filter(|s| s.report["placeholders"] == json!([]))
        .collect();

    // The classes, each run once (its first pair).
    let mut classes: BTreeMap<String, Vec<&Scaffold>> = BTreeMap::new();
    for s in &clean {
        classes.entry(s.class_key()).or_default().push(s);
    }
    eprintln!("scaffolded in {:?}", started.elapsed());
    eprintln!(
        "{} scaffolds of {} joinable real pairs, {} without placeholders, in {} classes:",
        scaffolds.len(),
        scaffolds.len() / OUTPUT_CHOICES.len(),
        clean.len(),
        classes.len()
    );
    for (key, members) in &classes {
        eprintln!("  {} × {key} (run: {})", members.len(), members[0].label());
    }
    assert!(scaffolds.len() >= 100, "only {} scaffolds", scaffolds.len());
    assert!(clean.len() >= 20, "only {} clean scaffolds", clean.len());
    assert!(classes.len() >= 10, "only {} classes", classes.len());

    let picture = work.path().join("picture.png");
    std::fs::write(&picture, PNG).unwrap();
    let reps: Vec<(usize, &Scaffold)> = classes.values().map(|m| m[0]).enumerate().collect();
    let batches: Vec<&[(usize, &Scaffold)]> = reps.chunks(PER_SESSION).collect();
    let next = Mutex::new(0usize);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let batch = {
                        let mut n = next.lock().unwrap();
                        let Some(batch) = batches.get(*n) else {
                            break;
                        };
                        *n += 1;
                        *batch
                    };
                    let found = run_batch(&fakes, work.path(), &picture, batch);
                    failures.lock().unwrap().extend(found);
                }
            });
        }
    });
    eprintln!("{} classes run in {:?}", classes.len(), started.elapsed());
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} classes failed:\n\n{}",
        failures.len(),
        classes.len(),
        failures.join("\n\n")
    );
}
