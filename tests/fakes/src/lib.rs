//! Loopback fakes for the test suite: a docs host, a Replicate API and an OAuth issuer. Each binds
//! 127.0.0.1 on port 0 and reports its base URL.

pub mod docs_host;
pub mod issuer;
pub mod replicate;
