//! The forms in which a server may echo a secret back: JSON-escaped,
//! percent-encoded, and (for `Basic` credentials, or any value that is
//! base64 of printable text) decoded.

use crate::engine::spec::expand_with;

pub(super) fn json_escaped(text: &str) -> String {
    text.replace('\\', r"\\").replace('"', r#"\""#).replace('/', r"\/")
}

/// `text` with every byte but unreserved ones (RFC 3986) and `keep`
/// written `%XX` with `hex` digits.
pub(super) fn percent_encoded(text: &str, hex: &[u8; 16], keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.extend(['%', char::from(hex[usize::from(byte >> 4)]), char::from(hex[usize::from(byte & 15)])]);
        }
    }
    out
}

/// The decoded credentials of a header that goes on the wire as
/// `Basic <base64>`, whether the scheme is written in the header or comes
/// from a variable.
pub(super) fn basic_credentials(template: &str, lookup: &impl Fn(&str) -> Option<String>) -> Option<String> {
    // None when a variable is not set: then no request went out with it.
    let value = expand_with(template, lookup).ok()?;
    let value = value.trim();
    let scheme = value.get(..6).filter(|scheme| scheme.eq_ignore_ascii_case("basic "))?;
    base64_text(value[scheme.len()..].trim())
}

/// The text `encoded` is the standard base64 of (padded or not), when it
/// is printable UTF-8: a token that merely looks like base64 decodes to
/// bytes that are not, and yields nothing.
pub(super) fn base64_text(encoded: &str) -> Option<String> {
    let digits = encoded.trim_end_matches('=');
    let padding = encoded.len() - digits.len();
    if padding > 2 || (padding > 0 && !encoded.len().is_multiple_of(4)) || digits.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for digit in digits.bytes() {
        buffer = (buffer << 6) | sextet(digit)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    let text = String::from_utf8(bytes).ok()?;
    (!text.trim().is_empty() && !text.chars().any(char::is_control)).then_some(text)
}

/// The value of one base64 digit (standard alphabet).
fn sextet(digit: u8) -> Option<u32> {
    let value = match digit {
        b'A'..=b'Z' => digit - b'A',
        b'a'..=b'z' => digit - b'a' + 26,
        b'0'..=b'9' => digit - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}
