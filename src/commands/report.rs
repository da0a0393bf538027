use anyhow::{Result, bail};

use crate::cli::{DbArgs, ReportArgs};
use crate::report::{self, Options, ReportError};

pub fn run(db: &DbArgs, args: &ReportArgs) -> Result<()> {
    let store = super::open_for_reading(db)?;
    let options = Options {
        formats: args.format,
        pseudonymize: args.pseudonymize,
        include_comments: args.include_comments,
        since: args.since.clone(),
        student: args.student.clone(),
    };
    let class = match (&args.class, &args.student) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(student)) => match store.student_class(student)? {
            Some((class, _)) => Some(class),
            None => {
                return Err(ReportError::NoStudent {
                    student: student.clone(),
                    class: None,
                }
                .into());
            }
        },
        (None, None) => None,
    };
    let written = match &class {
        Some(class) => report::class(&store, class, &args.out, &options)?,
        None => report::school(&store, &args.out, &options)?,
    };
    if written.files.is_empty() {
        bail!("nothing was written");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&written)?);
        return Ok(());
    }
    if let Some(main) = &written.main {
        println!("{}", main.display());
    }
    eprintln!(
        "classlens: {} files, {:.1} MB: {} class{}, {} student page{}{}",
        written.files.len(),
        written.bytes as f64 / 1e6,
        written.classes,
        if written.classes == 1 { "" } else { "es" },
        written.students,
        if written.students == 1 { "" } else { "s" },
        if args.pseudonymize {
            ", pseudonymized"
        } else {
            ""
        }
    );
    for (class, why) in &written.skipped {
        eprintln!("classlens: left out class {class}: {why}");
    }
    Ok(())
}
