//! validate (to be built).
