use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = classlens::cli::Cli::parse();
    match classlens::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("classlens: {error:#}");
            ExitCode::from(classlens::exit_code(&error))
        }
    }
}
