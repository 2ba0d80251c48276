//! `watch`'s readable output: one line per event (time, connection, what
//! happened) and the summary for a person at the end. Text from the
//! network is escaped.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::Output;
use crate::event::{Event, EventKind, Ts};
use crate::format::{clock_ms, duration_ms, percentiles, proxies_text, rtt, size, wave_problems, wave_services};
use crate::model::{Model, Summary, WaveSummary};
use crate::text::escape;

pub struct TextLines<W: Write> {
    out: W,
    /// Waves whose end has been told.
    told: BTreeSet<u32>,
}

impl<W: Write> TextLines<W> {
    pub fn new(out: W) -> TextLines<W> {
        TextLines { out, told: BTreeSet::new() }
    }
}

impl<W: Write> Output for TextLines<W> {
    fn on_events(&mut self, model: &Model, events: &[Event]) -> io::Result<()> {
        for event in events {
            let (Some(conn), Some(text)) = (model.connection(event.conn), describe(&event.kind)) else { continue };
            writeln!(self.out, "{} {} {text}", clock_ms(event.at), escape(&conn.name))?;
        }
        self.out.flush()
    }

    /// A wave that ended gets a line of its own, with its services: a
    /// deploy gate's log reads "wave 2 ended" without waiting for the end.
    fn on_tick(&mut self, model: &Model, now: Ts) -> io::Result<()> {
        let mut told_any = false;
        for wave in model.waves().recent() {
            let Some(ended) = wave.ended(now).filter(|_| !self.told.contains(&wave.number)) else { continue };
            self.told.insert(wave.number);
            let summary = WaveSummary::of(wave, model, now);
            writeln!(self.out, "{} {}", clock_ms(ended), wave_line(&summary))?;
            told_any = true;
        }
        // Waves the model no longer keeps cannot end again.
        let oldest = model.waves().recent().next().map_or(0, |wave| wave.number);
        self.told.retain(|number| *number >= oldest);
        if told_any { self.out.flush() } else { Ok(()) }
    }

    fn on_end(&mut self, _: &Model, summary: &Summary, _: Ts) -> io::Result<()> {
        write!(self.out, "{}", summary_text(summary))?;
        self.out.flush()
    }
}

/// "wave 2 (restart) ended after 8.2s: 24/24 back, recovery p50 … · api
/// 8/8 back p95 3.1s · … · problems: close 1006 ×8 (chat-1, …)".
fn wave_line(wave: &WaveSummary) -> String {
    let mut line = format!(
        "wave {} ({}) ended after {}: {}/{} back, recovery {}",
        wave.number,
        wave.kind.as_str(),
        wave.duration_ms.map_or("-".into(), duration_ms),
        wave.back,
        wave.hit,
        percentiles(&wave.recovery)
    );
    if wave.silent > 0 {
        line.push_str(&format!(" ({} back but silent)", wave.silent));
    }
    if wave.groups.len() > 1 {
        line.push_str(&format!(" · {}", wave_services(wave)));
    }
    if !wave.problems.is_empty() {
        line.push_str(&format!(" · problems: {}", wave_problems(wave)));
    }
    if !wave.stragglers.is_empty() {
        let names: Vec<_> = wave.stragglers.iter().map(|name| escape(name).into_owned()).collect();
        line.push_str(&format!(" · not back: {}", names.join(", ")));
    }
    line
}

/// One event in words; None for events the readable output leaves out.
pub fn describe(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::Added { .. } => return None,
        EventKind::Connecting { attempt } => format!("connecting (attempt {attempt})"),
        EventKind::Open { handshake_ms, subprotocol, via } => {
            let mut text = format!("open in {}", duration_ms(*handshake_ms));
            if let Some(via) = via {
                text.push_str(&format!(" via {} (tunnel {})", escape(&via.proxy), duration_ms(via.tunnel_ms)));
            }
            if let Some(protocol) = subprotocol {
                text.push_str(&format!(" (subprotocol {})", escape(protocol)));
            }
            text
        }
        EventKind::Closed(record) => {
            let mut text = format!(
                "closed {} {} by {}",
                record.code,
                crate::close::short_name(record.code),
                record.initiator.as_str()
            );
            if !record.reason.is_empty() {
                text.push_str(&format!(" \"{}\"", escape(&record.reason)));
            }
            if let Some(cause) = record.cause {
                text.push_str(&format!(" [{}]", cause.as_str()));
            }
            if let Some(detail) = &record.detail {
                text.push_str(&format!(": {}", escape(detail)));
            }
            text.push_str(&format!(" after {} open", duration_ms(record.connected_ms)));
            text
        }
        EventKind::HandshakeFailed(failure) => {
            format!("handshake failed at {}: {}", failure.stage.as_str(), escape(&failure.detail))
        }
        EventKind::ReconnectScheduled { delay_ms, attempt, rule, .. } => {
            format!("reconnect in {} (attempt {attempt}, rule {rule})", duration_ms(*delay_ms))
        }
        EventKind::ReconnectOff { rule } => format!("stays closed until asked (rule {rule} is off)"),
        EventKind::Paused => "paused".into(),
        EventKind::Resumed => "resumed".into(),
        EventKind::Removed => "removed".into(),
        // A line per ping or per second per connection is noise in a deploy
        // gate's log: the summary has the totals.
        EventKind::Rtt { .. } | EventKind::RttSummary(_) | EventKind::Traffic(_) => return None,
        EventKind::Silent { silent_ms } => format!("silent: no message for {}", duration_ms(*silent_ms)),
        EventKind::SilenceEnded { silent_ms } => {
            format!("a message again after {} of silence", duration_ms(*silent_ms))
        }
    })
}

/// The summary for a person.
pub fn summary_text(summary: &Summary) -> String {
    let counts = |map: &std::collections::BTreeMap<String, u64>| {
        map.iter().map(|(key, count)| format!("{key} ×{count}")).collect::<Vec<_>>().join(", ")
    };
    let shard = summary.shard.as_ref().map(|shard| format!(" (shard {shard})")).unwrap_or_default();
    let mut out = format!(
        "\nSummary over {}{shard}: {} connections, {} open at the end\n",
        duration_ms(summary.duration_ms),
        summary.connections,
        summary.open_at_end
    );
    out.push_str(&format!("  closes: {}  {}\n", summary.closes, counts(&summary.by_code)));
    out.push_str(&format!("  by class: {}\n", counts(&summary.by_class)));
    if summary.handshake_failures > 0 {
        out.push_str(&format!("  handshake failures: {}  {}\n", summary.handshake_failures, counts(&summary.by_stage)));
    }
    for error in &summary.protocol_errors {
        out.push_str(&format!(
            "  protocol error {} ×{} on {}\n",
            error.cause.as_str(),
            error.count,
            escape(&error.conn)
        ));
    }
    out.push_str(&format!("  restart waves: {}\n", summary.waves_total));
    for wave in &summary.waves {
        let span = match wave.duration_ms {
            Some(ms) => format!("over {}", duration_ms(ms)),
            None => "in progress".into(),
        };
        out.push_str(&format!(
            "    wave {} ({}, {span}): {} hit · {} back{} · {} still down · recovery {} · {} other problems\n",
            wave.number,
            wave.kind.as_str(),
            wave.hit,
            wave.back,
            if wave.silent > 0 { format!(" ({} silent)", wave.silent) } else { String::new() },
            wave.still_down,
            percentiles(&wave.recovery),
            wave.other_problems
        ));
        if wave.groups.len() > 1 {
            out.push_str(&format!("      {}\n", wave_services(wave)));
        }
        if !wave.problems.is_empty() {
            out.push_str(&format!("      problems: {}\n", wave_problems(wave)));
        }
        if !wave.stragglers.is_empty() && !wave.in_progress {
            let names: Vec<_> = wave.stragglers.iter().map(|name| escape(name).into_owned()).collect();
            out.push_str(&format!("      not back: {}\n", names.join(", ")));
        }
    }
    if summary.recovery.count > 0 {
        out.push_str(&format!("  recovery after any close: {}\n", percentiles(&summary.recovery)));
    }
    let traffic = &summary.traffic;
    if !traffic.is_empty() {
        out.push_str(&format!(
            "  traffic: {} messages in ({}), {} out ({})\n",
            traffic.msgs_in,
            size(traffic.bytes_in),
            traffic.msgs_out,
            size(traffic.bytes_out)
        ));
    }
    if let Some(figures) = &summary.rtt {
        out.push_str(&format!(
            "  rtt: min {} · mean {} · max {} over {} pings\n",
            rtt(figures.min_ms),
            rtt(figures.mean_ms),
            rtt(figures.max_ms),
            figures.pings
        ));
    }
    if !summary.silent_at_end.is_empty() {
        let names: Vec<_> = summary.silent_at_end.iter().map(|name| escape(name).into_owned()).collect();
        out.push_str(&format!("  silent at the end (open, no message): {}\n", names.join(", ")));
    }
    if !summary.proxies.is_empty() {
        out.push_str(&format!("  through proxies: {}\n", proxies_text(&summary.proxies)));
    }
    if !summary.down_at_end.is_empty() {
        let names: Vec<_> = summary.down_at_end.iter().map(|name| escape(name).into_owned()).collect();
        out.push_str(&format!("  down at the end: {}\n", names.join(", ")));
    }
    for tripped in &summary.tripped {
        let why: Vec<_> = tripped.why.iter().map(|why| escape(why).into_owned()).collect();
        out.push_str(&format!("  gate --{} tripped: {}\n", tripped.gate.replace('_', "-"), why.join("; ")));
    }
    out
}
