//! `switchyard compare FILE --vary SPEC … [--seeds A..B] [--jobs N] [--csv PATH] [--json PATH]`:
//! its flags and how it reports; the work is `switchyard::whatif`'s.

use std::path::PathBuf;

use switchyard::runtime::interrupt;
use switchyard::whatif::{runs, table, variants};

use crate::cli_output::{out, stdout_failed, warn};
use crate::exit;

/// What `compare` was asked for.
#[derive(clap::Args)]
pub(crate) struct CompareArgs {
    /// The scenario every variant starts from.
    file: PathBuf,
    /// A field and its values, `PATH=A,B,C` (as `run --set`), or scenario files `A.json,B.json`;
    /// repeat it for the cross product.
    #[arg(long = "vary", value_name = "SPEC", required = true)]
    vary: Vec<String>,
    /// The seeds each variant runs with, `A..B` (both included).
    #[arg(long, value_name = "A..B", default_value = "1..20")]
    seeds: String,
    /// Runs at once, 1 to 1024 [default: the machine's cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Also write one CSV record per run (variant, seed, every figure).
    #[arg(long, value_name = "PATH")]
    csv: Option<PathBuf>,
    /// Also write every run as a JSON array of records.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Refuse scenario files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = switchyard::scenario::DEFAULT_MAX_BYTES)]
    max_scenario_bytes: u64,
}

/// The compare view; Enter on a variant opens its median-seed run in the console.
fn view(args: &CompareArgs, variants: &[variants::Variant], figures: &[runs::Figures]) -> u8 {
    use switchyard::tui::compare_view::{self, Choice, CompareView};
    let title = args.file.display().to_string();
    match compare_view::run(CompareView::new(&title, variants, figures)) {
        Ok(Choice::Quit) => exit::OK,
        Ok(Choice::Open { variant, seed }) => {
            let settings = match crate::console_settings(None) {
                Ok(settings) => settings,
                Err(code) => return code,
            };
            let mut scenario = variants[variant].scenario.clone();
            scenario.seed = seed;
            let durability = switchyard::journal::Durability::Flush;
            crate::console(scenario, None, false, 1.0, durability, settings, false)
        }
        Err(e) => {
            warn(format_args!("switchyard compare: the compare view: {e}"));
            exit::OUTPUT_ERROR
        }
    }
}

/// The most threads `--jobs` starts.
const MAX_JOBS: usize = 1024;

pub(crate) fn compare(args: CompareArgs) -> u8 {
    let prepared = (|| {
        let seeds = variants::seeds(&args.seeds)?;
        let varies: Result<Vec<_>, String> = args.vary.iter().map(|v| variants::Vary::parse(v)).collect();
        let variants = variants::variants(&args.file, args.max_scenario_bytes, &varies?)?;
        match args.jobs {
            Some(0) => return Err("--jobs must be at least 1".to_string()),
            // Each job is a thread: beyond this many, starting them is all the work there is.
            Some(n) if n > MAX_JOBS => return Err(format!("--jobs {n}: at most {MAX_JOBS}")),
            _ => {}
        }
        Ok((seeds, variants))
    })();
    let (seeds, variants) = match prepared {
        Ok(p) => p,
        Err(e) => {
            warn(format_args!("switchyard compare: {e}"));
            return exit::BAD_INPUT;
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Ctrl-C stops starting runs; what finished is reported.
    let _ = interrupt::install();
    // A progress bar on stderr, drawn only on a terminal (at most 20 times a second).
    let total = (variants.len() * seeds.len()) as u64;
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {elapsed} (about {eta} left)")
    {
        bar.set_style(style);
    }
    let progress = |done: usize, _total: usize| bar.set_position(done as u64);
    let figures = runs::run_all(&variants, &seeds, jobs, &|| interrupt::received().is_none(), &progress);
    bar.finish_and_clear();
    let stopped = interrupt::received();
    // On a terminal, without files to write, the comparison opens in its view.
    if args.csv.is_none() && args.json.is_none() && stopped.is_none() && switchyard::tui::console::has_terminal() {
        return view(&args, &variants, &figures);
    }
    let rows = table::rows(&variants, &figures);
    let mut text = table::render(&rows);
    if let Some(signal) = stopped {
        text.push_str(&format!(
            "stopped by {}: {} of {} runs finished\n",
            signal.name(),
            figures.len(),
            variants.len() * seeds.len()
        ));
    }
    if let Err(e) = out(format_args!("{text}")) {
        stdout_failed(" compare", &e);
        return exit::OUTPUT_ERROR;
    }
    for (path, body) in [(&args.csv, table::csv(&variants, &figures)), (&args.json, table::json(&variants, &figures))] {
        if let Some(path) = path
            && let Err(e) = std::fs::write(path, body)
        {
            warn(format_args!("switchyard compare: cannot write {}: {e}", path.display()));
            return exit::OUTPUT_ERROR;
        }
    }
    match stopped {
        Some(signal) => interrupt::exit_code(signal),
        None => exit::OK,
    }
}
