//! Records on disk: one JSON file per record (`<dir>/<id>.json`), written
//! atomically at every change, read forward-compatibly, a damaged one set aside
//! and every other kept. Jobs and voices are both kept by a `RecordStore`; this
//! room knows neither.
//!
//! The store owns what makes a paid record safe to change from several tasks:
//! the write lock held from reading a record to storing its change (a job's drive
//! and a "stop", a voice's rename and its id arriving, never overwrite each
//! other), and the changes the disk refused, kept in memory until a later write
//! stores them (a paid job's request id is never dropped for a full disk).

mod disk;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use disk::{remove_if_present, write_atomically};

use crate::error::{AppError, AppResult, Reason};
use crate::mutex::lock;

/// What a store keeps: a record with an id that is also its file's name.
pub trait Record: Clone + Serialize + DeserializeOwned {
    /// The id, which names the record's file (`is_plain_id` holds).
    fn id(&self) -> &str;
    /// When it was made (Unix ms): lists are newest first.
    fn created_at_ms(&self) -> i64;
    /// The error for an id the store does not hold.
    fn not_found(id: &str) -> AppError;
    /// The actions a refused write and a refused delete name (`AppError::io`),
    /// which the page words: `record_job`, `delete_job`…
    const WRITE_ACTION: Reason;
    const DELETE_ACTION: Reason;
    /// Stamps the record just before each write (jobs keep `updated_at_ms`).
    fn before_write(&mut self) {}
}

/// Ids are uuids; nothing else may become a file name.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A record that could not be read, kept aside under `file`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DamagedEntry {
    pub file: PathBuf,
    pub problem: String,
}

pub struct RecordStore<T> {
    dir: PathBuf,
    records: Mutex<HashMap<String, T>>,
    /// Held from reading a record to storing its change.
    writes: Mutex<()>,
    /// Records whose latest change lives only in memory (the disk refused it).
    unsaved: Mutex<HashSet<String>>,
    damaged: Vec<DamagedEntry>,
}

impl<T: Record> RecordStore<T> {
    /// Reads every record in `dir` (made if missing), passing each through
    /// `settle` first; unreadable ones are renamed `*.damaged` and listed.
    pub fn open(dir: &Path, mut settle: impl FnMut(&mut T)) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        let (found, damaged) = read_records::<T>(dir)?;
        let records = found
            .into_iter()
            .map(|mut record| {
                settle(&mut record);
                (record.id().to_string(), record)
            })
            .collect();
        Ok(Self {
            dir: dir.to_path_buf(),
            records: Mutex::new(records),
            writes: Mutex::new(()),
            unsaved: Mutex::new(HashSet::new()),
            damaged,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn damaged(&self) -> &[DamagedEntry] {
        &self.damaged
    }

    fn records(&self) -> MutexGuard<'_, HashMap<String, T>> {
        lock(&self.records)
    }

    fn writing(&self) -> MutexGuard<'_, ()> {
        lock(&self.writes)
    }

    fn unsaved_ids(&self) -> MutexGuard<'_, HashSet<String>> {
        lock(&self.unsaved)
    }

    fn file_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Runs `f` holding the write lock: no record changes meanwhile.
    pub fn while_writing<R>(&self, f: impl FnOnce() -> R) -> R {
        let _writing = self.writing();
        f()
    }

    /// Stores a new (or whole) record.
    pub fn put(&self, record: T) -> AppResult<T> {
        let _writing = self.writing();
        self.store(record)
    }

    /// Writes the record to disk, then to memory: memory never runs ahead of disk.
    fn store(&self, mut record: T) -> AppResult<T> {
        if !is_plain_id(record.id()) {
            return Err(AppError::internal(format!(
                "not a record id: {:?}",
                record.id()
            )));
        }
        record.before_write();
        let json =
            serde_json::to_vec_pretty(&record).map_err(|e| AppError::internal(e.to_string()))?;
        write_atomically(&self.file_of(record.id()), &json)
            .map_err(|e| AppError::io(T::WRITE_ACTION, &e))?;
        let id = record.id().to_string();
        self.unsaved_ids().remove(&id);
        self.records().insert(id, record.clone());
        Ok(record)
    }

    /// Changes one record and stores it.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut T)) -> AppResult<T> {
        self.try_update(id, |record| {
            change(record);
            Ok(true)
        })
        .map(|stored| stored.expect("an unconditional change is stored"))
    }

    /// Changes one record if `change` says so (`Ok(true)`), in one step with reading
    /// it: `Ok(false)` leaves it as it is (answering `None`), an error refuses.
    pub fn try_update(
        &self,
        id: &str,
        change: impl FnOnce(&mut T) -> AppResult<bool>,
    ) -> AppResult<Option<T>> {
        let _writing = self.writing();
        let mut record = self.get(id)?;
        if change(&mut record)? {
            self.store(record).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Changes a record in memory only, when the disk cannot take it: the work
    /// goes on from memory and the next successful write stores the change with it.
    pub fn remember(&self, id: &str, change: impl FnOnce(&mut T) -> AppResult<()>) -> AppResult<T> {
        let _writing = self.writing();
        let mut records = self.records();
        let record = records.get_mut(id).ok_or_else(|| T::not_found(id))?;
        change(record)?;
        let record = record.clone();
        drop(records);
        self.unsaved_ids().insert(id.to_string());
        Ok(record)
    }

    /// Changes a record and stores it; when the disk refuses, keeps the change in
    /// memory (`remember`) and answers it with the disk's error.
    pub fn update_or_remember(
        &self,
        id: &str,
        change: impl Fn(&mut T),
    ) -> AppResult<(T, Option<AppError>)> {
        match self.update(id, &change) {
            Ok(record) => Ok((record, None)),
            Err(error) if error.code == crate::error::ErrorCode::Io => {
                let record = self.remember(id, |r| {
                    change(r);
                    Ok(())
                })?;
                Ok((record, Some(error)))
            }
            Err(error) => Err(error),
        }
    }

    /// Records whose latest change is only in memory, waiting for the disk.
    pub fn unsaved(&self) -> Vec<String> {
        self.unsaved_ids().iter().cloned().collect()
    }

    /// Writes again every change the disk refused, each passed through `settle`
    /// first (jobs drop their "library not writable" note); answers those stored.
    pub fn store_unsaved(&self, settle: impl Fn(&mut T)) -> Vec<T> {
        self.unsaved()
            .iter()
            .filter_map(|id| self.update(id, &settle).ok())
            .collect()
    }

    pub fn get(&self, id: &str) -> AppResult<T> {
        self.records()
            .get(id)
            .cloned()
            .ok_or_else(|| T::not_found(id))
    }

    /// How many records the store holds (no copy, no sort).
    pub fn count(&self) -> usize {
        self.records().len()
    }

    /// How many records are such (no copy, no sort).
    pub fn count_where(&self, such: impl Fn(&T) -> bool) -> usize {
        self.records().values().filter(|r| such(r)).count()
    }

    /// Whether any record is such (no copy).
    pub fn any(&self, such: impl Fn(&T) -> bool) -> bool {
        self.records().values().any(such)
    }

    /// Every record, newest first.
    pub fn list(&self) -> Vec<T> {
        self.list_where(|_| true)
    }

    /// The records that are such, newest first: only those are copied (at start,
    /// the few a crash left mid-step, not the whole library).
    pub fn list_where(&self, such: impl Fn(&T) -> bool) -> Vec<T> {
        let mut all: Vec<T> = self
            .records()
            .values()
            .filter(|r| such(r))
            .cloned()
            .collect();
        all.sort_by(|a, b| {
            b.created_at_ms()
                .cmp(&a.created_at_ms())
                .then_with(|| b.id().cmp(a.id()))
        });
        all
    }

    /// Removes a record and the files `files_of` names for it (which may refuse),
    /// in one step with reading it. A file that cannot be removed keeps the record.
    pub fn delete(
        &self,
        id: &str,
        files_action: Reason,
        files_of: impl FnOnce(&T) -> AppResult<Vec<PathBuf>>,
    ) -> AppResult<()> {
        let _writing = self.writing();
        let record = self.get(id)?;
        for path in files_of(&record)? {
            remove_if_present(&path).map_err(|e| AppError::io(files_action, &e))?;
        }
        remove_if_present(&self.file_of(id)).map_err(|e| AppError::io(T::DELETE_ACTION, &e))?;
        self.records().remove(id);
        self.unsaved_ids().remove(id);
        Ok(())
    }
}

/// Every `<id>.json` record in `dir`. One that cannot be parsed, or whose id is
/// not its file's name, is renamed `*.json.damaged` and listed: every other is
/// kept. One that cannot be read now is left in place for the next start.
fn read_records<T: Record>(dir: &Path) -> std::io::Result<(Vec<T>, Vec<DamagedEntry>)> {
    let mut records = Vec::new();
    let mut damaged = Vec::new();
    for entry in fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let expected = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                // Not readable now (a sharing violation, a flaky disk) is not
                // damaged: the file stays as it is and is read at the next start.
                log::warn!(
                    "{} not readable now, left as it is: {error}",
                    path.display()
                );
                continue;
            }
        };
        let parsed = serde_json::from_slice::<T>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|record| {
                let id = record.id();
                if id == expected && is_plain_id(id) {
                    Ok(record)
                } else {
                    Err(format!("the record inside names {id:?}"))
                }
            });
        match parsed {
            Ok(record) => records.push(record),
            Err(problem) => {
                let aside = path.with_extension("json.damaged");
                let _ = fs::rename(&path, &aside);
                damaged.push(DamagedEntry {
                    file: aside,
                    problem,
                });
            }
        }
    }
    Ok((records, damaged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Note {
        id: String,
        at: i64,
        text: String,
        #[serde(default)]
        writes: u32,
    }

    impl Record for Note {
        const WRITE_ACTION: Reason = Reason::RecordJob;
        const DELETE_ACTION: Reason = Reason::DeleteJob;
        fn id(&self) -> &str {
            &self.id
        }
        fn created_at_ms(&self) -> i64 {
            self.at
        }
        fn not_found(_: &str) -> AppError {
            AppError::new(ErrorCode::JobNotFound)
        }
        fn before_write(&mut self) {
            self.writes += 1;
        }
    }

    fn note(id: &str, at: i64) -> Note {
        Note {
            id: id.into(),
            at,
            text: String::new(),
            writes: 0,
        }
    }

    fn open(dir: &Path) -> RecordStore<Note> {
        RecordStore::open(dir, |_| {}).unwrap()
    }

    #[test]
    fn records_survive_a_reopen_newest_first_stamped_at_each_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.put(note("a-1", 1)).unwrap();
        store.put(note("b-2", 2)).unwrap();
        store.update("a-1", |n| n.text = "changed".into()).unwrap();
        let again = open(dir.path());
        let ids: Vec<String> = again.list().into_iter().map(|n| n.id).collect();
        assert_eq!(ids, ["b-2", "a-1"]);
        assert_eq!(again.get("a-1").unwrap().text, "changed");
        assert_eq!(again.get("a-1").unwrap().writes, 2);
        assert!(again.damaged().is_empty());
    }

    #[test]
    fn a_damaged_or_misnamed_record_is_set_aside_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.put(note("good-1", 1)).unwrap();
        fs::write(dir.path().join("bad-1.json"), b"{ not json").unwrap();
        let other = serde_json::to_vec(&note("other-1", 1)).unwrap();
        fs::write(dir.path().join("named-1.json"), other).unwrap();
        let again = open(dir.path());
        assert_eq!(again.count(), 1);
        assert_eq!(again.damaged().len(), 2);
        assert!(dir.path().join("bad-1.json.damaged").exists());
        assert!(dir.path().join("named-1.json.damaged").exists());
    }

    #[test]
    fn only_plain_ids_become_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        assert!(store.put(note("../escape", 1)).is_err());
        assert!(!dir.path().parent().unwrap().join("escape.json").exists());
    }

    #[test]
    fn a_change_the_disk_refuses_is_kept_in_memory_and_stored_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.put(note("paid-1", 1)).unwrap();
        // A folder where the record's file goes: every write of it fails.
        let file = dir.path().join("paid-1.json");
        fs::remove_file(&file).unwrap();
        fs::create_dir(&file).unwrap();
        let (kept, refused) = store
            .update_or_remember("paid-1", |n| n.text = "request id".into())
            .unwrap();
        assert_eq!(refused.unwrap().code, ErrorCode::Io);
        assert_eq!(kept.text, "request id");
        assert_eq!(store.get("paid-1").unwrap().text, "request id");
        assert_eq!(store.unsaved(), ["paid-1"]);
        // Still refused: the saver stores nothing and keeps it in memory.
        assert!(store.store_unsaved(|_| {}).is_empty());
        assert_eq!(store.unsaved(), ["paid-1"]);
        // The disk takes writes again: the saver (or the next change) stores it.
        fs::remove_dir(&file).unwrap();
        let stored = store.store_unsaved(|n| n.at = 5);
        assert_eq!(stored.len(), 1);
        assert!(store.unsaved().is_empty());
        let on_disk = open(dir.path()).get("paid-1").unwrap();
        assert_eq!((on_disk.text.as_str(), on_disk.at), ("request id", 5));
    }

    #[test]
    fn concurrent_changes_of_one_record_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(open(dir.path()));
        store.put(note("n-1", 1)).unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = std::sync::Arc::clone(&store);
                std::thread::spawn(move || {
                    for _ in 0..5 {
                        store
                            .update("n-1", |n| n.text.push(char::from(b'a' + t)))
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(open(dir.path()).get("n-1").unwrap().text.len(), 40);
    }

    #[test]
    fn delete_removes_the_record_and_its_files_or_refuses_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.put(note("gone-1", 1)).unwrap();
        let video = dir.path().join("gone-1.mp4");
        fs::write(&video, b"v").unwrap();
        let refused = store.delete("gone-1", Reason::DeleteVideo, |_| {
            Err(AppError::new(ErrorCode::Busy))
        });
        assert_eq!(refused.unwrap_err().code, ErrorCode::Busy);
        assert!(store.get("gone-1").is_ok() && video.exists());
        store
            .delete("gone-1", Reason::DeleteVideo, |_| Ok(vec![video.clone()]))
            .unwrap();
        assert!(!video.exists());
        assert!(store.get("gone-1").is_err());
        assert_eq!(open(dir.path()).count(), 0);
    }
}
