//! The tool list an MCP host loads into every session, kept small: input schemas flattened
//! (every `$ref` inlined, no `$defs`, enums inline, no `null` alternatives for optional
//! arguments) and output schemas reduced to the result's shape (field names and types, no
//! prose — the text result and the tool description say what the fields mean).

use rmcp::model::JsonObject;
use serde_json::{Map, Value};

/// How deep an output schema names fields; below that a value is only `object` or `array`.
const OUTPUT_DEPTH: usize = 1;

/// The input schema as hosts read it: flat and without `null` alternatives.
pub(crate) fn input(schema: &JsonObject) -> JsonObject {
    let defs = defs_of(schema);
    let mut out = match flatten(&Value::Object(schema.clone()), &defs, 0) {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    out.remove("$schema");
    out.remove("title");
    if schema.contains_key("additionalProperties") {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    out
}

/// The output schema as the shape of the structured result: permissive (no `required`, no
/// `additionalProperties`), so every result the tool returns still validates against it.
pub(crate) fn output(schema: &JsonObject) -> JsonObject {
    let defs = defs_of(schema);
    let mut out = JsonObject::new();
    out.insert("type".into(), Value::String("object".into()));
    if let Some(props) = shape(&Value::Object(schema.clone()), &defs, 0).get("properties") {
        out.insert("properties".into(), props.clone());
    }
    out
}

fn defs_of(schema: &JsonObject) -> Map<String, Value> {
    let mut defs = Map::new();
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(d)) = schema.get(key) {
            defs.extend(d.clone());
        }
    }
    defs
}

/// The definition a `$ref` names, if it is a local one.
fn resolve<'a>(reference: &str, defs: &'a Map<String, Value>) -> Option<&'a Value> {
    let name = reference
        .strip_prefix("#/$defs/")
        .or_else(|| reference.strip_prefix("#/definitions/"))?;
    defs.get(name)
}

/// A `$ref`'s target merged under the referring schema's own keys (its description wins).
fn deref(map: &Map<String, Value>, defs: &Map<String, Value>) -> Map<String, Value> {
    let mut merged = match map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(r, defs))
    {
        Some(Value::Object(target)) => target.clone(),
        _ => Map::new(),
    };
    for (k, v) in map {
        if k != "$ref" {
            merged.insert(k.clone(), v.clone());
        }
    }
    merged
}

fn is_null(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

/// One alternative's constant, when it is a one-value string enum (`const` or `enum: [x]`).
fn constant(v: &Value) -> Option<Value> {
    if let Some(c) = v.get("const") {
        return Some(c.clone());
    }
    match v.get("enum").and_then(Value::as_array) {
        Some(values) if values.len() == 1 => Some(values[0].clone()),
        _ => None,
    }
}

/// Guards against a recursive type: deeper than this, a value is left untyped.
const MAX_NESTING: usize = 12;

fn flatten(schema: &Value, defs: &Map<String, Value>, depth: usize) -> Value {
    let Value::Object(raw) = schema else {
        return schema.clone();
    };
    if depth > MAX_NESTING {
        return Value::Object(Map::new());
    }
    let mut map = deref(raw, defs);
    map.remove("$defs");
    map.remove("definitions");
    map.remove("$schema");
    map.remove("title");
    map.remove("format");
    if map.get("default") == Some(&Value::Null) {
        map.remove("default");
    }
    // `Option<T>`: `anyOf: [T, null]` becomes T, `type: [t, "null"]` becomes t.
    fold_alternatives(&mut map, defs, depth);
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        let kept: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        let single = match kept.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(kept),
        };
        map.insert("type".into(), single);
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if map.get("minimum") == Some(&Value::from(0)) && raw.get("format").is_some_and(is_unsigned) {
        map.remove("minimum");
    }
    if let Some(Value::String(d)) = map.get("description") {
        let one_line = d.split_whitespace().collect::<Vec<_>>().join(" ");
        map.insert("description".into(), Value::String(one_line));
    }
    flatten_children(&mut map, defs, depth);
    if map.get("default") == Some(&Value::Object(Map::new()))
        || map.get("default") == Some(&Value::Bool(false))
    {
        map.remove("default");
    }
    if depth > 0 && map.get("additionalProperties") == Some(&Value::Bool(false)) {
        map.remove("additionalProperties");
    }
    Value::Object(map)
}

/// `anyOf`/`oneOf` made plain: constants become an `enum`, one non-null alternative is merged
/// in, bare types become one `type` list; other alternatives are flattened in place.
fn fold_alternatives(map: &mut Map<String, Value>, defs: &Map<String, Value>, depth: usize) {
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = map.get(key).cloned() {
            let kept: Vec<&Value> = alts.iter().filter(|a| !is_null(a)).collect();
            let consts: Option<Vec<Value>> = kept.iter().map(|a| constant(a)).collect();
            if let Some(values) = consts.filter(|v| !v.is_empty()) {
                map.remove(key);
                map.insert("enum".into(), Value::Array(values));
                if !map.contains_key("type") {
                    map.insert("type".into(), Value::String("string".into()));
                }
            } else if kept.len() == 1 {
                map.remove(key);
                if let Value::Object(inner) = flatten(kept[0], defs, depth + 1) {
                    for (k, v) in inner {
                        map.entry(k).or_insert(v);
                    }
                }
            } else {
                let mut flat: Vec<Value> =
                    kept.iter().map(|a| flatten(a, defs, depth + 1)).collect();
                // Each alternative's fields say what it is.
                for alt in &mut flat {
                    if let Some(m) = alt.as_object_mut().filter(|m| m.contains_key("properties")) {
                        m.remove("description");
                    }
                }
                if let Some(types) = bare_types(&flat) {
                    // `string | integer | number | boolean`: one `type` list, no prose per type.
                    map.remove(key);
                    map.insert("type".into(), types);
                } else {
                    map.insert(key.into(), Value::Array(flat));
                }
            }
        }
    }
}

/// The properties, items and additional properties, flattened in turn.
fn flatten_children(map: &mut Map<String, Value>, defs: &Map<String, Value>, depth: usize) {
    if let Some(Value::Object(props)) = map.get("properties").cloned() {
        let flat: Map<String, Value> = props
            .into_iter()
            .map(|(k, v)| (k, flatten(&v, defs, depth + 1)))
            .collect();
        map.insert("properties".into(), Value::Object(flat));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v @ Value::Object(_)) = map.get(key).cloned() {
            // The property that holds them says what they are.
            let mut inner = flatten(&v, defs, depth + 1);
            if let Value::Object(m) = &mut inner {
                m.remove("description");
            }
            map.insert(key.into(), inner);
        }
    }
}

/// The `type` of alternatives that are bare types (`{"type": t}`, maybe described), with an
/// `integer` folded into a `number`; none when any alternative says more.
fn bare_types(alts: &[Value]) -> Option<Value> {
    let mut types: Vec<&str> = Vec::new();
    for alt in alts {
        let map = alt.as_object()?;
        if map.keys().any(|k| k != "type" && k != "description") {
            return None;
        }
        let t = map.get("type")?.as_str()?;
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.contains(&"number") {
        types.retain(|t| *t != "integer");
    }
    Some(Value::Array(types.into_iter().map(Value::from).collect()))
}

fn is_unsigned(format: &Value) -> bool {
    format.as_str().is_some_and(|f| f.starts_with("uint"))
}

/// The JSON types a schema admits (`null` included), or none when it cannot tell.
fn types_of(schema: &Value, defs: &Map<String, Value>, depth: usize) -> Vec<String> {
    let Value::Object(raw) = schema else {
        return Vec::new();
    };
    if depth > MAX_NESTING {
        return Vec::new();
    }
    let map = deref(raw, defs);
    match map.get("type") {
        Some(Value::String(t)) => return vec![t.clone()],
        Some(Value::Array(ts)) => {
            return ts
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        _ => {}
    }
    let mut out: Vec<String> = Vec::new();
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = map.get(key) {
            for alt in alts {
                let ts = types_of(alt, defs, depth + 1);
                if ts.is_empty() {
                    return Vec::new(); // an alternative of any type: the union is any type
                }
                for t in ts {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
    }
    if out.is_empty() {
        if let Some(c) = map.get("const") {
            out.push(json_type(c).into());
        } else if let Some(Value::Array(values)) = map.get("enum") {
            for v in values {
                let t = json_type(v).to_owned();
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        } else if map.contains_key("properties") {
            out.push("object".into());
        }
    }
    // An `integer` is also a `number`; keep the wider one only.
    if out.iter().any(|t| t == "number") {
        out.retain(|t| t != "integer");
    }
    out
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A schema reduced to its types, and the field names of objects down to [`OUTPUT_DEPTH`].
fn shape(schema: &Value, defs: &Map<String, Value>, depth: usize) -> Map<String, Value> {
    let mut out = Map::new();
    let types = types_of(schema, defs, 0);
    match types.as_slice() {
        [] => {}
        [one] => {
            out.insert("type".into(), Value::String(one.clone()));
        }
        many => {
            out.insert(
                "type".into(),
                Value::Array(many.iter().cloned().map(Value::String).collect()),
            );
        }
    }
    let single_object = types == ["object"] || types == ["object", "null"];
    if depth >= OUTPUT_DEPTH || !single_object {
        return out;
    }
    let Some(props) = object_properties(schema, defs) else {
        return out;
    };
    let fields: Map<String, Value> = props
        .iter()
        .map(|(k, v)| (k.clone(), Value::Object(shape(v, defs, depth + 1))))
        .collect();
    out.insert("properties".into(), Value::Object(fields));
    out
}

/// The `properties` of an object schema, through a `$ref` or a nullable `anyOf`.
fn object_properties(schema: &Value, defs: &Map<String, Value>) -> Option<Map<String, Value>> {
    let Value::Object(raw) = schema else {
        return None;
    };
    let map = deref(raw, defs);
    if let Some(Value::Object(props)) = map.get("properties") {
        return Some(props.clone());
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = map.get(key) {
            let kept: Vec<&Value> = alts.iter().filter(|a| !is_null(a)).collect();
            if let [one] = kept.as_slice() {
                return object_properties(one, defs);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> JsonObject {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn input_schemas_are_flat_and_without_null() {
        let schema = obj(json!({
            "$schema": "x", "type": "object", "additionalProperties": false,
            "$defs": {"Sel": {"type": "string", "enum": ["a", "b"], "description": "One."}},
            "properties": {
                "sel": {"anyOf": [{"$ref": "#/$defs/Sel"}, {"type": "null"}], "default": null,
                        "description": "Which\n  one."},
                "n": {"type": ["integer", "null"], "format": "uint", "minimum": 0},
                "kind": {"oneOf": [{"const": "str", "description": "s"}, {"const": "Path"}]}
            }
        }));
        let flat = Value::Object(input(&schema));
        assert!(!flat.to_string().contains("$ref") && !flat.to_string().contains("null"));
        assert_eq!(
            flat["properties"]["sel"],
            json!({"type": "string", "enum": ["a", "b"], "description": "Which one."})
        );
        assert_eq!(flat["properties"]["n"], json!({"type": "integer"}));
        assert_eq!(flat["properties"]["kind"]["enum"], json!(["str", "Path"]));
        assert_eq!(flat["additionalProperties"], json!(false));
    }

    #[test]
    fn output_schemas_keep_the_shape_and_admit_every_result() {
        let schema = obj(json!({
            "type": "object", "required": ["a"],
            "$defs": {"Inner": {"type": "object", "properties": {"x": {"type": "integer"},
                        "deep": {"type": "object", "properties": {"y": {"type": "string"}}}}}},
            "properties": {
                "a": {"type": "string", "description": "prose"},
                "b": {"anyOf": [{"$ref": "#/$defs/Inner"}, {"type": "null"}]},
                "c": {"type": "array", "items": {"$ref": "#/$defs/Inner"}},
                "d": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
                "e": {}
            }
        }));
        let shaped = Value::Object(output(&schema));
        assert_eq!(
            shaped,
            json!({"type": "object", "properties": {
                "a": {"type": "string"},
                "b": {"type": ["object", "null"]},
                "c": {"type": "array"},
                "d": {"type": "number"},
                "e": {}
            }})
        );
    }
}
