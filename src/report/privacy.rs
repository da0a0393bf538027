//! What keeps a report from saying more than it should: stable pseudonyms,
//! suppression of figures over small groups, and files only their owner reads.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::Sha256;

use super::ReportError;

/// Aggregates over fewer students than this are left out of pseudonymized
/// reports: a mean over two students says too much about each.
pub const MIN_GROUP: u64 = 5;

/// The per-school secret's file, beside the database.
pub fn secret_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".report-key");
    db.with_file_name(name)
}

/// Maps ids to pseudonyms with a keyed hash, so the same student gets the same
/// pseudonym in every report of the school, and nobody without the key can
/// go back (or check a guess).
pub struct Pseudonyms {
    key: Vec<u8>,
}

impl Pseudonyms {
    /// The school's key, made (owner-only) on first use.
    pub fn for_database(db: &Path) -> Result<Pseudonyms, ReportError> {
        let path = secret_path(db);
        match fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(text.trim()).ok_or_else(|| ReportError::Secret {
                path: path.clone(),
                why: "is not 64 hex digits; restore it from a backup (a new key would \
                      give every student a new pseudonym)"
                    .into(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill(&mut key);
                let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
                let written = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode_owner_only()
                    .open(&path)
                    .and_then(|mut f| f.write_all(format!("{hex}\n").as_bytes()));
                match written {
                    Ok(()) => Ok(Pseudonyms { key: key.to_vec() }),
                    // Another report made it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::for_database(db)
                    }
                    Err(e) => Err(ReportError::Secret {
                        path,
                        why: format!("cannot be created: {e}"),
                    }),
                }
            }
            Err(e) => Err(ReportError::Secret {
                path,
                why: format!("cannot be read: {e}"),
            }),
        }
    }

    fn from_hex(text: &str) -> Option<Pseudonyms> {
        if text.len() != 64 {
            return None;
        }
        let key = (0..32)
            .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(Pseudonyms { key })
    }

    /// "S-" and ten Crockford base-32 digits (50 bits: no collision in a
    /// district of 50,000 but once in about 900 such districts).
    pub fn student(&self, student_id: &str) -> String {
        const DIGITS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            unreachable!("HMAC takes a key of any length")
        };
        mac.update(b"student\0");
        mac.update(student_id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let bits = digest[..8]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let code: String = (0..10)
            .map(|i| DIGITS[((bits >> (59 - 5 * i)) & 31) as usize] as char)
            .collect();
        format!("S-{code}")
    }
}

/// Replaces the class's names in free text (comments) with a placeholder: a
/// pseudonym on the page is no use if a classmate's comment names the student.
pub struct NameScrubber {
    /// Lowercased names and name parts, longest first.
    names: Vec<String>,
}

impl NameScrubber {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> NameScrubber {
        let mut all: Vec<String> = Vec::new();
        for name in names {
            let lower = name.to_lowercase();
            all.extend(
                lower
                    .split_whitespace()
                    .filter(|part| part.chars().count() >= 3)
                    .map(str::to_string),
            );
            all.push(lower);
        }
        all.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        all.dedup();
        NameScrubber { names: all }
    }

    /// `text` with every whole-word occurrence of a name replaced.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for name in &self.names {
            out = replace_word(&out, name, "[name]");
        }
        out
    }
}

/// Case-insensitive whole-word replacement (ASCII-lowercasing aside, names
/// are matched as the roster writes them).
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let lower = text.to_lowercase();
    // Lowercasing can change byte lengths outside ASCII; then match exactly.
    if lower.len() != text.len() || word.is_empty() {
        return text.replace(word, with);
    }
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in lower.match_indices(word) {
        if at < last {
            continue;
        }
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if is_word(before) || is_word(after) {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push_str(with);
        last = at + word.len();
    }
    out.push_str(&text[last..]);
    out
}

trait OwnerOnly {
    fn mode_owner_only(&mut self) -> &mut Self;
}

impl OwnerOnly for OpenOptions {
    #[cfg(unix)]
    fn mode_owner_only(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
    #[cfg(not(unix))]
    fn mode_owner_only(&mut self) -> &mut Self {
        self
    }
}

/// Writes a report file readable by its owner only (also when it existed).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let io = |e: std::io::Error| ReportError::Write {
        path: path.to_path_buf(),
        source: e,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode_owner_only()
        .open(path)
        .map_err(io)?;
    make_private(path, false)?;
    file.write_all(bytes).map_err(io)
}

/// Owner-only permissions on a file (0600) or folder (0700).
pub fn make_private(path: &Path, folder: bool) -> Result<(), ReportError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if folder { 0o700 } else { 0o600 };
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| {
            ReportError::Write {
                path: path.to_path_buf(),
                source: e,
            }
        })?;
    }
    #[cfg(not(unix))]
    let _ = (path, folder);
    Ok(())
}

/// Creates a folder (and its parents) for report files; folders it creates are owner-only.
pub fn private_dir(path: &Path) -> Result<(), ReportError> {
    if path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        private_dir(parent)?;
    }
    fs::create_dir(path)
        .or_else(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| ReportError::Write {
            path: path.to_path_buf(),
            source: e,
        })?;
    make_private(path, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_keyed_and_distinct() {
        let a = Pseudonyms::from_hex(&"ab".repeat(32)).unwrap();
        let b = Pseudonyms::from_hex(&"cd".repeat(32)).unwrap();
        assert_eq!(a.student("s001"), a.student("s001"));
        assert_ne!(a.student("s001"), b.student("s001"));
        let many: std::collections::HashSet<String> =
            (0..20_000).map(|i| a.student(&format!("s{i}"))).collect();
        assert_eq!(many.len(), 20_000);
        assert!(a.student("s001").starts_with("S-") && a.student("s001").len() == 12);
        assert!(Pseudonyms::from_hex("00").is_none());
    }

    #[test]
    fn names_are_scrubbed_as_whole_words_only() {
        let s = NameScrubber::new(["Ana Lima", "Bo Ek"]);
        assert_eq!(
            s.scrub("ana lima said Lima's idea beats Limassol; ask Ana."),
            "[name] said [name]'s idea beats Limassol; ask [name]."
        );
        // Two-letter parts are too common to remove alone; the full name goes.
        assert_eq!(s.scrub("Bo Ek and bo"), "[name] and bo");
    }
}
