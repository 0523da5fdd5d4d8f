fn main() {
    mpi::wrappers::main(mpi::wrappers::Lang::C)
}
