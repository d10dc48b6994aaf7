//! mcp-pipelines binary (being built).
fn main() {}
