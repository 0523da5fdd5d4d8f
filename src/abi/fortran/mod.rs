//! Fortran 77 bindings (placeholder until generated).
