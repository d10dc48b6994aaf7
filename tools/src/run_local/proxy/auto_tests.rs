use super::*;

fn doc(output: Value) -> Value {
    json!({"components": {"schemas": {"Output": output, "Kind": {"type": "string", "enum": ["cat", "dog"]}}}})
}

fn auto(
    model: &str,
    openapi: &Value,
    input: Value,
    example: Option<&ModelExample>,
) -> (Value, Vec<Media>) {
    let mut made = Vec::new();
    let mut files = |m: Media| {
        made.push(m);
        format!(
            "http://proxy/mock-files/f{}/output.{}",
            made.len(),
            m.extension()
        )
    };
    let output = crate::schema::openapi::output(openapi);
    let inputs = crate::schema::openapi::inputs(openapi);
    let call = AutoCall {
        model,
        output: &output,
        inputs: &inputs,
        input: &input,
        example,
    };
    let out = synthesise(&call, &mut files);
    (out, made)
}

#[test]
fn llm_text_is_streamed_chunks() {
    let (out, _) = auto(
        "acme/chatter",
        &doc(
            json!({"type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate"}),
        ),
        json!({}),
        None,
    );
    let text: String = out
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(text, "Mock output of acme/chatter.");
}

#[test]
fn a_plain_list_of_strings_is_clean_words() {
    let (out, _) = auto(
        "acme/detector",
        &doc(json!({"type": "array", "items": {"type": "string"}})),
        json!({}),
        None,
    );
    assert_eq!(out, json!(["mock", "output"]));
    let (nested, _) = auto(
        "acme/detector",
        &doc(json!({"type": "object", "properties": {
            "objects": {"type": "array", "items": {"type": "string"}}
        }})),
        json!({}),
        None,
    );
    assert_eq!(nested, json!({"objects": ["mock", "objects"]}));
}

#[test]
fn objects_get_every_field_and_files_their_kind() {
    let (out, made) = auto(
        "acme/inspector",
        &doc(json!({"type": "object", "properties": {
            "caption": {"type": "string"},
            "count": {"type": "integer"},
            "score": {"type": "number"},
            "safe": {"type": "boolean"},
            "kind": {"allOf": [{"$ref": "#/components/schemas/Kind"}]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "preview": {"type": "string", "format": "uri"},
            "soundtrack_audio": {"type": "string", "format": "uri"}
        }})),
        json!({}),
        None,
    );
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8, "{out}");
    assert_eq!(out["kind"], "cat");
    assert_eq!(out["count"], 1);
    assert_eq!(out["safe"], true);
    // A list of strings that is not streamed text: clean words, no stray spaces.
    assert_eq!(out["tags"], json!(["mock", "tags"]), "{out}");
    assert!(
        out["preview"]
            .as_str()
            .unwrap()
            .starts_with("http://proxy/")
    );
    assert_eq!(made, [Media::Png, Media::Wav]);
}

#[test]
fn files_follow_the_calls_format_inputs_and_count() {
    let openapi = json!({"components": {"schemas": {
        "Output": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "Input": {"type": "object", "properties": {
            "output_format": {"allOf": [{"$ref": "#/components/schemas/output_format"}], "default": "webp"},
            "num_outputs": {"type": "integer", "default": 1},
            "mp4": {"type": "boolean", "default": false},
            "container": {"type": "string", "enum": ["wav", "mp3"]}
        }},
        "output_format": {"type": "string", "enum": ["webp", "jpg", "png"]}
    }}});
    let (out, made) = auto("acme/forge", &openapi, json!({}), None);
    assert_eq!(
        (out.as_array().unwrap().len(), made.as_slice()),
        (1, &[Media::Webp][..])
    );
    let (_, made) = auto(
        "acme/forge",
        &openapi,
        json!({"output_format": "jpg", "num_outputs": 3}),
        None,
    );
    assert_eq!(made, [Media::Jpg; 3]);
    let video = json!({"components": {"schemas": {
        "Output": {"type": "string", "format": "uri"},
        "Input": {"type": "object", "properties": {"mp4": {"type": "boolean", "default": false}}}
    }}});
    assert_eq!(
        auto("acme/animator", &video, json!({"mp4": true}), None).1,
        [Media::Mp4]
    );
    assert_eq!(
        auto("acme/animator-video", &video, json!({}), None).1,
        [Media::Gif]
    );
    let sound = json!({"components": {"schemas": {
        "Output": {"type": "string", "format": "uri"},
        "Input": {"type": "object", "properties": {"container": {"type": "string", "enum": ["wav", "mp3"]}}}
    }}});
    assert_eq!(
        auto("acme/song", &sound, json!({"container": "mp3"}), None).1,
        [Media::Mp3]
    );
}

#[test]
fn the_example_output_is_used_when_it_fits() {
    let text = doc(json!({"type": "string"}));
    let example = ModelExample {
        input: json!({"prompt": "hi"}),
        output: json!("unsafe\nS1"),
        cut: false,
    };
    assert_eq!(
        auto("meta/guard", &text, json!({}), Some(&example)).0,
        "unsafe\nS1"
    );
    // Not of the schema's type: synthesised.
    let wrong = ModelExample {
        output: json!(3),
        ..example.clone()
    };
    assert_eq!(
        auto("meta/guard", &text, json!({}), Some(&wrong)).0,
        "mock output of meta/guard"
    );
    // Files: new ones, of the example's type, as many as asked for.
    let files = doc(json!({"type": "array", "items": {"type": "string", "format": "uri"}}));
    let example = ModelExample {
        input: json!({}),
        output: json!(["https://replicate.delivery/x/out-0.jpg"]),
        cut: false,
    };
    let (out, made) = auto(
        "acme/forge",
        &files,
        json!({"num_outputs": 2}),
        Some(&example),
    );
    assert_eq!(made, [Media::Jpg, Media::Jpg]);
    assert!(
        out[1].as_str().unwrap().starts_with("http://proxy/"),
        "{out}"
    );
}

#[test]
fn optional_outputs_get_their_value_and_enums_their_first_choice() {
    // `Path | None`: a file (the raw-schema walk used to answer a plain string here).
    let (out, made) = auto(
        "acme/maybe-image",
        &doc(json!({"anyOf": [{"type": "string", "format": "uri"}, {"type": "null"}]})),
        json!({}),
        None,
    );
    assert!(out.as_str().unwrap().starts_with("http://proxy/"), "{out}");
    assert_eq!(made, [Media::Png]);
    let (out, _) = auto(
        "acme/classifier",
        &doc(json!({"$ref": "#/components/schemas/Kind"})),
        json!({}),
        None,
    );
    assert_eq!(out, "cat");
    // An example outside the choices does not fit: synthesised.
    let example = ModelExample {
        input: json!({}),
        output: json!("bird"),
        cut: false,
    };
    let (out, _) = auto(
        "acme/classifier",
        &doc(json!({"$ref": "#/components/schemas/Kind"})),
        json!({}),
        Some(&example),
    );
    assert_eq!(out, "cat");
}
