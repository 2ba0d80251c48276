//! Connection profiles: named sets of endpoints with their settings, saved
//! as TOML under the config directory. This module reads and checks them
//! and turns them into connection specs; `store` keeps them on disk.

mod edit;
pub mod format;
mod store;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use format::{ConnectionEntry, ProfileFile, Settings};

use format::{Human, ProxyText, RuleKey, RuleValue, SelectorKey, TlsSettings};
pub use store::{Listed, Store};

use crate::engine::policy::{RuleSetting, Selector};
use crate::engine::proxy::Proxy;
use crate::engine::spec::{missing_variables, parse_header, parse_subprotocol};
use crate::engine::tls::{ClientCert, TlsOptions};
use crate::engine::{ConnOptions, ConnSpec};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(
        "'{0}' is not a profile name: use letters, digits, '-', '_' and '.', without '/' or a leading '.', e.g. prod"
    )]
    BadName(String),
    #[error("no profile '{name}' in {dir} (wsmon profile list shows them)")]
    NotFound { name: String, dir: PathBuf },
    #[error("{path}:{line}:{column}: {message}")]
    Parse { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{0}; the file was left as it is: fix it, or remove it with wsmon profile rm, then save again")]
    WouldOverwrite(Box<ProfileError>),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no configuration directory: set WSMON_CONFIG_DIR")]
    NoConfigDir,
}

impl ProfileError {
    fn io(path: &Path, source: std::io::Error) -> ProfileError {
        ProfileError::Io { path: path.to_path_buf(), source }
    }
}

/// Parse a profile's text; errors name the file, line and column.
pub fn parse(path: &Path, text: &str) -> Result<ProfileFile, ProfileError> {
    let file: ProfileFile = toml::from_str(text).map_err(|error| {
        let (line, column) = error.span().map_or((1, 1), |span| line_and_column(text, span.start));
        ProfileError::Parse { path: path.to_path_buf(), line, column, message: error.message().trim().to_string() }
    })?;
    validate(path, &file)?;
    Ok(file)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    // An offset inside a character counts from the character's start.
    let offset = (0..=offset.min(text.len())).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

/// What parsing alone cannot see: duplicate names, header and subprotocol
/// syntax, a client certificate without its key (or the reverse).
fn validate(path: &Path, file: &ProfileFile) -> Result<(), ProfileError> {
    let invalid = |message: String| ProfileError::Invalid { path: path.to_path_buf(), message };
    if let Some(tls) = &file.defaults.tls {
        client_pair(tls).map_err(|error| invalid(format!("[defaults] {error}")))?;
    }
    let mut names = HashSet::new();
    for (index, entry) in file.connections.iter().enumerate() {
        let which = format!("connection #{} '{}'", index + 1, entry.name);
        if entry.name.trim().is_empty() {
            return Err(invalid(format!("connection #{} has an empty name", index + 1)));
        }
        if !names.insert(entry.name.as_str()) {
            return Err(invalid(format!("{which}: the name is used twice; names must be unique")));
        }
        for (name, value) in &entry.headers {
            parse_header(&format!("{name}: {value}")).map_err(|error| invalid(format!("{which}: {error}")))?;
        }
        for name in &entry.subprotocols {
            parse_subprotocol(name).map_err(|error| invalid(format!("{which}: {error}")))?;
        }
        if let Some(tls) = &entry.tls {
            client_pair(tls).map_err(|error| invalid(format!("{which}: {error}")))?;
        }
    }
    Ok(())
}

/// `cert_file` and `key_file` come together, where either is written.
fn client_pair(tls: &TlsSettings) -> Result<(), String> {
    let example = "e.g. tls = { cert_file = \"client.pem\", key_file = \"client-key.pem\" }";
    match (&tls.cert_file, &tls.key_file) {
        (Some(_), None) => {
            Err(format!("tls has cert_file without key_file: give the certificate's key too, {example}"))
        }
        (None, Some(_)) => {
            Err(format!("tls has key_file without cert_file: give the certificate it belongs to, {example}"))
        }
        _ => Ok(()),
    }
}

/// Lay `settings` over `options`. A relative CA file, client certificate
/// or key is taken relative to `base` (the profile's directory).
pub fn apply_from(settings: &Settings, base: &Path, options: &mut ConnOptions) {
    apply(settings, options);
    if let Some(tls) = &settings.tls {
        if let Some(ca_file) = &tls.ca_file {
            options.tls.ca_file = Some(base.join(ca_file));
        }
        // `validate` made sure they come together.
        if let (Some(cert_file), Some(key_file)) = (&tls.cert_file, &tls.key_file) {
            let client = ClientCert { cert_file: base.join(cert_file), key_file: base.join(key_file) };
            options.tls.client = Some(std::sync::Arc::new(client));
        }
        if let Some(insecure) = tls.insecure {
            options.tls.insecure = insecure;
        }
    }
}

/// Lay `settings` (all but the TLS paths) over `options`.
pub fn apply(settings: &Settings, options: &mut ConnOptions) {
    if let Some(timeout) = settings.connect_timeout {
        options.connect_timeout = timeout.0;
    }
    if let Some(interval) = settings.ping_interval {
        options.ping_interval = (!interval.0.is_zero()).then_some(interval.0);
    }
    if let Some(timeout) = settings.ping_timeout {
        options.ping_timeout = timeout.0;
    }
    if let Some(window) = settings.stability_window {
        options.stability_window = window.0;
    }
    if let Some(within) = settings.expect_message_within {
        options.expect_message_within = (!within.0.is_zero()).then_some(within.0);
    }
    if let Some(size) = settings.max_message {
        options.max_message_size = size.0;
    }
    // Later overrides win, so a connection's rules go after the defaults'.
    options.rules.overrides.extend(settings.reconnect.iter().map(|(key, value)| (key.selector(), value.0)));
    if let Some(proxy) = &settings.proxy {
        options.proxy = Some(std::sync::Arc::clone(&proxy.0));
    }
}

impl ProfileFile {
    /// The connection specs: defaults, then the profile's `[defaults]`,
    /// then each entry's own settings, then `cli` (the command line's flags).
    pub fn specs(&self, path: &Path, cli: impl Fn(&mut ConnOptions)) -> Result<Vec<ConnSpec>, ProfileError> {
        self.specs_with_env(path, cli, |name| std::env::var(name).ok())
    }

    /// `specs`, with `env` standing for the environment (the check that
    /// every `${VAR}` is set).
    pub fn specs_with_env(
        &self,
        path: &Path,
        cli: impl Fn(&mut ConnOptions),
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<ConnSpec>, ProfileError> {
        // Connections with the same options as the one before share them
        // (in a profile most do): one comparison each, no copy.
        let mut previous: Option<Arc<ConnOptions>> = None;
        self.connections
            .iter()
            .map(|entry| {
                let mut options = ConnOptions::default();
                let base = path.parent().unwrap_or(Path::new("."));
                apply_from(&self.defaults, base, &mut options);
                apply_from(&entry.overrides(), base, &mut options);
                options.headers = entry.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                options.subprotocols = entry.subprotocols.clone();
                options.origin = entry.origin.clone();
                options.send_on_open = entry.send_on_open.clone();
                options.group = entry.group.clone();
                cli(&mut options);
                let mut templates = options.headers.clone();
                if let Some(Proxy::Via(proxy)) = options.proxy.as_deref() {
                    let credentials = [&proxy.user, &proxy.password].into_iter().flatten();
                    templates.extend(credentials.map(|template| ("proxy".to_string(), template.clone())));
                }
                if let Some(variable) = missing_variables(&templates, &env).first() {
                    return Err(ProfileError::Invalid {
                        path: path.to_path_buf(),
                        message: format!(
                            "connection '{}' needs the environment variable {variable}, which is not set",
                            entry.name
                        ),
                    });
                }
                let options = match previous.take() {
                    Some(shared) if *shared == options => shared,
                    _ => Arc::new(options),
                };
                previous = Some(Arc::clone(&options));
                Ok(ConnSpec { name: entry.name.clone(), url: entry.url.0.clone(), options })
            })
            .collect()
    }

    /// A profile of these connections over `defaults` (a profile's
    /// `[defaults]`, kept as they are): each connection says only what
    /// differs from wsmon's defaults with `defaults` laid over them, so a
    /// save does not copy the defaults into every connection. `base` is the
    /// profile's directory, as for `apply_from`.
    pub fn from_specs_over(specs: &[ConnSpec], defaults: &Settings, base: &Path) -> ProfileFile {
        let mut inherited = ConnOptions::default();
        apply_from(defaults, base, &mut inherited);
        let connections = specs.iter().map(|spec| entry_over(spec, &inherited, base)).collect();
        ProfileFile { defaults: defaults.clone(), waves: Default::default(), connections }
    }
}

/// The entry of `spec`, where it differs from what it `inherited`.
fn entry_over(spec: &ConnSpec, inherited: &ConnOptions, base: &Path) -> ConnectionEntry {
    let options = &spec.options;
    let differs = |own: std::time::Duration, inherited| (own != inherited).then_some(Human(own));
    ConnectionEntry {
        name: spec.name.clone(),
        url: format::WsUrl(spec.url.clone()),
        headers: options.headers.iter().cloned().collect(),
        subprotocols: options.subprotocols.clone(),
        origin: options.origin.clone(),
        send_on_open: options.send_on_open.clone(),
        group: options.group.clone(),
        connect_timeout: differs(options.connect_timeout, inherited.connect_timeout),
        ping_interval: (options.ping_interval != inherited.ping_interval)
            .then(|| Human(options.ping_interval.unwrap_or_default())),
        ping_timeout: differs(options.ping_timeout, inherited.ping_timeout),
        stability_window: differs(options.stability_window, inherited.stability_window),
        expect_message_within: (options.expect_message_within != inherited.expect_message_within)
            .then_some(options.expect_message_within.map(Human))
            .flatten(),
        max_message: (options.max_message_size != inherited.max_message_size)
            .then_some(format::Size(options.max_message_size)),
        reconnect: own_rules(&options.rules.overrides, &inherited.rules.overrides),
        tls: tls_over(&options.tls, &inherited.tls, base),
        proxy: options
            .proxy
            .as_ref()
            .filter(|_| options.proxy != inherited.proxy)
            .map(|proxy| ProxyText(Arc::clone(proxy))),
    }
}

/// A connection's own reconnect rules: those after the ones it inherits
/// (`apply` puts the defaults' first). Rules that do not start with the
/// inherited ones (a connection made from the command line) are all its own.
fn own_rules(rules: &[(Selector, RuleSetting)], inherited: &[(Selector, RuleSetting)]) -> BTreeMap<RuleKey, RuleValue> {
    let own = rules.strip_prefix(inherited).unwrap_or(rules);
    own.iter()
        .map(|(selector, setting)| {
            let key = match *selector {
                Selector::Code(code) => SelectorKey::Code(code),
                Selector::Class(class) => SelectorKey::Class(class),
            };
            (RuleKey(key), RuleValue(*setting))
        })
        .collect()
}

/// The TLS settings that differ from the inherited ones. `apply_from` made
/// the files absolute; one under the profile's directory is written
/// relative to it again, as a person would, so the profiles directory can
/// move with its certificates.
fn tls_over(tls: &TlsOptions, inherited: &TlsOptions, base: &Path) -> Option<TlsSettings> {
    let relative = |file: &Path| file.strip_prefix(base).unwrap_or(file).to_path_buf();
    let ca_file = tls.ca_file.as_deref().filter(|_| tls.ca_file != inherited.ca_file).map(relative);
    let client = tls.client.as_ref().filter(|_| tls.client != inherited.client);
    let cert_file = client.map(|client| relative(&client.cert_file));
    let key_file = client.map(|client| relative(&client.key_file));
    let insecure = (tls.insecure != inherited.insecure).then_some(tls.insecure);
    let settings = TlsSettings { ca_file, cert_file, key_file, insecure };
    (settings != TlsSettings::default()).then_some(settings)
}

#[cfg(test)]
mod tests;
