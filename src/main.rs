fn main() -> std::process::ExitCode {
    etlview::cli::main()
}
