//! `wsmon profile ...`, and choosing what to watch from a profile and the
//! command line.

use std::process::ExitCode;

use anyhow::Context;

use super::{BadInput, ConnectionArgs, ProfileAction};
use crate::engine::spec::{dedupe_names, default_name};
use crate::engine::tls;
use crate::engine::{ConnOptions, ConnSpec};
use crate::model::WaveRules;
use crate::profile::{ProfileError, Store};
use crate::text::escape;

pub(super) fn profile_command(action: ProfileAction) -> anyhow::Result<ExitCode> {
    let store = Store::open()?;
    match action {
        ProfileAction::List => {
            let listed = store.list()?;
            if listed.is_empty() {
                crate::say!("No profiles in {} yet (wsmon profile save NAME URL...).", store.dir().display());
            }
            for profile in listed {
                let connections = match profile.connections {
                    Ok(count) => format!("{count} connections"),
                    Err(_) => "does not load (wsmon profile show says why)".into(),
                };
                // File names are anyone's text: one line each, escaped.
                let (name, path) = (escape(&profile.name), escape(&profile.path.display().to_string()).into_owned());
                crate::say!("{name:<20} {connections:<44} {path}");
            }
        }
        ProfileAction::Show { name } => {
            let (path, _) = store.load(&name)?;
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            crate::say!("# {}\n{text}", path.display());
        }
        ProfileAction::Save { name, targets, connection } => {
            let specs = select(None, &targets, &connection)?.specs;
            let existed = store.exists(&name)?;
            let path = store.save_specs(&name, &specs)?;
            let kept = if existed { " (previous version kept as .bak)" } else { "" };
            crate::say!("saved {} connections to {}{kept}", specs.len(), path.display());
        }
        ProfileAction::Rm { name } => {
            let backup = store.remove(&name)?;
            crate::say!("removed {name}; its last version is {}", backup.display());
        }
        ProfileAction::Path => crate::say!("{}", store.dir().display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// What to watch: a profile's connections (with the flags laid over them)
/// and the URLs of the command line, every name unique.
pub(super) struct Selection {
    pub specs: Vec<ConnSpec>,
    /// The profile's name, or "ad hoc".
    pub label: String,
    /// Options for connections added later (TUI `a`).
    pub defaults: ConnOptions,
    /// When waves end (a profile's `[waves]`).
    pub waves: WaveRules,
    /// Where to serve metrics (a profile's `metrics`).
    pub metrics: Option<std::net::SocketAddr>,
}

pub(super) fn select(
    profile: Option<&str>,
    targets: &[(Option<String>, url::Url)],
    flags: &ConnectionArgs,
) -> anyhow::Result<Selection> {
    // Client certificates are loaded here, once per distinct pair, so a bad
    // one stops the start (exit 2) instead of failing every handshake.
    let client = flags.client_cert()?;
    if let Some(client) = &client {
        tls::identity(client).map_err(BadInput)?;
    }
    let mut defaults = ConnOptions::default();
    let mut specs = Vec::new();
    let mut label = crate::tui::app::AD_HOC.to_string();
    let mut waves = WaveRules::default();
    let mut metrics = None;
    if let Some(name) = profile {
        let store = Store::open()?;
        let (path, file) = store.load(name)?;
        specs = file.specs(&path, |options| flags.apply(options))?;
        crate::profile::apply_from(&file.defaults, path.parent().unwrap_or(std::path::Path::new(".")), &mut defaults);
        // --cert and --key replace the profile's own (checked above).
        let named = specs.iter().map(|spec| (format!("connection '{}'", spec.name), spec.options.as_ref()));
        for (which, options) in named.chain([("[defaults]".to_string(), &defaults)]) {
            if let (None, Some(own)) = (&client, &options.tls.client) {
                tls::identity(own).map_err(|error| ProfileError::Invalid {
                    path: path.clone(),
                    message: format!("{which}: {error}"),
                })?;
            }
        }
        label = name.to_string();
        waves = file.waves.rules();
        metrics = file.defaults.metrics.map(|addr| addr.0);
    }
    flags.apply(&mut defaults);
    specs.extend(ad_hoc_specs(targets, &defaults));
    let mut names: Vec<String> = specs.iter().map(|spec| spec.name.clone()).collect();
    dedupe_names(&mut names);
    for (spec, name) in specs.iter_mut().zip(names) {
        spec.name = name;
    }
    Ok(Selection { specs, label, defaults, waves, metrics })
}

/// Connection specs from command-line targets.
fn ad_hoc_specs(targets: &[(Option<String>, url::Url)], options: &ConnOptions) -> Vec<ConnSpec> {
    let options = std::sync::Arc::new(options.clone());
    targets
        .iter()
        .map(|(name, url)| ConnSpec {
            name: name.clone().unwrap_or_else(|| default_name(url)),
            url: url.clone(),
            options: std::sync::Arc::clone(&options),
        })
        .collect()
}
