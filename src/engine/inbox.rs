//! A connection's command inbox. Commands are rare (a key press), and there
//! is one inbox per connection, so instead of a tokio channel (about 1.3 KiB
//! each: a 32-slot block and cache-padded state) this is a queue behind a
//! mutex and a `Notify`: about 100 bytes. The inspector's tap rides in the
//! same allocation: the engine sets it, the task offers to it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Notify, mpsc};

use super::Command;
use super::inspect::{Seen, Tap};

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Command>>,
    notify: Notify,
    /// The sender is gone: no more commands will come.
    closed: AtomicBool,
    tap: Tap,
}

/// The engine's end.
pub struct Sender(Arc<Shared>);

/// The connection task's end.
pub struct Inbox(Arc<Shared>);

pub fn inbox() -> (Sender, Inbox) {
    let shared = Arc::new(Shared::default());
    (Sender(Arc::clone(&shared)), Inbox(shared))
}

impl Sender {
    /// Copy the connection's messages to `looker` from now on (None: stop).
    pub fn inspect(&self, looker: Option<mpsc::Sender<Seen>>) {
        self.0.tap.set(looker);
    }

    pub fn send(&self, command: Command) {
        self.0.queue.lock().unwrap_or_else(PoisonError::into_inner).push_back(command);
        // Stores a permit when the task is not waiting, so nothing is missed.
        self.0.notify.notify_one();
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.notify.notify_one();
    }
}

impl Inbox {
    /// Where received messages are offered, for an inspector.
    pub fn tap(&self) -> &Tap {
        &self.0.tap
    }

    /// The next command; None once the sender is gone and all were taken.
    pub async fn recv(&mut self) -> Option<Command> {
        loop {
            if let Some(command) = self.0.queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front() {
                return Some(command);
            }
            if self.0.closed.load(Ordering::Acquire) {
                return None;
            }
            self.0.notify.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_arrive_in_order_then_none_once_the_sender_is_gone() {
        let (sender, mut inbox) = inbox();
        sender.send(Command::Pause);
        sender.send(Command::Resume);
        let waiting = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(command) = inbox.recv().await {
                got.push(command);
            }
            got
        });
        sender.send(Command::ReconnectNow);
        drop(sender);
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await.unwrap().unwrap();
        assert_eq!(got, [Command::Pause, Command::Resume, Command::ReconnectNow]);
    }
}
