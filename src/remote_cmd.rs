//! The commands of runs over NATS (`run --serve`, `attach`, `ctl`): their flags and how each
//! reports to the user; the work is `switchyard::remote`'s.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use switchyard::journal::Durability;
use switchyard::remote::access::{Access, AccessArgs};
use switchyard::runtime::{Horizon, interrupt};
use switchyard::scenario::Scenario;

use crate::cli_output::{self, out, warn};
use crate::{Headless, conclude, console_settings, create_journal, exit, load_scenario, operator_name};

/// `run --serve`: the run over NATS (see `switchyard::remote`).
#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Serve the run: its journal goes to the server's JetStream stream and it takes operator
    /// commands (`switchyard ctl`, attached consoles); without --headless the console attaches to it.
    #[arg(long, value_name = "nats://HOST:PORT")]
    pub(crate) serve: Option<String>,
    /// The run's name on the server [default: the scenario file's stem].
    #[arg(long = "run", value_name = "NAME", requires = "serve")]
    pub(crate) run_name: Option<String>,
    /// Start paused: a served run waits for `:resume`, the console for Space.
    #[arg(long)]
    pub(crate) paused: bool,
    /// Delete the events an earlier run of the same name left on the server.
    #[arg(long, requires = "serve", conflicts_with = "standby")]
    pub(crate) replace: bool,
    /// Wait as a hot standby for a run served elsewhere: take it over from its stream when its
    /// coordinator stops beating, and serve it on.
    #[arg(long, requires = "serve", conflicts_with = "paused")]
    pub(crate) standby: bool,
    #[command(flatten)]
    pub(crate) access: AccessArgs,
}

/// Which flags pace a run: `--speed` and `--paused` need a clock that a person can act on (the
/// console, or a served run).
pub(crate) fn check_pacing(
    headless: bool,
    read_only: bool,
    speed: Option<f64>,
    remote: &ServeArgs,
) -> Result<(), String> {
    if let Some(x) = speed
        && !(0.01..=1000.0).contains(&x)
    {
        return Err(format!("--speed must be between 0.01 and 1000, not {x}"));
    }
    if remote.serve.is_none() && remote.access.given() {
        return Err("--nats-creds, --nats-user, --nats-token-file and --nats-ca are for --serve".into());
    }
    match (headless, remote.serve.is_some()) {
        (true, false) if speed.is_some() => {
            Err("--speed paces the console or a served run; a headless run goes as fast as it can".into())
        }
        (true, false) if remote.paused => {
            Err("--paused with --headless needs --serve: nothing could resume the run".into())
        }
        (false, false) if remote.paused && read_only => {
            Err("--paused with --read-only: a read-only console could never resume the run".into())
        }
        _ => Ok(()),
    }
}

/// Says why a run is not served; its exit code: 2, or 4 when another coordinator leads it.
fn not_served(run: &switchyard::remote::subjects::RunName, e: switchyard::remote::serve::NotServed) -> u8 {
    use switchyard::remote::serve::NotServed;
    match e {
        NotServed::Input(e) => {
            warn(format_args!("switchyard: {e}"));
            exit::BAD_INPUT
        }
        NotServed::Led(leader) => {
            warn(format_args!(
                "switchyard: run `{run}` is led by another coordinator (epoch {}, {}): this one steps down; start it \
                 with --standby to take the run over if that one stops",
                leader.epoch, leader.holder
            ));
            exit::STEPPED_DOWN
        }
    }
}

/// `--standby`: waits until the run's coordinator stops, takes the run over and returns what
/// serves it on, with the local journal (the stream's lines so far, then this coordinator's).
fn stand_by(
    opts: switchyard::remote::serve::ServeOptions,
    scenario: &Scenario,
    journal: Option<&Path>,
    durability: Durability,
) -> Result<(switchyard::remote::serve::Connection, Option<switchyard::journal::JournalWriter<std::fs::File>>), u8> {
    use switchyard::remote::{serve, standby::StandbyEnd};
    let (run, shown) = (opts.run.clone(), opts.access.shown());
    // A journal that cannot be written fails now, not when the run is taken over.
    drop(create_journal(journal, durability)?);
    let mut connection = serve::connect_standby(opts).map_err(|e| not_served(&run, e))?;
    warn(format_args!("switchyard: standing by for run `{run}` on {shown}"));
    let lines = match connection.await_lead(None) {
        Ok(lines) => lines,
        Err(StandbyEnd::RunOver) => {
            warn(format_args!("switchyard: run `{run}` finished: nothing to take over"));
            return Err(exit::OK);
        }
        Err(StandbyEnd::Signal(signal)) => return Err(interrupt::exit_code(signal)),
        Err(StandbyEnd::Failed(e)) => {
            warn(format_args!("switchyard: {e}"));
            return Err(exit::BAD_INPUT);
        }
        Err(StandbyEnd::Cancelled) => return Err(exit::OK),
    };
    let taken = connection.taken_scenario().map(|s| s.name.clone()).unwrap_or_default();
    if taken != scenario.name {
        warn(format_args!(
            "switchyard: run `{run}` runs scenario `{taken}`, not `{}`: this standby does not take it over",
            scenario.name
        ));
        return Err(exit::BAD_INPUT);
    }
    let events = lines.iter().filter(|&&b| b == b'\n').count();
    let epoch = connection.epoch().unwrap_or_default();
    warn(format_args!("switchyard: took the lead of run `{run}` (epoch {epoch}) after its {events} events"));
    Ok((connection, journal_after_takeover(journal, &lines, durability)?))
}

/// A standby's local journal once it took over: the stream's lines, then its own.
fn journal_after_takeover(
    journal: Option<&Path>,
    lines: &[u8],
    durability: Durability,
) -> Result<Option<switchyard::journal::JournalWriter<std::fs::File>>, u8> {
    let Some(path) = journal else { return Ok(None) };
    let written =
        std::fs::write(path, lines).and_then(|()| switchyard::journal::JournalWriter::append(path, lines.len() as u64));
    match written {
        Ok(mut w) => {
            w.set_durability(durability);
            Ok(Some(w))
        }
        Err(e) => {
            warn(format_args!("switchyard: cannot write journal {}: {e}", path.display()));
            Err(exit::OUTPUT_ERROR)
        }
    }
}

/// A run that is not served cannot reach remote agents (kind `nats`): exit 2, naming the first.
pub(crate) fn needs_no_server(scenario: &Scenario) -> Result<(), u8> {
    let remote = scenario.agents.iter().find(|a| matches!(a.kind, switchyard::scenario::AgentKind::Nats(_)));
    match remote {
        Some(agent) => {
            warn(format_args!(
                "switchyard: agent `{}` is of kind \"nats\": its bridge (`switchyard agent`) reaches the run over \
                 NATS, so serve the run with --serve nats://HOST:PORT",
                agent.id
            ));
            Err(exit::BAD_INPUT)
        }
        None => Ok(()),
    }
}

/// `run FILE --headless --serve URL`: the run served over NATS (see `switchyard::remote::serve`).
/// The server is reached and the run's stream made before the journal is created.
pub(crate) fn run_served(args: Headless, url: String, remote: ServeArgs, speed: f64) -> u8 {
    use switchyard::remote::{creds, serve};
    let scenario = match load_scenario(&args.load) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (run, access) = match served_target(args.load.file, &url, &remote) {
        Ok(target) => target,
        Err(code) => return code,
    };
    let shown = creds::redact(&url);
    let opts = serve::ServeOptions {
        access,
        run: run.clone(),
        paused: remote.paused,
        speed,
        who: operator_name(),
        replace: remote.replace,
        standby: remote.standby,
    };
    let (connection, journal) = if remote.standby {
        match stand_by(opts, &scenario, args.journal, args.durability) {
            Ok(taken) => taken,
            Err(code) => return code,
        }
    } else {
        let connection = match serve::connect(opts, &scenario) {
            Ok(c) => c,
            Err(e) => return not_served(&run, e),
        };
        match create_journal(args.journal, args.durability) {
            Ok(w) => (connection, w),
            Err(code) => return code,
        }
    };
    let epoch = connection.epoch().unwrap_or_default();
    let horizon = Horizon::new(&scenario, args.horizon.0, args.horizon.1);
    let served = connection.serve(scenario, horizon, journal);
    switchyard::agents::reaper::kill_all();
    if let Some(stop) = &served.stopped {
        let at = served.run.now();
        let journal = args.journal.map(|p| format!("; the journal {} has every event up to there", p.display()));
        match stop {
            serve::Stop::Publish(e) => warn(format_args!(
                "switchyard: publishing run `{run}` to {shown} failed: {e}; the run stopped at {at} ms with {} \
                 events on the stream{}",
                served.published,
                journal.unwrap_or_default()
            )),
            serve::Stop::Journal(e) => {
                let path = args.journal.map_or(String::new(), |p| format!(" {}", p.display()));
                warn(format_args!("switchyard: cannot write journal{path}: {e}; the run stopped at {at} ms"))
            }
            serve::Stop::Other(e) => warn(format_args!("switchyard: {e}; the run stopped at {at} ms")),
            serve::Stop::Deposed(leader) => {
                warn(format_args!(
                    "switchyard: run `{run}`: another coordinator took the lead (epoch {}, {}); this one (epoch \
                     {epoch}) stepped down at {at} ms{}",
                    leader.epoch,
                    leader.holder,
                    args.journal
                        .map(|p| format!("; its journal {} may hold lines the stream does not", p.display()))
                        .unwrap_or_default()
                ));
                return exit::STEPPED_DOWN;
            }
        }
        return exit::OUTPUT_ERROR;
    }
    conclude(served.run.coordinator(), served.run.horizon_stop(), served.interrupted, args.report, args.rows)
}

/// `run FILE --serve URL` (no `--headless`): the run served as `run --headless --serve` serves it,
/// in a thread of this process, and the console attached to it as `attach` attaches, so the
/// console's actions go through the server like anyone's. Quitting the console stops the run
/// (its journal ends unfinished, as a console run's does).
pub(crate) fn served_console(
    scenario: Scenario,
    file: &Path,
    journal: Option<&Path>,
    durability: Durability,
    url: String,
    remote: ServeArgs,
    opts: switchyard::tui::ConsoleOptions,
) -> u8 {
    use switchyard::remote::{Failure, attach, serve};
    if !switchyard::tui::console::has_terminal() {
        warn(format_args!("switchyard: the console needs a terminal (stdin and stdout); add --headless in scripts"));
        return exit::BAD_INPUT;
    }
    let (run, access) = match served_target(file, &url, &remote) {
        Ok(target) => target,
        Err(code) => return code,
    };
    let (speed, who) = (opts.speed, opts.who.clone());
    let serving = serve::ServeOptions {
        access: access.clone(),
        run: run.clone(),
        paused: remote.paused,
        speed,
        who,
        replace: remote.replace,
        standby: remote.standby,
    };
    let connected = if remote.standby { serve::connect_standby(serving) } else { serve::connect(serving, &scenario) };
    let mut connection = match connected {
        Ok(c) => c,
        Err(e) => return not_served(&run, e),
    };
    let writer = match create_journal(journal, durability) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let standby = remote.standby.then(|| (journal.map(Path::to_path_buf), durability));
    if standby.is_some() {
        // The console attaches to the run as it is served elsewhere: it needs the run to be there.
        warn(format_args!("switchyard: standing by for run `{run}` on {}", access.shown()));
        if !connection.wait_for_run(Duration::from_secs(60)) {
            warn(format_args!("switchyard: no run `{run}` on {} after 60 s", access.shown()));
            return exit::BAD_INPUT;
        }
    }
    let horizon = Horizon::new(&scenario, None, None);
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let host = std::thread::spawn(move || {
        let writer = match standby {
            None => writer,
            // Standing by until the run's coordinator stops, or the console quits.
            Some((path, durability)) => {
                drop(writer);
                let lines = connection.await_lead(Some(&mut stopped)).ok()?;
                journal_after_takeover(path.as_deref(), &lines, durability).ok()?
            }
        };
        Some(connection.serve_until(scenario, horizon, writer, stopped))
    });
    let shown = attach::attach_console(&access, &run, opts, Some(speed));
    let _ = stop.send(());
    let served = host.join();
    switchyard::agents::reaper::kill_all();
    let code = match shown {
        Ok(code) => code,
        Err(Failure::Unreachable(e) | Failure::Output(e) | Failure::Denied(e)) => {
            warn(format_args!("switchyard: the console on run `{run}`: {e}"));
            exit::OUTPUT_ERROR
        }
    };
    match served {
        Ok(None) => code,
        Ok(Some(served)) if matches!(served.stopped, Some(serve::Stop::Deposed(_))) => exit::STEPPED_DOWN,
        Ok(Some(served)) if served.stopped.is_some() => {
            warn(format_args!(
                "switchyard: serving run `{run}` to {} stopped at {} ms with {} events on the stream",
                access.shown(),
                served.run.now(),
                served.published
            ));
            exit::OUTPUT_ERROR
        }
        Ok(Some(_)) => code,
        Err(_) => {
            warn(format_args!("switchyard: the served run `{run}` stopped on an internal error"));
            exit::OUTPUT_ERROR
        }
    }
}

/// `attach URL --run NAME`: the console on a served run; with `--follow`, its events on stdout
/// until it ends.
pub(crate) fn attach(
    url: &str,
    run: &str,
    follow: bool,
    read_only: bool,
    config: Option<PathBuf>,
    access: &AccessArgs,
) -> u8 {
    use switchyard::remote::follow::RunEnd;
    let (run, access) = match target("attach", url, run, access) {
        Ok(target) => target,
        Err(code) => return code,
    };
    if !follow {
        let settings = match console_settings(config.as_deref()) {
            Ok(settings) => settings,
            Err(code) => return code,
        };
        let opts = switchyard::tui::ConsoleOptions { read_only, who: operator_name(), settings, ..Default::default() };
        return match switchyard::remote::attach::attach_console(&access, &run, opts, None) {
            Ok(code) => code,
            Err(failure) => failed("attach", failure, exit::BAD_INPUT),
        };
    }
    match switchyard::remote::follow::follow(&access, &run, &mut io::stdout().lock()) {
        Ok(RunEnd::Succeeded) => exit::OK,
        Ok(RunEnd::Failed) => exit::WORKFLOW_FAILED,
        Ok(RunEnd::Interrupted(signal)) => interrupt::exit_code(signal),
        Err(failure) => failed("attach", failure, exit::BAD_INPUT),
    }
}

/// `ctl URL --run NAME -- ':COMMAND'`: one operator command; the answer on stdout (its message,
/// then the journal lines it produced).
pub(crate) fn ctl(url: &str, run: &str, command: &str, access: &AccessArgs) -> u8 {
    let (run, access) = match target("ctl", url, run, access) {
        Ok(target) => target,
        Err(code) => return code,
    };
    match switchyard::remote::ctl::ctl(&access, &run, command, &operator_name()) {
        Ok(reply) => {
            let mut text = format!("{}\n", reply.message);
            for line in &reply.lines {
                text.push_str(line);
                text.push('\n');
            }
            if let Err(e) = out(format_args!("{text}")) {
                cli_output::stdout_failed(" ctl", &e);
                return exit::OUTPUT_ERROR;
            }
            if reply.accepted { exit::OK } else { exit::WORKFLOW_FAILED }
        }
        // The server refused it: a refusal, as the run's own are.
        Err(failure) => failed("ctl", failure, exit::WORKFLOW_FAILED),
    }
}

/// `agent --nats URL --run NAME --id ID [-- COMMAND]`: a local agent bridged to a served run.
pub(crate) fn agent(url: &str, run: &str, id: String, command: Vec<String>, access: &AccessArgs) -> u8 {
    use switchyard::remote::bridge::{self, BridgeEnd, BridgeOptions};
    let (run, access) = match target("agent", url, run, access) {
        Ok(target) => target,
        Err(code) => return code,
    };
    let ended = bridge::run(BridgeOptions { access, run, id: id.clone(), command });
    switchyard::agents::reaper::kill_all();
    match ended {
        Ok(BridgeEnd::Shutdown) => exit::OK,
        Ok(BridgeEnd::Refused(why)) => {
            warn(format_args!("switchyard agent {id}: the run refused this agent: {why}"));
            exit::WORKFLOW_FAILED
        }
        Ok(BridgeEnd::AgentExited(how)) => {
            warn(format_args!("switchyard agent {id}: the agent {how}"));
            exit::WORKFLOW_FAILED
        }
        Ok(BridgeEnd::Signal(signal)) => interrupt::exit_code(signal),
        Err(failure) => failed("agent", failure, exit::BAD_INPUT),
    }
}

/// The name a served run goes by (`--run`, else the scenario file's stem) and how to reach its
/// server, or exit 2 saying what is wrong.
fn served_target(
    file: &Path,
    url: &str,
    remote: &ServeArgs,
) -> Result<(switchyard::remote::subjects::RunName, Access), u8> {
    use switchyard::remote::subjects::RunName;
    let run = remote.run_name.as_deref().map_or_else(|| RunName::from_file(file), RunName::parse);
    run.and_then(|run| Ok((run, Access::new(url, &remote.access)?))).map_err(|e| {
        warn(format_args!("switchyard: {e}"));
        exit::BAD_INPUT
    })
}

/// The run a client command names and how to reach its server, or exit 2 saying what is wrong.
fn target(
    command: &str,
    url: &str,
    run: &str,
    access: &AccessArgs,
) -> Result<(switchyard::remote::subjects::RunName, Access), u8> {
    let checked =
        switchyard::remote::subjects::RunName::parse(run).and_then(|run| Ok((run, Access::new(url, access)?)));
    checked.map_err(|e| {
        warn(format_args!("switchyard {command}: {e}"));
        exit::BAD_INPUT
    })
}

/// Says why a client command failed; its exit code: 2 unreachable, 3 output, `denied` when the
/// server refused this user.
fn failed(command: &str, failure: switchyard::remote::Failure, denied: u8) -> u8 {
    use switchyard::remote::Failure;
    let (code, e) = match failure {
        Failure::Unreachable(e) => (exit::BAD_INPUT, e),
        Failure::Denied(e) => (denied, e),
        Failure::Output(e) => (exit::OUTPUT_ERROR, e),
    };
    warn(format_args!("switchyard {command}: {e}"));
    code
}
