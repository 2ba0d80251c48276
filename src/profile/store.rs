//! Profiles on disk: `<config dir>/profiles/NAME.toml`. Saving never loses
//! a user's file: it writes a temporary file in the same directory, fsyncs
//! it, keeps the previous version as `NAME.toml.bak` and renames over; a
//! file that does not parse is never overwritten; files are created 0600
//! (a profile may name secrets).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ProfileError;
use super::format::ProfileFile;

const EXTENSION: &str = "toml";

pub struct Store {
    dir: PathBuf,
}

/// One line of `wsmon profile list`.
pub struct Listed {
    pub name: String,
    pub path: PathBuf,
    /// The number of connections, or why the file does not load.
    pub connections: Result<usize, String>,
}

impl Store {
    /// The user's profiles directory (`WSMON_CONFIG_DIR` overrides it).
    pub fn open() -> Result<Store, ProfileError> {
        let dir = crate::paths::config_dir().ok_or(ProfileError::NoConfigDir)?;
        Ok(Store::at(dir.join("profiles")))
    }

    pub fn at(dir: PathBuf) -> Store {
        Store { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a profile. A name must be a plain file name.
    pub fn path_of(&self, name: &str) -> Result<PathBuf, ProfileError> {
        let plain = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('.')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain {
            return Err(ProfileError::BadName(name.to_string()));
        }
        Ok(self.dir.join(format!("{name}.{EXTENSION}")))
    }

    pub fn exists(&self, name: &str) -> Result<bool, ProfileError> {
        Ok(self.path_of(name)?.exists())
    }

    pub fn load(&self, name: &str) -> Result<(PathBuf, ProfileFile), ProfileError> {
        let path = self.path_of(name)?;
        let text = fs::read_to_string(&path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => ProfileError::NotFound { name: name.to_string(), dir: self.dir.clone() },
            _ => ProfileError::io(&path, error),
        })?;
        let file = super::parse(&path, &text)?;
        Ok((path, file))
    }

    /// Save atomically; the previous version becomes `NAME.toml.bak`.
    /// Refuses to replace a file that does not parse (its error says why).
    pub fn save(&self, name: &str, profile: &ProfileFile) -> Result<PathBuf, ProfileError> {
        let path = self.path_of(name)?;
        if let Ok(existing) = fs::read_to_string(&path) {
            super::parse(&path, &existing).map_err(|error| ProfileError::WouldOverwrite(Box::new(error)))?;
        }
        create_private_dir(&self.dir)?;
        let text = toml::to_string_pretty(profile)
            .map_err(|error| ProfileError::Invalid { path: path.clone(), message: error.to_string() })?;
        // Created 0600 by tempfile, in the same directory so the rename is atomic.
        let mut temporary = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(|error| ProfileError::io(&self.dir, error))?;
        temporary.write_all(text.as_bytes()).map_err(|error| ProfileError::io(temporary.path(), error))?;
        temporary.as_file().sync_all().map_err(|error| ProfileError::io(temporary.path(), error))?;
        if path.exists() {
            let backup = backup_path(&path);
            fs::copy(&path, &backup).map_err(|error| ProfileError::io(&backup, error))?;
        }
        temporary.persist(&path).map_err(|error| ProfileError::io(&path, error.error))?;
        // The rename is durable once the directory is synced.
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(path)
    }

    /// Remove a profile; its last version stays as `NAME.toml.bak`.
    pub fn remove(&self, name: &str) -> Result<PathBuf, ProfileError> {
        let path = self.path_of(name)?;
        if !path.exists() {
            return Err(ProfileError::NotFound { name: name.to_string(), dir: self.dir.clone() });
        }
        let backup = backup_path(&path);
        fs::rename(&path, &backup).map_err(|error| ProfileError::io(&path, error))?;
        Ok(backup)
    }

    pub fn list(&self) -> Result<Vec<Listed>, ProfileError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(ProfileError::io(&self.dir, error)),
        };
        let mut listed: Vec<Listed> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == EXTENSION))
            .filter_map(|path| {
                let name = path.file_stem()?.to_str()?.to_string();
                let connections = self.load(&name).map(|(_, file)| file.connections.len()).map_err(|e| e.to_string());
                Some(Listed { name, path, connections })
            })
            .collect();
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(listed)
    }
}

fn backup_path(path: &Path) -> PathBuf {
    let mut backup = path.as_os_str().to_owned();
    backup.push(".bak");
    PathBuf::from(backup)
}

fn create_private_dir(dir: &Path) -> Result<(), ProfileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|error| ProfileError::io(dir, error))
}
