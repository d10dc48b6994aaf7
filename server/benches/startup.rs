//! Startup benchmark.
fn main() {}
