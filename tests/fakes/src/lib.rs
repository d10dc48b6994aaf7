//! Loopback fakes for the test suite: a docs host, a Replicate API and an OAuth issuer. Each binds
//! 127.0.0.1 on port 0 and reports its base URL.

// The workspace's 80-line rule (this crate is not on the workspace lints: a fake may panic).
#![warn(clippy::too_many_lines)]

pub mod docs_host;
pub mod issuer;
pub mod replicate;
