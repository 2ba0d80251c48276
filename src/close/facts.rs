//! Everything wsmon decides by close code, in one table: the code's class
//! and short name, the kind of reconnect rule it falls under, whether the
//! server closing with it starts (or joins) a restart wave, whether losing
//! the connection that way counts towards an abrupt wave, and whether the
//! row needs a person's attention. The engine's policy reads the rule kind
//! (it keeps only the delays of each kind), the model reads the waves and
//! attention, and the views and the catalogue read names and classes, so
//! a code cannot be a restart in one place and an "other close" in another.
//! docs/ARCHITECTURE.md ("Adding a close-code rule") says how to change it.

use serde::{Deserialize, Serialize};

use super::{Class, Initiator, Stage};

/// The kinds of reconnect rule: each has default delays in the engine's
/// policy, and a profile may override them by code or class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// 1012 service restart, 1001 going away.
    Restart,
    /// 1013 try again later.
    TryAgainLater,
    /// 1000, 1005, 1011, 1014, 3000–3999.
    Normal,
    /// 1006, refused, DNS, timeouts, HTTP 5xx (a proxy's too), a proxy unreachable.
    Transport,
    /// 1002, 1003, 1007–1010, private and invalid codes, a broken upgrade.
    Protocol,
    /// HTTP 4xx and other refusals (a proxy's 407 too), TLS failures.
    Rejected,
}

impl RuleKind {
    /// Every kind, in the order of the design table.
    pub const ALL: [RuleKind; 6] = [
        RuleKind::Restart,
        RuleKind::TryAgainLater,
        RuleKind::Normal,
        RuleKind::Transport,
        RuleKind::Protocol,
        RuleKind::Rejected,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RuleKind::Restart => "restart",
            RuleKind::TryAgainLater => "try_again_later",
            RuleKind::Normal => "normal",
            RuleKind::Transport => "transport",
            RuleKind::Protocol => "protocol",
            RuleKind::Rejected => "rejected",
        }
    }

    /// Endings under this rule mark the connection as needing attention.
    pub fn needs_attention(self) -> bool {
        matches!(self, RuleKind::Protocol | RuleKind::Rejected)
    }

    /// The rule a failed opening handshake falls under.
    pub fn for_handshake(stage: Stage, http_status: Option<u16>) -> RuleKind {
        match (stage, http_status) {
            (Stage::Dns | Stage::Tcp | Stage::Timeout, _) => RuleKind::Transport,
            (Stage::Tls, _) => RuleKind::Rejected,
            // The proxy could not reach the server, or failed itself (5xx);
            // or it was unreachable, closed, or a SOCKS5 proxy refused (no
            // status to tell): retried like a refused TCP connection.
            (Stage::Proxy, Some(500..=599) | None) => RuleKind::Transport,
            // 407 (credentials), 403 (the proxy's rules) and other refusals.
            (Stage::Proxy, Some(_)) => RuleKind::Rejected,
            (Stage::Http, Some(500..=599)) => RuleKind::Transport,
            // A 101 with a wrong accept key, or no parsable response: a broken server or proxy.
            (Stage::Http, Some(101) | None) => RuleKind::Protocol,
            (Stage::Http, Some(_)) => RuleKind::Rejected,
        }
    }
}

/// The kinds of wave a fleet's closes make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveKind {
    /// The servers said so: 1012 or 1001.
    Restart,
    /// Connections dropped with no close frame, all at once.
    Abrupt,
}

impl WaveKind {
    pub const ALL: [WaveKind; 2] = [WaveKind::Restart, WaveKind::Abrupt];

    pub fn as_str(self) -> &'static str {
        match self {
            WaveKind::Restart => "restart",
            WaveKind::Abrupt => "abrupt",
        }
    }
}

/// What wsmon decides about one close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeFacts {
    pub class: Class,
    /// As the TUI and the readable output show it.
    pub name: &'static str,
    pub rule: RuleKind,
    /// Sent by the server, the close starts or joins a restart wave.
    pub restart: bool,
    /// With no close frame at all, the close counts towards an abrupt wave.
    pub abrupt: bool,
}

impl CodeFacts {
    pub fn needs_attention(self) -> bool {
        self.rule.needs_attention()
    }

    /// Closes that the side panel and the report break down on their own
    /// (protocol errors by cause, restarts by wave); the rest are listed
    /// as "other closes".
    pub fn broken_down(self) -> bool {
        self.restart || self.class == Class::ProtocolError
    }

    /// The wave a close with this code, by `initiator`, belongs to.
    pub fn wave(self, initiator: Initiator) -> Option<WaveKind> {
        match initiator {
            Initiator::Server if self.restart => Some(WaveKind::Restart),
            Initiator::Transport if self.abrupt => Some(WaveKind::Abrupt),
            _ => None,
        }
    }
}

const fn row(class: Class, name: &'static str, rule: RuleKind) -> CodeFacts {
    CodeFacts { class, name, rule, restart: false, abrupt: false }
}

const fn restart(facts: CodeFacts) -> CodeFacts {
    CodeFacts { restart: true, ..facts }
}

const fn abrupt(facts: CodeFacts) -> CodeFacts {
    CodeFacts { abrupt: true, ..facts }
}

/// 1000 to 1015, in order: a lookup on every close, so an array.
const REGISTERED: [CodeFacts; 16] = {
    use Class::*;
    [
        row(Normal, "normal", RuleKind::Normal),
        restart(row(GoingAway, "going away", RuleKind::Restart)),
        row(ProtocolError, "protocol error", RuleKind::Protocol),
        row(UnsupportedData, "unsupported data", RuleKind::Protocol),
        row(Invalid, "reserved", RuleKind::Protocol),
        row(NoStatus, "no status", RuleKind::Normal),
        abrupt(row(Abnormal, "abnormal", RuleKind::Transport)),
        row(InvalidPayload, "invalid payload", RuleKind::Protocol),
        row(PolicyViolation, "policy violation", RuleKind::Protocol),
        row(MessageTooBig, "message too big", RuleKind::Protocol),
        row(MandatoryExtension, "mandatory extension", RuleKind::Protocol),
        row(InternalError, "internal error", RuleKind::Normal),
        restart(row(ServiceRestart, "service restart", RuleKind::Restart)),
        row(TryAgainLater, "try again later", RuleKind::TryAgainLater),
        row(BadGateway, "bad gateway", RuleKind::Normal),
        row(TlsHandshake, "TLS handshake", RuleKind::Rejected),
    ]
};
const REGISTERED_RANGE: CodeFacts = row(Class::Registered, "registered", RuleKind::Normal);
const PRIVATE_RANGE: CodeFacts = row(Class::Private, "private", RuleKind::Protocol);
const INVALID: CodeFacts = row(Class::Invalid, "invalid", RuleKind::Protocol);

/// The facts of `code`. Every code wsmon can report has a row; anything
/// else is `invalid` (a frame carrying it is a protocol error).
pub fn facts(code: u16) -> CodeFacts {
    match code {
        1000..=1015 => REGISTERED[usize::from(code - 1000)],
        3000..=3999 => REGISTERED_RANGE,
        4000..=4999 => PRIVATE_RANGE,
        _ => INVALID,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_closes_make_waves_only_from_the_right_side() {
        for code in [1001, 1012] {
            assert_eq!(facts(code).wave(Initiator::Server), Some(WaveKind::Restart), "{code}");
            assert_eq!(facts(code).wave(Initiator::Client), None, "wsmon's own {code} is no deploy");
        }
        assert_eq!(facts(1006).wave(Initiator::Transport), Some(WaveKind::Abrupt));
        assert_eq!(facts(1006).wave(Initiator::Client), None, "a ping timeout is wsmon's call");
        for code in [1000, 1002, 1011, 1013, 1014, 4000] {
            assert_eq!(facts(code).wave(Initiator::Server), None, "{code}");
        }
    }

    /// 1001 starts a restart wave, so it is not an "other close" either.
    #[test]
    fn what_makes_a_wave_or_a_cause_is_broken_down_on_its_own() {
        let broken_down: Vec<u16> = (1000..=1015).filter(|code| facts(*code).broken_down()).collect();
        assert_eq!(broken_down, [1001, 1002, 1012]);
    }

    #[test]
    fn attention_follows_the_rule_kind() {
        let attention: Vec<u16> = (999..=1016).filter(|code| facts(*code).needs_attention()).collect();
        assert_eq!(attention, [999, 1002, 1003, 1004, 1007, 1008, 1009, 1010, 1015, 1016]);
        assert!(facts(4001).needs_attention() && !facts(3001).needs_attention());
    }

    #[test]
    fn handshake_failures_fall_under_transport_protocol_or_rejected() {
        let cases = [
            (Stage::Tcp, None, RuleKind::Transport),
            (Stage::Http, Some(503), RuleKind::Transport),
            (Stage::Http, Some(101), RuleKind::Protocol),
            (Stage::Http, Some(401), RuleKind::Rejected),
            (Stage::Tls, None, RuleKind::Rejected),
            (Stage::Proxy, None, RuleKind::Transport),
            (Stage::Proxy, Some(502), RuleKind::Transport),
            (Stage::Proxy, Some(407), RuleKind::Rejected),
            (Stage::Proxy, Some(403), RuleKind::Rejected),
        ];
        for (stage, status, kind) in cases {
            assert_eq!(RuleKind::for_handshake(stage, status), kind, "{stage:?} {status:?}");
        }
    }
}
