//! Carrying out what the app asked: engine commands, a new connection,
//! saving the set as a profile, writing a report. The TUI touches the
//! engine, profile files and report files here and nowhere else, and
//! tells the app how it went.

use std::path::Path;

use super::app::{App, Effect};
use tokio::sync::mpsc;

use crate::engine::ConnSpec;
use crate::engine::inspect::{IN_FLIGHT, Seen};
use crate::engine::spec::dedupe_names;
use crate::event::ConnId;
use crate::profile::Store;
use crate::session::{Session, write_report};

/// Where the TUI's effects land besides the session.
pub struct Surroundings {
    /// Where `S` saves.
    pub profiles: Store,
    /// Where `R` writes; None: the data directory.
    pub report_to: Option<std::path::PathBuf>,
    /// The inspected connection's copies of its messages, for the loop.
    pub inspected: Option<(ConnId, mpsc::Receiver<Seen>)>,
}

pub fn carry_out(effect: Effect, app: &mut App, session: &mut Session, surroundings: &mut Surroundings) {
    match effect {
        Effect::Inspect(conn) => {
            if let Some((before, _)) = surroundings.inspected.take() {
                session.inspect(before, None);
            }
            if let Some(conn) = conn {
                let (looker, copies) = mpsc::channel(IN_FLIGHT);
                session.inspect(conn, Some(looker));
                surroundings.inspected = Some((conn, copies));
            }
        }
        Effect::Command(id, command) => session.command(id, command),
        Effect::Add(mut spec) => {
            // A name already taken is renamed as `watch` renames it; a removed
            // connection's name stays taken, or its log lines and the new
            // one's would be one connection in a replay.
            let mut names: Vec<String> = session.model().connections().iter().map(|conn| conn.name.clone()).collect();
            names.push(spec.name.clone());
            dedupe_names(&mut names);
            let name = names.pop().expect("the new name");
            let renamed = if name == spec.name { String::new() } else { format!(" ({} is taken)", spec.name) };
            app.say(format!("added {name}{renamed}"), false);
            spec.name = name;
            let insecure = spec.options.tls.insecure;
            app.added(session.add(*spec), insecure);
        }
        Effect::SaveProfile { name, overwrite } => {
            let specs: Vec<ConnSpec> = session.specs().cloned().collect();
            save_profile(app, &surroundings.profiles, &name, &specs, overwrite);
        }
        Effect::WriteReport => {
            let path = surroundings.report_to.as_deref();
            report_now(app, session, path);
        }
    }
}

fn report_now(app: &mut App, session: &Session, path: Option<&Path>) {
    match write_report(&app.label, session.model(), session.now(), path, app.lang) {
        Ok(path) => app.say(format!("report written to {}", path.display()), false),
        Err(error) => app.say(error, true),
    }
}

/// Save `specs` as profile `name`; one that exists is replaced only once
/// the user said so (`overwrite`).
pub fn save_profile(app: &mut App, profiles: &Store, name: &str, specs: &[ConnSpec], overwrite: bool) {
    match profiles.exists(name) {
        Err(error) => app.refuse_profile_name(name, error.to_string()),
        Ok(true) if !overwrite => app.confirm_overwrite(name),
        Ok(_) => match profiles.save_specs(name, specs) {
            Ok(path) => app.saved(name, format!("saved {} connections to {}", specs.len(), path.display())),
            Err(error) => app.say(error.to_string(), true),
        },
    }
}
