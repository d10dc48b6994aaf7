//! Validator timings: a 1,000-line `main.py` (target ≤ 5 ms) and a typical project
//! (target ≤ 1 ms), each loaded from inline files and validated end to end (parsing
//! included). Run with `cargo bench -p pipelines-tools --bench validate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use pipelines_docs_cache::Rulebook;
use pipelines_tools::schema::ModelSchema;
use pipelines_tools::validate::{Project, Schemas, validate};

const COG: &str = "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
const REQ: &str = "replicate>=1.1.0b1,<2.0.0a1\npillow\nrequests>=2.31\n";

const TYPICAL: &str = r#"import replicate
from cog import BaseModel, Input, Path, Secret
from PIL import Image
import requests

pixel_forge = replicate.use("acme/pixel-forge")
captioner = replicate.use("acme/quick-caption")


class Output(BaseModel):
    image: Path
    caption: str


def run(
    prompt: str = Input(description="What to draw"),
    seed: int | None = Input(default=None, description="Random seed"),
    api_key: Secret = Input(description="Webhook key"),
) -> Output:
    images = pixel_forge(prompt=prompt, seed=seed, num_outputs=1)
    with Image.open(images[0]) as img:
        img.thumbnail((512, 512))
        img.save("/tmp/out.png")
    caption = captioner(image=images[0])
    requests.post("https://example.com", json={"c": str(caption)},
                  headers={"X-Key": api_key.get_secret_value()})
    return Output(image=Path("/tmp/out.png"), caption=str(caption))
"#;

/// About 1,000 lines: the typical file plus many helper functions.
fn big_main() -> String {
    let mut src = String::from(TYPICAL);
    let mut i = 0;
    while src.lines().count() < 1000 {
        src.push_str(&format!(
            "\n\ndef helper_{i}(values: list[int], scale: float = 1.5) -> list[float]:\n    \
             \"\"\"Scale and filter.\"\"\"\n    out = []\n    for v in values:\n        \
             if v % 3 == {m}:\n            out.append(v * scale)\n        else:\n            \
             out.append(float(v) - {i})\n    return [x for x in out if x > 0]\n",
            m = i % 3
        ));
        i += 1;
    }
    src
}

fn files(main: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("cog.yaml".to_string(), COG.to_string()),
        ("requirements.txt".to_string(), REQ.to_string()),
        ("main.py".to_string(), main.to_string()),
    ])
}

/// Fetched schemas of the models called (pixel-forge, quick-caption, …), so the model-call
/// and data-flow rules run against them.
const SCHEMAS: &str = include_str!("../tests/fixtures/PY022/pass/schemas.json");

fn time(label: &str, target: Duration, files: &BTreeMap<String, String>) {
    let rulebook = Rulebook::defaults();
    let schemas: Schemas = serde_json::from_str::<Vec<ModelSchema>>(SCHEMAS)
        .unwrap()
        .into_iter()
        .collect();
    let run = || {
        let project = Project::from_files(files).unwrap();
        black_box(validate(&project, &rulebook, &schemas));
    };
    for _ in 0..20 {
        run();
    }
    let mut samples: Vec<Duration> = (0..200)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2];
    let p95 = samples[samples.len() * 95 / 100];
    let verdict = if median <= target {
        "ok"
    } else {
        "OVER TARGET"
    };
    println!(
        "{label}: median {:.3} ms, p95 {:.3} ms (target ≤ {} ms) {verdict}",
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        target.as_millis()
    );
}

fn main() {
    let big = big_main();
    let typical = files(TYPICAL);
    time(
        &format!("typical project ({} lines)", TYPICAL.lines().count()),
        Duration::from_millis(1),
        &typical,
    );
    time(
        &format!("main.py of {} lines", big.lines().count()),
        Duration::from_millis(5),
        &files(&big),
    );
}
