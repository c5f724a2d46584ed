//! The NATS tests' harness: a real `nats-server` for each test, and `switchyard` processes that
//! always end.
//!
//! [`NatsServer::start`] starts its own server on a free loopback port with JetStream in a
//! directory of its own (`-js -sd DIR`), optionally with a config file (users, permissions), and
//! returns once it accepts connections; dropping it kills the server, waits for it and removes its
//! directory (a failed test keeps the outputs and the server's log there). A missing
//! `nats-server` fails the test with a message saying so: these tests are never skipped.
//! [`Proc`] is a `switchyard` process with its output in files; dropping it kills it (and waits).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(10);

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_switchyard")
}

/// A fresh directory for one test.
pub fn temp_dir(test: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("switchyard-nats-{test}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `nats-server` binary: `$NATS_SERVER`, else the one on `PATH`, else Debian's `/usr/sbin`.
/// Panics (failing the test) when there is none.
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("nats-server"))
        .chain([PathBuf::from("/usr/sbin/nats-server"), PathBuf::from("/usr/bin/nats-server")])
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "nats-server is not installed: the NATS tests need a real server \
             (`apt-get install nats-server`, which .ci/run does; or set NATS_SERVER to its path)"
        )
    })
}

/// A loopback port nothing listens on (at the moment of the call).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `nats-server` of one test's own.
pub struct NatsServer {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl NatsServer {
    /// A server with JetStream and no authentication.
    pub fn start(test: &str) -> NatsServer {
        NatsServer::with_config(test, None)
    }

    /// A server with JetStream and this config file's contents (users, permissions …); the
    /// command line sets the port, the address and the JetStream directory.
    pub fn with_config(test: &str, config: Option<&str>) -> NatsServer {
        let binary = server_binary();
        let dir = temp_dir(test);
        let mut last_log = String::new();
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..5 {
            let port = free_port();
            let log = dir.join("server.log");
            let mut cmd = Command::new(&binary);
            cmd.args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"]).arg(dir.join("js"));
            if let Some(text) = config {
                let path = dir.join("server.conf");
                std::fs::write(&path, text).unwrap();
                cmd.arg("-c").arg(path);
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let mut server = NatsServer { child, port, dir: dir.clone() };
            if server.wait_ready() {
                return server;
            }
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            // Dropping it kills and reaps it; the next try uses another port.
        }
        panic!("nats-server did not start; its last log:\n{last_log}");
    }

    /// Waits until the server says hello (`INFO {…}`) on its port; false if it exited first.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut line = String::new();
                if BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("INFO ") {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Starts the server again after [`NatsServer::kill`]: the same port, the same JetStream
    /// directory (so the streams are still there), the same config file if it had one.
    pub fn restart(&mut self) {
        let log = self.dir.join("server-restarted.log");
        let mut cmd = Command::new(server_binary());
        cmd.args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"]).arg(self.dir.join("js"));
        let config = self.dir.join("server.conf");
        if config.is_file() {
            cmd.arg("-c").arg(config);
        }
        self.child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        assert!(
            self.wait_ready(),
            "nats-server did not start again: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Kills the server (as a crash would) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// `nats://USERINFO@127.0.0.1:PORT`.
    pub fn url_as(&self, userinfo: &str) -> String {
        format!("nats://{userinfo}@127.0.0.1:{}", self.port)
    }

    /// The test's directory (for its journals and outputs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the server logged so far (its errors: refused logins, permission violations).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failed test keeps its outputs and the server's log to look at; JetStream's files go.
        let keep = std::thread::panicking();
        let _ = std::fs::remove_dir_all(if keep { self.dir.join("js") } else { self.dir.clone() });
    }
}

/// A running `switchyard`, its stdout and stderr in files. Dropping it kills it and waits.
pub struct Proc {
    child: Child,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Proc {
    /// Starts `switchyard ARGS`; `name` names its output files in `dir`.
    pub fn start(dir: &Path, name: &str, args: &[&str]) -> Proc {
        Proc::start_with_env(dir, name, args, &[])
    }

    /// [`Proc::start`] with these environment variables set as well.
    pub fn start_with_env(dir: &Path, name: &str, args: &[&str], env: &[(&str, &str)]) -> Proc {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = Command::new(bin())
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        Proc { child, stdout, stderr }
    }

    /// Waits for it to exit, at most `within` (then it is killed and the test fails).
    pub fn wait(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("switchyard did not exit within {within:?}; stderr: {}", self.err());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it still runs.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn out(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn out_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.stdout).unwrap_or_default()
    }

    pub fn err(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a short `switchyard` command did.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `switchyard ARGS` to its end (at most 30 s).
pub fn switchyard(dir: &Path, args: &[&str]) -> Ran {
    switchyard_with_env(dir, args, &[])
}

/// [`switchyard`] with these environment variables set as well.
pub fn switchyard_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!("cmd-{}", N.fetch_add(1, Ordering::Relaxed));
    let mut proc = Proc::start_with_env(dir, &name, args, env);
    let status = proc.wait(Duration::from_secs(30));
    Ran { code: status.code(), stdout: proc.out(), stderr: proc.err() }
}

/// `switchyard ctl URL --run RUN -- COMMAND`.
pub fn ctl(dir: &Path, url: &str, run: &str, command: &str) -> Ran {
    switchyard(dir, &["ctl", url, "--run", run, "--", command])
}

/// Waits until a served run answers commands (`ctl … :pause` gets an answer, accepted or not).
/// Careful: on a run that is not paused, this pauses it.
pub fn wait_until_served(dir: &Path, url: &str, run: &str, within: Duration) -> Ran {
    let deadline = Instant::now() + within;
    loop {
        let ran = ctl(dir, url, run, ":pause");
        if ran.code != Some(2) {
            return ran;
        }
        assert!(Instant::now() < deadline, "run `{run}` was not served within {within:?}: {}", ran.stderr);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().write_all(text.as_bytes()).unwrap();
    path.to_str().unwrap().to_string()
}
