//! One agent process: spawn it, read what it prints, write to it, check its hello, shut it down.
//!
//! [`ProcessAgent::spawn`] starts the command with piped stdin, stdout and stderr and four tasks on
//! the current Tokio runtime (which needs IO and time enabled):
//!
//! - a **stdout reader** turning lines into [`AgentOutput::Message`] or [`AgentOutput::Garbage`];
//! - a **stderr reader** turning lines into [`AgentOutput::Stderr`];
//! - a **writer** sending queued [`ToAgent`] lines to stdin;
//! - a **supervisor** that owns the child, waits on it (so it is always reaped), kills it on
//!   request or when the [`ProcessAgent`] is dropped, and sends [`AgentOutput::Exited`] once, after
//!   the readers have delivered everything the process printed.
//!
//! The process runs in a process group of its own and dies with us ([`super::reaper`]): killing
//! an agent kills its group, and when it ends, whatever it left behind is killed too.
//!
//! Memory stays bounded whatever the agent does: output goes through a bounded channel (a reader
//! waits when it is full, so a flooding agent blocks on its own stdout), lines are read with a cap
//! (a longer line is reported as "line too long" garbage and skipped up to the next newline), and
//! the stdin queue is bounded too ([`SendError::Full`] when an agent does not read its input).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::lines::{Line, LineReader};
use super::protocol::{
    FromAgent, Hello, MAX_LINE_BYTES, ProtocolError, ToAgent, decode_from_agent, encode_line, validate_hello,
};

/// How much of an unparsable line [`AgentOutput::Garbage`] keeps, in characters.
pub const GARBAGE_KEEP_CHARS: usize = 200;

/// How to start an agent process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AgentCommand {
    /// Program and arguments. A bare program name is looked up in `PATH`; prefer an absolute path
    /// to a relative one together with `cwd` (how the two combine is platform-dependent).
    pub command: Vec<String>,
    /// Variables added to (or overriding) the inherited environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory; the current one if `None`.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
}

impl AgentCommand {
    pub fn new<S: Into<String>>(command: impl IntoIterator<Item = S>) -> AgentCommand {
        AgentCommand { command: command.into_iter().map(Into::into).collect(), ..Default::default() }
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> AgentCommand {
        self.env.insert(key.into(), value.into());
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> AgentCommand {
        self.cwd = Some(dir.into());
        self
    }
}

/// Limits of one agent process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessOptions {
    /// Capacity of the output channel; a reader waits when it is full.
    pub channel_capacity: usize,
    /// Longest stdout line accepted, in bytes (newline excluded).
    pub max_line_bytes: usize,
    /// Longest stderr line kept whole; longer ones are cut.
    pub max_stderr_line_bytes: usize,
    /// Lines that can wait to be written to stdin.
    pub stdin_queue: usize,
    /// After the process exits, how long to keep reading a pipe that stays open (a descendant of
    /// the agent may still hold it).
    pub exit_drain: Duration,
}

impl Default for ProcessOptions {
    fn default() -> ProcessOptions {
        ProcessOptions {
            channel_capacity: 256,
            max_line_bytes: MAX_LINE_BYTES,
            max_stderr_line_bytes: 8 * 1024,
            stdin_queue: 256,
            exit_drain: Duration::from_millis(500),
        }
    }
}

/// One item of what an agent process does, in the order it happened on each stream.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentOutput {
    /// A valid protocol message on stdout.
    Message(FromAgent),
    /// A stdout line that is not a valid message: its first [`GARBAGE_KEEP_CHARS`] characters and why.
    Garbage { line: String, error: ProtocolError },
    /// A line on stderr (cut if over the limit).
    Stderr(String),
    /// The process ended; always the last item. `status` is the exit code, `signal` the signal
    /// that killed it (Unix); both `None` if waiting failed.
    Exited { status: Option<i32>, signal: Option<i32> },
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExitInfo {
    pub status: Option<i32>,
    pub signal: Option<i32>,
}

impl ExitInfo {
    fn from_status(status: ExitStatus) -> ExitInfo {
        #[cfg(unix)]
        let signal = std::os::unix::process::ExitStatusExt::signal(&status);
        #[cfg(not(unix))]
        let signal = None;
        ExitInfo { status: status.code(), signal }
    }
}

impl fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.status, self.signal) {
            (Some(code), _) => write!(f, "exited with status {code}"),
            (None, Some(sig)) => write!(f, "was killed by signal {sig}"),
            (None, None) => write!(f, "ended (status unknown)"),
        }
    }
}

/// Counts of what came out of a process so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentStats {
    /// Valid messages read from stdout.
    pub messages: u64,
    /// Stdout lines that were not valid messages (over-long ones included).
    pub garbage: u64,
    /// Stderr lines read.
    pub stderr_lines: u64,
    /// Stderr lines dropped while waiting for the hello (only the newest are kept).
    pub stderr_dropped: u64,
}

#[derive(Debug, Default)]
struct Counters {
    messages: AtomicU64,
    garbage: AtomicU64,
    stderr_lines: AtomicU64,
}

/// Why [`ProcessAgent::send`] did not queue a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The stdin queue is full: the agent is not reading its input.
    Full,
    /// Stdin is closed: the process exited, or the agent was shut down.
    Closed,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Full => "the agent's input queue is full (it is not reading stdin)",
            SendError::Closed => "the agent's stdin is closed",
        })
    }
}

impl std::error::Error for SendError {}

/// Why the handshake failed; the caller should [`shutdown`](ProcessAgent::shutdown) the agent.
#[derive(Debug, Clone, PartialEq)]
pub enum HelloError {
    /// No hello within the timeout.
    Timeout(Duration),
    /// The process ended before its hello.
    Exited(ExitInfo),
    /// The first stdout line is something else: a description of it.
    NotHello(String),
    /// The hello does not agree with the scenario (see [`validate_hello`]).
    Rejected(String),
}

impl fmt::Display for HelloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HelloError::Timeout(d) => write!(f, "no hello within {} ms", d.as_millis()),
            HelloError::Exited(info) => write!(f, "the agent {info} before its hello"),
            HelloError::NotHello(what) => write!(f, "the first line is not a hello: {what}"),
            HelloError::Rejected(why) => write!(f, "hello rejected: {why}"),
        }
    }
}

impl std::error::Error for HelloError {}

/// What [`ProcessAgent::shutdown`] saw.
#[derive(Debug, Clone, PartialEq)]
pub struct ShutdownReport {
    pub exit: ExitInfo,
    /// The process did not exit within the grace period and was killed.
    pub killed: bool,
    pub elapsed: Duration,
    /// Output that arrived during the shutdown (final results, logs), up to [`Self::KEEP`] items.
    pub outputs: Vec<AgentOutput>,
    /// Items beyond that.
    pub dropped: usize,
}

impl ShutdownReport {
    pub const KEEP: usize = 1024;
}

/// A running agent process. Dropping it kills the process (the supervisor task reaps it).
pub struct ProcessAgent {
    pid: Option<u32>,
    program: String,
    stdin: Option<mpsc::Sender<String>>,
    rx: mpsc::Receiver<AgentOutput>,
    /// Items taken off the channel while waiting for the hello, delivered first by `recv`.
    pending: VecDeque<AgentOutput>,
    pending_cap: usize,
    kill: Option<oneshot::Sender<()>>,
    exit: watch::Receiver<Option<ExitInfo>>,
    counters: Arc<Counters>,
    stderr_dropped: u64,
}

impl fmt::Debug for ProcessAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessAgent")
            .field("pid", &self.pid)
            .field("program", &self.program)
            .field("exit", &*self.exit.borrow())
            .finish_non_exhaustive()
    }
}

impl ProcessAgent {
    /// Starts the process. Must be called from within a Tokio runtime with IO and time enabled.
    pub fn spawn(cmd: &AgentCommand, opts: &ProcessOptions) -> io::Result<ProcessAgent> {
        let Some((program, args)) = cmd.command.split_first() else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty agent command"));
        };
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(&cmd.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &cmd.cwd {
            command.current_dir(dir);
        }
        // Its own process group, killed with us (see `reaper`).
        let mut child = super::reaper::spawn(&mut command)?;
        let pid = child.id();
        let (Some(stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(io::Error::other("the child's stdio is not piped"));
        };
        tracing::debug!(?pid, program, "agent process started");

        let capacity = opts.channel_capacity.max(1);
        let (out_tx, rx) = mpsc::channel(capacity);
        let (exit_tx, exit) = watch::channel(None);
        let (kill, kill_rx) = oneshot::channel();
        let (stdin_tx, stdin_rx) = mpsc::channel(opts.stdin_queue.max(1));
        let counters = Arc::new(Counters::default());

        tokio::spawn(write_stdin(stdin, stdin_rx));
        let stdout = LineReader::new(stdout, opts.max_line_bytes, exit.clone(), opts.exit_drain);
        let out_task = tokio::spawn(read_stdout(stdout, out_tx.clone(), counters.clone()));
        let stderr = LineReader::new(stderr, opts.max_stderr_line_bytes, exit.clone(), opts.exit_drain);
        let err_task = tokio::spawn(read_stderr(stderr, out_tx.clone(), counters.clone()));
        tokio::spawn(supervise(child, pid, kill_rx, exit_tx, [out_task, err_task], out_tx));

        Ok(ProcessAgent {
            pid,
            program: program.clone(),
            stdin: Some(stdin_tx),
            rx,
            pending: VecDeque::new(),
            pending_cap: capacity,
            kill: Some(kill),
            exit,
            counters,
            stderr_dropped: 0,
        })
    }

    /// The process id (`None` only if the process had already been reaped at spawn).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Queues a message for the agent's stdin without waiting.
    pub fn send(&self, msg: &ToAgent) -> Result<(), SendError> {
        if self.exit.borrow().is_some() {
            return Err(SendError::Closed);
        }
        let stdin = self.stdin.as_ref().ok_or(SendError::Closed)?;
        stdin.try_send(encode_line(msg)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SendError::Full,
            mpsc::error::TrySendError::Closed(_) => SendError::Closed,
        })
    }

    /// The next output item; `None` once [`AgentOutput::Exited`] has been delivered. Cancel-safe
    /// (use it in `select!` over many agents).
    pub async fn recv(&mut self) -> Option<AgentOutput> {
        if let Some(item) = self.pending.pop_front() {
            return Some(item);
        }
        self.rx.recv().await
    }

    /// The next output item if one is ready.
    pub fn try_recv(&mut self) -> Option<AgentOutput> {
        self.pending.pop_front().or_else(|| self.rx.try_recv().ok())
    }

    /// Waits for the agent's first stdout line, which must be a `hello`. Stderr lines that come
    /// before it are kept for [`recv`](Self::recv); so is anything else, for diagnosis.
    pub async fn wait_hello(&mut self, timeout: Duration) -> Result<Hello, HelloError> {
        let deadline = Instant::now() + timeout;
        let mut before = std::mem::take(&mut self.pending);
        let result = loop {
            let item = match before.pop_front() {
                Some(item) => item,
                None => match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                    Err(_) => break Err(HelloError::Timeout(timeout)),
                    Ok(None) => break Err(HelloError::Exited(self.exit_status().unwrap_or_default())),
                    Ok(Some(item)) => item,
                },
            };
            let err = match &item {
                AgentOutput::Message(FromAgent::Hello(hello)) => break Ok(hello.clone()),
                AgentOutput::Stderr(_) => None,
                AgentOutput::Message(msg) => {
                    Some(HelloError::NotHello(format!("a `{}` message came first", msg.type_name())))
                }
                AgentOutput::Garbage { line, error } => Some(HelloError::NotHello(format!("{error}: {line:?}"))),
                AgentOutput::Exited { status, signal } => {
                    Some(HelloError::Exited(ExitInfo { status: *status, signal: *signal }))
                }
            };
            self.keep_pending(item);
            if let Some(err) = err {
                break Err(err);
            }
        };
        // Whatever was pending and not looked at stays in order behind what was kept.
        while let Some(item) = before.pop_front() {
            self.keep_pending(item);
        }
        result
    }

    fn keep_pending(&mut self, item: AgentOutput) {
        if self.pending.len() >= self.pending_cap
            && let Some(i) = self.pending.iter().position(|x| matches!(x, AgentOutput::Stderr(_)))
        {
            self.pending.remove(i);
            self.stderr_dropped += 1;
        }
        self.pending.push_back(item);
    }

    /// [`wait_hello`](Self::wait_hello), then [`validate_hello`] against the scenario's agent id and
    /// capabilities.
    pub async fn handshake(
        &mut self,
        timeout: Duration,
        expected_id: &str,
        expected_caps: &[impl AsRef<str>],
    ) -> Result<Hello, HelloError> {
        let hello = self.wait_hello(timeout).await?;
        validate_hello(&hello, expected_id, expected_caps).map_err(HelloError::Rejected)?;
        Ok(hello)
    }

    /// How the process ended, if it has (its remaining output may not be delivered yet).
    pub fn exit_status(&self) -> Option<ExitInfo> {
        *self.exit.borrow()
    }

    /// Counts so far.
    pub fn stats(&self) -> AgentStats {
        AgentStats {
            messages: self.counters.messages.load(Ordering::Relaxed),
            garbage: self.counters.garbage.load(Ordering::Relaxed),
            stderr_lines: self.counters.stderr_lines.load(Ordering::Relaxed),
            stderr_dropped: self.stderr_dropped,
        }
    }

    /// Stdout lines that were not valid messages.
    pub fn garbage_count(&self) -> u64 {
        self.counters.garbage.load(Ordering::Relaxed)
    }

    /// Asks the supervisor to kill the process (SIGKILL) now; it is reaped and `Exited` follows.
    pub fn start_kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
    }

    /// Sends `shutdown` and closes stdin, waits up to `grace` for the process to exit, then kills
    /// it. Returns once the process has been reaped and all its output read (what arrived meanwhile
    /// is in the report). After it, [`recv`](Self::recv) returns `None`. Calling it again is cheap.
    pub async fn shutdown(&mut self, grace: Duration) -> ShutdownReport {
        let started = Instant::now();
        if self.exit_status().is_none() {
            let _ = self.send(&ToAgent::Shutdown {});
        }
        // The writer sends what is queued, then closes the pipe: the agent also sees end of input.
        self.stdin = None;
        let deadline = started + grace;
        let (mut killed, mut deadline_passed) = (false, false);
        let mut report = ShutdownReport {
            exit: ExitInfo::default(),
            killed: false,
            elapsed: grace,
            outputs: Vec::new(),
            dropped: 0,
        };
        let mut exit = None;
        loop {
            tokio::select! {
                item = self.recv() => match item {
                    Some(AgentOutput::Exited { status, signal }) => {
                        exit = Some(ExitInfo { status, signal });
                        break;
                    }
                    Some(item) if report.outputs.len() < ShutdownReport::KEEP => report.outputs.push(item),
                    Some(_) => report.dropped += 1,
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline), if !deadline_passed => {
                    deadline_passed = true;
                    if self.exit_status().is_none() {
                        tracing::debug!(pid = ?self.pid, program = self.program, "agent ignored shutdown; killing it");
                        killed = true;
                        self.start_kill();
                    }
                }
            }
        }
        report.exit = exit.or_else(|| self.exit_status()).unwrap_or_default();
        report.killed = killed;
        report.elapsed = started.elapsed();
        report
    }
}

impl Drop for ProcessAgent {
    fn drop(&mut self) {
        // Also implied by dropping the sender; explicit for the reader. The supervisor kills and
        // reaps the process; should the runtime itself be gone, `kill_on_drop` and Tokio's orphan
        // reaping take over.
        self.start_kill();
    }
}

async fn write_stdin(mut stdin: ChildStdin, mut lines: mpsc::Receiver<String>) {
    while let Some(line) = lines.recv().await {
        if let Err(e) = stdin.write_all(line.as_bytes()).await {
            tracing::debug!(error = %e, "agent stdin closed");
            break;
        }
    }
    // Dropping `stdin` closes the pipe.
}

/// The first `max` characters of `s`.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

fn garbage(bytes: &[u8], error: ProtocolError) -> AgentOutput {
    AgentOutput::Garbage { line: truncate_chars(&String::from_utf8_lossy(bytes), GARBAGE_KEEP_CHARS), error }
}

async fn read_stdout<R: AsyncRead + Unpin>(
    mut lines: LineReader<R>,
    tx: mpsc::Sender<AgentOutput>,
    counters: Arc<Counters>,
) {
    loop {
        let item = match lines.next_line().await {
            Ok(None) => break,
            Err(e) => {
                tracing::debug!(error = %e, "reading agent stdout failed");
                break;
            }
            Ok(Some(Line::TooLong { len })) => {
                garbage(lines.line(), ProtocolError::LineTooLong { len, max: lines.max() })
            }
            Ok(Some(Line::Complete)) => {
                let bytes = lines.line();
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match std::str::from_utf8(bytes) {
                    Ok(text) => match decode_from_agent(text) {
                        Ok(msg) => AgentOutput::Message(msg),
                        Err(error) => garbage(bytes, error),
                    },
                    Err(e) => garbage(bytes, ProtocolError::NotJson(format!("invalid UTF-8: {e}"))),
                }
            }
        };
        let counter = if matches!(item, AgentOutput::Message(_)) { &counters.messages } else { &counters.garbage };
        counter.fetch_add(1, Ordering::Relaxed);
        if tx.send(item).await.is_err() {
            break;
        }
    }
}

async fn read_stderr<R: AsyncRead + Unpin>(
    mut lines: LineReader<R>,
    tx: mpsc::Sender<AgentOutput>,
    counters: Arc<Counters>,
) {
    loop {
        let text = match lines.next_line().await {
            Ok(None) => break,
            Err(e) => {
                tracing::debug!(error = %e, "reading agent stderr failed");
                break;
            }
            Ok(Some(Line::Complete)) => String::from_utf8_lossy(lines.line()).into_owned(),
            Ok(Some(Line::TooLong { len })) => {
                format!("{}… [{len} bytes, cut]", String::from_utf8_lossy(lines.line()))
            }
        };
        counters.stderr_lines.fetch_add(1, Ordering::Relaxed);
        if tx.send(AgentOutput::Stderr(text)).await.is_err() {
            break;
        }
    }
}

/// Owns the child: waits on it (or kills it when asked or when the `ProcessAgent` is dropped),
/// publishes the exit, lets the readers finish, then sends `Exited`.
async fn supervise(
    mut child: Child,
    pid: Option<u32>,
    kill: oneshot::Receiver<()>,
    exit_tx: watch::Sender<Option<ExitInfo>>,
    readers: [JoinHandle<()>; 2],
    tx: mpsc::Sender<AgentOutput>,
) {
    let status = tokio::select! {
        status = child.wait() => status,
        _ = kill => {
            // The whole group: what the agent started dies with it.
            if let Some(pid) = pid {
                super::reaper::kill_group(pid);
            }
            if let Err(e) = child.start_kill() {
                tracing::debug!(?pid, error = %e, "killing agent process failed");
            }
            child.wait().await
        }
    };
    // Whatever the agent left running in its group, or handed to us by dying, goes with it.
    if let Some(pid) = pid {
        super::reaper::release(pid);
    }
    let info = match status {
        Ok(status) => ExitInfo::from_status(status),
        Err(e) => {
            tracing::warn!(?pid, error = %e, "waiting for agent process failed");
            ExitInfo::default()
        }
    };
    tracing::debug!(?pid, %info, "agent process ended");
    exit_tx.send_replace(Some(info));
    for reader in readers {
        let _ = reader.await;
    }
    let _ = tx.send(AgentOutput::Exited { status: info.status, signal: info.signal }).await;
}
