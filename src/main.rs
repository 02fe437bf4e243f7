fn main() {
    std::process::exit(palabre::cli::main());
}
