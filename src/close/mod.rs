//! The vocabulary of a close: who ended a connection, which class its code
//! belongs to, and (for protocol errors) which RFC 6455 rule was broken.
//!
//! These names are part of the public JSON contract (`watch --json`), so
//! they are spelled once here, in snake_case, and nowhere else.
//! What wsmon decides by code is in `facts`, one table. Imports nothing
//! from the engine, the model or a view.

mod facts;

pub use facts::{CodeFacts, RuleKind, WaveKind, facts};

use serde::{Deserialize, Serialize};

/// Who ended the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    /// The server's close frame arrived first.
    Server,
    /// wsmon closed: user action, protocol violation, ping timeout.
    Client,
    /// No close frame at all: reset, EOF.
    Transport,
}

impl Initiator {
    pub fn as_str(self) -> &'static str {
        match self {
            Initiator::Server => "server",
            Initiator::Client => "client",
            Initiator::Transport => "transport",
        }
    }
}

/// The close code's name in snake_case, plus `handshake` for connections
/// that never opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Normal,
    GoingAway,
    ProtocolError,
    UnsupportedData,
    NoStatus,
    Abnormal,
    InvalidPayload,
    PolicyViolation,
    MessageTooBig,
    MandatoryExtension,
    InternalError,
    ServiceRestart,
    TryAgainLater,
    BadGateway,
    TlsHandshake,
    Registered,
    Private,
    Invalid,
    Handshake,
}

impl Class {
    pub const ALL: [Class; 19] = [
        Class::Normal,
        Class::GoingAway,
        Class::ProtocolError,
        Class::UnsupportedData,
        Class::NoStatus,
        Class::Abnormal,
        Class::InvalidPayload,
        Class::PolicyViolation,
        Class::MessageTooBig,
        Class::MandatoryExtension,
        Class::InternalError,
        Class::ServiceRestart,
        Class::TryAgainLater,
        Class::BadGateway,
        Class::TlsHandshake,
        Class::Registered,
        Class::Private,
        Class::Invalid,
        Class::Handshake,
    ];

    /// The class a close code belongs to.
    pub fn of_code(code: u16) -> Class {
        facts(code).class
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Normal => "normal",
            Class::GoingAway => "going_away",
            Class::ProtocolError => "protocol_error",
            Class::UnsupportedData => "unsupported_data",
            Class::NoStatus => "no_status",
            Class::Abnormal => "abnormal",
            Class::InvalidPayload => "invalid_payload",
            Class::PolicyViolation => "policy_violation",
            Class::MessageTooBig => "message_too_big",
            Class::MandatoryExtension => "mandatory_extension",
            Class::InternalError => "internal_error",
            Class::ServiceRestart => "service_restart",
            Class::TryAgainLater => "try_again_later",
            Class::BadGateway => "bad_gateway",
            Class::TlsHandshake => "tls_handshake",
            Class::Registered => "registered",
            Class::Private => "private",
            Class::Invalid => "invalid",
            Class::Handshake => "handshake",
        }
    }

    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|class| class.as_str() == name)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Which RFC 6455 rule a protocol error broke. Only for `protocol_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    MaskedFrame,
    ReservedBits,
    ReservedOpcode,
    FragmentedControlFrame,
    ControlFrameTooBig,
    UnexpectedContinuation,
    ExpectedContinuation,
    InvalidCloseFrame,
    InvalidCloseCode,
    PeerReported,
    Other,
}

impl Cause {
    pub const ALL: [Cause; 11] = [
        Cause::MaskedFrame,
        Cause::ReservedBits,
        Cause::ReservedOpcode,
        Cause::FragmentedControlFrame,
        Cause::ControlFrameTooBig,
        Cause::UnexpectedContinuation,
        Cause::ExpectedContinuation,
        Cause::InvalidCloseFrame,
        Cause::InvalidCloseCode,
        Cause::PeerReported,
        Cause::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::MaskedFrame => "masked_frame",
            Cause::ReservedBits => "reserved_bits",
            Cause::ReservedOpcode => "reserved_opcode",
            Cause::FragmentedControlFrame => "fragmented_control_frame",
            Cause::ControlFrameTooBig => "control_frame_too_big",
            Cause::UnexpectedContinuation => "unexpected_continuation",
            Cause::ExpectedContinuation => "expected_continuation",
            Cause::InvalidCloseFrame => "invalid_close_frame",
            Cause::InvalidCloseCode => "invalid_close_code",
            Cause::PeerReported => "peer_reported",
            Cause::Other => "other",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The stage of the opening handshake that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Dns,
    Tcp,
    /// The proxy: unreachable, refusing the tunnel, or answering garbage.
    Proxy,
    Tls,
    Http,
    Timeout,
}

impl Stage {
    pub const ALL: [Stage; 6] = [Stage::Dns, Stage::Tcp, Stage::Proxy, Stage::Tls, Stage::Http, Stage::Timeout];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Dns => "dns",
            Stage::Tcp => "tcp",
            Stage::Proxy => "proxy",
            Stage::Tls => "tls",
            Stage::Http => "http",
            Stage::Timeout => "timeout",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Whether an endpoint may put this code in a close frame (RFC 6455 §7.4).
/// 1005, 1006 and 1015 are reserved for reporting, 1004 and 1016–2999 are
/// unassigned, and anything outside 1000–4999 is not a close code at all.
pub fn may_be_sent(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The code's short human name, as the TUI and the readable output show it.
pub fn short_name(code: u16) -> &'static str {
    facts(code).name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_round_trip_and_match_serde() {
        for class in Class::ALL {
            assert_eq!(Class::from_name(class.as_str()), Some(class));
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()));
        }
        assert_eq!(Class::from_name("nonsense"), None);
    }

    #[test]
    fn cause_and_stage_names_match_serde() {
        for cause in Cause::ALL {
            assert_eq!(serde_json::to_string(&cause).unwrap(), format!("\"{}\"", cause.as_str()));
        }
        for stage in Stage::ALL {
            assert_eq!(serde_json::to_string(&stage).unwrap(), format!("\"{}\"", stage.as_str()));
        }
    }

    #[test]
    fn indexes_are_dense_for_array_counters() {
        for (i, class) in Class::ALL.into_iter().enumerate() {
            assert_eq!(class.index(), i);
        }
        for (i, cause) in Cause::ALL.into_iter().enumerate() {
            assert_eq!(cause.index(), i);
        }
        for (i, stage) in Stage::ALL.into_iter().enumerate() {
            assert_eq!(stage.index(), i);
        }
    }

    #[test]
    fn classes_of_codes() {
        let cases = [
            (1000, Class::Normal),
            (1001, Class::GoingAway),
            (1002, Class::ProtocolError),
            (1004, Class::Invalid),
            (1005, Class::NoStatus),
            (1006, Class::Abnormal),
            (1012, Class::ServiceRestart),
            (1014, Class::BadGateway),
            (1015, Class::TlsHandshake),
            (1016, Class::Invalid),
            (2999, Class::Invalid),
            (3000, Class::Registered),
            (3999, Class::Registered),
            (4000, Class::Private),
            (4999, Class::Private),
            (5000, Class::Invalid),
            (999, Class::Invalid),
        ];
        for (code, class) in cases {
            assert_eq!(Class::of_code(code), class, "code {code}");
        }
    }

    #[test]
    fn codes_that_may_be_sent() {
        for code in [1000, 1001, 1002, 1003, 1007, 1011, 1012, 1013, 1014, 3000, 4999] {
            assert!(may_be_sent(code), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            assert!(!may_be_sent(code), "{code}");
        }
    }
}
