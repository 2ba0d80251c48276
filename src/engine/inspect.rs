//! Inspecting one connection: while someone looks, its task copies each
//! message it receives (time, kind, size, and the first `KEPT` bytes) to
//! the looker's channel. Nobody looking costs an atomic load per message;
//! the copies are never kept by the engine, so memory per connection does
//! not grow (docs/ARCHITECTURE.md, "Inspecting a connection").

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

use crate::event::Ts;

/// Bytes of a message kept for showing; its size is told whole.
pub const KEPT: usize = 16 * 1024;
/// Messages in flight to the looker; past it, copies are dropped rather
/// than held (a flood must not grow memory or slow the connection).
pub const IN_FLIGHT: usize = 256;

/// A message as the inspector shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub at: Ts,
    pub binary: bool,
    /// The whole message's size in bytes.
    pub size: usize,
    /// Its first `KEPT` bytes.
    pub head: Vec<u8>,
}

impl Seen {
    pub fn new(binary: bool, bytes: &[u8]) -> Seen {
        Seen { at: Ts::now(), binary, size: bytes.len(), head: bytes[..bytes.len().min(KEPT)].to_vec() }
    }
}

/// Where a connection's copies go, if anywhere: shared by the engine
/// (which sets it) and the task (which offers to it).
#[derive(Debug, Default)]
pub struct Tap {
    on: AtomicBool,
    looker: Mutex<Option<mpsc::Sender<Seen>>>,
}

impl Tap {
    pub fn set(&self, looker: Option<mpsc::Sender<Seen>>) {
        let mut slot = self.looker.lock().unwrap_or_else(PoisonError::into_inner);
        self.on.store(looker.is_some(), Ordering::Release);
        *slot = looker;
    }

    /// Copy a received message to the looker, if there is one with room.
    pub fn offer(&self, binary: bool, bytes: &[u8]) {
        if !self.on.load(Ordering::Acquire) {
            return;
        }
        if let Some(looker) = self.looker.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            let _ = looker.try_send(Seen::new(binary, bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every connection carries a tap, inspected or not: it must stay a
    /// few words. The messages are kept only by the one inspector.
    #[test]
    fn a_tap_costs_each_connection_a_few_words() {
        assert!(std::mem::size_of::<Tap>() <= 24, "{} bytes", std::mem::size_of::<Tap>());
    }

    #[test]
    fn copies_go_only_while_someone_looks_and_a_flood_is_dropped_not_held() {
        let tap = Tap::default();
        tap.offer(false, b"unseen");
        let (looker, mut seen) = mpsc::channel(IN_FLIGHT);
        tap.set(Some(looker));
        let big = vec![b'x'; KEPT + 10];
        tap.offer(true, &big);
        let first = seen.try_recv().unwrap();
        assert_eq!((first.binary, first.size, first.head.len()), (true, KEPT + 10, KEPT));
        for _ in 0..IN_FLIGHT * 2 {
            tap.offer(false, b"flood");
        }
        let mut count = 0;
        while seen.try_recv().is_ok() {
            count += 1;
        }
        assert_eq!(count, IN_FLIGHT, "the rest dropped");
        tap.set(None);
        tap.offer(false, b"after");
        assert!(seen.try_recv().is_err(), "nobody looks: nothing sent (and the channel is closed)");
    }
}
