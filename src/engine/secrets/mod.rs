//! Secrets a server echoes back. A header written `Bearer ${TOKEN}` goes on
//! the wire expanded; a server may send the value back in a 401 body or a
//! close reason, whole, cut, split by chunked framing or encoded. Before
//! such text leaves the engine (to the model, the screen, session logs,
//! stdout), every piece of it that could reveal a value of a variable the
//! connection's headers expand is replaced by that variable's `${NAME}`.

mod forms;

use std::borrow::Cow;
use std::ops::Range;

use super::proxy::ProxyUrl;
use super::spec::{ConnSpec, expand_with, variables};
use crate::event::EventKind;
use forms::{base64_text, basic_credentials, json_escaped, percent_encoded};

/// Values shorter than this (in characters) are hidden only where they
/// stand as a whole word: a PIN `4` must not turn `HTTP 401` into
/// `HTTP ${PIN}01`, which both garbles wsmon's wording and shows the value
/// by its place. The cost: a short value glued to other letters or digits
/// goes out as is, and no piece of it is hidden. Masking cannot protect a
/// one-character value at all (every digit shown either is it or rules it
/// out), and barely a value of a few: such values are not secrets that an
/// echo can be trusted to keep.
const SHORT_VALUE: usize = 8;

/// A piece of a form of at least this many bytes is hidden wherever it
/// appears. Some six-character piece of a 30-character token drawn from
/// 62 symbols turns up by chance in a few hundred bytes of unrelated text
/// with odds under one in a million, while a shorter bound would start
/// eating ordinary words (`auth`, `error`) whenever a token happens to
/// contain them, and a longer one would let half of a 16-character token
/// through in the middle of a text.
const MIN_FRAGMENT: usize = 6;

/// Shorter pieces are hidden from this many bytes on where a cut is likely:
/// a prefix at the very end of the text (a body or reason cut to a length),
/// a suffix at its very start, or a piece that continues a hidden piece of
/// the same form (the rest of a value split by chunked framing).
const MIN_PIECE: usize = 3;

/// How far apart, in both the text and the form, two pieces of one split
/// form may be: room for chunk framing (`\r\n1f4\r\n`) or an escape the
/// server wrote differently (`/` for `%2F`).
const MAX_GAP: usize = 10;

/// One way a server may write a value back: as is, escaped, or decoded.
struct Form {
    text: String,
    /// Where the secret part starts: in `user:password` the user name is
    /// not secret, so a piece of the name alone stays readable.
    secret_from: usize,
    /// Hidden only as a whole word (see `SHORT_VALUE`).
    short: bool,
}

/// A variable's forms and the name they are replaced by.
struct Secret {
    label: String,
    forms: Vec<Form>,
}

/// The same stretch of bytes in the text and in a form.
#[derive(Clone)]
struct Piece {
    text: Range<usize>,
    form: Range<usize>,
}

/// A stretch of the text to hide, and whose value it reveals.
struct Hit {
    text: Range<usize>,
    whole: bool,
    secret: usize,
}

/// The secrets of one connection's variables and the forms a server may
/// echo them in.
pub struct Secrets {
    known: Vec<Secret>,
}

impl Secrets {
    pub fn of(spec: &ConnSpec) -> Secrets {
        Secrets::with(spec, |name| std::env::var(name).ok())
    }

    fn with(spec: &ConnSpec, lookup: impl Fn(&str) -> Option<String>) -> Secrets {
        let mut secrets = Secrets { known: Vec::new() };
        for (_, template) in &spec.options.headers {
            for name in variables(template) {
                let Some(value) = lookup(name).filter(|value| !value.is_empty()) else { continue };
                let secret = secrets.named(format!("${{{name}}}"));
                secret.add(&value, 0);
                if let Some(decoded) = base64_text(&value) {
                    secret.add_credentials(&decoded);
                }
            }
            // Credentials written out in the header itself are the user's
            // own text, not a variable's value: only expanded ones count.
            let label: String = variables(template).map(|name| format!("${{{name}}}")).collect();
            if let Some(decoded) = basic_credentials(template, &lookup).filter(|_| !label.is_empty()) {
                secrets.named(label).add_credentials(&decoded);
            }
        }
        if let Ok(Some(route)) = super::proxy::route(spec) {
            secrets.add_proxy(&route.proxy, &lookup);
        }
        secrets
    }

    /// A proxy's credentials: the values of the variables in its user name
    /// and password, and the password however it was written, alone, as
    /// `user:password` and in the base64 of `Proxy-Authorization` (a proxy
    /// may echo any of them). A password written out in the URL is hidden
    /// as `***`, as the URL shows it.
    fn add_proxy(&mut self, proxy: &ProxyUrl, lookup: &impl Fn(&str) -> Option<String>) {
        let (Some(user), Some(password)) = (&proxy.user, &proxy.password) else { return };
        for name in variables(user).chain(variables(password)) {
            if let Some(value) = lookup(name).filter(|value| !value.is_empty()) {
                self.named(format!("${{{name}}}")).add(&value, 0);
            }
        }
        let (Ok(user_value), Ok(value)) = (expand_with(user, lookup), expand_with(password, lookup)) else { return };
        if value.is_empty() {
            return;
        }
        let label: String = variables(password).map(|name| format!("${{{name}}}")).collect();
        let secret = self.named(if label.is_empty() { "***".to_string() } else { label });
        let pair = format!("{user_value}:{value}");
        secret.add_credentials(&pair);
        secret.add(&super::proxy::connect::base64(pair.as_bytes()), 0);
    }

    /// The secret labelled `label`, added if new (a variable may appear in
    /// several headers).
    fn named(&mut self, label: String) -> &mut Secret {
        let index = match self.known.iter().position(|secret| secret.label == label) {
            Some(index) => index,
            None => {
                self.known.push(Secret { label, forms: Vec::new() });
                self.known.len() - 1
            }
        };
        &mut self.known[index]
    }

    /// `text` with every piece that reveals a secret replaced by its
    /// `${NAME}`; borrowed when there is nothing to hide. Where pieces of
    /// several secrets overlap, the stretch they cover is replaced once,
    /// by the name of each secret that widens it (a value that contains
    /// another is replaced whole, by its own name).
    pub fn hide<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut hits: Vec<Hit> = Vec::new();
        for (index, secret) in self.known.iter().enumerate() {
            for form in &secret.forms {
                hits.extend(form.find_in(text).into_iter().map(|piece| Hit {
                    whole: piece.form.len() == form.text.len(),
                    text: on_char_boundaries(text, piece.text),
                    secret: index,
                }));
            }
        }
        if hits.is_empty() {
            return Cow::Borrowed(text);
        }
        hits.sort_by_key(|hit| (hit.text.start, std::cmp::Reverse(hit.text.end), !hit.whole));
        Cow::Owned(self.replace(text, &hits))
    }

    /// `text` with the stretches `hits` cover (sorted by start) replaced.
    fn replace(&self, text: &str, hits: &[Hit]) -> String {
        let mut spans: Vec<(Range<usize>, Vec<usize>)> = Vec::new();
        for hit in hits {
            match spans.last_mut() {
                Some((span, secrets)) if hit.text.start < span.end => {
                    if hit.text.end > span.end {
                        span.end = hit.text.end;
                        if secrets.last() != Some(&hit.secret) {
                            secrets.push(hit.secret);
                        }
                    }
                }
                _ => spans.push((hit.text.clone(), vec![hit.secret])),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (span, secrets) in spans {
            out.push_str(&text[copied..span.start]);
            secrets.iter().for_each(|&secret| out.push_str(&self.known[secret].label));
            copied = span.end;
        }
        out.push_str(&text[copied..]);
        out
    }

    fn hide_in_place(&self, text: &mut String) {
        if let Cow::Owned(hidden) = self.hide(text) {
            *text = hidden;
        }
    }
}

impl Secret {
    /// Adds `value` as a server may write it back: as is, escaped in JSON,
    /// percent-encoded (all but unreserved characters, or all but `/` too,
    /// as URL path encoders do; with upper- and lower-case hex digits).
    /// Only the part of `value` from `secret_from` on is secret.
    fn add(&mut self, value: &str, secret_from: usize) {
        let short = value.chars().count() < SHORT_VALUE;
        let prefix = &value[..secret_from];
        let encodings: [fn(&str) -> String; 6] = [
            str::to_string,
            json_escaped,
            |text| percent_encoded(text, b"0123456789ABCDEF", b""),
            |text| percent_encoded(text, b"0123456789abcdef", b""),
            |text| percent_encoded(text, b"0123456789ABCDEF", b"/"),
            |text| percent_encoded(text, b"0123456789abcdef", b"/"),
        ];
        for encode in encodings {
            let text = encode(value);
            if !self.forms.iter().any(|form| form.text == text) {
                self.forms.push(Form { secret_from: encode(prefix).len(), text, short });
            }
        }
    }

    /// Adds the decoded text of a base64 value. In the `user:password` shape
    /// of Basic credentials the password is the secret: it is added on its
    /// own too, and in the whole pair only pieces that reach into it are
    /// hidden. The user name alone is left readable: it names an account,
    /// does not open it, and is what tells a wrong user from a wrong
    /// password in a server's answer.
    fn add_credentials(&mut self, decoded: &str) {
        match decoded.split_once(':') {
            Some((user, password)) if !password.is_empty() => {
                self.add(decoded, user.len() + 1);
                self.add(password, 0);
            }
            _ => self.add(decoded, 0),
        }
    }
}

impl Form {
    /// The stretches of `text` that reveal this form.
    fn find_in(&self, text: &str) -> Vec<Piece> {
        if self.short {
            return self.whole_words(text);
        }
        let edges = text.len() - text.trim_start().len()
            ..text.trim_end_matches(|c: char| c.is_whitespace() || c == char::REPLACEMENT_CHARACTER).len();
        let (mut found, mut rest): (Vec<Piece>, Vec<Piece>) = common_pieces(text.as_bytes(), self.text.as_bytes())
            .into_iter()
            .filter(|piece| piece.form.end > self.secret_from)
            .partition(|piece| self.stands_alone(piece, &edges));
        // Pieces that continue a found one, rightwards then leftwards: each
        // pass follows a chain of splits in its direction.
        rest.sort_by_key(|piece| piece.text.start);
        let mut joined = vec![false; rest.len()];
        for index in (0..rest.len()).chain((0..rest.len()).rev()) {
            let piece = &rest[index];
            if !joined[index] && found.iter().any(|anchor| follows(anchor, piece) || follows(piece, anchor)) {
                joined[index] = true;
                found.push(piece.clone());
            }
        }
        found
    }

    /// A piece hidden on its own: the whole form, a long fragment, or a
    /// cut one at an edge of the text.
    fn stands_alone(&self, piece: &Piece, edges: &Range<usize>) -> bool {
        let length = piece.text.len();
        length >= MIN_FRAGMENT
            || length == self.text.len()
            || (piece.text.end == edges.end && piece.form.start == 0)
            || (piece.text.start == edges.start && piece.form.end == self.text.len())
    }

    /// Occurrences of the form bounded by non-alphanumeric characters or
    /// the ends of the text.
    fn whole_words(&self, text: &str) -> Vec<Piece> {
        let alphanumeric = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        text.match_indices(self.text.as_str())
            .map(|(start, form)| start..start + form.len())
            .filter(|at| {
                !alphanumeric(text[..at.start].chars().next_back()) && !alphanumeric(text[at.end..].chars().next())
            })
            .map(|at| Piece { text: at, form: 0..self.text.len() })
            .collect()
    }
}

/// Whether `next` comes after `piece` within `MAX_GAP` bytes, both in the
/// text and in the form.
fn follows(piece: &Piece, next: &Piece) -> bool {
    (piece.text.end..=piece.text.end + MAX_GAP).contains(&next.text.start)
        && (piece.form.end..=piece.form.end + MAX_GAP).contains(&next.form.start)
}

/// Every stretch of at least `MIN_PIECE` bytes that `text` and `form` share
/// and that cannot grow (longest common suffixes, one row at a time):
/// O(text × form).
fn common_pieces(text: &[u8], form: &[u8]) -> Vec<Piece> {
    let mut previous = vec![0usize; form.len() + 1];
    let mut current = vec![0usize; form.len() + 1];
    let mut pieces = Vec::new();
    for (i, &byte) in text.iter().enumerate() {
        for (j, &expected) in form.iter().enumerate() {
            let length = if byte == expected { previous[j] + 1 } else { 0 };
            current[j + 1] = length;
            let grows = text.get(i + 1).is_some_and(|next| form.get(j + 1) == Some(next));
            if length >= MIN_PIECE && !grows {
                pieces.push(Piece { text: i + 1 - length..i + 1, form: j + 1 - length..j + 1 });
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    pieces
}

/// `range` widened to whole characters: a piece may end inside one.
fn on_char_boundaries(text: &str, mut range: Range<usize>) -> Range<usize> {
    while !text.is_char_boundary(range.start) {
        range.start -= 1;
    }
    while !text.is_char_boundary(range.end) {
        range.end += 1;
    }
    range
}

/// Hide the connection's secrets in the server-supplied text an event
/// carries (close reasons and details, handshake failures, the
/// subprotocol). Costs nothing for events without such text or
/// connections without variables.
pub fn hide_in_event(spec: &ConnSpec, kind: &mut EventKind) {
    let texts: Vec<&mut String> = match kind {
        EventKind::Closed(record) => [Some(&mut record.reason), record.detail.as_mut()].into_iter().flatten().collect(),
        EventKind::HandshakeFailed(failure) => vec![&mut failure.detail],
        EventKind::Open { subprotocol: Some(subprotocol), .. } => vec![subprotocol],
        _ => return,
    };
    let proxy_password = || matches!(super::proxy::route(spec), Ok(Some(route)) if route.proxy.password.is_some());
    if !spec.options.headers.iter().any(|(_, value)| variables(value).next().is_some()) && !proxy_password() {
        return;
    }
    let secrets = Secrets::of(spec);
    for text in texts {
        secrets.hide_in_place(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ConnOptions;

    fn spec(headers: &[(&str, &str)]) -> ConnSpec {
        let headers = headers.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        ConnSpec {
            name: "a".into(),
            url: url::Url::parse("ws://127.0.0.1:1/").unwrap(),
            options: ConnOptions { headers, ..ConnOptions::default() }.into(),
        }
    }

    #[test]
    fn every_expanded_value_is_replaced_by_its_name() {
        let spec = spec(&[("authorization", "Bearer ${TOKEN}"), ("x-team", "${TEAM}-${TOKEN_2}"), ("x", "plain")]);
        let env = |name: &str| match name {
            "TOKEN" => Some("s3cr3t".to_string()),
            "TOKEN_2" => Some("s3cr3t-longer".to_string()),
            "TEAM" => Some(String::new()),
            _ => None,
        };
        let secrets = Secrets::with(&spec, env);
        assert_eq!(
            secrets.hide("401: token s3cr3t-longer and s3cr3t rejected; plain"),
            "401: token ${TOKEN_2} and ${TOKEN} rejected; plain"
        );
        assert!(matches!(secrets.hide("nothing to hide"), Cow::Borrowed(_)));
    }

    /// A long token, one short one, and a Basic credential (base64 of
    /// `alice:hunter2`), each from its own header.
    fn secrets() -> Secrets {
        let spec = spec(&[
            ("authorization", "Bearer ${TOKEN}"),
            ("x-pin", "${PIN}"),
            ("x-slash", "${SLASHED}"),
            ("proxy-authorization", "Basic ${CREDS}"),
        ]);
        Secrets::with(&spec, |name| {
            Some(match name {
                "TOKEN" => "s3cr3tTOKENvalue123".to_string(),
                "PIN" => "4".to_string(),
                "SLASHED" => "abc/def+ghi==".to_string(),
                "CREDS" => "YWxpY2U6aHVudGVyMg==".to_string(),
                _ => return None,
            })
        })
    }

    #[test]
    fn a_prefix_cut_at_the_end_is_hidden() {
        let secrets = secrets();
        assert_eq!(secrets.hide("HTTP 401 Unauthorized: xxxs3cr3tTOKE"), "HTTP 401 Unauthorized: xxx${TOKEN}");
        assert_eq!(secrets.hide("HTTP 401 Unauthorized: xxxs3c"), "HTTP 401 Unauthorized: xxx${TOKEN}");
        assert_eq!(secrets.hide("bad token Bearer s3c \n"), "bad token Bearer ${TOKEN} \n");
    }

    #[test]
    fn a_suffix_cut_at_the_start_is_hidden() {
        let secrets = secrets();
        assert_eq!(secrets.hide("lue123 was refused"), "${TOKEN} was refused");
        assert_eq!(secrets.hide("123 was refused"), "${TOKEN} was refused");
    }

    #[test]
    fn a_value_split_by_chunked_framing_is_hidden() {
        let secrets = secrets();
        assert_eq!(secrets.hide("bad token s3cr3tTO\r\nb\r\nKENvalue123"), "bad token ${TOKEN}\r\nb\r\n${TOKEN}");
        assert_eq!(
            secrets.hide("bad token s3cr3tTOKENvalu\r\n1f\r\ne123 end"),
            "bad token ${TOKEN}\r\n1f\r\n${TOKEN} end"
        );
        assert_eq!(
            secrets.hide("a s3cr3tTOKENv\r\n3\r\nalu\r\n6\r\ne123 b"),
            "a ${TOKEN}\r\n3\r\n${TOKEN}\r\n6\r\n${TOKEN} b"
        );
    }

    #[test]
    fn a_json_escaped_value_is_hidden() {
        let secrets = secrets();
        assert_eq!(secrets.hide(r#"{"error":"bad key abc\/def+ghi=="}"#), r#"{"error":"bad key ${SLASHED}"}"#);
    }

    #[test]
    fn a_percent_encoded_value_is_hidden() {
        let secrets = secrets();
        assert_eq!(secrets.hide("GET /?key=abc%2Fdef%2Bghi%3D%3D failed"), "GET /?key=${SLASHED} failed");
        assert_eq!(secrets.hide("GET /?key=abc/def%2bghi%3d%3d failed"), "GET /?key=${SLASHED} failed");
    }

    #[test]
    fn basic_credentials_are_hidden_decoded_and_the_password_alone() {
        let secrets = secrets();
        assert_eq!(secrets.hide("no access for alice:hunter2."), "no access for ${CREDS}.");
        assert_eq!(secrets.hide("password hunter2 is wrong"), "password ${CREDS} is wrong");
        assert_eq!(secrets.hide("cut: alice:hun"), "cut: ${CREDS}");
        assert_eq!(secrets.hide("echo alice%3Ahunter2"), "echo ${CREDS}");
        // The user name alone is not a secret, and stays readable.
        assert!(matches!(secrets.hide("unknown user alice"), Cow::Borrowed(_)));
        // The scheme may come from the variable itself.
        let scheme_in_value = spec(&[("authorization", "${AUTH}")]);
        let secrets = Secrets::with(&scheme_in_value, |_| Some("Basic YWxpY2U6aHVudGVyMg".to_string()));
        assert_eq!(secrets.hide("wrong password: hunter2"), "wrong password: ${AUTH}");
        // Credentials written out in a header are no variable's value.
        let written_out = spec(&[("authorization", "Basic YWxpY2U6aHVudGVyMg=="), ("x-key", "${KEY}")]);
        let secrets = Secrets::with(&written_out, |_| Some("k3y-k3y-k3y-k3y".to_string()));
        assert!(matches!(secrets.hide("wrong password: hunter2"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_short_value_is_hidden_only_as_a_whole_word() {
        let secrets = secrets();
        assert_eq!(secrets.hide("HTTP 401 Unauthorized: pin 4 rejected"), "HTTP 401 Unauthorized: pin ${PIN} rejected");
        assert_eq!(secrets.hide("4"), "${PIN}");
    }

    #[test]
    fn a_proxy_s_password_is_hidden_as_its_variable_or_as_stars() {
        let proxy = |url: &str| ConnSpec {
            options: ConnOptions {
                proxy: Some(std::sync::Arc::new(crate::engine::proxy::Proxy::parse(url).unwrap())),
                ..ConnOptions::default()
            }
            .into(),
            ..spec(&[])
        };
        let env = |name: &str| (name == "PROXY_PASS").then(|| "hunter2-proxy".to_string());
        let secrets = Secrets::with(&proxy("http://alice:${PROXY_PASS}@127.0.0.1:3128"), env);
        assert_eq!(secrets.hide("bad password hunter2-proxy"), "bad password ${PROXY_PASS}");
        assert_eq!(secrets.hide("user alice:hunter2-proxy denied"), "user ${PROXY_PASS} denied");
        // The base64 of Proxy-Authorization, echoed.
        let echoed = format!("got Basic {}", crate::engine::proxy::connect::base64(b"alice:hunter2-proxy"));
        assert_eq!(secrets.hide(&echoed), "got Basic ${PROXY_PASS}");
        assert!(matches!(secrets.hide("unknown user alice"), Cow::Borrowed(_)));
        // Written out in the URL: hidden as the URL shows it.
        let literal = Secrets::with(&proxy("socks5://bob:s3cr3t-pw@h:1080"), |_| None);
        assert_eq!(literal.hide("auth failed for s3cr3t-pw"), "auth failed for ***");
        // The event path sees proxies without header variables too.
        let mut kind = EventKind::HandshakeFailed(crate::event::HandshakeFailure {
            stage: crate::close::Stage::Proxy,
            http_status: Some(407),
            detail: "echo s3cr3t-pw".into(),
        });
        hide_in_event(&proxy("socks5://bob:s3cr3t-pw@h:1080"), &mut kind);
        assert!(matches!(&kind, EventKind::HandshakeFailed(failure) if failure.detail == "echo ***"), "{kind:?}");
    }

    #[test]
    fn text_without_secrets_stays_borrowed() {
        let secrets = secrets();
        for text in ["HTTP 401 Unauthorized", "going away (s3c in the middle, 123 too)", "alice", ""] {
            assert!(matches!(secrets.hide(text), Cow::Borrowed(_)), "{text}");
        }
    }
}
