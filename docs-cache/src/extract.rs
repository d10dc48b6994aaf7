//! Deriving the [`Rulebook`] from cached documents.
//!
//! - Python packages: the `runtime` source (a requirements file) when cached, else the
//!   first code block of the spec's `runtime` section.
//! - System packages: the first inline code span of each list item in `runtime`.
//! - `cog` / `replicate` specifiers: inline code spans in `requirements` such as
//!   `` `cog >= 0.15.3` ``.
//!
//! Anything that cannot be found or parsed falls back to [`Rulebook::defaults`] for that
//! fact, with a warning. Nothing here can fail.

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use crate::rulebook::{
    Fact, FactSource, PackageFact, Rulebook, RulebookOrigin, normalize_package_name,
};
use crate::sections::{Section, Sectioned};
use crate::store::DocVersion;

/// The section id of the spec's requirements.
pub const REQUIREMENTS_SECTION: &str = "requirements";
/// The section id of the spec's runtime description.
pub const RUNTIME_SECTION: &str = "runtime";
/// The [`FactSource::section`] used for facts read from the `runtime` source.
pub const RUNTIME_LIST_SECTION: &str = "requirements.txt";

/// Derives the Rulebook from the cached pipelines spec and runtime list (either may be
/// missing). With no pipelines spec, the result is [`Rulebook::defaults`] (plus the
/// runtime list's packages when that is cached).
pub fn derive(
    pipelines: Option<(&DocVersion, &Sectioned)>,
    runtime: Option<&DocVersion>,
) -> Rulebook {
    let mut book = Rulebook::defaults();
    let mut warnings = Vec::new();
    let runtime_packages = runtime.and_then(|doc| runtime_list_packages(doc, &mut warnings));
    let Some((spec, doc)) = pipelines else {
        if let Some(p) = runtime_packages {
            book.python_packages = p;
        }
        book.warnings = warnings;
        return book;
    };
    book.origin = RulebookOrigin::Cached {
        fetched_at: spec.fetched_at.clone(),
        sha256: spec.sha256.clone(),
    };
    book.section_titles = doc
        .sections()
        .iter()
        .map(|s| (s.id.clone(), s.title.clone()))
        .collect();
    let v = spec.version;
    let runtime_section = find_section(doc, RUNTIME_SECTION);
    match (runtime_packages, runtime_section) {
        (Some(p), _) => book.python_packages = p,
        (None, Some(section)) => {
            if let Some(p) = spec_python_packages(doc, section, v, &mut warnings) {
                book.python_packages = p;
            }
        }
        (None, None) => warnings.push(format!(
            "section `{RUNTIME_SECTION}` not found in the pipelines spec (v{v}); using built-in runtime packages"
        )),
    }
    if let Some(found) = system_packages(doc, runtime_section, v, &mut warnings) {
        book.system_packages = found;
    }
    version_requirements(&mut book, doc, v, &mut warnings);
    book.python_version = runtime_section
        .and_then(|s| python_version_in(doc.own_text(s)).map(|value| spec_fact(value, s)));
    for w in &warnings {
        tracing::warn!("rulebook: {w}");
    }
    book.warnings = warnings;
    book
}

/// A fact read from a section of the pipelines spec.
fn spec_fact<T>(value: T, section: &Section) -> Fact<T> {
    Fact {
        value,
        source: FactSource {
            document: "pipelines".to_owned(),
            section: section.id.clone(),
        },
    }
}

/// The packages of the cached runtime list; `None` (with a warning) when none parse.
fn runtime_list_packages(doc: &DocVersion, warnings: &mut Vec<String>) -> Option<Vec<PackageFact>> {
    let source = FactSource {
        document: "runtime".to_owned(),
        section: RUNTIME_LIST_SECTION.to_owned(),
    };
    let packages = parse_requirements(&doc.body, &source, warnings);
    if packages.is_empty() {
        warnings.push(format!(
            "the cached runtime package list (v{}) has no parsable packages; ignoring it",
            doc.version
        ));
        None
    } else {
        Some(packages)
    }
}

/// The Python packages of the first code block of the spec's runtime section; `None` (with
/// a warning) when there are none.
fn spec_python_packages(
    doc: &Sectioned,
    section: &Section,
    v: u64,
    warnings: &mut Vec<String>,
) -> Option<Vec<PackageFact>> {
    let source = FactSource {
        document: "pipelines".to_owned(),
        section: section.id.clone(),
    };
    let parsed = first_code_block(doc.own_text(section))
        .map(|code| parse_requirements(&code, &source, warnings))
        .unwrap_or_default();
    if parsed.is_empty() {
        warnings.push(format!(
            "no package list found in section `{}` of the pipelines spec (v{v}); using built-in runtime packages",
            section.id
        ));
        None
    } else {
        Some(parsed)
    }
}

/// The system packages listed in the spec's runtime section; `None` (with a warning) when
/// the section or its list is missing.
fn system_packages(
    doc: &Sectioned,
    runtime_section: Option<&Section>,
    v: u64,
    warnings: &mut Vec<String>,
) -> Option<Vec<Fact<String>>> {
    let Some(section) = runtime_section else {
        warnings.push(format!(
            "section `{RUNTIME_SECTION}` not found in the pipelines spec (v{v}); using built-in system packages"
        ));
        return None;
    };
    let found = list_item_code_spans(doc.own_text(section));
    if found.is_empty() {
        warnings.push(format!(
            "no system package list found in section `{}` of the pipelines spec (v{v}); using built-in system packages",
            section.id
        ));
        return None;
    }
    Some(
        found
            .into_iter()
            .map(|value| spec_fact(value, section))
            .collect(),
    )
}

/// The `cog` and `replicate` specifiers of the spec's requirements section; the built-in
/// one (with a warning) for each that is missing.
fn version_requirements(book: &mut Rulebook, doc: &Sectioned, v: u64, warnings: &mut Vec<String>) {
    let defaults = Rulebook::defaults();
    let requirements = find_section(doc, REQUIREMENTS_SECTION);
    for (name, slot, default) in [
        ("cog", &mut book.cog_requirement, &defaults.cog_requirement),
        (
            "replicate",
            &mut book.replicate_requirement,
            &defaults.replicate_requirement,
        ),
    ] {
        let found = requirements.and_then(|s| {
            inline_code_spans(doc.own_text(s))
                .into_iter()
                .find_map(|span| specifier_for(&span, name))
                .map(|spec| spec_fact(spec, s))
        });
        match found {
            Some(fact) => *slot = fact,
            None => warnings.push(format!(
                "no `{name}` version requirement found in section `{REQUIREMENTS_SECTION}` of the pipelines spec (v{v}); using the built-in `{name}{}`",
                default.value
            )),
        }
    }
}

/// The section with this id, else a section whose last id segment equals it.
fn find_section<'a>(doc: &'a Sectioned, id: &str) -> Option<&'a Section> {
    doc.get(id).or_else(|| {
        doc.sections()
            .iter()
            .find(|s| s.id.rsplit('/').next() == Some(id))
    })
}

/// Parses requirement lines (`name`, `name<2`, `name==1.0 ; markers`, comments), skipping
/// `cog` and `replicate`, options and anything unparsable (with a warning).
pub fn parse_requirements(
    text: &str,
    source: &FactSource,
    warnings: &mut Vec<String>,
) -> Vec<PackageFact> {
    let mut out: Vec<PackageFact> = Vec::new();
    for raw in text.lines() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        match parse_requirement(line) {
            Some((name, specifier)) => {
                if name == "cog" || name == "replicate" || out.iter().any(|p| p.name == name) {
                    continue;
                }
                out.push(PackageFact {
                    name,
                    specifier,
                    source: source.clone(),
                });
            }
            None => warnings.push(format!(
                "could not parse requirement `{line}` in {}#{}",
                source.document, source.section
            )),
        }
    }
    out
}

/// `name[extras] specifiers ; markers` → (normalised name, specifiers without spaces).
fn parse_requirement(line: &str) -> Option<(String, String)> {
    let line = line.split(';').next().unwrap_or("").trim();
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut rest = line[name_end..].trim();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.split_once(']')?.1.trim();
    }
    if rest.starts_with('@') {
        return None;
    }
    let spec: String = rest
        .trim_start_matches('(')
        .trim_end_matches(')')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !spec.is_empty() && VersionSpecifiers::from_str(&spec).is_err() {
        return None;
    }
    Some((normalize_package_name(name), spec))
}

/// If `span` is `name <specifiers>`, the specifiers without spaces.
fn specifier_for(span: &str, name: &str) -> Option<String> {
    let rest = span.trim().strip_prefix(name)?;
    if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return None;
    }
    let spec: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    if spec.is_empty() {
        return None;
    }
    VersionSpecifiers::from_str(&spec).ok().map(|_| spec)
}

fn first_code_block(markdown: &str) -> Option<String> {
    let mut inside = false;
    let mut code = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let plain = match &kind {
                    CodeBlockKind::Indented => true,
                    CodeBlockKind::Fenced(lang) => {
                        lang.is_empty() || matches!(lang.as_ref(), "txt" | "text" | "requirements")
                    }
                };
                inside = plain;
            }
            Event::Text(t) if inside => code.push_str(&t),
            Event::End(TagEnd::CodeBlock) if inside => return Some(code),
            _ => {}
        }
    }
    None
}

fn inline_code_spans(markdown: &str) -> Vec<String> {
    Parser::new(markdown)
        .filter_map(|e| match e {
            Event::Code(c) => Some(c.to_string()),
            _ => None,
        })
        .collect()
}

/// The first inline code span of each list item (e.g. `` - `ffmpeg` - video ``).
fn list_item_code_spans(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut taken = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Item) => {
                depth += 1;
                taken = false;
            }
            Event::End(TagEnd::Item) => depth = depth.saturating_sub(1),
            Event::Code(c) if depth == 1 && !taken => {
                let name = c.trim();
                if !name.is_empty() && !name.contains(char::is_whitespace) {
                    out.push(name.to_owned());
                }
                taken = true;
            }
            Event::Text(_) if depth == 1 && !taken => taken = true,
            _ => {}
        }
    }
    out
}

/// A "Python 3.NN" mention, as `3.NN`.
fn python_version_in(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let mut search = lower.as_str();
    while let Some(i) = search.find("python 3.") {
        let after = &search[i + "python ".len()..];
        let version: String = after
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let version = version.trim_end_matches('.');
        if version.len() > 2 && version.split('.').count() >= 2 {
            return Some(version.to_owned());
        }
        search = &search[i + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines() {
        assert_eq!(
            parse_requirement("pydantic<2"),
            Some(("pydantic".into(), "<2".into()))
        );
        assert_eq!(
            parse_requirement("Scikit_Learn == 1.6.1 ; python_version>'3'"),
            Some(("scikit-learn".into(), "==1.6.1".into()))
        );
        assert_eq!(
            parse_requirement("pillow[extra]>=10"),
            Some(("pillow".into(), ">=10".into()))
        );
        assert_eq!(parse_requirement("pkg @ https://x"), None);
        assert_eq!(parse_requirement("pkg ~~ nonsense"), None);
    }

    #[test]
    fn specifiers_from_code_spans() {
        assert_eq!(
            specifier_for("cog >= 0.15.3", "cog").as_deref(),
            Some(">=0.15.3")
        );
        assert_eq!(
            specifier_for("replicate>=1.1.0b1,<2.0.0a1", "replicate").as_deref(),
            Some(">=1.1.0b1,<2.0.0a1")
        );
        assert_eq!(specifier_for("cog.yaml", "cog"), None);
        assert_eq!(specifier_for("cogs>=1", "cog"), None);
        assert_eq!(specifier_for("cog", "cog"), None);
    }

    #[test]
    fn system_packages_from_list() {
        let md = "intro `x`\n\n- `curl` - http\n- `ffmpeg` - video\n  - `nested` no\n- plain item `late`\n";
        assert_eq!(list_item_code_spans(md), ["curl", "ffmpeg"]);
    }

    #[test]
    fn python_version_mentions() {
        assert_eq!(
            python_version_in("runs Python 3.13 only").as_deref(),
            Some("3.13")
        );
        assert_eq!(python_version_in("Python 3. is great"), None);
    }
}
