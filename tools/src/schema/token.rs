//! The Replicate API token, wrapped so it cannot leak through `Debug` or `Display`.

use std::fmt;

/// A secret API token. `Debug` and `Display` print `ApiToken(<redacted>)`; only
/// [`ApiToken::expose`] (used to build the `Authorization` header) reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token; `None` if it is empty or only whitespace.
    pub fn new(token: impl Into<String>) -> Option<ApiToken> {
        let token = token.into();
        let trimmed = token.trim();
        if trimmed.is_empty() {
            None
        } else {
            Some(ApiToken(trimmed.to_owned()))
        }
    }

    /// The secret itself. Never log or format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::ApiToken;

    #[test]
    fn never_formats_the_secret() {
        let token = ApiToken::new("r8_supersecret").unwrap();
        assert!(!format!("{token:?}").contains("supersecret"));
        assert!(!format!("{token}").contains("supersecret"));
        assert!(!format!("{:?}", Some(token.clone())).contains("supersecret"));
        assert_eq!(token.expose(), "r8_supersecret");
        assert_eq!(ApiToken::new("  "), None);
    }
}
