//! Services: connections grouped by the endpoint they share (scheme, host,
//! port and path; not the query), so a wave reads per service ("api 8/8
//! back · chat 8/8 · feed 7/8"). A group is named after what its
//! connections' names share ("api" for api-1 … api-8), else its endpoint.

use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct Groups {
    by_endpoint: HashMap<String, u32>,
    groups: Vec<Group>,
    /// How many groups share each name: a name shared is not a name (and
    /// `name` stays O(1), drawn for every service on every frame).
    sharing: HashMap<String, u32>,
}

#[derive(Debug, Clone)]
struct Group {
    endpoint: String,
    /// What every member's name starts with, digits and separators trimmed.
    shared: String,
}

impl Groups {
    /// The group of a connection called `name` at `url`.
    pub fn join(&mut self, url: &str, name: &str) -> u32 {
        let endpoint = endpoint(url);
        let stem = stem(name);
        if let Some(&group) = self.by_endpoint.get(endpoint) {
            let shared = &self.groups[group as usize].shared;
            let common = common_prefix(shared, stem).len();
            let kept = stem_len(&shared[..common]);
            if kept < shared.len() {
                let old = shared.clone();
                self.unshare(&old);
                let shared = &mut self.groups[group as usize].shared;
                shared.truncate(kept);
                *self.sharing.entry(shared.clone()).or_default() += 1;
            }
            return group;
        }
        let group = self.groups.len() as u32;
        self.by_endpoint.insert(endpoint.to_string(), group);
        self.groups.push(Group { endpoint: endpoint.to_string(), shared: stem.to_string() });
        *self.sharing.entry(stem.to_string()).or_default() += 1;
        group
    }

    fn unshare(&mut self, name: &str) {
        if let Some(count) = self.sharing.get_mut(name) {
            *count -= 1;
        }
    }

    /// The group a profile names: its name is the name given.
    pub fn join_named(&mut self, name: &str) -> u32 {
        // Not an endpoint: a URL always has "://".
        let key = format!("group {name}");
        if let Some(&group) = self.by_endpoint.get(&key) {
            return group;
        }
        let group = self.groups.len() as u32;
        self.by_endpoint.insert(key.clone(), group);
        self.groups.push(Group { endpoint: key, shared: name.to_string() });
        *self.sharing.entry(name.to_string()).or_default() += 1;
        group
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// How a person reads the group: the shared name, unless another group
    /// shares it too (or there is none); then the endpoint.
    pub fn name(&self, group: u32) -> &str {
        let Some(this) = self.groups.get(group as usize) else { return "" };
        let clash = self.sharing.get(&this.shared).is_some_and(|count| *count > 1);
        if this.shared.is_empty() || clash { without_scheme(&this.endpoint) } else { &this.shared }
    }
}

/// The URL without its query and fragment.
fn endpoint(url: &str) -> &str {
    url.find(['?', '#']).map_or(url, |end| &url[..end])
}

fn without_scheme(endpoint: &str) -> &str {
    endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest)
}

/// A name without its trailing number and separators: "api-3" → "api".
fn stem(name: &str) -> &str {
    &name[..stem_len(name)]
}

fn stem_len(name: &str) -> usize {
    name.trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '-' | '_' | '.' | ' ')).len()
}

fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let end = a.char_indices().zip(b.chars()).find(|((_, x), y)| x != y).map_or(a.len().min(b.len()), |((i, _), _)| i);
    &a[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_to_one_endpoint_are_one_service_named_after_their_names() {
        let mut groups = Groups::default();
        let api: Vec<u32> =
            (1..=3).map(|i| groups.join("ws://127.0.0.1:9001/feed?user=1", &format!("api-{i}"))).collect();
        let chat = groups.join("ws://127.0.0.1:9002/", "chat-1");
        assert_eq!(api, [0, 0, 0]);
        assert_eq!(groups.join("ws://127.0.0.1:9001/feed?user=2", "api-4"), 0, "the query is not the service");
        assert_eq!(chat, 1);
        assert_eq!((groups.name(0), groups.name(1)), ("api", "chat"));
    }

    #[test]
    fn a_service_without_a_shared_name_is_named_by_its_endpoint() {
        let mut groups = Groups::default();
        groups.join("wss://a.example.com/x", "alpha");
        groups.join("wss://a.example.com/x", "beta");
        groups.join("ws://127.0.0.1:1/", "c0");
        groups.join("ws://127.0.0.1:2/", "c1");
        assert_eq!(groups.name(0), "a.example.com/x", "nothing shared");
        assert_eq!((groups.name(1), groups.name(2)), ("127.0.0.1:1/", "127.0.0.1:2/"), "the same name twice");
    }

    /// A name that becomes shared only as a group's members arrive.
    #[test]
    fn a_name_shared_later_falls_back_to_the_endpoints() {
        let mut groups = Groups::default();
        groups.join("ws://h:1/", "api-1");
        groups.join("ws://h:2/", "api-x");
        assert_eq!((groups.name(0), groups.name(1)), ("api", "api-x"));
        groups.join("ws://h:2/", "api-y"); // its members now share "api" too
        assert_eq!((groups.name(0), groups.name(1)), ("h:1/", "h:2/"));
    }
}
