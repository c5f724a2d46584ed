//! Scratch directories for tests, removed when the test binary exits, whether its tests passed or
//! failed: a test run leaves nothing behind in the temp dir (some tests write hundreds of
//! megabytes there).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Mutex;

static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

extern "C" fn remove_all() {
    if let Ok(dirs) = DIRS.lock() {
        for dir in dirs.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `$TMPDIR/switchyard-NAME-PID`: emptied the first time it is asked for in this process, created
/// each time, and removed when the process exits.
pub fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-{name}-{}", std::process::id()));
    let mut dirs = DIRS.lock().unwrap_or_else(|e| e.into_inner());
    if dirs.is_empty() {
        // SAFETY: registers a plain function with no captured state; it runs once, at exit.
        let registered = unsafe { libc::atexit(remove_all) };
        assert_eq!(registered, 0, "atexit failed: the scratch dirs could not be cleaned up");
    }
    if !dirs.contains(&dir) {
        let _ = std::fs::remove_dir_all(&dir);
        dirs.push(dir.clone());
    }
    // Again each time: a test may have removed it when it was done.
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}
