//! Totals of every ending, kept forever: by code, class, cause, handshake
//! stage, and the protocol errors by cause and the failed handshakes by stage
//! per connection. O(log n) per event.

use std::collections::BTreeMap;

use crate::close::{Cause, Class, Stage};
use crate::event::{CloseRecord, ConnId, HandshakeFailure, RttSamples, Traffic};

#[derive(Debug, Clone, Default)]
pub struct Breakdown {
    pub closes: u64,
    pub handshake_failures: u64,
    pub by_code: BTreeMap<u16, u64>,
    pub by_class: [u64; Class::ALL.len()],
    pub by_cause: [u64; Cause::ALL.len()],
    pub by_stage: [u64; Stage::ALL.len()],
    /// Protocol errors per cause, per connection: the 1002 panel.
    pub protocol_errors: BTreeMap<(Cause, ConnId), u64>,
    /// Failed handshakes per stage, per connection: who fails where.
    pub failing: BTreeMap<(Stage, ConnId), u64>,
    /// Messages and bytes, every connection, the whole session.
    pub traffic: Traffic,
    /// Every RTT sample, every connection, the whole session.
    pub rtt: RttSamples,
}

impl Breakdown {
    pub fn count_close(&mut self, conn: ConnId, record: &CloseRecord) {
        self.closes += 1;
        *self.by_code.entry(record.code).or_default() += 1;
        self.by_class[record.class.index()] += 1;
        if let Some(cause) = record.cause {
            self.by_cause[cause.index()] += 1;
            *self.protocol_errors.entry((cause, conn)).or_default() += 1;
        }
    }

    pub fn count_failure(&mut self, conn: ConnId, failure: &HandshakeFailure) {
        self.handshake_failures += 1;
        self.by_class[Class::Handshake.index()] += 1;
        self.by_stage[failure.stage.index()] += 1;
        *self.failing.entry((failure.stage, conn)).or_default() += 1;
    }

    pub fn class_count(&self, class: Class) -> u64 {
        self.by_class[class.index()]
    }
}
