//! Open files: every connection is a socket, and a Linux session starts
//! with a soft limit of 1,024 open files. wsmon raises the soft limit to
//! the hard one at start, and when a set of connections still does not fit
//! it says so in one line before connecting, instead of failing socket by
//! socket with EMFILE.

/// Files wsmon keeps besides its sockets: stdio, the runtime's epoll and
/// wake-up descriptors, signal handling, logs, the terminal.
const RESERVED_FILES: u64 = 64;

/// Raise the soft open-files limit to the hard limit; the limit now in force.
pub fn raise_open_files() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// Ok if `sockets` fit under `limit` open files; else the line that says
/// how many fit and how to raise the limit.
pub fn check_capacity(sockets: usize, limit: u64) -> Result<(), String> {
    let capacity = limit.saturating_sub(RESERVED_FILES);
    if sockets as u64 <= capacity {
        return Ok(());
    }
    Err(format!(
        "{sockets} sockets need more open files than this process may have (limit {limit}): wsmon can hold \
         about {capacity}; raise the limit (ulimit -Hn {wanted} as root or in /etc/security/limits.conf, \
         LimitNOFILE={wanted} for a systemd unit) or watch fewer",
        wanted = sockets as u64 + RESERVED_FILES
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_that_does_not_fit_says_how_many_do_and_how_to_raise_the_limit() {
        assert_eq!(check_capacity(960, 1_024), Ok(()));
        let error = check_capacity(12_000, 1_024).unwrap_err();
        assert!(error.contains("limit 1024") && error.contains("about 960"), "{error}");
        assert!(error.contains("LimitNOFILE=12064"), "{error}");
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let (before, _) = rlimit::Resource::NOFILE.get().unwrap();
        let limit = raise_open_files().unwrap();
        let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
        assert_eq!(limit, soft, "reports the limit in force");
        assert!(soft >= before);
        if hard != rlimit::INFINITY {
            assert_eq!(soft, hard);
        }
    }
}
