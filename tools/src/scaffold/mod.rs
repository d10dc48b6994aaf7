//! scaffold (to be built).
