//! Client certificates (mutual TLS) against a rustls server in the test
//! that requires one signed by its CA (`WebPkiClientVerifier`): this runs
//! everywhere, nginx or not (tests/nginx.rs checks a real nginx). The
//! engine's outcomes, then the real binary: flags, a profile with relative
//! paths, and start-up errors (exit 2).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::child::{Wsmon, run};
use common::pki::{Pair, Pki};
use common::*;
use futures_util::{SinkExt, StreamExt};
use wsmon::engine::ConnOptions;
use wsmon::engine::tls::{ClientCert, TlsOptions};

/// A WebSocket echo server over TLS that requires a client certificate.
async fn mtls_server(pki: &Pki) -> SocketAddr {
    let config = pki.server_config_requiring_clients(&pki.server("server"));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (listener, address) = listen().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else { return };
                let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else { return };
                while let Some(Ok(message)) = ws.next().await {
                    if message.is_text() && ws.send(message).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

fn wss(address: SocketAddr) -> String {
    format!("wss://localhost:{}/", address.port())
}

fn presenting(pki: &Pki, client: Option<&Pair>) -> ConnOptions {
    let client = client.map(|pair| Arc::new(ClientCert { cert_file: pair.cert.clone(), key_file: pair.key.clone() }));
    ConnOptions { tls: TlsOptions { ca_file: Some(pki.ca_file()), client, ..TlsOptions::default() }, ..options() }
}

#[tokio::test]
async fn a_client_certificate_of_the_servers_ca_opens() {
    let pki = Pki::new();
    let address = mtls_server(&pki).await;
    let client = pki.client("client");
    let lines = watch_until(spec("t", &wss(address), presenting(&pki, Some(&client))), is("open")).await;
    assert_eq!(lines.last().unwrap()["event"], "open", "{lines:#?}");
}

#[tokio::test]
async fn without_a_certificate_the_server_asking_for_one_is_named() {
    let pki = Pki::new();
    let address = mtls_server(&pki).await;
    let event = first_failure(&wss(address), presenting(&pki, None)).await;
    assert_eq!((event["stage"].as_str(), event["http_status"].as_u64()), (Some("tls"), None), "{event}");
    let detail = event["detail"].as_str().unwrap();
    assert_eq!(detail, "the server asked for a client certificate (TLS alert certificate_required)", "{event}");
}

#[tokio::test]
async fn a_certificate_of_another_ca_is_refused_by_name() {
    let pki = Pki::new();
    let address = mtls_server(&pki).await;
    let elsewhere = Pki::new();
    let stranger = elsewhere.client("stranger");
    let event = first_failure(&wss(address), presenting(&pki, Some(&stranger))).await;
    assert_eq!(event["stage"], "tls", "{event}");
    let detail = event["detail"].as_str().unwrap();
    assert_eq!(detail, "the server refused the client certificate (TLS alert unknown_ca)", "{event}");
}

/// The flags through the real binary: the pair opens, and a half pair, a
/// key of another certificate or an encrypted key stop the start.
#[tokio::test]
async fn the_flags_open_or_refuse_to_start() {
    let pki = Pki::new();
    let address = mtls_server(&pki).await;
    let client = pki.client("client");
    let (ca, cert, key) = (pki.ca_file(), client.cert.display().to_string(), client.key.display().to_string());
    let ca = ca.display().to_string();
    let url = wss(address);
    let mut wsmon = Wsmon::start(&["watch", "--json", "--ca-file", &ca, "--cert", &cert, "--key", &key, &url]);
    wsmon.until(|line| line.contains("\"event\":\"open\"")).await;
    let (code, _) = wsmon.interrupt().await;
    assert_eq!(code, 0);

    let dirs = tempfile::tempdir().unwrap();
    let (code, _, err) = run(dirs.path(), &["watch", "--cert", &cert, &url]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs --key") && err.contains("--key client-key.pem"), "{err}");

    let other = pki.client("other");
    let other_key = other.key.display().to_string();
    let (code, _, err) = run(dirs.path(), &["watch", "--cert", &cert, "--key", &other_key, &url]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("the key in {other_key} does not belong to the certificate in {cert}")), "{err}");

    let encrypted = pki.dir.path().join("encrypted-key.pem");
    std::fs::write(
        &encrypted,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIHsMFcGCSqGSIb3DQEFDTBK\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    let encrypted = encrypted.display().to_string();
    let (code, _, err) = run(dirs.path(), &["watch", "--cert", &cert, "--key", &encrypted, &url]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is encrypted") && err.contains(&format!("openssl pkey -in {encrypted}")), "{err}");
}

/// A profile's `tls = { cert_file, key_file }`, relative to the profile's
/// directory, end to end; a bad key in it names the profile and connection.
#[tokio::test]
async fn a_profile_presents_its_certificate_from_paths_relative_to_it() {
    let pki = Pki::new();
    let address = mtls_server(&pki).await;
    let client = pki.client("client");
    let dirs = tempfile::tempdir().unwrap();
    let profiles = dirs.path().join("config/profiles");
    std::fs::create_dir_all(profiles.join("certs")).unwrap();
    for (from, to) in [(&pki.ca_file(), "ca.pem"), (&client.cert, "client.pem"), (&client.key, "client-key.pem")] {
        std::fs::copy(from, profiles.join("certs").join(to)).unwrap();
    }
    let profile = format!(
        "[defaults]\ntls = {{ ca_file = \"certs/ca.pem\", cert_file = \"certs/client.pem\", key_file = \"certs/client-key.pem\" }}\n\n\
         [[connection]]\nname = \"secure\"\nurl = \"{}\"\n",
        wss(address)
    );
    std::fs::write(profiles.join("mtls.toml"), &profile).unwrap();
    let broken = profile.replace(
        "[[connection]]",
        "[[connection]]\ntls = { cert_file = \"certs/client.pem\", key_file = \"certs/ca.pem\" }",
    );
    std::fs::write(profiles.join("broken.toml"), broken).unwrap();

    let (code, _, err) = run(dirs.path(), &["watch", "-p", "broken"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("broken.toml: connection 'secure': the key file") && err.contains("certs/ca.pem"), "{err}");

    let mut wsmon = Wsmon::start_in(dirs, &["watch", "--json", "-p", "mtls"]);
    let open = wsmon.until(|line| line.contains("\"event\":\"open\"")).await;
    assert!(open.contains("\"conn\":\"secure\""), "{open}");
    let (code, _) = wsmon.interrupt().await;
    assert_eq!(code, 0);
}
