//! End-to-end tests driving the real binary.
