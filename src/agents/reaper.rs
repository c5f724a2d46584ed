//! Every process a run starts ends with the run, whatever happens to us.
//!
//! - Each agent runs in a **process group of its own** (its pid is the group id), so killing the
//!   group also kills what the agent started inside it.
//! - Descendants that leave the group (a new session, a double fork) come back to us when their
//!   parent dies, because the `switchyard` binary makes itself a **child subreaper** at start
//!   ([`become_subreaper`]); [`sweep`] kills and reaps those adopted orphans.
//! - An agent gets `PR_SET_PDEATHSIG = SIGKILL`, so it dies with us even when we are killed with
//!   `-9` and nothing of ours runs any more (its own descendants are then the kernel's).
//!
//! The registry holds the group of every agent that was started and not yet reaped. [`spawn`]
//! holds its lock across the fork and [`sweep`] holds it while it looks, so an agent that is being
//! started is never mistaken for an orphan; and a group is only signalled while it is registered,
//! so a pid the kernel has handed to someone else is never killed.

use std::collections::BTreeSet;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// Process groups of the agents started and not yet reaped (group id = the agent's pid).
static GROUPS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Set once this process is a child subreaper: only then is every child that is not a registered
/// agent one of our orphans (a library user's own children are never swept).
static SUBREAPER: AtomicBool = AtomicBool::new(false);

fn groups() -> std::sync::MutexGuard<'static, BTreeSet<u32>> {
    // A panic while holding the lock leaves a plain set behind: still usable.
    GROUPS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes this process the reaper of its orphaned descendants (Linux; a no-op elsewhere). Call it
/// once, early, from the binary.
pub fn become_subreaper() -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with integer arguments has no memory effects.
        if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        SUBREAPER.store(true, Ordering::SeqCst);
    }
    Ok(())
}

/// Starts `command` as an agent: in a new process group, to be killed if we die, registered.
pub fn spawn(command: &mut Command) -> io::Result<Child> {
    #[cfg(unix)]
    {
        command.process_group(0);
        #[cfg(target_os = "linux")]
        {
            // SAFETY: getpid has no memory effects.
            let parent = unsafe { libc::getpid() };
            // SAFETY: the closure runs in the forked child and calls only async-signal-safe
            // functions (prctl, getppid) without allocating.
            unsafe {
                command.pre_exec(move || {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                    // We died between the fork and the prctl: nobody will ever kill this agent.
                    if libc::getppid() != parent {
                        return Err(io::Error::other("switchyard exited while the agent was starting"));
                    }
                    Ok(())
                });
            }
        }
    }
    let mut registered = groups();
    let child = command.spawn()?;
    if let Some(pid) = child.id() {
        registered.insert(pid);
    }
    Ok(child)
}

/// Kills the agent's process group (SIGKILL), if it is still registered.
pub fn kill_group(pgid: u32) {
    if pgid != 0 && groups().contains(&pgid) {
        signal_group(pgid);
    }
}

/// The agent `pgid` was reaped: kills whatever is left in its group, forgets the group, and
/// sweeps orphans its death handed to us.
pub fn release(pgid: u32) {
    if groups().remove(&pgid) {
        signal_group(pgid);
    }
    sweep();
}

/// Kills every registered agent group (the end of a run, a signal), then sweeps orphans.
pub fn kill_all() {
    let leaders: Vec<u32> = groups().iter().copied().collect();
    kill_groups(&leaders);
}

/// Kills these agents' groups (those still registered), waits for the agents to be dead (their
/// orphans are handed to us only then), and sweeps the orphans.
pub fn kill_groups(leaders: &[u32]) {
    let registered: Vec<u32> = {
        let groups = groups();
        leaders.iter().copied().filter(|p| *p != 0 && groups.contains(p)).collect()
    };
    for &pgid in &registered {
        signal_group(pgid);
    }
    #[cfg(target_os = "linux")]
    {
        let deadline = Instant::now() + Duration::from_millis(500);
        while registered.iter().any(|&p| is_alive(p)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    sweep();
}

/// Whether the process exists and has not exited (a zombie has: its children are ours now).
#[cfg(target_os = "linux")]
fn is_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    stat.rfind(')').and_then(|i| stat[i + 1..].split_whitespace().next()).is_some_and(|state| state != "Z")
}

fn signal_group(pgid: u32) {
    #[cfg(unix)]
    {
        let Ok(pgid) = libc::pid_t::try_from(pgid) else { return };
        // SAFETY: killpg has no memory effects; ESRCH (the group is empty) is fine.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

/// Kills and reaps our children that are not registered agents: descendants of agents that
/// left their agent's group and were handed to us when their parent died. Repeats while it finds
/// some, since killing one hands us its own children. Only a subreaper sweeps.
pub fn sweep() {
    #[cfg(target_os = "linux")]
    {
        if !SUBREAPER.load(Ordering::SeqCst) {
            return;
        }
        for _ in 0..64 {
            let orphans = {
                let registered = groups();
                let orphans: Vec<i32> =
                    children().into_iter().filter(|pid| !registered.contains(&(*pid as u32))).collect();
                for &pid in &orphans {
                    // SAFETY: kill has no memory effects.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                    }
                }
                orphans
            };
            if orphans.is_empty() {
                return;
            }
            for pid in orphans {
                reap(pid, Duration::from_millis(200));
            }
        }
    }
}

/// Waits (briefly) for a killed orphan to be gone and collects its exit status.
#[cfg(target_os = "linux")]
fn reap(pid: i32, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only to `status`.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r != 0 || Instant::now() >= deadline {
            return; // reaped, or not ours any more (ECHILD), or stuck: the next sweep tries again
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Our children, from the process table (`/proc/PID/stat`, field 4 is the parent).
#[cfg(target_os = "linux")]
fn children() -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // The command name is in parentheses and may hold anything: parse after the last `)`.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse::<i32>().ok());
        if ppid == Some(me) {
            found.push(pid);
        }
    }
    found
}
