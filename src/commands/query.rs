use std::io::Write;

use anyhow::{Context, Result, bail};

use super::progress::thousands;
use crate::cli::{DbArgs, QueryArgs};
use crate::store::reports::{self, QueryResult};

/// Rows printed in the terminal unless --limit says otherwise.
const SCREEN_ROWS: usize = 1000;

/// Widest a column is printed in the terminal; longer values end in "…".
const MAX_WIDTH: usize = 40;

pub fn run(db: &DbArgs, args: &QueryArgs) -> Result<()> {
    let sql = match (&args.name, &args.sql) {
        (Some(name), _) => match reports::report(name) {
            Some(report) => report.sql.to_string(),
            None => bail!("no report named {name}; run `classlens query` for the list"),
        },
        (None, Some(sql)) => sql.clone(),
        (None, None) => {
            for r in reports::reports() {
                println!("{:<30} {}", r.name, r.description);
            }
            return Ok(());
        }
    };
    let store = super::open_for_reading(db)?;
    // A screen shows a page; a file or a script gets everything unless told otherwise.
    let limit = args.limit.unwrap_or(if args.csv.is_some() || args.json {
        usize::MAX
    } else {
        SCREEN_ROWS
    });
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&store.query_json(&sql, limit)?)?
        );
        return Ok(());
    }
    let result = store.query_text(&sql, limit)?;
    if let Some(path) = &args.csv {
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        result
            .write_csv(std::io::BufWriter::new(file))
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "wrote {} rows to {}",
            thousands(result.rows.len() as u64),
            path.display()
        );
    } else {
        print_table(&result, &mut std::io::stdout().lock())?;
    }
    if result.truncated {
        if args.csv.is_some() {
            eprintln!(
                "classlens: the file holds only the first {limit} rows (raise --limit for more)"
            );
        } else {
            eprintln!("classlens: showing the first {limit} rows (raise --limit for more)");
        }
    }
    Ok(())
}

fn print_table(result: &QueryResult, out: &mut impl Write) -> std::io::Result<()> {
    let shown = |v: &Option<String>| -> String {
        let v = v.as_deref().unwrap_or("");
        if v.chars().count() > MAX_WIDTH {
            let cut: String = v.chars().take(MAX_WIDTH - 1).collect();
            format!("{cut}…")
        } else {
            v.replace(['\n', '\t'], " ")
        }
    };
    let rows: Vec<Vec<String>> = result
        .rows
        .iter()
        .map(|r| r.iter().map(shown).collect())
        .collect();
    let widths: Vec<usize> = result
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = (0..result.columns.len())
        .map(|i| {
            result
                .rows
                .iter()
                .all(|r| r[i].as_deref().is_none_or(|v| v.parse::<f64>().is_ok()))
        })
        .collect();
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if numeric[i] {
                    format!("{c:>w$}", w = widths[i])
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(&result.columns))?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    writeln!(out, "{}", rule.join("  "))?;
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}
