//! `ftmpid`: the per-host daemon of a multi-host job (see `mpi::launcher::daemon`).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    mpi::launcher::daemon::main()
}
