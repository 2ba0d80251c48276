//! Secrets a server echoes back. A header written `Bearer ${TOKEN}` goes on
//! the wire expanded; a server may send the value back in a 401 body or a
//! close reason. Before such text leaves the engine (to the model, the
//! screen, session logs, stdout), every value of a variable the
//! connection's headers expand is replaced by its `${NAME}`.

use std::borrow::Cow;

use super::spec::{ConnSpec, variables};
use crate::event::EventKind;

/// The expanded values of one connection's variables, longest first (so a
/// value that contains another is replaced whole).
pub struct Secrets {
    known: Vec<(String, String)>,
}

impl Secrets {
    pub fn of(spec: &ConnSpec) -> Secrets {
        Secrets::with(spec, |name| std::env::var(name).ok())
    }

    fn with(spec: &ConnSpec, lookup: impl Fn(&str) -> Option<String>) -> Secrets {
        let mut known: Vec<(String, String)> = spec
            .options
            .headers
            .iter()
            .flat_map(|(_, value)| variables(value))
            .filter_map(|name| Some((lookup(name).filter(|value| !value.is_empty())?, format!("${{{name}}}"))))
            .collect();
        known.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        known.dedup();
        Secrets { known }
    }

    pub fn hide<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for (value, name) in &self.known {
            if text.contains(value.as_str()) {
                text = Cow::Owned(text.replace(value.as_str(), name));
            }
        }
        text
    }

    fn hide_in_place(&self, text: &mut String) {
        if let Cow::Owned(hidden) = self.hide(text) {
            *text = hidden;
        }
    }
}

/// Hide the connection's secrets in the server-supplied text an event
/// carries (close reasons and details, handshake failures, the
/// subprotocol). Costs nothing for events without such text or
/// connections without variables.
pub fn hide_in_event(spec: &ConnSpec, kind: &mut EventKind) {
    let texts: Vec<&mut String> = match kind {
        EventKind::Closed(record) => [Some(&mut record.reason), record.detail.as_mut()].into_iter().flatten().collect(),
        EventKind::HandshakeFailed(failure) => vec![&mut failure.detail],
        EventKind::Open { subprotocol: Some(subprotocol), .. } => vec![subprotocol],
        _ => return,
    };
    if !spec.options.headers.iter().any(|(_, value)| variables(value).next().is_some()) {
        return;
    }
    let secrets = Secrets::of(spec);
    for text in texts {
        secrets.hide_in_place(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ConnOptions;

    fn spec(headers: &[(&str, &str)]) -> ConnSpec {
        let headers = headers.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        ConnSpec {
            name: "a".into(),
            url: url::Url::parse("ws://127.0.0.1:1/").unwrap(),
            options: ConnOptions { headers, ..ConnOptions::default() },
        }
    }

    #[test]
    fn every_expanded_value_is_replaced_by_its_name() {
        let spec = spec(&[("authorization", "Bearer ${TOKEN}"), ("x-team", "${TEAM}-${TOKEN_2}"), ("x", "plain")]);
        let env = |name: &str| match name {
            "TOKEN" => Some("s3cr3t".to_string()),
            "TOKEN_2" => Some("s3cr3t-longer".to_string()),
            "TEAM" => Some(String::new()),
            _ => None,
        };
        let secrets = Secrets::with(&spec, env);
        assert_eq!(
            secrets.hide("401: token s3cr3t-longer and s3cr3t rejected; plain"),
            "401: token ${TOKEN_2} and ${TOKEN} rejected; plain"
        );
        assert!(matches!(secrets.hide("nothing to hide"), Cow::Borrowed(_)));
    }
}
