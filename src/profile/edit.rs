//! Saving over a file a person wrote: the freshly serialized profile is
//! merged into the existing document, so its comments, key order, blank
//! lines and the spelling of the values that did not change all stay.
//!
//! Tables and inline tables merge key by key: a key the new profile lacks
//! goes, a new one is appended, an equal value keeps its text, a changed
//! one is replaced under its old comments. `[[connection]]` entries are
//! matched by `name`, so a connection's comments follow it when others are
//! added, removed or reordered.

use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use crate::engine::spec::parse_ws_url;
use crate::format::{parse_duration, parse_size};

use super::format::parse_rule;

/// Merge `new` (a profile, serialized) into `old` (the file it replaces).
pub fn merge(old: &mut DocumentMut, new: &DocumentMut) {
    merge_table(old.as_table_mut(), new.as_table(), &[]);
}

/// `path` is where a table is (`["connection", "reconnect"]`): it says
/// which spellings of a value mean the same (`same_setting`).
fn merge_table(old: &mut Table, new: &Table, path: &[&str]) {
    old.retain(|key, item| new.contains_key(key) || (means_nothing(item) && empty_is_absent(&joined(path, key))));
    for (key, item) in new.iter() {
        let path = joined(path, key);
        match old.get_mut(key) {
            Some(existing) => merge_item(existing, item, &path),
            None => {
                old.insert(key, fresh(item));
            }
        }
    }
}

fn merge_item(old: &mut Item, new: &Item, path: &[&str]) {
    match (old, new) {
        (Item::Table(old), Item::Table(new)) => merge_table(old, new, path),
        (Item::Table(old), Item::Value(Value::InlineTable(new))) => merge_table(old, &new.clone().into_table(), path),
        (Item::Value(Value::InlineTable(old)), Item::Table(new)) => {
            merge_inline(old, &new.clone().into_inline_table(), path)
        }
        (Item::Value(old), Item::Value(new)) => merge_value(old, new, path),
        (Item::ArrayOfTables(old), Item::ArrayOfTables(new)) => merge_entries(old, new, path),
        (old, new) => *old = fresh(new),
    }
}

/// An equal value keeps its text; a changed one keeps its decor (the
/// space around it and the comment after it).
fn merge_value(old: &mut Value, new: &Value, path: &[&str]) {
    if let (Value::InlineTable(old), Value::InlineTable(new)) = (&mut *old, new) {
        return merge_inline(old, new, path);
    }
    if !same(old, new, path) {
        let decor = old.decor().clone();
        *old = new.clone();
        *old.decor_mut() = decor;
    }
}

fn merge_inline(old: &mut InlineTable, new: &InlineTable, path: &[&str]) {
    let last = last_key(old);
    let closing = last.as_deref().and_then(|key| closing_space(old, key));
    old.retain(|key, _| new.contains_key(key));
    for (key, value) in new.iter() {
        let path = joined(path, key);
        match old.get_mut(key) {
            Some(existing) => merge_value(existing, value, &path),
            None => {
                let mut value = value.clone();
                value.decor_mut().clear();
                old.insert(key, value);
            }
        }
    }
    if let Some(space) = closing {
        move_closing_space(old, last.as_deref(), space);
    }
}

fn last_key(table: &InlineTable) -> Option<String> {
    table.iter().last().map(|(key, _)| key.to_string())
}

/// The space before an inline table's `}`, which is the last value's
/// suffix; None when that holds more than space.
fn closing_space(table: &InlineTable, last: &str) -> Option<String> {
    let suffix = table.get(last)?.decor().suffix()?.as_str()?;
    suffix.chars().all(char::is_whitespace).then(|| suffix.to_string())
}

/// Give the closing space to the value that is last now, so adding a key
/// to `{ a = "x" }` gives `{ a = "x", b = "y" }`, not `{ a = "x" , b = "y" }`.
fn move_closing_space(table: &mut InlineTable, last_before: Option<&str>, space: String) {
    let last_now = last_key(table);
    if last_now.as_deref() == last_before {
        return;
    }
    if let Some(value) = last_before.and_then(|key| table.get_mut(key)) {
        value.decor_mut().set_suffix("");
    }
    if let Some(value) = last_now.and_then(|key| table.get_mut(&key)) {
        value.decor_mut().set_suffix(space);
    }
}

/// Entries are matched by `name` and kept in the new order; an entry of
/// the file that the new profile lacks goes, with its comments.
fn merge_entries(old: &mut ArrayOfTables, new: &ArrayOfTables, path: &[&str]) {
    let mut previous: Vec<Option<Table>> = old.iter().cloned().map(Some).collect();
    let mut merged = ArrayOfTables::new();
    for entry in new.iter() {
        let name = entry.get("name").and_then(Item::as_str);
        let matching = previous
            .iter_mut()
            .find(|table| name.is_some() && table.as_ref().and_then(|t| t.get("name")?.as_str()) == name)
            .and_then(Option::take);
        merged.push(match matching {
            Some(mut table) => {
                merge_table(&mut table, entry, path);
                table
            }
            None => fresh_table(entry),
        });
    }
    reorder(&mut merged);
    *old = merged;
}

/// Tables print in the order of their positions in the file, not of the
/// array: the entries' old positions are handed out again in the new
/// order, so a reordered list prints reordered. A new table (no position)
/// prints after the one before it.
fn reorder(entries: &mut ArrayOfTables) {
    let mut positions = Vec::new();
    for entry in entries.iter_mut() {
        each_header(entry, &mut |table| positions.extend(table.position()));
    }
    positions.sort_unstable();
    let mut positions = positions.into_iter();
    for entry in entries.iter_mut() {
        each_header(entry, &mut |table| {
            if table.position().is_some() {
                table.set_position(positions.next());
            }
        });
    }
}

/// `table` and the tables under it that print a `[header]`, in the order
/// they print when their positions agree.
fn each_header(table: &mut Table, visit: &mut dyn FnMut(&mut Table)) {
    if !table.is_dotted() {
        visit(table);
    }
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(inner) => each_header(inner, visit),
            Item::ArrayOfTables(inner) => inner.iter_mut().for_each(|entry| each_header(entry, visit)),
            _ => {}
        }
    }
}

/// An item of the new profile, to insert: with the default layout and no
/// position, it prints where it is put.
fn fresh(item: &Item) -> Item {
    match item {
        Item::Value(value) => {
            let mut value = value.clone();
            value.decor_mut().clear();
            Item::Value(value)
        }
        Item::Table(table) => Item::Table(fresh_table(table)),
        Item::ArrayOfTables(entries) => {
            let mut fresh_entries = ArrayOfTables::new();
            entries.iter().for_each(|entry| fresh_entries.push(fresh_table(entry)));
            Item::ArrayOfTables(fresh_entries)
        }
        Item::None => Item::None,
    }
}

fn fresh_table(table: &Table) -> Table {
    let mut table = table.clone();
    table.decor_mut().clear();
    each_header(&mut table, &mut |inner| inner.set_position(None));
    table
}

fn joined<'a>(path: &[&'a str], key: &'a str) -> Vec<&'a str> {
    [path, &[key]].concat()
}

/// Equal as TOML values (whatever their quotes, spacing or comments), or
/// two spellings of one setting.
fn same(old: &Value, new: &Value, path: &[&str]) -> bool {
    match (old, new) {
        (Value::String(a), Value::String(b)) => a.value() == b.value() || same_setting(path, a.value(), b.value()),
        (Value::Integer(a), Value::Integer(b)) => a.value() == b.value(),
        (Value::Float(a), Value::Float(b)) => a.value().to_bits() == b.value().to_bits(),
        (Value::Boolean(a), Value::Boolean(b)) => a.value() == b.value(),
        (Value::Datetime(a), Value::Datetime(b)) => a.value() == b.value(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| same(a, b, path))
        }
        (Value::InlineTable(a), Value::InlineTable(b)) => {
            a.len() == b.len() && a.iter().all(|(key, a)| b.get(key).is_some_and(|b| same(a, b, &joined(path, key))))
        }
        _ => false,
    }
}

/// Two spellings of one setting of the profile format: `"90s"` and
/// `"1m 30s"`, `"65536"` and `"64KiB"`, `"ws://h"` and `"ws://h/"`. The
/// serializer has one spelling; the user's stays. Header values are sent
/// as written, so they are never compared this way.
fn same_setting(path: &[&str], old: &str, new: &str) -> bool {
    fn both<T: PartialEq, E>(parse: impl Fn(&str) -> Result<T, E>, old: &str, new: &str) -> bool {
        matches!((parse(old), parse(new)), (Ok(a), Ok(b)) if a == b)
    }
    match path {
        [
            "defaults" | "connection",
            "connect_timeout" | "ping_interval" | "ping_timeout" | "stability_window" | "expect_message_within",
        ] => both(parse_duration, old, new),
        ["defaults" | "connection", "max_message"] => both(parse_size, old, new),
        ["defaults" | "connection", "reconnect", _] => both(parse_rule, old, new),
        ["connection", "url"] => both(parse_ws_url, old, new),
        _ => false,
    }
}

/// A table with no values in it, only perhaps comments (settings left
/// commented out): removing it would change nothing but lose them.
fn means_nothing(item: &Item) -> bool {
    match item {
        Item::Table(table) => table.iter().all(|(_, item)| means_nothing(item)),
        _ => false,
    }
}

/// Where an empty table reads the same as none: `[defaults]` and the maps
/// (an empty `tls` table is `Some`, to the parser, so it is not one).
fn empty_is_absent(path: &[&str]) -> bool {
    matches!(path, ["defaults"] | ["defaults" | "connection", "reconnect"] | ["connection", "headers"])
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::{ProfileFile, parse};

    const HAND_WRITTEN: &str = r#"# Production fleet: edit freely, wsmon keeps these comments.

[defaults]
# The proxy drops connections idle for 10s.
ping_interval = "5s"    # well under 10s

# The public API.
[[connection]]
name = "api"
url = "wss://api.example.com/feed"  # behind the load balancer
headers = { Authorization = "Bearer ${TOKEN}" }

[connection.reconnect]
1012 = "5s..30s"  # a large fleet

# Chat, for the support team.
[[connection]]
name = "chat"
url = "ws://127.0.0.1:9000/ws"
"#;

    fn profile(text: &str) -> ProfileFile {
        parse(Path::new("p.toml"), text).unwrap()
    }

    /// `new` saved over `old`; the text must load as `new`.
    fn save_over(old: &str, new: &ProfileFile) -> String {
        let mut document: DocumentMut = old.parse().unwrap();
        merge(&mut document, &toml::to_string_pretty(new).unwrap().parse().unwrap());
        let text = document.to_string();
        assert_eq!(profile(&text), *new, "the merged file loads as the new profile:\n{text}");
        text
    }

    fn assert_in_order(text: &str, parts: &[&str]) {
        let at = |part: &str| text.find(part).unwrap_or_else(|| panic!("{part:?} is missing:\n{text}"));
        for pair in parts.windows(2) {
            assert!(at(pair[0]) < at(pair[1]), "{:?} before {:?}:\n{text}", pair[0], pair[1]);
        }
    }

    #[test]
    fn the_same_profile_leaves_the_file_byte_for_byte() {
        assert_eq!(save_over(HAND_WRITTEN, &profile(HAND_WRITTEN)), HAND_WRITTEN);
    }

    #[test]
    fn a_changed_url_is_changed_under_its_comments() {
        let mut new = profile(HAND_WRITTEN);
        new.connections[0].url =
            profile("[[connection]]\nname = \"x\"\nurl = \"wss://api2.example.com/feed\"\n").connections[0].url.clone();
        let text = save_over(HAND_WRITTEN, &new);
        let expected = HAND_WRITTEN.replace("wss://api.example.com/feed", "wss://api2.example.com/feed");
        assert_eq!(text, expected, "only the URL changed; its trailing comment stays");
    }

    #[test]
    fn a_removed_connection_goes_with_its_comment_and_the_rest_stays() {
        let mut new = profile(HAND_WRITTEN);
        new.connections.pop();
        let text = save_over(HAND_WRITTEN, &new);
        assert!(!text.contains("chat") && !text.contains("support team"), "{text}");
        assert_eq!(text, HAND_WRITTEN[..HAND_WRITTEN.find("\n\n# Chat").unwrap() + 1]);
    }

    #[test]
    fn reordered_and_added_connections_keep_their_comments() {
        let old = profile(HAND_WRITTEN);
        let edge = profile("[[connection]]\nname = \"edge\"\nurl = \"ws://127.0.0.1:1/\"\nping_timeout = \"2s\"\n");
        let new = ProfileFile {
            defaults: old.defaults.clone(),
            waves: old.waves.clone(),
            connections: vec![edge.connections[0].clone(), old.connections[1].clone(), old.connections[0].clone()],
        };
        let text = save_over(HAND_WRITTEN, &new);
        assert!(text.starts_with("# Production fleet"), "{text}");
        assert_in_order(
            &text,
            &[
                "# The proxy drops",
                "name = \"edge\"",
                "# Chat, for the support team.",
                "name = \"chat\"",
                "# The public API.",
                "name = \"api\"",
                "# behind the load balancer",
                "1012 = \"5s..30s\"  # a large fleet",
            ],
        );
    }

    #[test]
    fn a_changed_default_keeps_its_comments() {
        let new = profile(&HAND_WRITTEN.replace("ping_interval = \"5s\"", "ping_interval = \"7s\""));
        let text = save_over(HAND_WRITTEN, &new);
        assert!(
            text.contains("# The proxy drops connections idle for 10s.\nping_interval = \"7s\"    # well under 10s")
        );
    }

    #[test]
    fn inline_tables_merge_like_tables() {
        let old = "[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\nheaders = { A = \"1\", B = \"2\" }  # auth\ntls = { insecure = true }\n";
        let new = profile(
            "[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\n[connection.headers]\nA = \"1\"\nC = \"3\"\n[connection.tls]\ninsecure = false\n",
        );
        let text = save_over(old, &new);
        assert!(text.contains("headers = { A = \"1\", C = \"3\" }  # auth\n"), "{text}");
        assert!(text.contains("tls = { insecure = false }\n"), "{text}");
    }

    #[test]
    fn a_new_key_goes_into_its_own_table() {
        let mut new = profile(HAND_WRITTEN);
        new.connections[1].ping_timeout = profile(
            HAND_WRITTEN
                .replace("[[connection]]\nname = \"chat\"", "[[connection]]\nname = \"chat\"\nping_timeout = \"3s\"")
                .as_str(),
        )
        .connections[1]
            .ping_timeout;
        let text = save_over(HAND_WRITTEN, &new);
        assert!(text.ends_with("url = \"ws://127.0.0.1:9000/ws\"\nping_timeout = \"3s\"\n"), "{text}");
    }

    #[test]
    fn the_users_spelling_of_an_unchanged_setting_stays() {
        let old = "[defaults]\nping_timeout = \"90s\"\nmax_message = \"65536\"\n\n[[connection]]\nname = \"a\"\nurl = 'ws://h:1'\nheaders = { X = \"90s\" }\n";
        assert_eq!(save_over(old, &profile(old)), old);
        let new = profile(&old.replace("X = \"90s\"", "X = \"1m 30s\""));
        assert!(save_over(old, &new).contains("X = \"1m 30s\""), "a header is sent as written");
    }

    #[test]
    fn a_table_left_with_only_comments_stays() {
        let old = "[defaults]\n# ping_interval = \"5s\"\n\n[[connection]]\nname = \"a\"\nurl = \"ws://h/\"\n\n[connection.reconnect]\n# 1012 = \"off\"\n";
        assert_eq!(save_over(old, &profile(old)), old);
    }
}
