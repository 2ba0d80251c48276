//! The lines of a connection's history, newest first: a failed try that is
//! its latest ending (a 401 after a 1012, a refused TCP) comes first, then
//! its closes. The history view draws them; Enter explains the one under
//! the cursor, a close by its code and a failure by its stage.

use crate::event::{HandshakeFailure, Ts};
use crate::model::{CloseEntry, Connection};

#[derive(Debug, Clone, Copy)]
pub enum Ending<'m> {
    Failure(Ts, &'m HandshakeFailure),
    Close(&'m CloseEntry),
}

/// Newest first. The last failure is cleared when the connection opens, so
/// when there is one it came after every close.
pub fn endings(conn: &Connection) -> impl Iterator<Item = Ending<'_>> {
    let failure = conn.last_failure.as_ref().map(|(at, failure)| Ending::Failure(*at, failure));
    failure.into_iter().chain(conn.history.iter().rev().map(Ending::Close))
}

pub fn count(conn: &Connection) -> usize {
    conn.history.len() + usize::from(conn.last_failure.is_some())
}
