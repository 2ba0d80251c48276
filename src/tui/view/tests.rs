//! Whole screens drawn into ratatui's `TestBackend` through the real update
//! path (events applied, keys pressed), with a fixed clock, snapshotted
//! with insta. insta ignores colour, so colours are asserted on the buffer.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use crate::close::{Cause, Class, Initiator, Stage};
use crate::engine::ConnOptions;
use crate::event::{CloseRecord, ConnId, Event, EventKind, HandshakeFailure, Ts};
use crate::lang::Lang;
use crate::model::Model;
use crate::session::Output;
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// 2026-11-18T11:06:40Z, a fixed "now" for every screen.
const T0: i64 = 1_795_000_000_000;

/// The app and the model, as the session keeps them.
struct Screen {
    app: App,
    model: Model,
    now: Ts,
}

impl Screen {
    fn new() -> Screen {
        let mut app = App::new("prod", ConnOptions::default(), Theme { color: true });
        app.utc = true;
        Screen { app, model: Model::default(), now: Ts(T0) }
    }

    fn event(&mut self, offset_ms: i64, conn: u32, kind: EventKind) -> &mut Screen {
        let event = Event { at: Ts(T0 + offset_ms), conn: ConnId(conn), kind };
        self.model.apply(&event);
        self.app.on_events(&self.model, &[event]).unwrap();
        self
    }

    fn add(&mut self, conn: u32, name: &str) -> &mut Screen {
        // api-1 and api-2 are one service: one endpoint.
        let service = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        let url = format!("wss://{service}.example.com/feed");
        self.event(-600_000, conn, EventKind::Added { name: name.into(), url, group: None, proxy: None })
    }

    fn open(&mut self, offset_ms: i64, conn: u32) -> &mut Screen {
        self.event(offset_ms, conn, EventKind::Open { handshake_ms: 12, subprotocol: None, via: None })
    }

    fn close(
        &mut self,
        offset_ms: i64,
        conn: u32,
        code: u16,
        reason: &str,
        initiator: Initiator,
        cause: Option<Cause>,
    ) -> &mut Screen {
        let record = CloseRecord {
            code,
            reason: reason.into(),
            initiator,
            class: Class::of_code(code),
            cause,
            detail: None,
            connected_ms: 302_000,
        };
        self.event(offset_ms, conn, EventKind::Closed(record))
    }

    fn wait(&mut self, offset_ms: i64, conn: u32, delay_ms: u64) -> &mut Screen {
        let rule = "restart".to_string();
        self.event(offset_ms, conn, EventKind::ReconnectScheduled { delay_ms, attempt: 1, rule, attention: None })
    }

    fn key(&mut self, code: KeyCode) -> &mut Screen {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE), &self.model);
        self
    }

    fn draw(&mut self, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        // As the loop does: rows up to date, then the frame, then what it learned.
        self.app.refresh(&self.model);
        let mut drawn = Default::default();
        terminal.draw(|frame| drawn = super::draw(frame, &self.app, &self.model, self.now)).unwrap();
        self.app.laid_out(drawn);
        terminal
    }
}

/// A fleet mid-deploy: open, waiting and attention rows, a populated panel.
fn fleet() -> Screen {
    let mut screen = Screen::new();
    for (conn, name) in ["api-1", "api-2", "api-3", "chat-1", "feed-1"].into_iter().enumerate() {
        screen.add(conn as u32, name).open(-500_000, conn as u32);
    }
    screen
        .event(-400_000, 0, EventKind::Rtt { rtt_ms: 0.4 })
        .close(-20_000, 0, 1012, "restart", Initiator::Server, None)
        .wait(-20_000, 0, 2_100)
        .open(-17_800, 0)
        .close(-19_000, 1, 1012, "restart", Initiator::Server, None)
        .wait(-19_000, 1, 4_000)
        .event(-15_000, 1, EventKind::Connecting { attempt: 1 })
        .event(
            -14_990,
            1,
            EventKind::HandshakeFailed(HandshakeFailure {
                stage: Stage::Tcp,
                http_status: None,
                detail: "connection refused".into(),
            }),
        )
        .wait(-14_990, 1, 17_300)
        .close(-9_000, 2, 1002, "", Initiator::Client, Some(Cause::MaskedFrame))
        .wait(-9_000, 2, 10_000)
        .close(-5_000, 3, 1006, "", Initiator::Transport, None)
        .wait(-5_000, 3, 8_200)
        .event(-1_000, 4, EventKind::Rtt { rtt_ms: 23.6 });
    screen
}

#[test]
fn no_connections() {
    let mut screen = Screen::new();
    insta::assert_snapshot!(screen.draw(120, 30).backend());
}

#[test]
fn a_fleet_mid_deploy_with_the_side_panel() {
    let mut screen = fleet();
    let terminal = screen.draw(140, 34);
    insta::assert_snapshot!(terminal.backend());

    // Colours insta cannot see: open is green, the 1002 row red.
    let buffer = terminal.backend().buffer();
    let find = |text: &str| {
        let area = buffer.area;
        (area.top()..area.bottom())
            .flat_map(|y| (area.left()..area.right()).map(move |x| (x, y)))
            .find(|&(x, y)| {
                let row: String = (x..area.right()).map(|x| buffer[(x, y)].symbol()).collect();
                row.starts_with(text)
            })
            .unwrap_or_else(|| panic!("{text} not on screen"))
    };
    assert_eq!(buffer[find("● open")].fg, Color::Green);
    assert_eq!(buffer[find("✖ attention")].fg, Color::Red);
    assert_eq!(buffer[find("◌ waiting")].fg, Color::Yellow);
}

#[test]
fn the_history_of_a_connection_with_several_closes() {
    let mut screen = Screen::new();
    screen.add(0, "api-1").open(-900_000, 0);
    let closes = [(-600_000, 1012, "restart"), (-300_000, 1001, "shutting down"), (-60_000, 1011, "db gone")];
    for (offset, code, reason) in closes {
        screen.close(offset, 0, code, reason, Initiator::Server, None).wait(offset, 0, 2_500).open(offset + 2_600, 0);
    }
    screen.close(-3_000, 0, 1013, "overloaded", Initiator::Server, None).wait(-3_000, 0, 7_000);
    screen.key(KeyCode::Enter).key(KeyCode::Down);
    insta::assert_snapshot!(screen.draw(120, 30).backend());

    screen.key(KeyCode::Enter);
    insta::assert_snapshot!("explain_the_selected_close", screen.draw(120, 30).backend());
}

/// `--lang ja` at 80×24: the 1002 explained in Japanese, wrapped by
/// display width inside the popup, with the policy line from the policy.
#[test]
fn explain_a_protocol_error_in_japanese_at_80_by_24() {
    let mut screen = fleet();
    screen.app.lang = Lang::Ja;
    screen.draw(80, 24);
    screen.key(KeyCode::Down).key(KeyCode::Down).key(KeyCode::Enter).key(KeyCode::Enter);
    let terminal = screen.draw(80, 24);
    insta::assert_snapshot!(terminal.backend());
    let text = terminal.backend().to_string();
    for words in
        ["1002 プロトコルエラー", "説明", "このコードが表示される場合", "解決方法", "wsmon の動作", "Esc で閉じる"]
    {
        assert!(text.contains(words), "{words} not on screen: {text}");
    }
    assert!(text.contains("初回は 10s 後に再接続します。"), "the policy's own words: {text}");
}

/// A refused upgrade explained in Japanese (`failures.rs`).
#[test]
fn explain_a_refused_upgrade_in_japanese_at_80_by_24() {
    let mut screen = Screen::new();
    screen.app.lang = Lang::Ja;
    let refused =
        HandshakeFailure { stage: Stage::Http, http_status: Some(401), detail: "HTTP 401 Unauthorized".into() };
    screen.add(0, "billing").event(-3_000, 0, EventKind::HandshakeFailed(refused));
    screen.draw(80, 24);
    screen.key(KeyCode::Enter).key(KeyCode::Enter);
    let terminal = screen.draw(80, 24);
    insta::assert_snapshot!(terminal.backend());
    let text = terminal.backend().to_string();
    assert!(text.contains(" HTTP 401 ") && text.contains("認証情報がない"), "{text}");
    assert!(text.contains("初回は 30s 後") && text.contains("要対応"), "{text}");
}

#[test]
fn the_help_overlay_lists_every_key() {
    let mut screen = fleet();
    screen.key(KeyCode::Char('?'));
    let terminal = screen.draw(120, 34);
    insta::assert_snapshot!(terminal.backend());
    let text = terminal.backend().to_string();
    for binding in crate::tui::keys::BINDINGS {
        assert!(text.contains(binding.help), "help lacks {:?}", binding.help);
    }
}

#[test]
fn eighty_by_twenty_four_folds_the_side_panel_behind_tab() {
    let mut screen = fleet();
    insta::assert_snapshot!(screen.draw(80, 24).backend());
    screen.key(KeyCode::Tab).key(KeyCode::Tab);
    let text = screen.draw(80, 24).backend().to_string();
    assert!(text.contains("Protocol errors (1002)"), "Tab to the panel shows it: {text}");
}

#[test]
fn a_close_reason_with_escape_sequences_is_shown_escaped() {
    let mut screen = Screen::new();
    screen.add(0, "evil\u{1b}[31m").open(-60_000, 0);
    screen.close(-1_000, 0, 4000, "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}1m\u{202e}", Initiator::Server, None);
    let terminal = screen.draw(120, 24);
    insta::assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    assert!(buffer.content().iter().all(|cell| !cell.symbol().chars().any(crate::text::is_hostile)));
}

#[test]
fn a_one_by_one_terminal_does_not_panic() {
    fleet().draw(1, 1);
    fleet().key(KeyCode::Char('?')).draw(3, 2);
}

#[test]
fn the_filter_keeps_matching_rows() {
    let mut screen = fleet();
    screen.key(KeyCode::Char('/'));
    for c in "attention".chars() {
        screen.key(KeyCode::Char(c));
    }
    screen.key(KeyCode::Enter);
    let text = screen.draw(140, 34).backend().to_string();
    let rows: Vec<&str> =
        screen.app.rows.order().iter().map(|id| screen.model.connection(*id).unwrap().name.as_str()).collect();
    assert_eq!(rows, ["api-3"], "{text}");
    assert!(!text.contains("chat-1"), "{text}");
}

#[test]
fn no_color_draws_no_colour() {
    let mut screen = fleet();
    screen.app.theme = Theme { color: false };
    let terminal = screen.draw(140, 34);
    let coloured =
        terminal.backend().buffer().content().iter().any(|cell| cell.fg != Color::Reset || cell.bg != Color::Reset);
    assert!(!coloured, "NO_COLOR: symbols and emphasis only");
}

/// 1001 from the server starts a restart wave, so the panel counts it with
/// the restarts (it was listed under "Other closes").
#[test]
fn a_going_away_from_the_server_is_counted_with_the_restarts() {
    let mut screen = Screen::new();
    screen.add(0, "api-1").open(-60_000, 0).add(1, "api-2").open(-60_000, 1);
    screen.close(-2_000, 0, 1001, "shutting down", Initiator::Server, None).wait(-2_000, 0, 3_000);
    screen.close(-1_000, 1, 1013, "busy", Initiator::Server, None).wait(-1_000, 1, 6_000);
    let text = screen.draw(140, 34).backend().to_string();
    assert!(text.contains("Service restarts (1012, 1001) 1"), "{text}");
    assert!(text.contains("Other closes 1") && text.contains(" 1013 try again later "), "{text}");
    assert!(text.contains("wave 1 · in progress"), "{text}");
}

#[test]
fn a_terminal_too_small_to_draw_says_so() {
    let text = fleet().draw(30, 8).backend().to_string();
    assert!(text.contains("terminal too small (30×8)") && text.contains("40×12"), "{text}");
}

/// A failed handshake is the row's last ending: "HTTP 401", not the close
/// before it, nor nothing.
#[test]
fn a_refused_upgrade_shows_its_status_in_the_row() {
    let mut screen = Screen::new();
    screen.add(0, "billing").event(
        -3_000,
        0,
        EventKind::HandshakeFailed(HandshakeFailure {
            stage: Stage::Http,
            http_status: Some(401),
            detail: "HTTP 401 Unauthorized".into(),
        }),
    );
    screen.wait(-3_000, 0, 30_000);
    let text = screen.draw(140, 34).backend().to_string();
    let row = text.lines().find(|line| line.contains("billing")).unwrap();
    assert!(row.contains("✖ attention") && row.contains("HTTP 401 · 3s"), "{row}");
}

/// Tab to the side panel, down to a wave, Enter: the table shows who is
/// still down from it; Esc shows everyone again.
#[test]
fn enter_on_a_side_panel_line_filters_the_table_to_what_it_counts() {
    let mut screen = fleet();
    screen.key(KeyCode::Tab).key(KeyCode::Tab);
    screen.draw(140, 34);
    let wave = screen
        .app
        .drawn
        .panel_targets
        .iter()
        .position(|target| target.is_some_and(|t| matches!(t, crate::tui::target::Target::WaveDown(1))))
        .unwrap();
    for _ in 0..wave {
        screen.key(KeyCode::Down);
    }
    screen.key(KeyCode::Enter);
    let text = screen.draw(140, 34).backend().to_string();
    let rows: Vec<&str> =
        screen.app.rows.order().iter().map(|id| screen.model.connection(*id).unwrap().name.as_str()).collect();
    assert_eq!(rows, ["api-2"], "{text}");
    assert!(text.contains("still down from wave 1"), "the title says what is shown: {text}");
    screen.key(KeyCode::Esc);
    screen.draw(140, 34);
    assert_eq!(screen.app.rows.order().len(), 5, "Esc shows every connection again");
}

/// The panel at 80×24 is behind Tab, in the bottom pane, and scrolls to
/// keep its cursor in view.
#[test]
fn the_side_panel_scrolls_to_its_cursor() {
    let mut screen = fleet();
    screen.key(KeyCode::Tab).key(KeyCode::Tab);
    screen.draw(80, 24);
    let lines = screen.app.drawn.panel_targets.len();
    for _ in 0..lines {
        screen.key(KeyCode::Down);
    }
    let text = screen.draw(80, 24).backend().to_string();
    assert!(screen.app.drawn.panel_offset > 0, "scrolled: {text}");
    assert!(text.contains("Handshake failures") || text.contains("tcp"), "the last lines in view: {text}");
}

/// `v`: one row per service, with its counts and how its last wave went.
#[test]
fn v_shows_one_row_per_service() {
    let mut screen = fleet();
    screen.key(KeyCode::Char('v'));
    let text = screen.draw(140, 34).backend().to_string();
    let row = |name: &str| {
        let line = text.lines().find(|line| line.contains(&format!("│{name} "))).unwrap_or_else(|| panic!("{text}"));
        let cells = line.split('│').nth(1).unwrap();
        cells.split_whitespace().skip(1).collect::<Vec<_>>().join(" ")
    };
    assert!(
        row("api").starts_with("3 1 1 1 wave 1: 1/2 back p95 2.2s"),
        "conns, open, waiting, attention: {}",
        row("api")
    );
    assert!(row("chat").starts_with("1 0 1 0 -"), "{}", row("chat"));
    screen.key(KeyCode::Char('v'));
    assert!(screen.draw(140, 34).backend().to_string().contains("Connections (5)"), "v again: the connections");
}

/// An endpoint that never opened (401): Enter on it, Enter in its history,
/// and the failure is explained like a close code, with wsmon's policy.
#[test]
fn a_refused_upgrade_is_explained_like_a_close_code() {
    let mut screen = Screen::new();
    let refused =
        HandshakeFailure { stage: Stage::Http, http_status: Some(401), detail: "HTTP 401 Unauthorized".into() };
    screen.add(0, "billing").event(-3_000, 0, EventKind::HandshakeFailed(refused));
    screen.draw(120, 34); // the first frame selects the first row
    screen.key(KeyCode::Enter).key(KeyCode::Enter);
    let text = screen.draw(120, 34).backend().to_string();
    assert!(text.contains(" HTTP 401 ") && text.contains("credentials are missing"), "{text}");
    assert!(
        text.contains("first try after 30s") && text.contains("needing attention"),
        "the policy's own words: {text}"
    );
    screen.key(KeyCode::Esc);
    assert!(!screen.draw(120, 34).backend().to_string().contains("credentials are missing"), "Esc closes it");
}

/// A connection through a proxy says so in its history's title; one that
/// the proxy refuses (407) is counted at the `proxy` stage of the side
/// panel and explained, with the policy's words.
#[test]
fn a_connection_through_a_proxy_says_so_and_a_proxy_refusal_is_explained() {
    let mut screen = Screen::new();
    let proxy = Some("http://ops:***@proxy.corp:3128".to_string());
    let url = "wss://billing.example.com/feed".to_string();
    screen.event(-600_000, 0, EventKind::Added { name: "billing".into(), url, group: None, proxy });
    let detail = "proxy http://ops:***@proxy.corp:3128 CONNECT to billing.example.com:443: HTTP 407 Proxy Authentication Required";
    let refused = HandshakeFailure { stage: Stage::Proxy, http_status: Some(407), detail: detail.into() };
    screen.event(-3_000, 0, EventKind::HandshakeFailed(refused));
    screen.draw(140, 34); // the first frame selects the first row
    let text = screen.draw(140, 34).backend().to_string();
    assert!(text.contains("wss://billing.example.com/feed via http://ops:***@proxy.corp:3128"), "{text}");
    assert!(text.contains("││ proxy "), "the side panel's stage: {text}");
    assert!(text.contains("proxy 407"), "the history's line: {text}");
    screen.key(KeyCode::Enter).key(KeyCode::Enter);
    let text = screen.draw(140, 34).backend().to_string();
    assert!(text.contains("proxy HTTP 407") && text.contains("credentials are missing or wrong"), "{text}");
    assert!(text.contains("first try after 30s"), "the policy's own words: {text}");
}

/// api-2 closed with 1012 and its reconnect was refused: the refusal is
/// the newest line of its history, and Enter on it explains the failure,
/// not the close before it. Down once more: the 1012.
#[test]
fn a_failure_after_a_close_is_the_newest_line_of_the_history_and_explained() {
    let mut screen = fleet();
    screen.draw(140, 34);
    screen.key(KeyCode::Down).key(KeyCode::Enter);
    let text = screen.draw(140, 34).backend().to_string();
    let history: Vec<&str> = text.lines().skip_while(|line| !line.contains("close history")).collect();
    let failure = history.iter().position(|line| line.contains("tcp failed")).expect(&text);
    let close = history.iter().position(|line| line.contains("1012")).expect(&text);
    assert!(failure < close, "the failure comes first: {text}");
    screen.key(KeyCode::Enter);
    let text = screen.draw(140, 34).backend().to_string();
    assert!(text.contains("No TCP connection"), "the tcp failure explained: {text}");
    screen.key(KeyCode::Esc).key(KeyCode::Down).key(KeyCode::Enter);
    let text = screen.draw(140, 34).backend().to_string();
    assert!(text.contains("1012") && !text.contains("No TCP connection"), "then the close: {text}");
}

/// The side panel names who fails at each handshake stage, and Enter on
/// the stage shows them.
#[test]
fn the_side_panel_names_the_connections_failing_at_a_stage() {
    let mut screen = fleet();
    let text = screen.draw(140, 34).backend().to_string();
    let stage = text.lines().position(|line| line.contains("││ tcp ")).expect(&text);
    assert!(text.lines().nth(stage + 1).unwrap().contains("api-2×1"), "{text}");
    screen.key(KeyCode::Tab).key(KeyCode::Tab);
    screen.draw(140, 34);
    let at = screen
        .app
        .drawn
        .panel_targets
        .iter()
        .position(|target| matches!(target, Some(crate::tui::target::Target::Stage(Stage::Tcp))))
        .unwrap();
    for _ in 0..at {
        screen.key(KeyCode::Down);
    }
    screen.key(KeyCode::Enter);
    screen.draw(140, 34);
    let rows: Vec<&str> =
        screen.app.rows.order().iter().map(|id| screen.model.connection(*id).unwrap().name.as_str()).collect();
    assert_eq!(rows, ["api-2"]);
}

/// In the services view j/k choose a service and Enter shows its
/// connections; Esc shows all again.
#[test]
fn enter_on_a_service_shows_its_connections() {
    let mut screen = fleet();
    screen.key(KeyCode::Char('v'));
    screen.draw(140, 34);
    assert_eq!(screen.app.drawn.services.len(), 3, "api, chat, feed");
    screen.key(KeyCode::Char('j')).key(KeyCode::Enter);
    let text = screen.draw(140, 34).backend().to_string();
    let rows: Vec<&str> =
        screen.app.rows.order().iter().map(|id| screen.model.connection(*id).unwrap().name.as_str()).collect();
    assert_eq!(rows, ["chat-1"], "{text}");
    assert!(text.contains("service chat"), "the title says what is shown: {text}");
    screen.key(KeyCode::Esc);
    screen.draw(140, 34);
    assert_eq!(screen.app.rows.order().len(), 5);
}

/// More services than rows on screen: the view scrolls to its cursor, so
/// the last one can be reached and chosen.
#[test]
fn the_services_view_scrolls_to_its_cursor() {
    let mut screen = Screen::new();
    for conn in 0..40u32 {
        screen.add(conn, &format!("svc{conn:02}x-1")).open(-10_000, conn);
    }
    screen.key(KeyCode::Char('v'));
    screen.draw(100, 24);
    let services = screen.app.drawn.services.len();
    assert_eq!(services, 40);
    screen.key(KeyCode::End);
    let text = screen.draw(100, 24).backend().to_string();
    assert!(screen.app.drawn.services_offset > 0 && text.contains("svc39x"), "{text}");
    assert!(!text.contains("│svc00x "), "scrolled past the first: {text}");
    screen.key(KeyCode::Enter);
    screen.draw(100, 24);
    let rows: Vec<&str> =
        screen.app.rows.order().iter().map(|id| screen.model.connection(*id).unwrap().name.as_str()).collect();
    assert_eq!(rows, ["svc39x-1"]);
}

/// Messages in per second and the age of the last message: columns where
/// the table has room, and the selected connection's in the history title
/// at any width; a feed that stopped reports shows 0/s.
#[test]
fn traffic_shows_as_columns_when_wide_and_in_the_history_title() {
    use crate::event::Traffic;
    let mut screen = Screen::new();
    let traffic = |msgs_in| EventKind::Traffic(Traffic { msgs_in, bytes_in: msgs_in * 10, msgs_out: 0, bytes_out: 0 });
    screen.add(0, "feed").open(-60_000, 0).event(-3_000, 0, traffic(10)).event(-1_000, 0, traffic(24));
    screen.add(1, "quiet").open(-60_000, 1).event(-30_000, 1, traffic(5));
    let text = screen.draw(200, 30).backend().to_string();
    let row = |name: &str| text.lines().find(|line| line.contains(&format!("│{name} "))).unwrap().to_string();
    assert!(text.contains("IN/S") && text.contains("LAST MSG"), "{text}");
    assert!(row("feed").contains("12/s") && row("feed").contains(" 1s "), "24 messages over 2 s: {}", row("feed"));
    assert!(row("quiet").contains("0/s") && row("quiet").contains("30s"), "{}", row("quiet"));
    let narrow = screen.draw(100, 30).backend().to_string();
    assert!(!narrow.contains("IN/S"), "no room: {narrow}");
    assert!(narrow.contains("feed · wss://feed.example.com/feed · in 12/s, last message 1s ago"), "{narrow}");
}

/// `i` on the selected connection starts inspecting it (the loop is asked
/// to tap it); its messages show newest first, JSON pretty-printed; `m`
/// sends one; Esc stops inspecting.
#[test]
fn i_inspects_the_selected_connections_live_messages() {
    use crate::engine::inspect::Seen;
    use crate::tui::app::Effect;
    let mut screen = fleet();
    screen.draw(140, 34);
    let press = |screen: &mut Screen, code| screen.app.on_key(KeyEvent::new(code, KeyModifiers::NONE), &screen.model);
    let effects = press(&mut screen, KeyCode::Char('i'));
    assert!(matches!(effects[..], [Effect::Inspect(Some(ConnId(0)))]), "{effects:?}");
    let text = screen.draw(140, 34).backend().to_string();
    assert!(text.contains("Inspect api-1") && text.contains("Waiting for a message"), "{text}");
    for (n, body) in [r#"{"price":41}"#, r#"{"price":42,"tags":["a"]}"#].into_iter().enumerate() {
        screen.app.on_seen(Seen {
            at: Ts(1_795_000_000_000 + n as i64),
            binary: false,
            size: body.len(),
            head: body.into(),
        });
    }
    let text = screen.draw(140, 34).backend().to_string();
    let newest = text.find("\"price\": 42").expect(&text);
    assert!(newest < text.find("\"price\": 41").unwrap(), "newest first: {text}");
    assert!(text.contains("\"tags\": [") && text.contains("2 received"), "{text}");
    press(&mut screen, KeyCode::Char('m'));
    for c in "hi".chars() {
        press(&mut screen, KeyCode::Char(c));
    }
    let effects = press(&mut screen, KeyCode::Enter);
    assert!(
        matches!(&effects[..], [Effect::Command(ConnId(0), crate::engine::Command::SendText(text))] if text == "hi"),
        "{effects:?}"
    );
    assert!(screen.draw(140, 34).backend().to_string().contains("Inspect api-1"), "still inspecting after sending");
    let effects = press(&mut screen, KeyCode::Esc);
    assert!(matches!(effects[..], [Effect::Inspect(None)]), "{effects:?}");
    assert!(!screen.draw(140, 34).backend().to_string().contains("Inspect api-1"));
}

/// A replay connects nothing: its footer does not offer what it refuses.
#[test]
fn a_replay_s_footer_offers_only_what_works_there() {
    let footer = |screen: &mut Screen| {
        let terminal = screen.draw(140, 24);
        let buffer = terminal.backend().buffer();
        (0..buffer.area.width).map(|x| buffer[(x, buffer.area.height - 1)].symbol().to_string()).collect::<String>()
    };
    let mut live = fleet();
    let shown = footer(&mut live);
    assert!(shown.contains("r reconnect") && shown.contains("a add") && shown.contains("i inspect"), "{shown}");
    let mut replay = fleet();
    replay.app =
        std::mem::replace(&mut replay.app, App::new("", ConnOptions::default(), Theme { color: true })).replaying();
    let shown = footer(&mut replay);
    assert!(shown.contains("Enter explain") && shown.contains("/ filter"), "{shown}");
    for refused in ["reconnect", "add", "inspect", "pause", "remove", "save"] {
        assert!(!shown.contains(refused), "a replay offers {refused}: {shown}");
    }
}
