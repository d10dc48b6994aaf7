//! Model references: `owner/name` or `owner/name:version`, checked before any request.

use std::fmt;

use super::error::SchemaError;

/// A parsed model reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    /// The owner (user or organisation).
    pub owner: String,
    /// The model name.
    pub name: String,
    /// A pinned version id.
    pub version: Option<String>,
}

impl ModelRef {
    /// Parses and checks a reference. Owners are letters, digits, `-` and `_`; names may
    /// also hold `.`; neither may start with `.` or `-`; versions are alphanumeric.
    pub fn parse(reference: &str) -> Result<ModelRef, SchemaError> {
        let fail = |reason: &str| SchemaError::InvalidRef {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        if reference.is_empty() {
            return Err(fail("it is empty"));
        }
        if reference.chars().any(char::is_whitespace) {
            return Err(fail("it contains whitespace"));
        }
        let (model, version) = ModelRef::split(reference);
        let mut parts = model.split('/');
        let (Some(owner), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(fail(if model.contains('/') {
                "it has more than one '/'"
            } else {
                "it has no '/' between owner and name"
            }));
        };
        check_segment(owner, "owner", false).map_err(|r| fail(&r))?;
        check_segment(name, "name", true).map_err(|r| fail(&r))?;
        let version = match version {
            None => None,
            Some("") => return Err(fail("the version after ':' is empty")),
            Some(v) if v.len() > 128 || !v.chars().all(|c| c.is_ascii_alphanumeric()) => {
                return Err(fail("the version must be letters and digits only"));
            }
            Some(v) => Some(v.to_owned()),
        };
        Ok(ModelRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
            version,
        })
    }

    /// `owner/name`: the key a model's schemas share, whatever their version.
    pub fn model(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Splits a reference as written into its model part and its version, without
    /// checking either: `owner/name:version` → (`owner/name`, `Some(version)`). For
    /// references read from user code that are reported, not fetched; everything that
    /// fetches or caches goes through [`ModelRef::parse`].
    pub fn split(reference: &str) -> (&str, Option<&str>) {
        match reference.split_once(':') {
            Some((model, version)) => (model, Some(version)),
            None => (reference, None),
        }
    }

    /// The unchecked `owner/name` part of a reference as written (see [`ModelRef::split`]).
    pub fn model_of(reference: &str) -> &str {
        ModelRef::split(reference).0
    }
}

fn check_segment(segment: &str, what: &str, dots: bool) -> Result<(), String> {
    if segment.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if segment.len() > 100 {
        return Err(format!("the {what} is longer than 100 characters"));
    }
    if segment.starts_with(['.', '-']) {
        return Err(format!("the {what} starts with '{}'", &segment[..1]));
    }
    if let Some(bad) = segment
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || (dots && c == '.')))
    {
        return Err(format!("the {what} contains {bad:?}"));
    }
    Ok(())
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)?;
        if let Some(v) = &self.version {
            write!(f, ":{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ModelRef;

    #[test]
    fn parses_plain_and_pinned() {
        let r = ModelRef::parse("black-forest-labs/flux-schnell").unwrap();
        assert_eq!(r.model(), "black-forest-labs/flux-schnell");
        assert_eq!(r.version, None);
        let r = ModelRef::parse("acme/upscale.x2:abc123").unwrap();
        assert_eq!(r.name, "upscale.x2");
        assert_eq!(r.version.as_deref(), Some("abc123"));
        assert_eq!(r.to_string(), "acme/upscale.x2:abc123");
    }

    #[test]
    fn rejects_bad_refs() {
        for bad in [
            "", "owner", "a/b/c", "a b/c", " a/b", "../x", "a/..", "a/b:", "a/b:v!", "a/-b", "/b",
            "a/", "a/b?x=1", "a/b#c", "a%2Fb/c", "a/b:1:2",
        ] {
            assert!(ModelRef::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
