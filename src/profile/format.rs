//! The profile file format: TOML, strict (`deny_unknown_fields`: a typo
//! must not silently vanish), human durations and sizes. Values are checked
//! while parsing, so every error carries the line and column of the value
//! that is wrong.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use crate::close::Class;
use crate::engine::policy::{DelayRange, RuleSetting, Selector};
use crate::engine::proxy::Proxy;
use crate::model::WaveRules;

/// One profile file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub defaults: Settings,
    /// When the session's restart and abrupt waves end.
    #[serde(default, skip_serializing_if = "WaveSettings::is_empty")]
    pub waves: WaveSettings,
    #[serde(default, rename = "connection")]
    pub connections: Vec<ConnectionEntry>,
}

/// The `[waves]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveSettings {
    /// Once all its connections are back, a wave ends after this long
    /// without another close of its kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet: Option<Human>,
    /// A wave that never recovers ends this long after it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<Human>,
}

impl WaveSettings {
    fn is_empty(&self) -> bool {
        *self == WaveSettings::default()
    }

    /// wsmon's rules with these settings laid over them.
    pub fn rules(&self) -> WaveRules {
        let defaults = WaveRules::default();
        let ms =
            |setting: &Option<Human>, default| setting.as_ref().map_or(default, |human| human.0.as_millis() as u64);
        WaveRules { quiet_ms: ms(&self.quiet, defaults.quiet_ms), ceiling_ms: ms(&self.ceiling, defaults.ceiling_ms) }
    }
}

/// Timeouts, ping, size limit and reconnect rules: the `[defaults]` table,
/// and per-connection overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<Human>,
    /// `0s` turns pings off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_interval: Option<Human>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_timeout: Option<Human>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability_window: Option<Human>,
    /// An open connection with no message for this long is silent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_message_within: Option<Human>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message: Option<Size>,
    /// Close code or class → first delay (`"1s..5s"`, `"10s"`) or `"off"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reconnect: BTreeMap<RuleKey, RuleValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSettings>,
    /// Serve metrics on this address (`--metrics`): `[defaults]` only, a
    /// setting of the session rather than of a connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricsAddr>,
    /// `http://[user:password@]host:port`, `socks5://…`, `socks5h://…`
    /// (`${VAR}` for the user or password), or "" for none at all; absent:
    /// the environment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyText>,
}

/// TLS extras: a private CA to trust, a client certificate to present;
/// `insecure` only when asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// A PEM file of CA certificates; relative paths are relative to the profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
    /// A client certificate (PEM), for servers that require one; always
    /// with `key_file`. Relative to the profile, like `ca_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<std::path::PathBuf>,
    /// The client certificate's private key (PEM, not encrypted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<std::path::PathBuf>,
    /// Accept any certificate (shown in red). For test fleets only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
}

impl Settings {
    fn is_empty(&self) -> bool {
        *self == Settings::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionEntry {
    pub name: String,
    pub url: WsUrl,
    /// The service it belongs to, for waves' breakdowns; without it,
    /// connections sharing an endpoint are one service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Values may hold `${ENV_VAR}`: expanded only when connecting.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subprotocols: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub send_on_open: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<Human>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_interval: Option<Human>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_timeout: Option<Human>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability_window: Option<Human>,
    /// An open connection with no message for this long is silent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_message_within: Option<Human>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message: Option<Size>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reconnect: BTreeMap<RuleKey, RuleValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyText>,
}

impl ConnectionEntry {
    /// The overridable part of an entry, as `Settings`.
    pub fn overrides(&self) -> Settings {
        Settings {
            connect_timeout: self.connect_timeout,
            ping_interval: self.ping_interval,
            ping_timeout: self.ping_timeout,
            stability_window: self.stability_window,
            expect_message_within: self.expect_message_within,
            max_message: self.max_message,
            reconnect: self.reconnect.clone(),
            tls: self.tls.clone(),
            metrics: None,
            proxy: self.proxy.clone(),
        }
    }
}

/// A duration written the human way: `500ms`, `15s`, `5m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Human(pub Duration);

impl<'de> Deserialize<'de> for Human {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::format::parse_duration(&text).map(Human).map_err(D::Error::custom)
    }
}

impl Serialize for Human {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

/// A size: `65536`, `64KiB`, `1MiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub usize);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::format::parse_size(&text).map(Size).map_err(D::Error::custom)
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes = self.0;
        let text = match bytes {
            _ if bytes.is_multiple_of(1 << 20) => format!("{}MiB", bytes >> 20),
            _ if bytes.is_multiple_of(1 << 10) => format!("{}KiB", bytes >> 10),
            _ => bytes.to_string(),
        };
        serializer.serialize_str(&text)
    }
}

/// A `ws://` or `wss://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl(pub Url);

impl<'de> Deserialize<'de> for WsUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::engine::spec::parse_ws_url(&text).map(WsUrl).map_err(D::Error::custom)
    }
}

impl Serialize for WsUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

/// The metrics endpoint's address: `127.0.0.1:9464`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsAddr(pub std::net::SocketAddr);

impl<'de> Deserialize<'de> for MetricsAddr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::metrics::parse_addr(&text).map(MetricsAddr).map_err(D::Error::custom)
    }
}

impl Serialize for MetricsAddr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

/// A proxy setting, kept as it was written (`${VAR}` and all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyText(pub Arc<Proxy>);

impl<'de> Deserialize<'de> for ProxyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        // The error shows the password as `***`.
        Proxy::parse(&text).map(|proxy| ProxyText(Arc::new(proxy))).map_err(D::Error::custom)
    }
}

impl Serialize for ProxyText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.text())
    }
}

/// A reconnect rule's key: a close code (`1012`) or a class (`protocol_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleKey(pub SelectorKey);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SelectorKey {
    Code(u16),
    Class(Class),
}

impl RuleKey {
    pub fn selector(self) -> Selector {
        match self.0 {
            SelectorKey::Code(code) => Selector::Code(code),
            SelectorKey::Class(class) => Selector::Class(class),
        }
    }
}

impl fmt::Display for RuleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.selector().fmt(f)
    }
}

impl<'de> Deserialize<'de> for RuleKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if let Ok(code) = text.parse::<u16>() {
            return Ok(RuleKey(SelectorKey::Code(code)));
        }
        Class::from_name(&text).map(|class| RuleKey(SelectorKey::Class(class))).ok_or_else(|| {
            D::Error::custom(format!(
                "'{text}' is neither a close code nor a class; write e.g. 1012 = \"1s..5s\" or protocol_error = \"off\""
            ))
        })
    }
}

impl Serialize for RuleKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

/// A rule's value: `"off"`, a fixed delay `"10s"` or a range `"1s..5s"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleValue(pub RuleSetting);

impl<'de> Deserialize<'de> for RuleValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_rule(&text).map(RuleValue).map_err(D::Error::custom)
    }
}

impl Serialize for RuleValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let millis = |ms: u64| humantime::format_duration(Duration::from_millis(ms)).to_string();
        let text = match self.0 {
            RuleSetting::Off => "off".to_string(),
            RuleSetting::Delay(range) if range.min_ms == range.max_ms => millis(range.min_ms),
            RuleSetting::Delay(range) => format!("{}..{}", millis(range.min_ms), millis(range.max_ms)),
        };
        serializer.serialize_str(&text)
    }
}

pub fn parse_rule(text: &str) -> Result<RuleSetting, String> {
    let explain = |what: String| format!("{what}; write \"off\", a delay like \"10s\" or a range like \"1s..5s\"");
    let text = text.trim();
    if text == "off" {
        return Ok(RuleSetting::Off);
    }
    let millis = |part: &str| {
        crate::format::parse_duration(part)
            .map(|d| d.as_millis() as u64)
            .map_err(|_| explain(format!("'{part}' is not a duration")))
    };
    match text.split_once("..") {
        Some((low, high)) => {
            let (low, high) = (millis(low)?, millis(high)?);
            if low > high {
                return Err(explain(format!("'{text}' starts after it ends")));
            }
            Ok(RuleSetting::Delay(DelayRange::new(low, high)))
        }
        None => Ok(RuleSetting::Delay(DelayRange::fixed(millis(text)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_print_back() {
        assert_eq!(parse_rule("off"), Ok(RuleSetting::Off));
        assert_eq!(parse_rule("10s"), Ok(RuleSetting::Delay(DelayRange::fixed(10_000))));
        assert_eq!(parse_rule("1s..5s"), Ok(RuleSetting::Delay(DelayRange::new(1_000, 5_000))));
        assert!(parse_rule("5s..1s").unwrap_err().contains("starts after it ends"));
        assert!(parse_rule("soon").unwrap_err().contains("'soon' is not a duration"));
        let printed = toml::to_string(&BTreeMap::from([("r", RuleValue(parse_rule("500ms..5s").unwrap()))])).unwrap();
        assert_eq!(printed.trim(), "r = \"500ms..5s\"");
    }
}
