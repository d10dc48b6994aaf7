//! The allow-listed environment of child processes. Everything else (the server's own
//! auth tokens, cloud credentials, …) is cleared.

use std::ffi::{OsStr, OsString};

/// Variables a pipeline run sees (when set in our environment).
const RUN_NAMES: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "TZ",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];
const RUN_PREFIXES: &[&str] = &["REPLICATE_"];

/// Variables the installer (venv + pip) additionally sees: its own configuration and CA bundles.
const INSTALL_NAMES: &[&str] = &["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "XDG_CACHE_HOME"];
const INSTALL_PREFIXES: &[&str] = &["PIP_", "UV_"];

/// Never passed on, whatever the lists say.
const DENY_PREFIXES: &[&str] = &["MCP_PIPELINES_"];

/// Which child the environment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnvFor {
    /// The cog server running user code.
    Run,
    /// `python -m venv` and pip.
    Install,
}

/// True when `name` may be passed to a child of kind `kind`.
pub(crate) fn allowed(name: &OsStr, kind: EnvFor) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    if DENY_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return false;
    }
    let run = RUN_NAMES.contains(&name) || RUN_PREFIXES.iter().any(|p| name.starts_with(p));
    match kind {
        EnvFor::Run => run,
        EnvFor::Install => {
            run || INSTALL_NAMES.contains(&name)
                || INSTALL_PREFIXES.iter().any(|p| name.starts_with(p))
        }
    }
}

/// Filters `parent` to the allow-list, then applies `overrides` (also filtered).
pub(crate) fn child_env(
    parent: impl IntoIterator<Item = (OsString, OsString)>,
    overrides: impl IntoIterator<Item = (OsString, OsString)>,
    kind: EnvFor,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = parent
        .into_iter()
        .filter(|(k, _)| allowed(k, kind))
        .collect();
    for (key, value) in overrides {
        if !allowed(&key, kind) {
            tracing::warn!(?key, "environment override not on the allow-list; ignored");
            continue;
        }
        env.retain(|(k, _)| *k != key);
        env.push((key, value));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn run_env_keeps_only_the_allow_list() {
        let parent = os(&[
            ("PATH", "/bin"),
            ("HOME", "/root"),
            ("REPLICATE_API_TOKEN", "r8_x"),
            ("MCP_PIPELINES_AUTH_TOKENS", "secret"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("PIP_INDEX_URL", "https://example.invalid"),
        ]);
        let env = child_env(
            parent,
            os(&[("PATH", "/venv/bin:/bin"), ("MCP_PIPELINES_X", "no")]),
            EnvFor::Run,
        );
        let names: Vec<_> = env.iter().map(|(k, _)| k.to_str().unwrap()).collect();
        assert_eq!(names, ["HOME", "REPLICATE_API_TOKEN", "PATH"]);
        assert_eq!(env[2].1, "/venv/bin:/bin");
    }

    #[test]
    fn install_env_adds_pip_configuration() {
        assert!(allowed(OsStr::new("PIP_CERT"), EnvFor::Install));
        assert!(!allowed(OsStr::new("PIP_CERT"), EnvFor::Run));
        assert!(!allowed(
            OsStr::new("MCP_PIPELINES_AUTH_TOKENS"),
            EnvFor::Install
        ));
    }
}
