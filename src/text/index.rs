//! The search index: every distinct comment text's vector in int8 (one scale
//! per vector), with its sentiment probabilities and the skill it names, in one
//! file beside the database (`<db>.search`), memory-mapped by `classlens
//! search`. Reading a million vectors out of DuckDB takes seconds; scanning
//! 400 MB in place takes tens of milliseconds. The file is derived: analyze
//! rewrites it whenever the insights change, and a search that finds it
//! missing or stale (its stamp differs from the database's) reads the
//! database instead. Approximate scores pick the candidates; their exact f32
//! vectors, read from the database, rank them.

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::store::insights::{CommentFilter, TextVector};
use crate::store::{Store, StoreError};

const MAGIC: &[u8; 8] = b"CLSRCH02";

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the search index {path}: {reason}")]
    File { path: String, reason: String },
}

/// The index of `store`'s database, if it is there and current.
pub fn current(store: &Store) -> Result<Option<SearchIndex>, IndexError> {
    match store.insight_stamp()? {
        Some(stamp) => SearchIndex::open(&path_for(store.path()), &stamp),
        None => Ok(None),
    }
}

/// Rebuilds the index of `store`'s database unless it is current; the
/// number of texts written, or None when it was current.
pub fn refresh(store: &Store, model: &str) -> Result<Option<usize>, IndexError> {
    let Some(stamp) = store.insight_stamp()? else {
        return Ok(None);
    };
    let path = path_for(store.path());
    if SearchIndex::open(&path, &stamp)?.is_some() {
        return Ok(None);
    }
    build(store, model, &stamp, &path).map(Some)
}

/// Where the index of the database at `db` lives.
pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".search");
    PathBuf::from(name)
}

fn hash_bytes(hex: &str) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn hash_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One record: hash, scale, probabilities (NaN: not scored), skill (u16::MAX: none), codes.
fn record_len(dim: usize) -> usize {
    16 + 4 + 12 + 2 + dim
}

/// Writes the index of `model`'s comment vectors, stamped with `stamp`;
/// through a temporary file, so a reader never sees half of one. Returns the
/// number of texts. Layout: magic, dim (u32), count (u64), stamp; the records
/// (what the scan reads); each record's exact f32 vector, in the same order
/// (read only for the candidates); the skills named (u32 count, then u32
/// length + bytes each); and last the offset of that skills table (u64). All
/// little-endian.
pub fn build(store: &Store, model: &str, stamp: &str, path: &Path) -> Result<usize, IndexError> {
    let file_error = |reason: String| IndexError::File {
        path: path.display().to_string(),
        reason,
    };
    let tmp = path.with_extension("search.tmp");
    let file = std::fs::File::create(&tmp).map_err(|e| file_error(e.to_string()))?;
    let mut out = BufWriter::new(file);
    let header =
        |out: &mut BufWriter<std::fs::File>, dim: u32, count: u64| -> std::io::Result<()> {
            out.write_all(MAGIC)?;
            out.write_all(&dim.to_le_bytes())?;
            out.write_all(&count.to_le_bytes())?;
            out.write_all(&(stamp.len() as u32).to_le_bytes())?;
            out.write_all(stamp.as_bytes())
        };
    let mut io_result = header(&mut out, 0, 0);
    // The exact vectors go to a side file while the records stream, then follow them.
    let side = path.with_extension("search.f32");
    let side_file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&side)
        .map_err(|e| file_error(e.to_string()))?;
    let mut exact = BufWriter::new(side_file);
    let mut skills: Vec<String> = Vec::new();
    let mut skill_index: HashMap<String, u16> = HashMap::new();
    let mut count = 0u64;
    let mut dim = 0usize;
    let mut record: Vec<u8> = Vec::new();
    store.for_each_comment_vector(model, &CommentFilter::default(), |t: TextVector| {
        let Some(hash) = hash_bytes(&t.text_hash) else {
            return Ok(());
        };
        if dim == 0 {
            dim = t.vector.len();
        }
        if t.vector.len() != dim || io_result.is_err() {
            return Ok(());
        }
        let max = t.vector.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        record.clear();
        record.extend_from_slice(&hash);
        record.extend_from_slice(&scale.to_le_bytes());
        for p in t.probabilities.unwrap_or([f32::NAN; 3]) {
            record.extend_from_slice(&p.to_le_bytes());
        }
        let skill = match &t.skill_id {
            Some(id) if skills.len() < usize::from(u16::MAX) => {
                *skill_index.entry(id.clone()).or_insert_with(|| {
                    skills.push(id.clone());
                    (skills.len() - 1) as u16
                })
            }
            _ => u16::MAX,
        };
        record.extend_from_slice(&skill.to_le_bytes());
        record.extend(
            t.vector
                .iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8 as u8),
        );
        io_result = out.write_all(&record).and_then(|()| {
            t.vector
                .iter()
                .try_for_each(|x| exact.write_all(&x.to_le_bytes()))
        });
        count += 1;
        Ok(())
    })?;
    let finish = || -> std::io::Result<()> {
        io_result?;
        let mut vectors = exact.into_inner().map_err(|e| e.into_error())?;
        vectors.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut vectors, &mut out)?;
        drop(vectors);
        std::fs::remove_file(&side)?;
        let skills_at =
            HEADER_FIXED as u64 + stamp.len() as u64 + count * (record_len(dim) + 4 * dim) as u64;
        out.write_all(&(skills.len() as u32).to_le_bytes())?;
        for s in &skills {
            out.write_all(&(s.len() as u32).to_le_bytes())?;
            out.write_all(s.as_bytes())?;
        }
        out.write_all(&skills_at.to_le_bytes())?;
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        // The dimension and count are known now.
        file.seek(SeekFrom::Start(MAGIC.len() as u64))?;
        file.write_all(&(dim as u32).to_le_bytes())?;
        file.write_all(&count.to_le_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    finish().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(&side);
        file_error(e.to_string())
    })?;
    Ok(count as usize)
}

/// How far an int8 cosine can stray from the exact one (per-vector scales on
/// unit vectors of a few hundred dimensions: about 0.002 at worst, doubled).
const QUANTISATION_SLACK: f32 = 0.005;

/// Magic, dim, count, stamp length.
const HEADER_FIXED: usize = 8 + 4 + 8 + 4;

pub struct SearchIndex {
    map: memmap2::Mmap,
    dim: usize,
    count: usize,
    skills: Vec<String>,
    /// Where the records start.
    body: usize,
}

/// A text the index proposes: its exact cosine to the query, and what the
/// ranking adds to it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub text_hash: String,
    pub similarity: f32,
    pub probabilities: Option<[f32; 3]>,
    pub skill_id: Option<String>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        Some(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }
    fn string(&mut self, n: usize) -> Option<String> {
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

impl SearchIndex {
    /// The index at `path` if it is there and was built for `stamp`; None otherwise.
    pub fn open(path: &Path, stamp: &str) -> Result<Option<SearchIndex>, IndexError> {
        let Ok(file) = std::fs::File::open(path) else {
            return Ok(None);
        };
        // SAFETY: the file is only ever replaced by rename, never written in
        // place, so the mapped bytes do not change under us.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| IndexError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let parsed = (|| {
            let mut r = Reader { bytes: &map, at: 0 };
            if r.take(8)? != MAGIC {
                return None;
            }
            let dim = r.u32()? as usize;
            let count = usize::try_from(r.u64()?).ok()?;
            let stamp_len = r.u32()? as usize;
            let found = r.string(stamp_len)?;
            let body = r.at;
            let skills_at =
                body.checked_add(count.checked_mul(record_len(dim).checked_add(4 * dim)?)?)?;
            let end = map.len().checked_sub(8)?;
            let mut trailer = Reader {
                bytes: &map,
                at: end,
            };
            if usize::try_from(trailer.u64()?).ok()? != skills_at {
                return None;
            }
            let mut r = Reader {
                bytes: &map[..end],
                at: skills_at,
            };
            let n = r.u32()? as usize;
            let mut skills = Vec::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                let len = r.u32()? as usize;
                skills.push(r.string(len)?);
            }
            (r.at == end).then_some((found, dim, count, skills, body))
        })();
        match parsed {
            Some((found, dim, count, skills, body)) if found == stamp => Ok(Some(SearchIndex {
                map,
                dim,
                count,
                skills,
                body,
            })),
            // Stale or unreadable: the caller falls back to the database.
            _ => Ok(None),
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The `n` best texts by approximate score (`score` turns similarity,
    /// probabilities and skill into the ranking score, adding at most
    /// `most_added` to the similarity), among `allowed` hashes when given, each
    /// with its exact similarity. The scan runs on every core.
    pub fn candidates(
        &self,
        query: &[f32],
        allowed: Option<&HashSet<[u8; 16]>>,
        n: usize,
        most_added: f32,
        score: impl Fn(f32, Option<[f32; 3]>, Option<&str>) -> f32 + Sync,
    ) -> Vec<Candidate> {
        if query.len() != self.dim || n == 0 || self.count == 0 {
            return Vec::new();
        }
        // The query in int8 too: the dot of two int8 vectors is exact in i32,
        // and vectorises where f32 x i8 would not.
        let q_max = query.iter().fold(0f32, |m, x| m.max(x.abs()));
        let q_scale = if q_max > 0.0 { q_max / 127.0 } else { 1.0 };
        let q: Vec<i16> = query
            .iter()
            .map(|x| (x / q_scale).round().clamp(-127.0, 127.0) as i16)
            .collect();
        let len = record_len(self.dim);
        let records = &self.map[self.body..self.body + self.count * len];
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(8));
        let per_thread = self.count.div_ceil(threads);
        let scan = |from: usize| -> Vec<(f32, usize)> {
            let to = (from + per_thread).min(self.count);
            let mut top: Vec<(f32, usize)> = Vec::with_capacity(n + 1);
            let mut floor = f32::NEG_INFINITY;
            for i in from..to {
                let record = &records[i * len..(i + 1) * len];
                if let Some(allowed) = allowed {
                    let mut hash = [0u8; 16];
                    hash.copy_from_slice(&record[..16]);
                    if !allowed.contains(&hash) {
                        continue;
                    }
                }
                let scale = f32::from_le_bytes([record[16], record[17], record[18], record[19]]);
                let dot = classlens_kernels::dot_i8(&record[34..], &q);
                let similarity = dot as f32 * scale * q_scale;
                // The most this text could score: skip it before reading the rest.
                if top.len() == n && similarity + most_added + QUANTISATION_SLACK <= floor {
                    continue;
                }
                let (probabilities, skill) = self.extras(record);
                let s = score(similarity, probabilities, skill);
                if top.len() == n && s <= floor {
                    continue;
                }
                let at = top.partition_point(|(t, _)| *t >= s);
                top.insert(at, (s, i));
                if top.len() > n {
                    top.pop();
                }
                if top.len() == n {
                    floor = top[n - 1].0;
                }
            }
            top
        };
        let mut top: Vec<(f32, usize)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let scan = &scan;
                    scope.spawn(move || scan(t * per_thread))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        top.truncate(n);
        let vectors_at = self.body + self.count * len;
        let width = 4 * self.dim;
        top.into_iter()
            .map(|(_, i)| {
                let record = &records[i * len..(i + 1) * len];
                let (probabilities, skill) = self.extras(record);
                let exact = &self.map[vectors_at + i * width..vectors_at + (i + 1) * width];
                let similarity = exact
                    .chunks_exact(4)
                    .zip(query)
                    .map(|(b, q)| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * q)
                    .sum();
                Candidate {
                    text_hash: hash_hex(&record[..16]),
                    similarity,
                    probabilities,
                    skill_id: skill.map(str::to_string),
                }
            })
            .collect()
    }

    fn extras<'a>(&'a self, record: &[u8]) -> (Option<[f32; 3]>, Option<&'a str>) {
        let f = |at: usize| {
            f32::from_le_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
        };
        let p = [f(20), f(24), f(28)];
        let probabilities = (!p[0].is_nan()).then_some(p);
        let skill = u16::from_le_bytes([record[32], record[33]]);
        let skill = (skill != u16::MAX)
            .then(|| self.skills.get(usize::from(skill)).map(String::as_str))
            .flatten();
        (probabilities, skill)
    }
}

/// The allowed set for `hashes` (hex), as the index stores them.
pub fn allowed(hashes: &[String]) -> HashSet<[u8; 16]> {
    hashes.iter().filter_map(|h| hash_bytes(h)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip() {
        let hex = "00ff10a0b1c2d3e4f5061728394a5b6c";
        assert_eq!(hash_hex(&hash_bytes(hex).unwrap_or_default()), hex);
        assert_eq!(hash_bytes("zz"), None);
        assert_eq!(
            path_for(Path::new("/x/school.duckdb")),
            Path::new("/x/school.duckdb.search")
        );
    }
}
