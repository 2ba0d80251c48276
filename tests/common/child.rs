//! The real `wsmon` binary as a child process, read line by line, with its
//! config and data directories in a temporary directory of its own.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

use super::LIMIT;

pub const WSMON: &str = env!("CARGO_BIN_EXE_wsmon");

pub struct Wsmon {
    pub child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    /// Every line read so far.
    pub seen: Vec<String>,
    /// stderr, once a test reads it while wsmon runs (`stderr_until`).
    errors: Option<Lines<BufReader<ChildStderr>>>,
    /// Every stderr line read so far.
    pub stderr_seen: Vec<String>,
    /// WSMON_CONFIG_DIR and WSMON_DATA_DIR.
    pub dirs: tempfile::TempDir,
}

impl Wsmon {
    pub fn start(args: &[&str]) -> Wsmon {
        Wsmon::start_in(tempfile::tempdir().expect("a temporary directory"), args)
    }

    /// `start`, with config and data directories prepared by the caller
    /// (a profile written first).
    pub fn start_in(dirs: tempfile::TempDir, args: &[&str]) -> Wsmon {
        Wsmon::start_with(dirs, &[], args)
    }

    /// `start_in` with environment variables set (a locale).
    pub fn start_with(dirs: tempfile::TempDir, env: &[(&str, &str)], args: &[&str]) -> Wsmon {
        let mut child = command(dirs.path())
            .envs(env.iter().copied())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("wsmon starts");
        let lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        Wsmon { child, lines, seen: Vec::new(), errors: None, stderr_seen: Vec::new(), dirs }
    }

    /// Read lines until one satisfies `done`; returns it.
    pub async fn until(&mut self, done: impl Fn(&str) -> bool) -> String {
        self.since(self.seen.len(), done).await
    }

    /// The first line from index `mark` on (already read or still to come)
    /// that satisfies `done`.
    pub async fn since(&mut self, mark: usize, done: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.seen[mark.min(self.seen.len())..].iter().find(|line| done(line)) {
            return line.clone();
        }
        let read = async {
            while let Some(line) = self.lines.next_line().await.expect("readable stdout") {
                self.seen.push(line.clone());
                if done(&line) {
                    return line;
                }
            }
            panic!("wsmon ended before the expected line; output: {:#?}", self.seen);
        };
        tokio::time::timeout(LIMIT, read).await.unwrap_or_else(|_| panic!("timed out; output so far: {:#?}", self.seen))
    }

    /// Read stderr lines until one satisfies `done` (what wsmon says as it
    /// starts: where it serves metrics); returns it.
    pub async fn stderr_until(&mut self, done: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.stderr_seen.iter().find(|line| done(line)) {
            return line.clone();
        }
        if self.errors.is_none() {
            let pipe = self.child.stderr.take().expect("piped stderr");
            self.errors = Some(BufReader::new(pipe).lines());
        }
        let errors = self.errors.as_mut().expect("stderr is read");
        let seen = &mut self.stderr_seen;
        let read = async {
            while let Some(line) = errors.next_line().await.expect("readable stderr") {
                seen.push(line.clone());
                if done(&line) {
                    return Some(line);
                }
            }
            None
        };
        match tokio::time::timeout(LIMIT, read).await {
            Ok(Some(line)) => line,
            Ok(None) => panic!("wsmon ended before the expected stderr line; stderr: {:#?}", self.stderr_seen),
            Err(_) => panic!("timed out; stderr so far: {:#?}", self.stderr_seen),
        }
    }

    /// Ctrl-C, then read the rest; returns the exit code and stderr.
    pub async fn interrupt(&mut self) -> (i32, String) {
        let pid = self.child.id().expect("still running") as i32;
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let rest = async {
            while let Some(line) = self.lines.next_line().await.expect("readable stdout") {
                self.seen.push(line);
            }
            let mut stderr: String = self.stderr_seen.iter().map(|line| format!("{line}\n")).collect();
            if let Some(errors) = self.errors.as_mut() {
                while let Some(line) = errors.next_line().await.expect("readable stderr") {
                    stderr.push_str(&line);
                    stderr.push('\n');
                }
            } else if let Some(mut pipe) = self.child.stderr.take() {
                tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut stderr).await.expect("readable stderr");
            }
            (self.child.wait().await.expect("wsmon exits"), stderr)
        };
        let (status, stderr) = tokio::time::timeout(LIMIT, rest).await.expect("wsmon exits after Ctrl-C");
        (status.code().expect("an exit code"), stderr)
    }
}

/// `wsmon` with its directories under `dirs`, in English whatever the
/// locale of the machine running the tests (a test sets one to see another).
pub fn command(dirs: &Path) -> Command {
    let mut command = Command::new(WSMON);
    command.env("WSMON_CONFIG_DIR", dirs.join("config")).env("WSMON_DATA_DIR", dirs.join("data"));
    for name in wsmon::lang::LOCALE_VARS {
        command.env_remove(name);
    }
    for variable in wsmon::engine::proxy::env::all_variables().chain(["HTTP_PROXY"]) {
        command.env_remove(variable);
    }
    command
}

/// Runs wsmon to completion; returns (status, stdout, stderr).
pub async fn run(dirs: &Path, args: &[&str]) -> (i32, String, String) {
    run_with(dirs, &[], args).await
}

/// `run` with environment variables set (a locale).
pub async fn run_with(dirs: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let output = command(dirs).envs(env.iter().copied()).args(args).output();
    let output = tokio::time::timeout(LIMIT, output).await.expect("wsmon ends").expect("wsmon runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (output.status.code().expect("an exit code"), text(output.stdout), text(output.stderr))
}
