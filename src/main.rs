//! The `switchyard` command line: validate scenarios, run them headless, generate load scenarios.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use switchyard::core::StopSignal;
use switchyard::generate::{self, GenOptions, Shape};
use switchyard::journal::{Durability, JournalWriter};
use switchyard::remote::access::AccessArgs;
use switchyard::report::Report;
use switchyard::runtime::{EventSink, Horizon, HorizonStop, LiveOptions, LiveRun, SimRun, interrupt, needs_live};
use switchyard::scenario::{self, Scenario};
use switchyard::tui::config::Settings;

mod cli_output;
mod compare_cmd;
mod durable_cmd;
mod remote_cmd;
use cli_output::{Named, out, warn};
use remote_cmd::ServeArgs;

/// Exit codes (part of the CLI contract, documented in the README).
mod exit {
    pub const OK: u8 = 0;
    /// The workflow ran and failed.
    pub const WORKFLOW_FAILED: u8 = 1;
    /// Unusable input: invalid scenario, bad arguments.
    pub const BAD_INPUT: u8 = 2;
    /// Output could not be written (journal, report, stdout, the terminal).
    pub const OUTPUT_ERROR: u8 = 3;
    /// A served run's coordinator stepped down: another one leads the run (a higher epoch).
    pub const STEPPED_DOWN: u8 = 4;
}

#[derive(Parser)]
#[command(name = "switchyard", version, about = "A console for coordinating teams of AI agents")]
struct Cli {
    /// The console's settings file (keys, colours) for the demo [default:
    /// $XDG_CONFIG_HOME/switchyard/config.toml]
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check scenario files; report every problem with file:line:column.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Refuse scenario files larger than this many bytes.
        #[arg(long, value_name = "BYTES", default_value_t = scenario::DEFAULT_MAX_BYTES)]
        max_scenario_bytes: u64,
    },
    /// Run a scenario: in the console, or with --headless for scripts and CI.
    Run(RunArgs),
    /// Open the console on a served run over NATS; with --follow, print its events as JSON lines
    /// until it ends instead (exit 0: it succeeded; 1: it did not; 2: unreachable or bad input).
    Attach {
        /// The NATS server.
        #[arg(value_name = "nats://HOST:PORT")]
        url: String,
        /// The run's name on the server.
        #[arg(long = "run", value_name = "NAME")]
        run: String,
        /// Print the events from the start, then live, until the run ends.
        #[arg(long)]
        follow: bool,
        /// Watch only: the console refuses every action (nothing is sent).
        #[arg(long, conflicts_with = "follow")]
        read_only: bool,
        /// The console's settings file (keys, colours) [default:
        /// $XDG_CONFIG_HOME/switchyard/config.toml]
        #[arg(long, value_name = "PATH", conflicts_with = "follow")]
        config: Option<PathBuf>,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Send one operator command to a served run over NATS and print the answer
    /// (exit 0: accepted; 1: refused; 2: unreachable or bad input).
    Ctl {
        /// The NATS server.
        #[arg(value_name = "nats://HOST:PORT")]
        url: String,
        /// The run's name on the server.
        #[arg(long = "run", value_name = "NAME")]
        run: String,
        /// The console command, after `--`: `-- ':pause'`, `-- ':retry build -- flaky upstream'`.
        #[arg(last = true, required = true, value_name = "':COMMAND …'")]
        command: Vec<String>,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Run a local agent process for a served run's agent of kind `nats`, bridging its JSON lines
    /// over NATS (exit 0: the run told it to stop; 1: refused, or its agent ended by itself;
    /// 2: unreachable or bad input; 128+N: stopped by signal N).
    Agent {
        /// The run's NATS server.
        #[arg(long = "nats", value_name = "nats://HOST:PORT")]
        url: String,
        /// The run's name on the server.
        #[arg(long = "run", value_name = "NAME")]
        run: String,
        /// The agent's id in the run's scenario.
        #[arg(long = "id", value_name = "ID")]
        id: String,
        /// The agent's program and arguments, after `--` [default: the scenario's `command` for
        /// this agent, read from the run].
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Carry on a run from its journal, appending to it (the journal alone is needed).
    Resume {
        journal: PathBuf,
        /// Without the console, printing a summary as `run --headless` does.
        #[arg(long)]
        headless: bool,
        #[command(flatten)]
        go_on: GoOn,
        /// Console only: its settings file (keys, colours) [default:
        /// $XDG_CONFIG_HOME/switchyard/config.toml]
        #[arg(long, value_name = "PATH", conflicts_with = "headless")]
        config: Option<PathBuf>,
    },
    /// A new run from the state right after an event of a recorded run, with operator commands
    /// applied there, in a journal of its own (the source's journal alone is needed).
    Fork {
        journal: PathBuf,
        /// The event: `SEQ` / `#SEQ`, or the last one by a time (`12.5s`, `800ms`).
        #[arg(long, value_name = "SEQ|TIME")]
        at: String,
        /// The fork's journal [default: JOURNAL with the extension `fork-SEQ.jsonl`].
        #[arg(long = "journal", value_name = "NEW")]
        new: Option<PathBuf>,
        /// A console command applied at the fork point (`':crash worker-2'`); repeatable.
        #[arg(long, value_name = "':COMMAND'")]
        then: Vec<String>,
        /// Without the console (required: in the console, fork from `replay` with F), printing a
        /// summary as `run --headless` does.
        #[arg(long, required = true)]
        headless: bool,
        #[command(flatten)]
        go_on: GoOn,
    },
    /// Look at a recorded run as of one of its events (the journal alone is needed).
    Replay {
        journal: PathBuf,
        /// The event: `SEQ` / `#SEQ`, or the last one by a time (`12.5s`, `800ms`) [default: the first].
        #[arg(long, value_name = "SEQ|TIME")]
        at: Option<String>,
        /// Write the report of the run as of that event (the format of `run --report`) instead
        /// of opening the console.
        #[arg(long, value_name = "PATH", requires = "at")]
        report: Option<PathBuf>,
        /// The console's settings file (keys, colours) [default:
        /// $XDG_CONFIG_HOME/switchyard/config.toml]
        #[arg(long, value_name = "PATH", conflicts_with = "report")]
        config: Option<PathBuf>,
    },
    /// The console's settings: `--print` writes the effective config file (the defaults, with
    /// what the config file changed) for a user to copy.
    Config {
        /// Print the effective config file.
        #[arg(long, required = true)]
        print: bool,
        /// The settings file to read [default: $XDG_CONFIG_HOME/switchyard/config.toml]
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// The first event where two journals diverge, and the tasks whose outcome differs.
    /// Exit 0: no divergence; 1: they diverge; 2: bad input.
    Diff { a: PathBuf, b: PathBuf },
    /// Print the shell completions of every command and option (`source <(switchyard completions bash)`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Compare variants of a scenario over many seeds (headless, in parallel): one row of figures
    /// per variant, with a Mann–Whitney test of each one's makespans against the first's.
    Compare(compare_cmd::CompareArgs),
    /// Write a generated scenario to stdout (for load tests and benchmarks).
    Gen {
        #[arg(long)]
        tasks: usize,
        #[arg(long)]
        agents: usize,
        #[arg(long, value_parser = parse_shape)]
        shape: Shape,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Mean simulated work time per task.
        #[arg(long, default_value_t = 100.0)]
        duration_ms: f64,
        #[arg(long, default_value_t = 0.0)]
        failure_rate: f64,
    },
}

/// How a resumed or forked run goes on (the options `run --headless` has for it).
#[derive(clap::Args)]
struct GoOn {
    /// Headless: write a JSON summary of the run to this file.
    #[arg(long, value_name = "PATH", requires = "headless")]
    report: Option<PathBuf>,
    /// Rows of the printed summary tables.
    #[arg(long, default_value_t = 40, value_name = "N")]
    rows: usize,
    /// Stop (exit 1) once virtual time would pass this [default: 3650 days].
    #[arg(long, value_name = "MS")]
    max_time_ms: Option<u64>,
    /// Stop (exit 1) after this many events [default: 100 per task, at least 1000000].
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
    /// Also fsync the journal at every step.
    #[arg(long)]
    fsync: bool,
}

fn parse_shape(s: &str) -> Result<Shape, String> {
    s.parse::<Shape>().map_err(|e| e.to_string())
}

/// `switchyard run`: its flags.
#[derive(clap::Args)]
struct RunArgs {
    file: PathBuf,
    /// Run without the console and print a summary.
    #[arg(long)]
    headless: bool,
    /// Console only: watch, but refuse every operator action.
    #[arg(long, conflicts_with = "headless")]
    read_only: bool,
    /// Console or served run: initial speed, virtual milliseconds per wall millisecond [default: 1].
    #[arg(long, value_name = "X")]
    speed: Option<f64>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Write every event as JSON lines to this file.
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// Write a JSON summary of the run to this file.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// Rows of the printed summary tables.
    #[arg(long, default_value_t = 40, value_name = "N")]
    rows: usize,
    /// Print how long each phase took (load+validate, setup, run, report) to stderr.
    #[arg(long)]
    timings: bool,
    /// Headless: stop the run (exit 1) once virtual time would pass this [default: 3650 days].
    #[arg(long, value_name = "MS", requires = "headless")]
    max_time_ms: Option<u64>,
    /// Headless: stop the run (exit 1) after this many events [default: 100 per task, at least 1000000].
    #[arg(long, value_name = "N", requires = "headless")]
    max_events: Option<u64>,
    /// Refuse scenario files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = scenario::DEFAULT_MAX_BYTES)]
    max_scenario_bytes: u64,
    /// Change a field of the scenario before it is checked (repeatable): `allocation=best_score`,
    /// `agents.ID.profile.failure_rate=0.3`, `agents+=@agent.json`, `agents-=ID`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Also fsync the journal at every step (one fsync per step), so it survives a power cut.
    #[arg(long, requires = "journal")]
    fsync: bool,
    /// Console only: its settings file (keys, colours) [default:
    /// $XDG_CONFIG_HOME/switchyard/config.toml]
    #[arg(long, value_name = "PATH", conflicts_with = "headless")]
    config: Option<PathBuf>,
    #[command(flatten)]
    remote: ServeArgs,
}

fn main() -> ExitCode {
    switchyard::heap::use_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(cli_output::clap_error(&e)),
    };
    host_runs();
    // `--config` before the command is for the demo (no command) alone.
    if cli.config.is_some() && cli.command.is_some() {
        warn(format_args!(
            "switchyard: --config before a command is for the demo; after run, resume, replay or config it is theirs"
        ));
        return ExitCode::from(exit::BAD_INPUT);
    }
    let code = match cli.command {
        Some(Cmd::Validate { files, max_scenario_bytes }) => validate(&files, max_scenario_bytes),
        Some(Cmd::Run(args)) => run(args),
        Some(Cmd::Resume { journal, headless, go_on, config }) => {
            // Headless, the console's settings are not read at all (a bad file is no reason to fail).
            let settings = match headless {
                true => Settings::default(),
                false => match console_settings(config.as_deref()) {
                    Ok(settings) => settings,
                    Err(code) => return ExitCode::from(code),
                },
            };
            let mut paths = vec![Named { option: "the journal", path: &journal }];
            paths.extend(go_on.report.as_deref().map(|path| Named { option: "--report", path }));
            if let Err(e) = cli_output::distinct_paths(&paths) {
                warn(format_args!("switchyard resume: {e}"));
                return ExitCode::from(exit::BAD_INPUT);
            }
            durable_cmd::resume(durable_cmd::Resume {
                journal: &journal,
                headless,
                report: go_on.report.as_deref(),
                rows: go_on.rows,
                horizon: (go_on.max_time_ms, go_on.max_events),
                durability: durability(go_on.fsync),
                settings,
            })
        }
        Some(Cmd::Fork { journal, at, new, then, headless: _, go_on }) => {
            durable_cmd::fork_headless(durable_cmd::Fork {
                journal: &journal,
                at: &at,
                new: new.as_deref(),
                then: &then,
                report: go_on.report.as_deref(),
                rows: go_on.rows,
                horizon: (go_on.max_time_ms, go_on.max_events),
                durability: durability(go_on.fsync),
            })
        }
        Some(Cmd::Replay { journal, at, report: Some(report), config: _ }) => {
            durable_cmd::replay_report(&journal, at.as_deref().unwrap_or("0"), &report)
        }
        Some(Cmd::Replay { journal, at, report: None, config }) => match console_settings(config.as_deref()) {
            Ok(settings) => durable_cmd::replay_console(&journal, at.as_deref(), settings),
            Err(code) => code,
        },
        Some(Cmd::Config { print: _, config }) => print_config(config.as_deref()),
        Some(Cmd::Diff { a, b }) => durable_cmd::diff(&a, &b),
        Some(Cmd::Attach { url, run, follow, read_only, config, access }) => {
            remote_cmd::attach(&url, &run, follow, read_only, config, &access)
        }
        Some(Cmd::Ctl { url, run, command, access }) => remote_cmd::ctl(&url, &run, &command.join(" "), &access),
        Some(Cmd::Agent { url, run, id, command, access }) => remote_cmd::agent(&url, &run, id, command, &access),
        Some(Cmd::Completions { shell }) => completions(shell),
        Some(Cmd::Compare(args)) => compare_cmd::compare(args),
        Some(Cmd::Gen { tasks, agents, shape, seed, duration_ms, failure_rate }) => {
            gen_scenario(GenOptions { tasks, agents, shape, seed, duration_ms, failure_rate })
        }
        None => match console_settings(cli.config.as_deref()) {
            Ok(settings) => match scenario::parse("<bundled demo.json>", switchyard::tui::DEMO_SCENARIO) {
                Ok(scenario) => console(scenario, None, false, 1.0, Durability::Flush, settings, false),
                Err(e) => {
                    warn(format_args!("{e}"));
                    exit::BAD_INPUT
                }
            },
            Err(code) => code,
        },
    };
    ExitCode::from(code)
}

/// Sets up this process to host runs: agents' orphans come back to us (to be killed with the
/// run), SIGINT/SIGTERM/SIGHUP stop a run cleanly, and a file size limit makes a journal write
/// fail (to be cut back to its last whole line) instead of killing us with SIGXFSZ.
fn host_runs() {
    if let Err(e) = switchyard::agents::reaper::become_subreaper() {
        tracing::debug!("cannot become a child subreaper: {e}");
    }
    if let Err(e) = switchyard::runtime::interrupt::install() {
        warn(format_args!("switchyard: cannot handle signals: {e}"));
    }
    // SAFETY: setting a signal's disposition to SIG_IGN has no memory effects.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

fn validate(files: &[PathBuf], max_bytes: u64) -> u8 {
    let mut all_ok = true;
    for file in files {
        match scenario::load_limited(file, max_bytes) {
            Ok(s) => {
                let line =
                    out(format_args!("{}: ok ({} tasks, {} agents)\n", file.display(), s.tasks.len(), s.agents.len()));
                if let Err(e) = line {
                    cli_output::stdout_failed(" validate", &e);
                    return exit::OUTPUT_ERROR;
                }
            }
            Err(e) => {
                all_ok = false;
                warn(format_args!("{}", e.to_string().trim_end_matches('\n')));
            }
        }
    }
    if all_ok { exit::OK } else { exit::BAD_INPUT }
}

/// Which scenario to run, and how to read it.
struct Load<'a> {
    file: &'a Path,
    seed: Option<u64>,
    max_bytes: u64,
    /// `--set PATH=VALUE`s, applied in order.
    sets: &'a [String],
}

fn load_scenario(load: &Load) -> Result<Scenario, u8> {
    let overrides: Result<Vec<_>, _> = load.sets.iter().map(|s| scenario::overrides::Override::parse(s)).collect();
    let overrides = match overrides {
        Ok(o) => o,
        Err(e) => {
            warn(format_args!("switchyard: {e}"));
            return Err(exit::BAD_INPUT);
        }
    };
    match scenario::load_overridden(load.file, load.max_bytes, &overrides) {
        Ok(mut s) => {
            if let Some(seed) = load.seed {
                s.seed = seed;
            }
            Ok(s)
        }
        Err(e) => {
            warn(format_args!("{}", e.to_string().trim_end_matches('\n')));
            Err(exit::BAD_INPUT)
        }
    }
}

/// The console's settings: the config file's (`path`, else the default one if there is one), and
/// no colour under `NO_COLOR`. A bad file is bad input, reported before the terminal is touched.
fn console_settings(path: Option<&Path>) -> Result<Settings, u8> {
    match Settings::load(path) {
        Ok(settings) if switchyard::tui::theme::no_colour_requested() => Ok(settings.without_colour()),
        Ok(settings) => Ok(settings),
        Err(e) => {
            warn(format_args!("switchyard: {e}"));
            Err(exit::BAD_INPUT)
        }
    }
}

/// `config --print`: the effective config file, for a user to copy.
fn print_config(path: Option<&Path>) -> u8 {
    let settings = match Settings::load(path) {
        Ok(settings) => settings,
        Err(e) => {
            warn(format_args!("switchyard: {e}"));
            return exit::BAD_INPUT;
        }
    };
    match out(format_args!("{}", settings.to_toml())) {
        Ok(()) => exit::OK,
        Err(e) => {
            cli_output::stdout_failed(" config", &e);
            exit::OUTPUT_ERROR
        }
    }
}

/// Opens the interactive console.
fn console(
    scenario: Scenario,
    journal: Option<PathBuf>,
    read_only: bool,
    speed: f64,
    durability: Durability,
    settings: Settings,
    paused: bool,
) -> u8 {
    if !(0.01..=1000.0).contains(&speed) {
        warn(format_args!("switchyard: --speed must be between 0.01 and 1000, not {speed}"));
        return exit::BAD_INPUT;
    }
    let writer = match create_journal(journal.as_deref(), durability) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let who = operator_name();
    let opts = switchyard::tui::ConsoleOptions { journal, read_only, speed, who, durability, settings };
    let mut app = switchyard::tui::App::with_journal(scenario, opts, writer);
    if paused {
        // As if the operator paused it at once: journaled, so a replay and a resume see it too.
        app.start_paused("started paused (--paused)");
    }
    match switchyard::tui::console::run_app(app) {
        Ok(code) => code,
        Err(e) => {
            warn(format_args!("switchyard: {e}"));
            exit::OUTPUT_ERROR
        }
    }
}

/// Who the journal names as the operator: `$USER`, else `operator`.
fn operator_name() -> String {
    std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "operator".into())
}

fn durability(fsync: bool) -> Durability {
    if fsync { Durability::Fsync } else { Durability::Flush }
}

/// Creates (and locks) the journal a run writes, if it asked for one. A journal another run is
/// writing is bad input (exit 2, the file untouched); one that cannot be created is an output
/// error (exit 3).
fn create_journal(path: Option<&Path>, durability: Durability) -> Result<Option<JournalWriter<std::fs::File>>, u8> {
    let Some(path) = path else { return Ok(None) };
    match JournalWriter::create(path) {
        Ok(mut w) => {
            w.set_durability(durability);
            Ok(Some(w))
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            warn(format_args!("switchyard: refusing to write journal {}: {e}", path.display()));
            Err(exit::BAD_INPUT)
        }
        Err(e) => {
            warn(format_args!("switchyard: cannot create journal {}: {e}", path.display()));
            Err(exit::OUTPUT_ERROR)
        }
    }
}

/// `switchyard run`: in the console, headless, or headless and served over NATS.
fn run(args: RunArgs) -> u8 {
    let RunArgs {
        file,
        headless,
        read_only,
        speed,
        seed,
        journal,
        report,
        rows,
        timings,
        max_time_ms,
        max_events,
        max_scenario_bytes,
        fsync,
        config,
        remote,
        set,
    } = args;
    let mut outputs = vec![Named { option: "the scenario", path: &file }];
    outputs.extend(journal.as_deref().map(|path| Named { option: "--journal", path }));
    outputs.extend(report.as_deref().map(|path| Named { option: "--report", path }));
    if let Err(e) = cli_output::distinct_paths(&outputs) {
        warn(format_args!("switchyard: {e}"));
        return exit::BAD_INPUT;
    }
    let load = Load { file: &file, seed, max_bytes: max_scenario_bytes, sets: &set };
    if let Err(e) = remote_cmd::check_pacing(headless, read_only, speed, &remote) {
        warn(format_args!("switchyard: {e}"));
        return exit::BAD_INPUT;
    }
    let speed = speed.unwrap_or(1.0);
    if !headless {
        if report.is_some() || timings {
            warn(format_args!("switchyard: --report and --timings apply to --headless runs"));
            return exit::BAD_INPUT;
        }
        let settings = match console_settings(config.as_deref()) {
            Ok(settings) => settings,
            Err(code) => return code,
        };
        let scenario = match load_scenario(&load) {
            Ok(scenario) => scenario,
            Err(code) => return code,
        };
        if let Some(url) = remote.serve.clone() {
            let opts = switchyard::tui::ConsoleOptions {
                read_only,
                speed,
                who: operator_name(),
                settings,
                ..Default::default()
            };
            return remote_cmd::served_console(
                scenario,
                &file,
                journal.as_deref(),
                durability(fsync),
                url,
                remote,
                opts,
            );
        }
        if let Err(code) = remote_cmd::needs_no_server(&scenario) {
            return code;
        }
        return console(scenario, journal, read_only, speed, durability(fsync), settings, remote.paused);
    }
    let headless = Headless {
        load,
        journal: journal.as_deref(),
        report: report.as_deref(),
        rows,
        timings,
        horizon: (max_time_ms, max_events),
        durability: durability(fsync),
    };
    match remote.serve.clone() {
        Some(url) => remote_cmd::run_served(headless, url, remote, speed),
        None => run_headless(headless),
    }
}

/// What `run --headless` was asked to do.
struct Headless<'a> {
    load: Load<'a>,
    journal: Option<&'a Path>,
    report: Option<&'a Path>,
    rows: usize,
    timings: bool,
    /// `--max-time-ms`, `--max-events`.
    horizon: (Option<u64>, Option<u64>),
    durability: Durability,
}

fn run_headless(args: Headless) -> u8 {
    let clock = Instant::now();
    let mut phases: Vec<(&str, f64)> = Vec::new();
    let lap = |name, phases: &mut Vec<(&str, f64)>| {
        let at = clock.elapsed().as_secs_f64();
        let before: f64 = phases.iter().map(|(_, d)| d).sum();
        phases.push((name, at - before));
    };
    let scenario = match load_scenario(&args.load) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(code) = remote_cmd::needs_no_server(&scenario) {
        return code;
    }
    lap("load+validate", &mut phases);
    let horizon = Horizon::new(&scenario, args.horizon.0, args.horizon.1);
    let mut run = Driver::new(scenario, horizon);
    lap("setup", &mut phases);
    let result = match (args.journal, create_journal(args.journal, args.durability)) {
        (_, Err(code)) => return code,
        (Some(path), Ok(Some(mut w))) => {
            run.run(&mut w).map_err(|e| format!("cannot write journal {}: {e}", path.display()))
        }
        _ => run.run(&mut ()).map_err(|e| e.to_string()),
    };
    // Whatever happened, no agent process outlives the run (a simulated run starts none, and
    // looking for them reads the whole process table).
    if matches!(run, Driver::Live(..)) {
        switchyard::agents::reaper::kill_all();
    }
    let interrupted = match result {
        Ok(signal) => signal,
        Err(e) => {
            warn(format_args!("switchyard: {e}"));
            return exit::OUTPUT_ERROR;
        }
    };
    lap("run", &mut phases);
    let code = conclude(run.coordinator(), run.horizon_stop(), interrupted, args.report, args.rows);
    lap("report", &mut phases);
    if args.timings {
        let parts: Vec<String> = phases.iter().map(|(n, d)| format!("{n} {:.1} ms", d * 1e3)).collect();
        warn(format_args!("timings: {} — total {:.1} ms", parts.join(", "), clock.elapsed().as_secs_f64() * 1e3));
    }
    // Everything is written; freeing a million-task run piece by piece would only delay the exit.
    std::mem::forget(run);
    code
}

/// The end of a headless run (or resume): why it stopped, the report file, the summary on stdout,
/// and the exit code.
fn conclude(
    coord: &switchyard::core::Coordinator,
    horizon: Option<HorizonStop>,
    interrupted: Option<StopSignal>,
    report: Option<&Path>,
    rows: usize,
) -> u8 {
    if let Some(stop) = horizon {
        warn(format_args!("switchyard: run stopped at the horizon: {stop}"));
    }
    // Without a JSON report, only the rows the table shows are made.
    let summary = match report {
        Some(_) => Report::build(coord),
        None => Report::for_table(coord, rows),
    };
    if let Some(path) = report {
        let written = std::fs::File::create(path).and_then(|f| {
            let mut out = io::BufWriter::with_capacity(1 << 20, f);
            serde_json::to_writer_pretty(&mut out, &summary).map_err(io::Error::other)?;
            out.write_all(b"\n")?;
            out.flush()
        });
        if let Err(e) = written {
            warn(format_args!("switchyard: cannot write report {}: {e}", path.display()));
            return exit::OUTPUT_ERROR;
        }
    }
    if let Err(e) = out(format_args!("{}\n", summary.table(rows))) {
        cli_output::stdout_failed(" run", &e);
        return exit::OUTPUT_ERROR;
    }
    let code = match (interrupted, coord.state().finished()) {
        (Some(signal), _) => {
            let now = coord.state().now_ms();
            warn(format_args!(
                "switchyard: stopped by {} at {now} ms; the journal ends with run_interrupted",
                signal.name()
            ));
            interrupt::exit_code(signal)
        }
        (None, Some(switchyard::core::Outcome::Succeeded)) => exit::OK,
        (None, _) => exit::WORKFLOW_FAILED,
    };
    std::mem::forget(summary);
    code
}

/// The simulation driver, or the live one when the scenario has real agents.
enum Driver {
    Sim(Box<SimRun>),
    Live(Box<LiveRun>, tokio::runtime::Runtime),
}

impl Driver {
    fn new(scenario: Scenario, horizon: Horizon) -> Driver {
        if !needs_live(&scenario) {
            let mut run = SimRun::new(scenario);
            run.set_horizon(horizon);
            return Driver::Sim(Box::new(run));
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a Tokio runtime");
        let mut run = rt.block_on(async { LiveRun::new(scenario, LiveOptions::default()) });
        run.set_horizon(horizon);
        Driver::Live(Box::new(run), rt)
    }

    fn horizon_stop(&self) -> Option<HorizonStop> {
        match self {
            Driver::Sim(run) => run.horizon_stop(),
            Driver::Live(run, _) => run.horizon_stop(),
        }
    }

    /// Runs to the end, the horizon or a stopping signal (returned).
    fn run(&mut self, sink: &mut impl EventSink) -> io::Result<Option<StopSignal>> {
        match self {
            Driver::Sim(run) => run.run_interruptible(sink, interrupt::received),
            Driver::Live(run, rt) => rt.block_on(async {
                let mut signals = interrupt::Interrupts::new()?;
                run.run_interruptible(sink, Some(&mut signals)).await
            }),
        }
    }

    fn coordinator(&self) -> &switchyard::core::Coordinator {
        match self {
            Driver::Sim(run) => run.coordinator(),
            Driver::Live(run, _) => run.coordinator(),
        }
    }
}

fn completions(shell: clap_complete::Shell) -> u8 {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "switchyard", &mut script);
    match out(format_args!("{}", String::from_utf8_lossy(&script))) {
        Ok(()) => exit::OK,
        Err(e) => {
            cli_output::stdout_failed(" completions", &e);
            exit::OUTPUT_ERROR
        }
    }
}

fn gen_scenario(opts: GenOptions) -> u8 {
    if let Err(e) = generate::check(&opts) {
        warn(format_args!("switchyard gen: {e}"));
        return exit::BAD_INPUT;
    }
    // Written as it is generated: memory stays small whatever --tasks is.
    let mut stdout = io::stdout().lock();
    match cli_output::ignore_closed_pipe(generate::stream_json(&opts, &mut stdout).and_then(|()| stdout.flush())) {
        Ok(()) => exit::OK,
        Err(e) => {
            cli_output::stdout_failed(" gen", &e);
            exit::OUTPUT_ERROR
        }
    }
}
