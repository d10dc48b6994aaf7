//! The fake Replicate API (to be built).
