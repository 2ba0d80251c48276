//! `wss://` against a local TLS server whose certificate comes from a
//! private CA made by the test: refused by default (stage `tls`), trusted
//! with the CA file, accepted with `insecure`.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::*;
use futures_util::StreamExt;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use wsmon::engine::ConnOptions;
use wsmon::engine::tls::TlsOptions;

/// A private CA (its PEM) and a TLS WebSocket server for `localhost` signed by it.
async fn tls_server() -> (String, SocketAddr) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&leaf_key, &ca).unwrap();

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else { return };
                let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else { return };
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    (ca.pem(), address)
}

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
