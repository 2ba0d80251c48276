//! Mutual TLS through a real nginx that the test starts on 127.0.0.1
//! (`ssl_verify_client on`), proxying to a local echo WebSocket server:
//! wsmon opens with the client certificate, from the flags and from a
//! profile's relative paths, and without one fails with nginx's own
//! answer, HTTP 400 "No required SSL certificate was sent". Skipped, saying
//! so, where nginx is not installed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use common::child::Wsmon;
use common::pki::{Pair, Pki};
use common::*;
use std::process::{Child, Command};

/// nginx on PATH, or where Debian puts it (root's PATH only has /usr/sbin).
fn nginx() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|dir| dir.join("nginx")).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path.into_iter().chain([PathBuf::from("/usr/sbin/nginx")]).find(|path| path.is_file())
}

/// A running nginx, killed and reaped when dropped (one process:
/// `master_process off`, so no worker outlives it).
struct Nginx {
    child: Child,
    port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port: bound, then released for nginx (a tiny race,
/// accepted).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    listener.local_addr().expect("bound address").port()
}

async fn start_nginx(binary: &Path, pki: &Pki, server: &Pair, backend: u16) -> Nginx {
    let dir = pki.dir.path();
    let port = free_port();
    let path = |name: &str| dir.join(name).display().to_string();
    let config = format!(
        "daemon off;\nmaster_process off;\npid {pid};\nerror_log {log} info;\nevents {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {temp}/client_body;\n  proxy_temp_path {temp}/proxy;\n  \
         fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n  \
         server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name localhost;\n    \
         ssl_certificate {cert};\n    ssl_certificate_key {key};\n    ssl_client_certificate {ca};\n    ssl_verify_client on;\n    \
         location / {{\n      proxy_pass http://127.0.0.1:{backend};\n      proxy_http_version 1.1;\n      \
         proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection \"upgrade\";\n    }}\n  }}\n}}\n",
        pid = path("nginx.pid"),
        log = path("error.log"),
        temp = dir.display(),
        cert = server.cert.display(),
        key = server.key.display(),
        ca = pki.ca_file().display(),
    );
    std::fs::write(dir.join("nginx.conf"), config).unwrap();
    let child = Command::new(binary)
        .args(["-p", &path(""), "-c", &path("nginx.conf"), "-e", &path("error.log")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let mut nginx = Nginx { child, port };
    // Bounded poll until it accepts; an nginx that exits shows its log.
    let started = Instant::now();
    loop {
        if let Some(status) = nginx.child.try_wait().expect("nginx's status") {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            panic!("nginx exited ({status}) before accepting: {log}");
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return nginx;
        }
        assert!(started.elapsed() < LIMIT, "nginx did not accept on {port} within {LIMIT:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn nginx_requiring_a_client_certificate() {
    let Some(binary) = nginx() else {
        eprintln!("skipped: nginx not installed (apt-get install nginx)");
        return;
    };
    let pki = Pki::new();
    let server = pki.server("server");
    let client = pki.client("client");
    let backend = echo_server().await;
    let nginx = start_nginx(&binary, &pki, &server, backend.port()).await;
    let url = format!("wss://localhost:{}/", nginx.port);
    let (ca, cert, key) = (pki.ca_file(), client.cert.display().to_string(), client.key.display().to_string());
    let ca = ca.display().to_string();

    // With the pair: open, and a message goes through nginx to the echo server and back.
    let args = ["watch", "--json", "--ca-file", &ca, "--cert", &cert, "--key", &key, "--send", "hello", &url];
    let mut wsmon = Wsmon::start(&args);
    wsmon.until(|line| line.contains("\"event\":\"open\"")).await;
    let echoed = wsmon.until(|line| line.contains("\"event\":\"traffic\"") && line.contains("\"msgs_in\":1")).await;
    assert!(echoed.contains("\"bytes_in\":5"), "{echoed}");
    let (code, _) = wsmon.interrupt().await;
    assert_eq!(code, 0);

    // Without: nginx finishes the TLS handshake and answers 400 itself.
    let mut wsmon = Wsmon::start(&["watch", "--json", "--ca-file", &ca, &url]);
    let failed = json(&wsmon.until(|line| line.contains("\"event\":\"handshake_failed\"")).await);
    assert_eq!((failed["stage"].as_str(), failed["http_status"].as_u64()), (Some("http"), Some(400)), "{failed}");
    assert_eq!(failed["detail"], "HTTP 400 Bad Request: 400 No required SSL certificate was sent", "{failed}");
    wsmon.interrupt().await;

    // A profile with the files beside it, by relative paths.
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("config/profiles");
    std::fs::create_dir_all(profiles.join("tls")).unwrap();
    for (from, to) in [(&pki.ca_file(), "ca.pem"), (&client.cert, "me.pem"), (&client.key, "me-key.pem")] {
        std::fs::copy(from, profiles.join("tls").join(to)).unwrap();
    }
    let profile = format!(
        "[defaults]\ntls = {{ ca_file = \"tls/ca.pem\" }}\n\n[[connection]]\nname = \"behind-nginx\"\nurl = \"{url}\"\n\
         tls = {{ cert_file = \"tls/me.pem\", key_file = \"tls/me-key.pem\" }}\n"
    );
    std::fs::write(profiles.join("edge.toml"), profile).unwrap();
    let mut wsmon = Wsmon::start_in(dirs, &["watch", "--json", "-p", "edge"]);
    let open = wsmon.until(|line| line.contains("\"event\":\"open\"")).await;
    assert!(open.contains("\"conn\":\"behind-nginx\""), "{open}");
    let (code, _) = wsmon.interrupt().await;
    assert_eq!(code, 0);
}
