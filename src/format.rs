//! Human formatting of durations and times, shared by every view.

use chrono::Local;

use crate::event::Ts;
use crate::model::{Percentiles, WaveSummary};

/// A compact duration: `250ms`, `1.5s`, `42s`, `5m02s`, `3h07m`, `2d04h`.
pub fn duration_ms(ms: u64) -> String {
    const SECOND: u64 = 1_000;
    const MINUTE: u64 = 60 * SECOND;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    match ms {
        0..SECOND => format!("{ms}ms"),
        SECOND..10_000 if !ms.is_multiple_of(SECOND) => format!("{}.{}s", ms / SECOND, (ms % SECOND) / 100),
        SECOND..MINUTE => format!("{}s", ms / SECOND),
        MINUTE..HOUR if ms % MINUTE < SECOND => format!("{}m", ms / MINUTE),
        MINUTE..HOUR => format!("{}m{:02}s", ms / MINUTE, (ms % MINUTE) / SECOND),
        HOUR..DAY => format!("{}h{:02}m", ms / HOUR, (ms % HOUR) / MINUTE),
        _ => format!("{}d{:02}h", ms / DAY, (ms % DAY) / HOUR),
    }
}

/// A duration that may not exist yet: `-` then.
pub fn maybe_ms(ms: Option<u64>) -> String {
    ms.map_or("-".into(), duration_ms)
}

/// `p50 1.3s p95 4.1s max 4.8s`.
pub fn percentiles(figures: &Percentiles) -> String {
    let Percentiles { p50_ms, p95_ms, max_ms, .. } = *figures;
    format!("p50 {} p95 {} max {}", maybe_ms(p50_ms), maybe_ms(p95_ms), maybe_ms(max_ms))
}

/// A wave per service: `api 8/8 back p95 3.1s · chat 8/8 back p95 2.0s ·
/// feed 7/8`. Names are escaped.
pub fn wave_services(wave: &WaveSummary) -> String {
    let group = |group: &crate::model::GroupSummary| {
        let name = crate::text::escape(&group.name);
        match (group.still_down, group.recovery.p95_ms) {
            (0, Some(p95)) => format!("{name} {}/{} back p95 {}", group.back, group.hit, duration_ms(p95)),
            _ => format!("{name} {}/{}", group.back, group.hit),
        }
    };
    wave.groups.iter().map(group).collect::<Vec<_>>().join(" · ")
}

/// What went wrong besides: `close 1006 ×8 (chat-1, chat-2, …) ·
/// handshake tcp ×3 (feed-2)`. Names are escaped.
pub fn wave_problems(wave: &WaveSummary) -> String {
    let problem = |problem: &crate::model::ProblemSummary| {
        let names: Vec<String> = problem.conns.iter().map(|name| crate::text::escape(name).into_owned()).collect();
        let more = if (names.len() as u64) < problem.count { ", …" } else { "" };
        format!("{} ×{} ({}{more})", problem.what, problem.count, names.join(", "))
    };
    wave.problems.iter().map(problem).collect::<Vec<_>>().join(" · ")
}

/// A time for file names, UTC, sorting as it reads: `2026-11-24T18-40-02Z`.
pub fn file_stamp(at: Ts) -> String {
    at.to_datetime().format("%Y-%m-%dT%H-%M-%SZ").to_string()
}

/// Wall-clock time of day with milliseconds, in the local zone.
pub fn clock_ms(at: Ts) -> String {
    clock(at, false, true)
}

/// Time of day, in UTC or the local zone, with or without milliseconds.
pub fn clock(at: Ts, utc: bool, with_millis: bool) -> String {
    let format = if with_millis { "%H:%M:%S%.3f" } else { "%H:%M:%S" };
    let at = at.to_datetime();
    if utc { at.format(format).to_string() } else { at.with_timezone(&Local).format(format).to_string() }
}

/// Parse a human duration (`500ms`, `15s`, `5m`) for the command line and
/// profiles; the error says what was wrong and what is accepted.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|error| format!("'{text}' is not a duration ({error}); write it like 500ms, 15s or 5m"))
}

/// Parse a size (`65536`, `64KiB`, `1MiB`); the error says how to write one.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => 0,
    };
    number
        .parse::<usize>()
        .ok()
        .filter(|_| multiplier > 0)
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|size| *size > 0)
        .ok_or_else(|| format!("'{text}' is not a size; write it like 65536, 64KiB or 1MiB"))
}

/// A byte count for people: `512 B`, `3.4 KiB`, `12.0 MiB`.
pub fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..0x10_0000 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0)),
    }
}

/// A round trip: "0.4ms", "23ms" (a tenth of a millisecond matters on a
/// LAN only).
pub fn rtt(ms: f64) -> String {
    if ms < 10.0 { format!("{ms:.1}ms") } else { format!("{ms:.0}ms") }
}

/// "3 via http://u:***@proxy:3128, 1 via socks5h://…": connections per proxy.
pub fn proxies_text(proxies: &std::collections::BTreeMap<String, u32>) -> String {
    let each: Vec<_> =
        proxies.iter().map(|(proxy, count)| format!("{count} via {}", crate::text::escape(proxy))).collect();
    each.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_in_binary_units() {
        assert_eq!([size(512), size(3_500), size(12 << 20)], ["512 B", "3.4 KiB", "12.0 MiB"]);
    }

    #[test]
    fn sizes_parse_or_explain() {
        assert_eq!(parse_size("65536"), Ok(65_536));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("2 mb"), Ok(2 << 20));
        for bad in ["", "0", "lots", "5 parsecs", "-1"] {
            assert!(parse_size(bad).unwrap_err().contains("1MiB"), "{bad}");
        }
    }

    #[test]
    fn durations_read_like_a_person_writes_them() {
        let cases = [
            (0, "0ms"),
            (250, "250ms"),
            (1_000, "1s"),
            (1_500, "1.5s"),
            (9_999, "9.9s"),
            (10_400, "10s"),
            (42_000, "42s"),
            (60_000, "1m"),
            (302_000, "5m02s"),
            (3_600_000, "1h00m"),
            (11_220_000, "3h07m"),
            (187_200_000, "2d04h"),
        ];
        for (ms, text) in cases {
            assert_eq!(duration_ms(ms), text, "{ms}");
        }
    }

    #[test]
    fn durations_parse_or_explain() {
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert_eq!(parse_duration("15s").unwrap().as_secs(), 15);
        assert_eq!(parse_duration(" 5m ").unwrap().as_secs(), 300);
        let error = parse_duration("fast").unwrap_err();
        assert!(error.contains("'fast'") && error.contains("15s"), "{error}");
    }
}
