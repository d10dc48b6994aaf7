//! Loopback fakes for the test suite: a docs host and a Replicate API. Each binds
//! 127.0.0.1 on port 0 and reports its base URL.

pub mod docs_host;
pub mod replicate;
