//! The one `$ref`/`allOf` resolver over a cog OpenAPI document: [`Resolver::flatten`]
//! follows one schema's `$ref` and merges its `allOf` members (one level, cycles and long
//! chains refused); [`Resolver::resolve`] does it everywhere in a value (cyclic references
//! are left as they are). The inputs, the output's shape and the mocks' input checks all
//! read schemas through it.

use serde_json::{Map, Value};

/// `$ref` chains longer than this are not followed (guards against cycles).
const MAX_REFS: usize = 32;

/// Dereferences schemas of one OpenAPI document (`#/components/schemas/*`).
pub struct Resolver<'a> {
    components: Option<&'a Map<String, Value>>,
}

impl<'a> Resolver<'a> {
    /// A resolver for one OpenAPI document.
    pub fn new(openapi: &'a Value) -> Resolver<'a> {
        Resolver {
            components: openapi
                .pointer("/components/schemas")
                .and_then(Value::as_object),
        }
    }

    /// The named component as written (`Input`, `Output`, …).
    pub fn raw_component(&self, name: &str) -> Option<&'a Value> {
        self.components?.get(name)
    }

    /// The named component, dereferenced throughout.
    pub fn component(&self, name: &str) -> Option<Value> {
        let schema = self.raw_component(name)?;
        Some(self.resolve(schema))
    }

    /// `value` with every resolvable `$ref` inlined and every `allOf` merged.
    pub fn resolve(&self, value: &Value) -> Value {
        self.walk(value, &mut Vec::new())
    }

    fn walk(&self, value: &Value, stack: &mut Vec<String>) -> Value {
        match value {
            Value::Object(_) => {
                let before = stack.len();
                let out = match self.flatten(value, stack) {
                    Ok(flat) => Value::Object(
                        flat.into_iter()
                            .map(|(k, v)| {
                                let v = self.walk(&v, stack);
                                (k, v)
                            })
                            .collect(),
                    ),
                    Err(_) => value.clone(),
                };
                stack.truncate(before);
                out
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.walk(i, stack)).collect())
            }
            other => other.clone(),
        }
    }

    /// `schema` with its `$ref` followed and its `allOf` members merged, one level deep
    /// (nested schemas stay as written). The names followed are pushed on `stack`; a name
    /// already there (a cycle) or a chain longer than the limit is an error saying so. A
    /// reference that cannot be followed stays as `$ref`.
    pub fn flatten(
        &self,
        schema: &Value,
        stack: &mut Vec<String>,
    ) -> Result<Map<String, Value>, String> {
        let Some(map) = schema.as_object() else {
            return Ok(Map::new());
        };
        let mut out = Map::new();
        if let Some(target) = map.get("$ref").and_then(Value::as_str) {
            let name = target
                .strip_prefix("#/components/schemas/")
                .filter(|n| !n.contains('/'));
            match name.and_then(|n| Some((n, self.components?.get(n)?))) {
                Some((name, resolved)) => {
                    if stack.iter().any(|s| s == name) {
                        return Err(format!("cycle: the same shape as {name} above"));
                    }
                    if stack.len() >= MAX_REFS {
                        return Err("reference chain too long".to_owned());
                    }
                    stack.push(name.to_owned());
                    out = self.flatten(resolved, stack)?;
                }
                None => {
                    out.insert("$ref".to_owned(), Value::String(target.to_owned()));
                }
            }
        }
        if let Some(members) = map.get("allOf").and_then(Value::as_array) {
            for member in members {
                let flat = self.flatten(member, stack)?;
                merge(&mut out, flat);
            }
        }
        let own: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| k.as_str() != "$ref" && k.as_str() != "allOf")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        merge(&mut out, own);
        Ok(out)
    }
}

/// Merges `from` into `into`: `properties` are united, `required` lists joined, other
/// keys replaced.
fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (k.as_str(), into.get_mut(&k), v) {
            ("properties", Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
            ("required", Some(Value::Array(have)), Value::Array(more)) => {
                for name in more {
                    if !have.contains(&name) {
                        have.push(name);
                    }
                }
            }
            (_, _, v) => {
                into.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_and_all_of_are_inlined_cycles_left() {
        let doc = json!({"components": {"schemas": {
            "Input": {"type": "object", "properties": {
                "scheduler": {"allOf": [{"$ref": "#/components/schemas/scheduler"}], "default": "DDIM"},
                "node": {"$ref": "#/components/schemas/Node"},
                "elsewhere": {"$ref": "other.json#/x"}
            }},
            "scheduler": {"type": "string", "enum": ["DDIM", "K_EULER"]},
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}
        }}});
        let input = Resolver::new(&doc).component("Input").unwrap();
        assert_eq!(
            input["properties"]["scheduler"],
            json!({"type": "string", "enum": ["DDIM", "K_EULER"], "default": "DDIM"})
        );
        assert_eq!(
            input["properties"]["node"]["properties"]["next"],
            json!({"$ref": "#/components/schemas/Node"})
        );
        assert_eq!(
            input["properties"]["elsewhere"],
            json!({"$ref": "other.json#/x"})
        );
    }
}
