//! Where wsmon keeps its files. Environment variables override the
//! platform's directories, so tests never touch a user's real ones.

use std::path::PathBuf;

use directories::ProjectDirs;

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "wsmon")
}

/// Logs and (later) session records: `WSMON_DATA_DIR`, else the platform's
/// local data directory (Linux: ~/.local/share/wsmon).
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("WSMON_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => project().map(|dirs| dirs.data_local_dir().to_path_buf()),
    }
}

/// Profiles live under `profiles/` here: `WSMON_CONFIG_DIR`, else the
/// platform's config directory (Linux: ~/.config/wsmon).
pub fn config_dir() -> Option<PathBuf> {
    match std::env::var_os("WSMON_CONFIG_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => project().map(|dirs| dirs.config_dir().to_path_buf()),
    }
}
