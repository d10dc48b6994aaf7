//! run_local (to be built).
