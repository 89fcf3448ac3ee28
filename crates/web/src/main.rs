//! The `kintsugi` binary: parse the command line and hand over to the library.

fn main() -> std::process::ExitCode {
    kintsugi_web::cli::main()
}
