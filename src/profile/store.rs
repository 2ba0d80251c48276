//! Profiles on disk: `<config dir>/profiles/NAME.toml`. Saving never loses
//! a user's file, nor another one: the previous version and the new one are
//! each written to a temporary file in the destination's directory, fsynced
//! and renamed into place (`NAME.toml.bak`, then `NAME.toml`), so a full
//! disk leaves both the old profile and the old backup whole, and a `.bak`
//! that is a symlink is replaced, never written through. A profile that is
//! itself a symlink (a dotfiles repository) is saved to its target, and the
//! link stays. A file that does not parse is never overwritten; files are
//! created 0600 (a profile may name secrets). Saving over a file keeps its
//! comments and layout (`edit`), and saving connections keeps its
//! `[defaults]`, the connections saying only what differs from them.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

use super::ProfileError;
use super::edit;
use super::format::ProfileFile;
use crate::engine::ConnSpec;

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
        self.save_with(name, |_| profile.clone(), write_all)
    }

    /// Save these connections as `name`, as `save` does, over the
    /// `[defaults]` of the profile already there: they are kept, and each
    /// connection says only what differs from them (a hand-written profile
    /// keeps its structure, not just its comments).
    pub fn save_specs(&self, name: &str, specs: &[ConnSpec]) -> Result<PathBuf, ProfileError> {
        let build = |previous: &ProfileFile| ProfileFile {
            waves: previous.waves.clone(),
            ..ProfileFile::from_specs_over(specs, &previous.defaults, &self.dir)
        };
        self.save_with(name, build, write_all)
    }

    /// `save`, with the profile built from the `[defaults]` of the file
    /// there (read once, so they are those of the file being replaced), and
    /// the step that writes bytes into a temporary file given, so a test can
    /// make the disk fill up halfway.
    fn save_with(
        &self,
        name: &str,
        build: impl FnOnce(&ProfileFile) -> ProfileFile,
        write: impl Fn(&mut fs::File, &[u8]) -> std::io::Result<()>,
    ) -> Result<PathBuf, ProfileError> {
        let path = self.path_of(name)?;
        create_private_dir(&self.dir)?;
        // A symlinked profile is saved where it points; the link stays.
        let target = match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                fs::canonicalize(&path).map_err(|error| ProfileError::io(&path, error))?
            }
            _ => path.clone(),
        };
        let existing = match fs::read(&target) {
            Ok(bytes) => Some(bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(ProfileError::io(&target, error)),
        };
        let previous = match &existing {
            Some(bytes) => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                let file = super::parse(&path, &text).map_err(|error| ProfileError::WouldOverwrite(Box::new(error)))?;
                Some((file, text))
            }
            None => None,
        };
        let nothing = ProfileFile::default();
        let profile = build(previous.as_ref().map_or(&nothing, |(file, _)| file));
        let text = render(&path, &profile, previous.as_ref().map(|(_, text)| text.as_str()))?;
        if let Some(bytes) = &existing {
            replace_durably(&backup_path(&target), bytes, &write)?;
        }
        replace_durably(&target, text.as_bytes(), &write)?;
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

/// The text of `profile`: merged into `previous` (the text of the file it
/// replaces) so that file's comments and layout stay, or serialized anew
/// for a new file. A merge that would not load back as `profile` (a layout
/// `edit` does not foresee) gives way to the new serialization: a save
/// never writes other settings than it was given.
fn render(path: &Path, profile: &ProfileFile, previous: Option<&str>) -> Result<String, ProfileError> {
    let fresh = toml::to_string_pretty(profile)
        .map_err(|error| ProfileError::Invalid { path: path.to_path_buf(), message: error.to_string() })?;
    let Some(previous) = previous else { return Ok(fresh) };
    let merged = merged(previous, &fresh);
    match merged {
        Some(text) if super::parse(path, &text).is_ok_and(|saved| saved == *profile) => Ok(text),
        _ => {
            tracing::warn!(path = %path.display(), "the profile's layout could not be kept; saved it anew");
            Ok(fresh)
        }
    }
}

fn merged(previous: &str, fresh: &str) -> Option<String> {
    let mut document: DocumentMut = previous.parse().ok()?;
    edit::merge(&mut document, &fresh.parse().ok()?);
    Some(document.to_string())
}

fn backup_path(path: &Path) -> PathBuf {
    let mut backup = path.as_os_str().to_owned();
    backup.push(".bak");
    PathBuf::from(backup)
}

/// Put `bytes` at `path` so that a failure at any step leaves what was
/// there whole: a temporary file in the same directory (0600), written,
/// fsynced, renamed over `path` (a symlink there is replaced, not
/// followed), then the directory fsynced so the rename lasts.
fn replace_durably(
    path: &Path,
    bytes: &[u8],
    write: impl Fn(&mut fs::File, &[u8]) -> std::io::Result<()>,
) -> Result<(), ProfileError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let stem = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{stem}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|error| ProfileError::io(dir, error))?;
    write(temporary.as_file_mut(), bytes).map_err(|error| ProfileError::io(path, error))?;
    temporary.as_file().sync_all().map_err(|error| ProfileError::io(path, error))?;
    temporary.persist(path).map_err(|error| ProfileError::io(path, error.error))?;
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

fn write_all(file: &mut fs::File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(bytes)
}

fn create_private_dir(dir: &Path) -> Result<(), ProfileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|error| ProfileError::io(dir, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(url: &str) -> ProfileFile {
        super::super::parse(Path::new("t.toml"), &format!("[[connection]]\nname = \"a\"\nurl = \"{url}\"\n")).unwrap()
    }

    /// The disk fills up halfway through the backup: the old backup and
    /// the profile are both whole, byte for byte.
    #[test]
    fn a_write_that_fails_halfway_loses_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().to_path_buf());
        store.save("p", &profile("ws://127.0.0.1:1/")).unwrap();
        store.save("p", &profile("ws://127.0.0.1:2/")).unwrap();
        let path = store.path_of("p").unwrap();
        let (before, backup_before) = (fs::read(&path).unwrap(), fs::read(backup_path(&path)).unwrap());
        let full_disk = |file: &mut fs::File, bytes: &[u8]| {
            file.write_all(&bytes[..bytes.len() / 2])?;
            Err(std::io::Error::from_raw_os_error(28)) // ENOSPC
        };
        let error = store.save_with("p", |_| profile("ws://127.0.0.1:3/"), full_disk).unwrap_err();
        assert!(error.to_string().contains("p.toml"), "the error names the file: {error}");
        assert_eq!(fs::read(&path).unwrap(), before);
        assert_eq!(fs::read(backup_path(&path)).unwrap(), backup_before);
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers.len(), 2, "no temporary file is left: {leftovers:?}");
    }

    #[test]
    fn a_backup_that_is_a_symlink_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("profiles"));
        store.save("p", &profile("ws://127.0.0.1:1/")).unwrap();
        let path = store.path_of("p").unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, backup_path(&path)).unwrap();
        store.save("p", &profile("ws://127.0.0.1:2/")).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        let backup = backup_path(&path);
        assert!(!fs::symlink_metadata(&backup).unwrap().file_type().is_symlink());
        assert!(fs::read_to_string(&backup).unwrap().contains("127.0.0.1:1"));
    }

    #[test]
    fn a_symlinked_profile_is_saved_to_its_target_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let dotfiles = dir.path().join("dotfiles");
        fs::create_dir_all(&dotfiles).unwrap();
        let real = dotfiles.join("prod.toml");
        fs::write(&real, "[[connection]]\nname = \"a\"\nurl = \"ws://127.0.0.1:1/\"\n").unwrap();
        let store = Store::at(dir.path().join("profiles"));
        create_private_dir(store.dir()).unwrap();
        let link = store.path_of("prod").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        store.save("prod", &profile("ws://127.0.0.1:2/")).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays");
        assert!(fs::read_to_string(&real).unwrap().contains("127.0.0.1:2"), "the target is updated");
        assert!(fs::read_to_string(dotfiles.join("prod.toml.bak")).unwrap().contains("127.0.0.1:1"));
    }
}
