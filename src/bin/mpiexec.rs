#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    mpi::launcher::main(mpi::launcher::Flavor::Mpiexec)
}
