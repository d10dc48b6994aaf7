//! Runs the fake Replicate API on a loopback port (to be built).
fn main() {}
