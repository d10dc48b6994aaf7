//! What a run's output must be: the kind `run()`'s annotation says, read from the generated
//! main.py (`-> Path`, `-> list[Path]`, `-> Output` and its fields), with files checked by
//! their bytes (sniffed) against the media the mocked models produced. Used by
//! `scaffold_heldout`.

use serde_json::{Value, json};

/// `run()`'s return annotation and, when it is `Output`, the class's fields in order.
pub(crate) fn annotation(main: &str) -> (String, Vec<(String, String)>) {
    let lines: Vec<&str> = main.lines().collect();
    let def = lines
        .iter()
        .position(|l| l.starts_with("def run("))
        .unwrap_or_else(|| panic!("no def run(\n{main}"));
    let returns = lines[def..]
        .iter()
        .find_map(|l| {
            l.rsplit_once(") -> ")
                .map(|(_, r)| r.trim_end_matches(':').to_string())
        })
        .unwrap_or_else(|| panic!("run() has no return annotation\n{main}"));
    let mut fields = Vec::new();
    if let Some(class) = lines.iter().position(|l| l.starts_with("class Output(")) {
        for line in &lines[class + 1..] {
            let Some(field) = line.strip_prefix("    ") else {
                break;
            };
            if let Some((name, ty)) = field.split_once(": ") {
                fields.push((name.to_string(), ty.to_string()));
            }
        }
    }
    (returns, fields)
}

/// The media type a file's magic bytes say, when they say one.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if at(0, b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some("image/gif")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some("image/webp")
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some("audio/wav")
    } else if at(0, b"ID3") || at(0, b"\xff\xfb") || at(0, b"\xff\xf3") {
        Some("audio/mpeg")
    } else if at(0, b"fLaC") {
        Some("audio/flac")
    } else if at(0, b"OggS") {
        Some("audio/ogg")
    } else if at(4, b"ftyp") {
        Some("video/mp4")
    } else if at(0, b"\x1a\x45\xdf\xa3") {
        Some("video/webm")
    } else {
        None
    }
}

/// `audio/x-wav` and `audio/wav` are one kind.
fn normal_media(media: &str) -> String {
    media.replace("/x-", "/")
}

/// Every content type of the files the mocked models produced.
pub(crate) fn produced_media(run: &Value) -> Vec<String> {
    run["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["output"]["files"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f["content_type"].as_str().map(normal_media))
        .collect()
}

/// Checks that `value` holds the kind `annotation` says.
pub(crate) fn check_kind(
    value: &Value,
    annotation: &str,
    fields: &[(String, String)],
    media: &[String],
) -> Result<(), String> {
    let item = |prefix: &str| {
        annotation
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(']'))
    };
    if let Some(inner) = item("list[")
        .or_else(|| item("Iterator["))
        .or_else(|| item("ConcatenateIterator["))
    {
        let items = value
            .as_array()
            .ok_or_else(|| format!("{annotation}: not a list: {value}"))?;
        if items.is_empty() {
            return Err(format!("{annotation}: an empty list"));
        }
        return items
            .iter()
            .try_for_each(|v| check_kind(v, inner, fields, media));
    }
    match annotation {
        "str" if value.is_string() => Ok(()),
        "int" if value.is_i64() || value.is_u64() => Ok(()),
        "float" if value.is_number() => Ok(()),
        "bool" if value.is_boolean() => Ok(()),
        "Path" => check_file(value, media),
        "Output" => {
            let object = value
                .as_object()
                .ok_or_else(|| format!("Output: not an object: {value}"))?;
            let mut names: Vec<&String> = object.keys().collect();
            let mut declared: Vec<&String> = fields.iter().map(|(n, _)| n).collect();
            names.sort();
            declared.sort();
            if names != declared {
                return Err(format!(
                    "Output has fields {names:?}, declared {declared:?}"
                ));
            }
            fields.iter().try_for_each(|(name, ty)| {
                check_kind(&object[name], ty, &[], media)
                    .and_then(|()| check_named_media(name, &object[name]))
                    .map_err(|e| format!("Output.{name}: {e}"))
            })
        }
        other => Err(format!("{other}: the output is {value}")),
    }
}

/// A field named for a kind of media (`video`, `audio`, `image`) holds a file of that kind.
fn check_named_media(name: &str, value: &Value) -> Result<(), String> {
    let Some(kind) = ["video", "audio", "image"]
        .into_iter()
        .find(|k| name.starts_with(k))
    else {
        return Ok(());
    };
    let bytes = value
        .as_str()
        .and_then(|p| std::fs::read(p).ok())
        .unwrap_or_default();
    match sniff(&bytes) {
        Some(media) if media.starts_with(kind) => Ok(()),
        other => Err(format!("named {kind}, holds {other:?}: {value}")),
    }
}

/// A file the run wrote, whose bytes are one of the media the models produced.
fn check_file(value: &Value, media: &[String]) -> Result<(), String> {
    let path = value
        .as_str()
        .ok_or_else(|| format!("Path: not a file path: {value}"))?;
    let bytes = std::fs::read(path).map_err(|e| format!("Path: {path}: {e}"))?;
    let kind = sniff(&bytes).ok_or_else(|| {
        format!(
            "Path: {path} is no media file ({} bytes, starting {:?})",
            bytes.len(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(24)])
        )
    })?;
    if !media.iter().any(|m| m == kind) {
        return Err(format!(
            "Path: {path} is {kind}, but the models produced {media:?}"
        ));
    }
    Ok(())
}

/// A 1×1 PNG, for `Path` inputs of `run()`.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The kind checks refuse what an invented conversion would return.
#[test]
fn kind_checks_refuse_wrong_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("a.png");
    std::fs::write(&png, PNG).unwrap();
    let json_text = dir.path().join("output.txt");
    std::fs::write(&json_text, "{\"video\": \"x.mp4\"}").unwrap();
    let png = json!(png.display().to_string());
    let images = ["image/png".to_string()];
    let sounds = ["audio/wav".to_string()];
    assert!(check_kind(&png, "Path", &[], &images).is_ok());
    assert!(check_kind(&json!([png.clone()]), "list[Path]", &[], &images).is_ok());
    // A text file of JSON standing in for a file, a file of another kind, no file.
    let text_file = json!(json_text.display().to_string());
    assert!(check_kind(&text_file, "Path", &[], &images).is_err());
    assert!(check_kind(&png, "Path", &[], &sounds).is_err());
    assert!(check_kind(&json!("/nowhere/x.png"), "Path", &[], &images).is_err());
    // A stringified list, an empty list, a list for a text.
    assert!(check_kind(&json!("['a.png']"), "list[Path]", &[], &images).is_err());
    assert!(check_kind(&json!([]), "list[Path]", &[], &images).is_err());
    assert!(check_kind(&json!(["a", "b"]), "str", &[], &images).is_err());
    // Output: every declared field, each of its kind.
    let fields = vec![
        ("image".to_string(), "Path".to_string()),
        ("caption".to_string(), "str".to_string()),
    ];
    let good = json!({"image": png, "caption": "a fox"});
    assert!(check_kind(&good, "Output", &fields, &images).is_ok());
    let dumped = json!({"image": png, "caption": {"text": "a fox"}});
    assert!(check_kind(&dumped, "Output", &fields, &images).is_err());
    let mislabelled = json!({"image": png, "caption": "a fox"});
    let video_fields = vec![("video".to_string(), "Path".to_string())];
    assert!(
        check_kind(
            &json!({"video": mislabelled["image"]}),
            "Output",
            &video_fields,
            &images
        )
        .is_err()
    );
    let missing = json!({"image": png});
    assert!(check_kind(&missing, "Output", &fields, &images).is_err());
    assert_eq!(
        annotation(
            "class Output(BaseModel):\n    image: Path\n    n: int\n\n\ndef run(\n    x: str,\n) -> Output:\n    pass\n"
        ),
        (
            "Output".to_string(),
            vec![
                ("image".to_string(), "Path".to_string()),
                ("n".to_string(), "int".to_string())
            ]
        )
    );
}
