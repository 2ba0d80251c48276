//! `--shard K/N`: N agents split one profile with nothing shared. A
//! connection belongs to shard `fnv1a64(name) mod N + 1`, FNV-1a over the
//! UTF-8 bytes of its name (docs/ARCHITECTURE.md, "Shards"): stable across
//! versions, machines and runs, and independent of the profile's order,
//! so adding a connection moves no other one.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    index: u32,
    count: u32,
}

impl Shard {
    /// Whether the connection named `name` is this shard's to watch.
    pub fn owns(&self, name: &str) -> bool {
        shard_of(name, self.count) == self.index
    }
}

/// The shard (1..=count) a name falls in.
pub fn shard_of(name: &str, count: u32) -> u32 {
    (fnv1a64(name.as_bytes()) % u64::from(count)) as u32 + 1
}

/// 64-bit FNV-1a: a published, dependency-free hash whose value is fixed.
fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(PRIME))
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// "2/3": the second of three. What is wrong, said with how to write it.
pub fn parse(text: &str) -> Result<Shard, String> {
    const HOW: &str = "give K/N, shard K of N agents, with 1 ≤ K ≤ N (e.g. --shard 2/3)";
    let (index, count) = text.split_once('/').ok_or_else(|| format!("no '/' in {text:?}: {HOW}"))?;
    let number = |part: &str| part.trim().parse::<u32>().map_err(|_| format!("{part:?} is not a number: {HOW}"));
    let (index, count) = (number(index)?, number(count)?);
    if count == 0 || index == 0 || index > count {
        return Err(format!("{index}/{count} is no shard: {HOW}"));
    }
    Ok(Shard { index, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash is part of the contract: agents of different versions
    /// split a profile the same way only if it never changes.
    #[test]
    fn the_hash_is_fnv1a_and_never_changes() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        // Computed apart from this code (a few lines of Python over the
        // published algorithm; the two above are FNV's own test vectors).
        let names = ["api-1", "api-2", "chat-1", "feed-1", "api-3", "api-4"];
        let shards: Vec<u32> = names.iter().map(|name| shard_of(name, 3)).collect();
        assert_eq!(shards, [1, 1, 3, 1, 2, 2]);
    }

    #[test]
    fn shards_split_names_disjointly_completely_and_evenly() {
        let names: Vec<String> = (0..3000).map(|n| format!("conn-{n}")).collect();
        let shards: Vec<Shard> = (1..=3).map(|k| parse(&format!("{k}/3")).unwrap()).collect();
        for name in &names {
            assert_eq!(shards.iter().filter(|shard| shard.owns(name)).count(), 1, "{name}");
        }
        for shard in &shards {
            let owned = names.iter().filter(|name| shard.owns(name)).count();
            assert!((900..=1100).contains(&owned), "{shard}: {owned} of 3000");
        }
        assert!(parse("1/1").unwrap().owns("anything"));
    }

    #[test]
    fn a_bad_shard_says_how_to_write_one() {
        for bad in ["2", "0/3", "4/3", "1/0", "a/3", "1/b", ""] {
            let error = parse(bad).unwrap_err();
            assert!(error.contains("K/N") && error.contains("--shard 2/3"), "{bad}: {error}");
        }
        assert_eq!(parse(" 2/3").unwrap().to_string(), "2/3");
    }
}
