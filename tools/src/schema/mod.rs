//! Model schemas: the Replicate API client, rendering to Python, caching.

pub mod types;

pub use types::{InputParam, ModelSchema, OutputKind, OutputSpec};
