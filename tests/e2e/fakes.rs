//! The loopback fakes (`pipelines-test-fakes`: docs host and Replicate API) running on their
//! own small tokio runtime, so the synchronous e2e tests can point a server at them.
//!
//! ```ignore
//! let fakes = Fakes::start();
//! let server = HttpServer::start_in(fakes.sandbox(), &[]);
//! fakes.docs.set_body(Doc::Pipelines, PIPELINES_LLMS_V2);   // the fakes' own API
//! ```

use pipelines_test_fakes::{
    docs_host::{Doc, DocsHost},
    replicate::FakeReplicate,
};

use crate::support::Sandbox;

/// The Replicate API token the sandbox passes to the server when fakes are used.
pub const REPLICATE_TOKEN: &str = "r8_e2e_fake_token_3f9a";

/// Both fakes. Fields drop in order: the servers stop before their runtime does.
pub struct Fakes {
    /// The fake docs host (pipelines spec, runtime requirements, cog docs).
    pub docs: DocsHost,
    /// The fake Replicate API.
    pub replicate: FakeReplicate,
    runtime: tokio::runtime::Runtime,
}

impl Fakes {
    /// Starts both fakes on 127.0.0.1:0.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime for the fakes");
        let (docs, replicate) =
            runtime.block_on(async { (DocsHost::start().await, FakeReplicate::start().await) });
        Self {
            docs,
            replicate,
            runtime,
        }
    }

    /// A fresh [`Sandbox`] whose server reads the docs and the Replicate API from the fakes.
    pub fn sandbox(&self) -> Sandbox {
        Sandbox::new()
            .var("MCP_PIPELINES_DOCS_URL", &self.docs.url(Doc::Pipelines))
            .var("MCP_PIPELINES_RUNTIME_URL", &self.docs.url(Doc::Runtime))
            .var("MCP_PIPELINES_COG_DOCS_URL", &self.docs.url(Doc::Cog))
            .var("REPLICATE_BASE_URL", &self.replicate.base_url)
            .var("REPLICATE_API_TOKEN", REPLICATE_TOKEN)
    }

    /// Runs `ops` on a stdio server in a fresh [`Fakes::sandbox`] (the [`crate::py::stdio`]
    /// shorthand for a test that needs the sandbox for nothing else).
    pub fn stdio(&self, ops: serde_json::Value) -> serde_json::Value {
        crate::py::stdio(&self.sandbox(), ops)
    }

    /// Runs a future on the fakes' runtime (for their async helpers).
    #[allow(dead_code)]
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}
