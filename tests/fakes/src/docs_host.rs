//! The fake docs host (to be built).
