//! TLS client configurations: webpki's roots plus the system's by default,
//! an extra CA file when a profile names one, a client certificate when
//! the server wants one (mutual TLS), and — only when asked for — no
//! certificate verification at all (`insecure`, shown in red on screen).
//! Each distinct configuration is built once and shared, and each distinct
//! client certificate and key is loaded once: a connection holds neither.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{DigitallySignedStruct, InconsistentKeys, SignatureScheme};
use tokio_rustls::TlsConnector;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsOptions {
    /// A PEM file of extra CA certificates to trust (a private CA).
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate. For test fleets only.
    pub insecure: bool,
    /// A certificate to present when the server asks for one. Behind an
    /// `Arc`: 8 bytes in every connection's spec, one allocation shared by
    /// the specs cloned from one set of options.
    pub client: Option<Arc<ClientCert>>,
}

/// A client certificate (mutual TLS): always a certificate and its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientCert {
    /// PEM: the certificate, then any intermediates the server needs.
    pub cert_file: PathBuf,
    /// PEM: its private key (PKCS#8, PKCS#1 or SEC1), not encrypted.
    pub key_file: PathBuf,
}

/// The most a certificate or key file may hold: PEM files are a few KiB,
/// and a path to something else (a device, a log) must not be read whole.
const PEM_FILE_LIMIT: u64 = 1 << 20;

/// The connector for these options; Err says what is wrong with them.
pub fn connector(options: &TlsOptions) -> Result<TlsConnector, String> {
    static CONNECTORS: OnceLock<Mutex<HashMap<TlsOptions, TlsConnector>>> = OnceLock::new();
    let mut connectors =
        CONNECTORS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(connector) = connectors.get(options) {
        return Ok(connector.clone());
    }
    let connector = build(options)?;
    connectors.insert(options.clone(), connector.clone());
    Ok(connector)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn build(options: &TlsOptions) -> Result<TlsConnector, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?;
    let builder = if options.insecure {
        let algorithms = provider().signature_verification_algorithms;
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { algorithms }))
    } else {
        builder.with_root_certificates(roots(options.ca_file.as_ref())?)
    };
    let config = match &options.client {
        Some(client) => builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(identity(client)?))),
        None => builder.with_no_client_auth(),
    };
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The certificate and key of `client`, loaded and checked once per
/// distinct pair and shared by every configuration that presents them.
/// Err names the file at fault and says how to fix it; the command line
/// calls this before anything starts, so a bad file is a start-up error.
pub fn identity(client: &ClientCert) -> Result<Arc<CertifiedKey>, String> {
    static IDENTITIES: OnceLock<Mutex<HashMap<ClientCert, Arc<CertifiedKey>>>> = OnceLock::new();
    let mut identities =
        IDENTITIES.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(identity) = identities.get(client) {
        return Ok(identity.clone());
    }
    let identity = Arc::new(load_identity(client)?);
    identities.insert(client.clone(), identity.clone());
    Ok(identity)
}

fn load_identity(client: &ClientCert) -> Result<CertifiedKey, String> {
    let (cert_file, key_file) = (client.cert_file.display(), client.key_file.display());
    let chain = certificates(&client.cert_file)?;
    let key = private_key(&client.key_file)?;
    CertifiedKey::from_der(chain, key, &provider()).map_err(|error| match error {
        rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => format!(
            "the key in {key_file} does not belong to the certificate in {cert_file}: \
             give the key the certificate was made for"
        ),
        rustls::Error::InvalidCertificate(why) => {
            format!("the certificate file {cert_file} holds a certificate that does not parse ({why:?})")
        }
        other => format!("the key in {key_file} cannot be used with the certificate in {cert_file}: {other}"),
    })
}

/// The certificates of a PEM file, the client's own first.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let text = read_pem(path, "certificate")?;
    let chain = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("the certificate file {shown} is not valid PEM: {error}"))?;
    if chain.is_empty() {
        let swapped = if holds(&text, b"PRIVATE KEY-----") {
            ": it holds a private key; are --cert and --key swapped?"
        } else {
            ""
        };
        return Err(format!(
            "the certificate file {shown} holds no certificate (no PEM block -----BEGIN CERTIFICATE-----){swapped}"
        ));
    }
    Ok(chain)
}

/// The first private key of a PEM file. An encrypted key is refused with
/// how to decrypt it: wsmon runs unattended and asks for no passphrase.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let shown = path.display();
    let text = read_pem(path, "key")?;
    if holds(&text, b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || holds(&text, b"Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "the key file {shown} is encrypted with a passphrase, which wsmon does not ask for: \
             decrypt it first, e.g. openssl pkey -in {shown} -out key-plain.pem, \
             and give that file (readable by you only)"
        ));
    }
    match PrivateKeyDer::pem_slice_iter(&text).next() {
        Some(Ok(key)) => Ok(key),
        Some(Err(error)) => Err(format!("the key file {shown} is not valid PEM: {error}")),
        None => {
            let swapped = if holds(&text, b"-----BEGIN CERTIFICATE-----") {
                ": it holds a certificate; are --cert and --key swapped?"
            } else {
                ""
            };
            Err(format!(
                "the key file {shown} holds no private key (no PEM block PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY){swapped}"
            ))
        }
    }
}

/// A PEM file's bytes, read up to `PEM_FILE_LIMIT`.
fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|error| format!("cannot read the {what} file {shown}: {error}"))?;
    let mut text = Vec::new();
    file.take(PEM_FILE_LIMIT + 1)
        .read_to_end(&mut text)
        .map_err(|error| format!("cannot read the {what} file {shown}: {error}"))?;
    if text.len() as u64 > PEM_FILE_LIMIT {
        return Err(format!("the {what} file {shown} is over 1 MiB: not a PEM {what}"));
    }
    Ok(text)
}

fn holds(text: &[u8], marker: &[u8]) -> bool {
    text.windows(marker.len()).any(|window| window == marker)
}

fn roots(ca_file: Option<&PathBuf>) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::warn!("system certificate store: {error}");
    }
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let certificates = CertificateDer::pem_file_iter(path)
            .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
            .map_err(|error| format!("cannot read the CA file {}: {error}", path.display()))?;
        if certificates.is_empty() {
            return Err(format!("the CA file {} holds no PEM certificate", path.display()));
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|error| format!("the CA file {}: {error}", path.display()))?;
        }
    }
    Ok(roots)
}

/// `insecure`: any certificate is accepted; signatures are still checked,
/// so the handshake itself stays sound.
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed client certificate and its key, as PEM.
    fn pair() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap().self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// `cert` and `key` written to files in `dir`.
    fn written(dir: &Path, cert: &str, key: &str) -> ClientCert {
        let (cert_file, key_file) = (dir.join("client.pem"), dir.join("client-key.pem"));
        std::fs::write(&cert_file, cert).unwrap();
        std::fs::write(&key_file, key).unwrap();
        ClientCert { cert_file, key_file }
    }

    #[test]
    fn a_pair_loads_once_and_is_shared_by_every_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair();
        let client = written(dir.path(), &cert, &key);
        let first = identity(&client).unwrap();
        assert!(Arc::ptr_eq(&first, &identity(&client).unwrap()));
        // Two configurations (one also trusting no server) present the same loaded key.
        let plain = TlsOptions { client: Some(Arc::new(client.clone())), ..TlsOptions::default() };
        let insecure = TlsOptions { insecure: true, ..plain.clone() };
        for options in [plain, insecure] {
            let config = connector(&options).unwrap().config().clone();
            assert!(config.client_auth_cert_resolver.has_certs());
            let presented = config.client_auth_cert_resolver.resolve(&[], &[]).unwrap();
            assert!(Arc::ptr_eq(&presented, &first));
        }
    }

    #[test]
    fn an_encrypted_key_is_refused_with_how_to_decrypt_it() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = pair();
        let pkcs8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";
        for key in [pkcs8, legacy] {
            let client = written(dir.path(), &cert, key);
            let error = identity(&client).unwrap_err();
            let shown = client.key_file.display().to_string();
            assert!(error.contains(&shown) && error.contains("encrypted"), "{error}");
            assert!(error.contains(&format!("openssl pkey -in {shown} -out key-plain.pem")), "{error}");
        }
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ((cert, _), (_, other_key)) = (pair(), pair());
        let client = written(dir.path(), &cert, &other_key);
        let error = identity(&client).unwrap_err();
        assert!(error.contains("does not belong to the certificate"), "{error}");
        assert!(error.contains(&client.key_file.display().to_string()), "{error}");
        assert!(error.contains(&client.cert_file.display().to_string()), "{error}");
    }

    #[test]
    fn a_certificate_file_without_a_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = pair();
        // The key where the certificate should be: swapped files.
        let client = written(dir.path(), &key, &key);
        let error = identity(&client).unwrap_err();
        assert!(error.contains(&client.cert_file.display().to_string()), "{error}");
        assert!(error.contains("holds no certificate") && error.contains("swapped"), "{error}");
        let client = written(dir.path(), "not PEM at all\n", &key);
        assert!(identity(&client).unwrap_err().contains("holds no certificate"));
    }

    #[test]
    fn a_key_file_without_a_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = pair();
        let client = written(dir.path(), &cert, &cert);
        let error = identity(&client).unwrap_err();
        assert!(error.contains(&client.key_file.display().to_string()), "{error}");
        assert!(error.contains("holds no private key") && error.contains("swapped"), "{error}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair();
        let mut client = written(dir.path(), &cert, &key);
        client.key_file = dir.path().join("nowhere.pem");
        let error = identity(&client).unwrap_err();
        assert!(error.starts_with("cannot read the key file") && error.contains("nowhere.pem"), "{error}");
        client.cert_file = dir.path().join("absent.pem");
        let error = identity(&client).unwrap_err();
        assert!(error.starts_with("cannot read the certificate file") && error.contains("absent.pem"), "{error}");
    }

    /// A file holding both the certificate and its key may be given twice.
    #[test]
    fn one_file_may_hold_both() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair();
        let both = dir.path().join("both.pem");
        std::fs::write(&both, format!("{cert}{key}")).unwrap();
        assert!(identity(&ClientCert { cert_file: both.clone(), key_file: both }).is_ok());
    }
}
