//! The app driven as the loop drives it: events applied to a model and
//! handed to the app, keys pressed, effects looked at (or carried out,
//! for saving a profile).

use ratatui::crossterm::event::KeyModifiers;

use super::*;
use crate::close::{Cause, Class, Initiator};
use crate::event::{CloseRecord, EventKind};
use crate::profile::Store;
use crate::tui::effects::save_profile;

/// An app and the model it reads, as the session keeps them.
struct Ui {
    app: App,
    model: Model,
}

impl Ui {
    fn with(names: &[&str]) -> Ui {
        let mut ui =
            Ui { app: App::new("test", ConnOptions::default(), Theme { color: false }), model: Model::default() };
        for (i, name) in names.iter().enumerate() {
            let kind = EventKind::Added {
                name: name.to_string(),
                url: format!("ws://127.0.0.1:{}/", 9000 + i),
                group: None,
                proxy: None,
            };
            ui.apply(0, i as u32, kind);
            ui.apply(1, i as u32, EventKind::Open { handshake_ms: 1, subprotocol: None, via: None });
        }
        ui.refresh();
        ui
    }

    fn apply(&mut self, ms: i64, conn: u32, kind: EventKind) {
        let event = Event { at: Ts(ms), conn: ConnId(conn), kind };
        self.model.apply(&event);
        self.app.on_events(&self.model, &[event]).unwrap();
    }

    fn close(&mut self, ms: i64, conn: u32, code: u16, cause: Option<Cause>) {
        let record = CloseRecord {
            code,
            reason: String::new(),
            initiator: if cause.is_some() { Initiator::Client } else { Initiator::Server },
            class: Class::of_code(code),
            cause,
            detail: None,
            connected_ms: 5,
        };
        self.apply(ms, conn, EventKind::Closed(record));
    }

    fn refresh(&mut self) {
        self.app.refresh(&self.model);
    }

    fn press(&mut self, code: KeyCode) -> Vec<Effect> {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE), &self.model)
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }
}

#[test]
fn add_starts_a_connection_or_explains_a_bad_url() {
    let mut ui = Ui::with(&[]);
    ui.press(KeyCode::Char('a'));
    ui.type_text("http://x");
    assert!(ui.press(KeyCode::Enter).is_empty());
    let status = ui.app.status.clone().unwrap();
    assert!(status.error && status.text.contains("did you mean ws://x"), "{status:?}");
    assert!(matches!(ui.app.overlay, Some(Overlay::Prompt(PromptKind::Add, _))), "the prompt stays open to fix it");

    for _ in 0.."http://x".len() {
        ui.press(KeyCode::Backspace);
    }
    ui.type_text("feed=ws://127.0.0.1:9/");
    let effects = ui.press(KeyCode::Enter);
    let [Effect::Add(spec)] = effects.as_slice() else { panic!("one add: {effects:?}") };
    assert_eq!((spec.name.as_str(), spec.url.as_str()), ("feed", "ws://127.0.0.1:9/"));
    assert_eq!(ui.app.overlay, None);
}

#[test]
fn remove_asks_first_and_pause_toggles() {
    let mut ui = Ui::with(&["a", "b"]);
    ui.press(KeyCode::Down);
    assert!(ui.press(KeyCode::Char('d')).is_empty());
    assert_eq!(ui.app.overlay, Some(Overlay::ConfirmRemove(ConnId(1))));
    assert!(ui.press(KeyCode::Char('n')).is_empty(), "any other key keeps it");
    ui.press(KeyCode::Char('d'));
    let effects = ui.press(KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Command(ConnId(1), Command::Remove)]));

    let effects = ui.press(KeyCode::Char('p'));
    assert!(matches!(effects.as_slice(), [Effect::Command(ConnId(1), Command::Pause)]));
    ui.apply(5, 1, EventKind::Paused);
    let effects = ui.press(KeyCode::Char('p'));
    assert!(matches!(effects.as_slice(), [Effect::Command(ConnId(1), Command::Resume)]));
    let effects = ui.press(KeyCode::Char('r'));
    assert!(matches!(effects.as_slice(), [Effect::Command(ConnId(1), Command::ReconnectNow)]));
}

#[test]
fn sort_and_filter_reorder_the_rows() {
    let mut ui = Ui::with(&["c", "a", "b"]);
    assert_eq!(ui.app.rows.order(), [ConnId(1), ConnId(2), ConnId(0)], "by name");
    ui.close(9, 0, 1012, None);
    ui.press(KeyCode::Char('s'));
    ui.refresh();
    assert_eq!(ui.app.rows.order()[0], ConnId(0), "by state: trouble first");
    ui.press(KeyCode::Char('/'));
    ui.type_text("9001");
    ui.refresh();
    assert_eq!(ui.app.rows.order(), [ConnId(1)], "the filter matches URLs as it is typed");
    ui.press(KeyCode::Esc);
    ui.refresh();
    assert_eq!(ui.app.rows.order().len(), 3, "Esc clears it");
}

#[test]
fn every_sortable_column_orders_the_rows() {
    let mut ui = Ui::with(&["c", "a", "b"]);
    ui.close(9, 2, 1012, None);
    ui.apply(10, 2, EventKind::Open { handshake_ms: 1, subprotocol: None, via: None });
    ui.close(20, 2, 1012, None);
    ui.close(30, 0, 1000, None);
    let mut orders = Vec::new();
    for _ in 0..4 {
        ui.refresh();
        orders.push((ui.app.rows.sort.name(), ui.app.rows.order().to_vec()));
        ui.press(KeyCode::Char('s'));
    }
    let (a, b, c) = (ConnId(1), ConnId(2), ConnId(0));
    assert_eq!(
        orders,
        [("name", vec![a, b, c]), ("state", vec![b, c, a]), ("closes", vec![b, c, a]), ("last close", vec![c, b, a])]
    );
    assert_eq!(ui.app.rows.sort, crate::tui::columns::Column::Name, "and round again");
}

#[test]
fn a_connection_needing_attention_is_shown_so_while_it_retries() {
    let mut ui = Ui::with(&["api", "proxy"]);
    ui.close(9, 1, 1002, Some(Cause::MaskedFrame));
    ui.apply(19, 1, EventKind::Connecting { attempt: 1 });
    let conn = ui.model.connection(ConnId(1)).unwrap();
    assert_eq!(conn.shown().name(), "attention", "not 'connecting'");
    assert_eq!(crate::tui::theme::symbol(conn.shown()), '✖');
    ui.press(KeyCode::Char('/'));
    ui.type_text("attention");
    ui.refresh();
    assert_eq!(ui.app.rows.order(), [ConnId(1)], "the filter finds what the header counts");
}

#[test]
fn a_click_selects_the_row_under_it_and_the_wheel_scrolls() {
    let mut ui = Ui::with(&["a", "b", "c", "d"]);
    ui.app.laid_out(Drawn { table_rows_area: Rect { x: 1, y: 5, width: 50, height: 3 }, ..Drawn::default() });
    let click = |row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    ui.app.on_mouse(click(7), &ui.model);
    assert_eq!(ui.app.rows.selected, Some(ConnId(2)));
    ui.app.on_mouse(click(20), &ui.model);
    assert_eq!(ui.app.rows.selected, Some(ConnId(2)), "outside the table: nothing");
    ui.app.on_mouse(MouseEvent { kind: MouseEventKind::ScrollUp, ..click(0) }, &ui.model);
    assert_eq!(ui.app.rows.selected, Some(ConnId(0)));
}

/// `S` asks the loop to save; the loop asks the app to confirm an
/// overwrite, and a `y` asks again, overwriting.
#[test]
fn shift_s_saves_the_set_and_asks_before_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().to_path_buf());
    let mut ui = Ui::with(&[]);
    ui.app.label = AD_HOC.into();
    let mut specs: Vec<ConnSpec> = ["a", "b"]
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let url = crate::engine::spec::parse_ws_url(&format!("ws://127.0.0.1:{}/", 9000 + i)).unwrap();
            ConnSpec { name: name.into(), url, options: ConnOptions::default().into() }
        })
        .collect();
    let carry_out = |ui: &mut Ui, effects: Vec<Effect>, specs: &[ConnSpec]| {
        for effect in effects {
            let Effect::SaveProfile { name, overwrite } = effect else { panic!("a save: {effect:?}") };
            save_profile(&mut ui.app, &store, &name, specs, overwrite);
        }
    };
    ui.press(KeyCode::Char('S'));
    ui.type_text("prod");
    let effects = ui.press(KeyCode::Enter);
    carry_out(&mut ui, effects, &specs);
    let path = dir.path().join("prod.toml");
    let saved = crate::profile::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved.connections.len(), 2);
    assert_eq!(ui.app.label, "prod");

    specs.pop();
    ui.press(KeyCode::Char('S'));
    let effects = ui.press(KeyCode::Enter); // the prompt offers the profile's own name
    carry_out(&mut ui, effects, &specs);
    assert_eq!(ui.app.overlay, Some(Overlay::ConfirmOverwrite("prod".into())));
    let effects = ui.press(KeyCode::Char('y'));
    carry_out(&mut ui, effects, &specs);
    let saved = crate::profile::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved.connections.len(), 1, "the removed connection is not saved");
    assert!(dir.path().join("prod.toml.bak").exists());

    std::fs::write(&path, "broken = [").unwrap();
    ui.press(KeyCode::Char('S'));
    let effects = ui.press(KeyCode::Enter);
    carry_out(&mut ui, effects, &specs);
    let effects = ui.press(KeyCode::Char('y'));
    carry_out(&mut ui, effects, &specs);
    assert!(ui.app.status.as_ref().unwrap().error, "{:?}", ui.app.status);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "broken = [", "never overwritten");

    ui.press(KeyCode::Char('S'));
    for _ in 0.."prod".len() {
        ui.press(KeyCode::Backspace);
    }
    ui.type_text("../etc");
    let effects = ui.press(KeyCode::Enter);
    carry_out(&mut ui, effects, &specs);
    assert!(ui.app.status.as_ref().unwrap().text.contains("not a profile name"), "{:?}", ui.app.status);
    assert!(matches!(ui.app.overlay, Some(Overlay::Prompt(PromptKind::SaveAs, _))), "open to fix the name");
}

#[test]
fn r_asks_for_a_report_and_a_replay_refuses_what_would_connect() {
    let mut ui = Ui::with(&["a"]);
    assert!(matches!(ui.press(KeyCode::Char('R')).as_slice(), [Effect::WriteReport]));
    ui.app = App::new("replay", ConnOptions::default(), Theme { color: false }).replaying();
    ui.refresh();
    assert!(ui.press(KeyCode::Char('r')).is_empty());
    assert!(ui.app.status.as_ref().unwrap().text.contains("replay"), "{:?}", ui.app.status);
    assert!(matches!(ui.press(KeyCode::Char('R')).as_slice(), [Effect::WriteReport]), "a replay reports too");
}

#[test]
fn a_followed_stream_refuses_what_would_connect_and_says_its_end_once() {
    use crate::session::{Phase, StreamStatus};
    let status = |phase| StreamStatus { origin: "stdin".into(), phase, label: Some("prod".into()) };
    let mut ui = Ui::with(&["a"]);
    ui.app =
        App::new("stdin (followed)", ConnOptions::default(), Theme { color: false }).following(status(Phase::Waiting));
    ui.refresh();
    assert!(!ui.app.clock_moves(), "no event yet");
    assert!(ui.press(KeyCode::Char('p')).is_empty());
    assert!(ui.app.status.as_ref().unwrap().text.contains("a replay of a stream"), "{:?}", ui.app.status);
    assert!(ui.app.stream_moved(status(Phase::Running)));
    assert!(ui.app.clock_moves(), "countdowns tick while events come");
    assert_eq!((ui.app.title(), ui.app.label.as_str()), ("following stdin (prod)".into(), "prod (followed)"));
    assert!(!ui.app.stream_moved(status(Phase::Running)), "nothing new");
    assert!(ui.app.stream_moved(status(Phase::Closed(None))));
    assert!(!ui.app.clock_moves(), "the clock stands at the end");
    assert!(ui.app.status.as_ref().unwrap().text.contains("the stream ended"), "{:?}", ui.app.status);
    assert_eq!(ui.app.title(), "stdin (prod): the stream ended");
}

#[test]
fn a_stream_that_starts_over_leaves_nothing_chosen() {
    let mut ui = Ui::with(&["a", "b"]);
    ui.press(KeyCode::Down);
    assert!(ui.app.rows.selected.is_some());
    ui.model = Model::default();
    ui.app.on_reset(&ui.model);
    ui.refresh();
    assert_eq!((ui.app.rows.selected, ui.app.rows.order().len()), (None, 0));
}

#[test]
fn ctrl_c_quits_even_from_a_prompt() {
    let mut ui = Ui::with(&["a"]);
    ui.press(KeyCode::Char('/'));
    ui.app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), &ui.model);
    assert!(ui.app.should_quit());
}
