/// mimalloc instead of glibc's malloc: a thread list page allocates thousands of small strings, and
/// glibc's malloc and free took about 12 % of palabre's CPU under load (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(palabre::cli::main());
}
