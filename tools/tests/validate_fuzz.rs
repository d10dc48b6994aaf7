//! The three parsers' entry points never panic, whatever bytes they get.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use pipelines_docs_cache::Rulebook;
use pipelines_tools::validate::python::PythonFile;
use pipelines_tools::validate::{CogYaml, Project, RequirementsFile, Schemas, validate};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "[a-z_:=()\\[\\]{}\"'#.,<>=!~*@\\\\ \n\t|-]{0,300}",
        ".{0,200}",
    ]
}

fn python_like() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("import replicate\n"),
        Just("from cog import Input, Path, BaseModel\n"),
        Just("x = replicate.use(\"o/n\")\n"),
        Just("def run(a: int = Input(default=None), *b, **c) -> dict[str, list[Output]]:\n"),
        Just("    return x(prompt=1, seed=-2.5, l=[1, 'a'])\n"),
        Just("class Output(BaseModel):\n    a: list[Output] | None\n"),
        Just("lambda: replicate.use(f'{x}')\n"),
        Just("    os.environ.get('A')\n"),
        Just("\u{feff}é\r\n"),
        Just("    "),
        Just("(\n"),
        Just("\"\"\"\n"),
    ];
    proptest::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn python_parser_never_panics(src in prop_oneof![text(), python_like()]) {
        let py = PythonFile::parse("main.py", src.clone());
        for e in &py.syntax_errors {
            let (line, column) = py.line_col(e.span.start);
            prop_assert!(line >= 1 && column >= 1);
        }
    }

    #[test]
    fn yaml_parser_never_panics(src in text()) {
        let _ = CogYaml::parse(src);
    }

    #[test]
    fn requirements_parser_never_panics(src in text()) {
        let r = RequirementsFile::parse("requirements.txt", src);
        for e in &r.errors {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }

    #[test]
    fn whole_validation_never_panics(py in prop_oneof![text(), python_like()], yaml in text(), req in text()) {
        let files = BTreeMap::from([
            ("cog.yaml".to_string(), yaml),
            ("main.py".to_string(), py),
            ("requirements.txt".to_string(), req),
        ]);
        let project = Project::from_files(&files).unwrap();
        let _ = validate(&project, &Rulebook::defaults(), &Schemas::new());
    }
}
