//! Benchmark of the local runner (filled in below).
fn main() {}
