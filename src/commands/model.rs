use anyhow::Result;

use crate::cli::ModelCommand;
use crate::text::model::{self, ModelInfo};

pub fn run(command: ModelCommand) -> Result<()> {
    let args = match &command {
        ModelCommand::Fetch(args) | ModelCommand::Info(args) => args,
    };
    if args.multilingual {
        let manifest = model::multilingual_manifest();
        let dir = args
            .multilingual_dir
            .clone()
            .unwrap_or_else(|| model::default_model_dir(&manifest));
        let info = match command {
            ModelCommand::Fetch(_) => {
                model::fetch(&manifest, &dir, &mut |step| eprintln!("classlens: {step}"))?
            }
            ModelCommand::Info(_) => model::verify(&manifest, &dir)?,
        };
        return print(&info, args.json);
    }
    let manifest = model::default_manifest();
    match command {
        ModelCommand::Fetch(args) => {
            let dir = args
                .model_dir
                .clone()
                .unwrap_or_else(|| model::default_model_dir(&manifest));
            let info = model::fetch(&manifest, &dir, &mut |step| eprintln!("classlens: {step}"))?;
            print(&info, args.json)
        }
        ModelCommand::Info(args) => {
            let info = match &args.model_dir {
                // A folder of one's own: the manifest's sums apply only if it is that model.
                Some(dir) => model::verify(&manifest, dir).or_else(|_| model::inspect(dir))?,
                None => model::verify(&manifest, &model::default_model_dir(&manifest))?,
            };
            print(&info, args.json)
        }
    }
}

fn print(info: &ModelInfo, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(info)?);
        return Ok(());
    }
    println!("model     {}", info.id);
    println!("folder    {}", info.dir.display());
    let format = match info.format {
        model::Format::Bert => "BERT",
        model::Format::E5s1 => "BERT with 4-bit weights (E5S1)",
    };
    println!(
        "shape     {format}, {} layers, {}-dimensional vectors",
        info.layers, info.hidden_size
    );
    println!(
        "checked   {}",
        if info.verified {
            "every file matches the manifest's sha256"
        } else {
            "a folder of your own: files present, config is BERT (no manifest to check sums against)"
        }
    );
    println!("weights   sha256 {}", info.weights_sha256);
    for (name, size) in &info.files {
        println!("          {name:<20} {size:>12} bytes");
    }
    Ok(())
}
