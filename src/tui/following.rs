//! What the screen says of a followed stream (`wsmon replay -`, `replay
//! --follow FILE`): the header's title and a word on the status line when
//! the stream ends. The session keeps where the stream stands
//! (`session::StreamStatus`); this only words it.

use crate::format::duration_ms;
use crate::session::clock::LEAD;
use crate::session::{Phase, StreamStatus};

/// The header's title: what is followed, and how it stands.
pub fn title(status: &StreamStatus) -> String {
    let origin = &status.origin;
    let named = status.label.as_ref().map_or(String::new(), |label| format!(" ({label})"));
    match &status.phase {
        Phase::Waiting => format!("following {origin} · waiting for its first event"),
        Phase::Running => format!("following {origin}{named}"),
        Phase::Held => {
            let lead = duration_ms(LEAD.as_millis() as u64);
            format!("following {origin}{named} · no event for {lead}: the clock waits for the stream")
        }
        Phase::Finished => format!("{origin}{named}: the session ended"),
        Phase::Closed(None) => format!("{origin}{named}: the stream ended"),
        Phase::Closed(Some(_)) => format!("{origin}{named}: stopped following"),
    }
}

/// What to say once when the stream moves from `before` to `now`: its end.
/// (A failure is said by the session, with why.)
pub fn news(before: &Phase, now: &StreamStatus) -> Option<String> {
    let origin = &now.origin;
    match (&now.phase, before) {
        (Phase::Closed(None), Phase::Closed(None)) | (Phase::Finished, Phase::Finished) => None,
        (Phase::Closed(None), _) => Some(format!("{origin}: the stream ended; this is its final state (q quits)")),
        (Phase::Finished, _) => Some(format!("{origin}: the session ended (its summary line); still following")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(phase: Phase, label: Option<&str>) -> StreamStatus {
        StreamStatus { origin: "stdin".into(), phase, label: label.map(String::from) }
    }

    #[test]
    fn the_title_says_what_is_followed_and_how_it_stands() {
        assert_eq!(title(&status(Phase::Waiting, None)), "following stdin · waiting for its first event");
        assert_eq!(title(&status(Phase::Running, Some("prod"))), "following stdin (prod)");
        assert!(title(&status(Phase::Held, None)).ends_with("no event for 1m: the clock waits for the stream"));
        assert_eq!(title(&status(Phase::Closed(None), None)), "stdin: the stream ended");
        assert_eq!(title(&status(Phase::Closed(Some("x".into())), None)), "stdin: stopped following");
    }

    #[test]
    fn the_end_is_said_once() {
        let ended = status(Phase::Closed(None), None);
        assert!(news(&Phase::Running, &ended).unwrap().contains("the stream ended; this is its final state"));
        assert_eq!(news(&Phase::Closed(None), &ended), None);
        assert_eq!(news(&Phase::Waiting, &status(Phase::Running, None)), None);
        assert!(news(&Phase::Running, &status(Phase::Finished, None)).unwrap().contains("summary line"));
    }
}
