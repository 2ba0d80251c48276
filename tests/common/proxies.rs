//! Proxies for the tests, on 127.0.0.1: real ones (tinyproxy, microsocks)
//! started from a generated configuration on a free port, skipped with a
//! message where the binary is missing; and a small HTTP CONNECT proxy of
//! the tests' own that counts what it is asked.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::{LIMIT, header, listen, read_request};

/// The binary on PATH, or None after saying the test is skipped.
pub fn installed(binary: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(binary))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        println!("skipped: {binary} not installed (apt-get install {binary})");
    }
    found
}

/// A proxy process: killed when dropped. Its stderr is kept in a file.
pub struct Intermediary {
    pub address: SocketAddr,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Intermediary {
    /// tinyproxy on a free port, with `BasicAuth user password`. No
    /// `ConnectPort` line: tinyproxy then allows CONNECT to every port
    /// (`ConnectPort 0` would turn CONNECT off; tinyproxy.conf(5)).
    pub async fn tinyproxy(user: &str, password: &str) -> Option<Intermediary> {
        let binary = installed("tinyproxy")?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port().await;
        let config = dir.path().join("tinyproxy.conf");
        let text = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 64\nLogLevel Info\nBasicAuth {user} {password}\n"
        );
        std::fs::write(&config, text).expect("tinyproxy.conf written");
        let args = ["-d".to_string(), "-c".to_string(), config.display().to_string()];
        Some(Intermediary::spawn(&binary, &args, port, dir).await)
    }

    /// microsocks on a free port, with a user and password.
    pub async fn microsocks(user: &str, password: &str) -> Option<Intermediary> {
        let binary = installed("microsocks")?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = free_port().await;
        let args = ["-i", "127.0.0.1", "-p", &port.to_string(), "-u", user, "-P", password].map(String::from);
        Some(Intermediary::spawn(&binary, &args, port, dir).await)
    }

    async fn spawn(binary: &Path, args: &[String], port: u16, dir: tempfile::TempDir) -> Intermediary {
        let log = dir.path().join("stderr.log");
        let child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout.log")).expect("a log file"))
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .unwrap_or_else(|error| panic!("{} starts: {error}", binary.display()));
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let mut proxy = Intermediary { address, child, log, _dir: dir };
        proxy.wait_until_listening().await;
        proxy
    }

    /// Poll until the proxy accepts a connection, bounded by `LIMIT`.
    async fn wait_until_listening(&mut self) {
        let started = Instant::now();
        while TcpStream::connect(self.address).await.is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the proxy exited ({status}); its log: {}", self.log());
            }
            assert!(started.elapsed() < LIMIT, "the proxy never listened; its log: {}", self.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What it wrote on stderr so far (tinyproxy's log with -d).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Intermediary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on, for a proxy to take.
async fn free_port() -> u16 {
    let (listener, address) = listen().await;
    drop(listener);
    address.port()
}

/// The tests' own HTTP CONNECT proxy: records every request head, checks
/// Basic credentials when it has some (a 407 echoing what it was sent,
/// as a careless proxy might), and tunnels to the target.
pub struct ConnectProxy {
    pub address: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// `credentials`: "user:password", or None to take anyone.
    pub async fn start(credentials: Option<&str>) -> ConnectProxy {
        let (listener, address) = listen().await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let expected = credentials.map(|pair| format!("Basic {}", base64(pair.as_bytes())));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, expected) = (Arc::clone(&log), expected.clone());
                tokio::spawn(tunnel(stream, log, expected));
            }
        });
        ConnectProxy { address, seen }
    }

    /// The request heads it was sent, in order.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn tunnel(mut client: TcpStream, log: Arc<Mutex<Vec<String>>>, expected: Option<String>) {
    let Some(head) = read_request(&mut client).await else { return };
    log.lock().unwrap().push(head.clone());
    let given = header(&head, "proxy-authorization");
    if expected.is_some() && given != expected {
        let echo = given.unwrap_or_default();
        let answer = format!("HTTP/1.1 407 Proxy Authentication Required (got {echo})\r\nContent-Length: 0\r\n\r\n");
        let _ = client.write_all(answer.as_bytes()).await;
        return;
    }
    let target = head.split_whitespace().nth(1).unwrap_or_default().to_string();
    let Ok(mut server) = TcpStream::connect(target.as_str()).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n").await;
        return;
    };
    if client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}

/// Standard base64, padded.
pub fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let value = group.iter().enumerate().fold(0u32, |value, (i, byte)| value | u32::from(*byte) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= group.len() { char::from(DIGITS[((value >> (18 - 6 * i)) & 63) as usize]) } else { '=' });
        }
    }
    out
}
