//! `wss://` against a local TLS server whose certificate comes from a
//! private CA made by the test: refused by default (stage `tls`), trusted
//! with the CA file, accepted with `insecure`.

mod common;

use std::net::SocketAddr;

use common::tls::tls_server;
use common::*;
use wsmon::engine::ConnOptions;
use wsmon::engine::tls::TlsOptions;

fn wss(address: SocketAddr) -> String {
    format!("wss://localhost:{}/", address.port())
}

fn with_tls(tls: TlsOptions) -> ConnOptions {
    ConnOptions { tls, ..options() }
}

#[tokio::test]
async fn an_unknown_ca_fails_the_tls_stage() {
    let (_, address) = tls_server().await;
    let event = first_failure(&wss(address), options()).await;
    assert_eq!(event["stage"], "tls", "{event}");
    assert!(event["detail"].as_str().unwrap().to_lowercase().contains("certificate"), "{event}");
}

#[tokio::test]
async fn the_private_ca_file_is_trusted() {
    let (ca_pem, address) = tls_server().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let tls = TlsOptions { ca_file: Some(ca_file), ..TlsOptions::default() };
    let lines = watch_until(spec("t", &wss(address), with_tls(tls)), is("open")).await;
    assert_eq!(lines.last().unwrap()["event"], "open");
}

#[tokio::test]
async fn insecure_accepts_any_certificate() {
    let (_, address) = tls_server().await;
    let tls = TlsOptions { insecure: true, ..TlsOptions::default() };
    let lines = watch_until(spec("t", &wss(address), with_tls(tls)), is("open")).await;
    assert_eq!(lines.last().unwrap()["event"], "open");
}

#[tokio::test]
async fn a_missing_ca_file_is_a_tls_failure_that_names_it() {
    let (_, address) = tls_server().await;
    let tls = TlsOptions { ca_file: Some("/nonexistent/ca.pem".into()), ..TlsOptions::default() };
    let event = first_failure(&wss(address), with_tls(tls)).await;
    assert_eq!(event["stage"], "tls");
    assert!(event["detail"].as_str().unwrap().contains("/nonexistent/ca.pem"), "{event}");
}
