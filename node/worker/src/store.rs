//! The local store: what the worker must not lose when it is killed.
//!
//! One directory per replica, `<base>/jobs/<job>-<replica>/`:
//! - `meta.json`: the job's dimensions and inputs (so a store left from another chain is never
//!   mistaken for this one's job), how many rows of C are done, and the output commitment once
//!   computed; written only by the computation;
//! - `actions.json`: the block at which the acknowledgement, the decline and the receipt were
//!   last sent (so a restart does not send them twice while the first is still on its way), and
//!   when the replica was seen to end; written only by the loop that follows the chain, so the
//!   two writers never overwrite each other's fields;
//! - `inputs.bin`: content inputs as downloaded and checked (seed inputs are derived again);
//! - `output.bin`: C, little-endian int32, row-major, written a chunk of rows at a time.
//!
//! Every write is durable before the metadata says so: rows are synced before `rows_done`
//! counts them, and `meta.json` is replaced atomically (write, sync, rename, sync directory).
//! A kill at any point leaves either the old or the new state, never a torn one.

use serde::{Deserialize, Serialize};
use std::{
	fs::{self, File, OpenOptions},
	io::{self, Write},
	os::unix::fs::FileExt,
	path::{Path, PathBuf},
	time::{Duration, SystemTime, UNIX_EPOCH},
};
use tessera_commitment::Dims;

/// What the store keeps about one replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
	pub job: u64,
	pub replica: u32,
	pub m: u32,
	pub n: u32,
	pub k: u32,
	/// `seed:<hex>` or `content:<hex input commitment>`.
	pub inputs: String,
	/// Rows of C computed and synced to `output.bin`.
	pub rows_done: u32,
	/// The output commitment (hex), once all rows are done.
	pub output_commitment: Option<String>,
}

/// What the loop following the chain did for one replica. Each mark is the number of the
/// (best) block at which the worker sent the transaction, written before it is sent.
/// A field missing from the file (one written by an older worker) reads as `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Actions {
	/// Block at which the acknowledgement was last sent.
	pub ack_sent_at: Option<u32>,
	/// Block at which `jobs.decline` was last sent: the worker will not run the replica, and
	/// neither acknowledges nor computes it from then on.
	pub declined_at: Option<u32>,
	/// Block at which the receipt was last sent.
	pub receipt_sent_at: Option<u32>,
	/// The secret salt the receipt of a replicated job seals its output with (hex), chosen at
	/// random before the receipt is first sent and kept until the reveal.
	pub salt: Option<String>,
	/// Block at which `proofs.reveal` was last sent.
	pub reveal_sent_at: Option<u32>,
	/// Unix time at which the replica was seen over (paid or failed); outputs are kept for
	/// clients to download until the retention period after it.
	pub finished_at: Option<u64>,
}

impl Meta {
	/// A new record for a replica with nothing done yet.
	pub fn new(job: u64, replica: u32, d: Dims, inputs: String) -> Self {
		Meta { job, replica, m: d.m, n: d.n, k: d.k, inputs, rows_done: 0, output_commitment: None }
	}

	pub fn dims(&self) -> Dims {
		Dims { m: self.m, n: self.n, k: self.k }
	}
}

/// The store under one base path.
#[derive(Clone, Debug)]
pub struct Store {
	jobs: PathBuf,
}

impl Store {
	/// Opens (creating it if needed) the store under `base`.
	pub fn open(base: &Path) -> io::Result<Self> {
		let jobs = base.join("jobs");
		fs::create_dir_all(&jobs)?;
		Ok(Store { jobs })
	}

	fn dir(&self, job: u64, replica: u32) -> PathBuf {
		self.jobs.join(format!("{job}-{replica}"))
	}

	/// Where C of a replica is.
	pub fn output_path(&self, job: u64, replica: u32) -> PathBuf {
		self.dir(job, replica).join("output.bin")
	}

	/// The record of a replica, if there is one.
	pub fn load(&self, job: u64, replica: u32) -> io::Result<Option<Meta>> {
		read_optional(&self.dir(job, replica).join("meta.json"))?
			.map(|bytes| serde_json::from_slice(&bytes).map_err(io::Error::other))
			.transpose()
	}

	/// Replaces the record of a replica atomically.
	pub fn save(&self, meta: &Meta) -> io::Result<()> {
		self.replace(meta.job, meta.replica, "meta.json", &json(meta)?)
	}

	/// What was sent for a replica (nothing if there is no record).
	pub fn load_actions(&self, job: u64, replica: u32) -> io::Result<Actions> {
		match read_optional(&self.dir(job, replica).join("actions.json"))? {
			Some(bytes) => serde_json::from_slice(&bytes).map_err(io::Error::other),
			None => Ok(Actions::default()),
		}
	}

	/// Replaces what was sent for a replica atomically.
	pub fn save_actions(&self, job: u64, replica: u32, actions: &Actions) -> io::Result<()> {
		self.replace(job, replica, "actions.json", &json(actions)?)
	}

	/// Writes `name` in a replica's directory: a temporary file, synced, renamed over the old
	/// one, and the directory synced.
	fn replace(&self, job: u64, replica: u32, name: &str, bytes: &[u8]) -> io::Result<()> {
		let dir = self.dir(job, replica);
		fs::create_dir_all(&dir)?;
		let tmp = dir.join(format!("{name}.tmp"));
		let mut file = File::create(&tmp)?;
		file.write_all(bytes)?;
		file.sync_all()?;
		fs::rename(&tmp, dir.join(name))?;
		File::open(&dir)?.sync_all()
	}

	/// Starts a replica afresh: removes whatever an older record left and sizes `output.bin`
	/// for the whole of C.
	pub fn begin(&self, meta: &Meta) -> io::Result<()> {
		let dir = self.dir(meta.job, meta.replica);
		match fs::remove_dir_all(&dir) {
			Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
			_ => {},
		}
		fs::create_dir_all(&dir)?;
		let bytes = u64::from(meta.m) * u64::from(meta.n) * 4;
		File::create(dir.join("output.bin"))?.set_len(bytes)?;
		self.save(meta)
	}

	/// Writes rows `row0..` of C (`rows.len()` a multiple of n) and syncs them.
	pub fn write_rows(&self, meta: &Meta, row0: u32, rows: &[i32]) -> io::Result<()> {
		let file = OpenOptions::new().write(true).open(self.output_path(meta.job, meta.replica))?;
		let bytes: Vec<u8> = rows.iter().flat_map(|x| x.to_le_bytes()).collect();
		file.write_all_at(&bytes, u64::from(row0) * u64::from(meta.n) * 4)?;
		file.sync_data()
	}

	/// Reads the first `rows` rows of C back.
	pub fn read_rows(&self, meta: &Meta, rows: u32) -> io::Result<Vec<i32>> {
		let file = File::open(self.output_path(meta.job, meta.replica))?;
		let len =
			usize::try_from(u64::from(rows) * u64::from(meta.n) * 4).map_err(io::Error::other)?;
		let mut bytes = vec![0u8; len];
		file.read_exact_at(&mut bytes, 0)?;
		Ok(bytes.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
	}

	/// Keeps downloaded inputs.
	pub fn save_inputs(&self, meta: &Meta, bytes: &[u8]) -> io::Result<()> {
		self.replace(meta.job, meta.replica, "inputs.bin", bytes)
	}

	/// Downloaded inputs kept earlier, if any.
	pub fn load_inputs(&self, job: u64, replica: u32) -> io::Result<Option<Vec<u8>>> {
		read_optional(&self.dir(job, replica).join("inputs.bin"))
	}

	/// Every replica the store has a directory for: with a record, or only with what was sent
	/// for it (a declined replica is never computed).
	pub fn replicas(&self) -> io::Result<Vec<(u64, u32)>> {
		let mut out = Vec::new();
		for entry in fs::read_dir(&self.jobs)? {
			let name = entry?.file_name();
			let Some((job, replica)) = name.to_str().and_then(|s| s.split_once('-')) else {
				continue;
			};
			if let (Ok(job), Ok(replica)) = (job.parse(), replica.parse()) {
				out.push((job, replica));
			}
		}
		Ok(out)
	}

	/// Every record in the store.
	pub fn list(&self) -> io::Result<Vec<Meta>> {
		let mut out = Vec::new();
		for (job, replica) in self.replicas()? {
			// A record that cannot be read is skipped, not a reason to list nothing.
			match self.load(job, replica) {
				Ok(Some(meta)) => out.push(meta),
				Ok(None) => {},
				Err(e) => tracing::warn!("local store: {job}-{replica}: {e}"),
			}
		}
		Ok(out)
	}

	/// Removes replicas that ended more than `keep` ago, computed or not; returns how many.
	pub fn prune(&self, keep: Duration) -> io::Result<usize> {
		let now = unix_now();
		let mut removed = 0;
		for (job, replica) in self.replicas()? {
			let finished = self.load_actions(job, replica)?.finished_at;
			if finished.is_some_and(|t| now.saturating_sub(t) > keep.as_secs()) {
				fs::remove_dir_all(self.dir(job, replica))?;
				removed += 1;
			}
		}
		Ok(removed)
	}
}

/// A file's bytes, or `None` if it does not exist.
fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
	match fs::read(path) {
		Ok(bytes) => Ok(Some(bytes)),
		Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
		Err(e) => Err(e),
	}
}

/// A record as `meta.json` and `actions.json` hold it.
fn json(value: &impl Serialize) -> io::Result<Vec<u8>> {
	serde_json::to_vec_pretty(value).map_err(io::Error::other)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn temp_store(name: &str) -> (Store, PathBuf) {
		let base =
			std::env::temp_dir().join(format!("tessera-store-{name}-{}", std::process::id()));
		let _ = fs::remove_dir_all(&base);
		(Store::open(&base).expect("store opens"), base)
	}

	#[test]
	fn rows_written_are_read_back_and_records_replace_atomically() {
		let (store, base) = temp_store("rows");
		let d = Dims { m: 4, n: 3, k: 2 };
		let mut meta = Meta::new(7, 1, d, "seed:00".into());
		store.begin(&meta).unwrap();
		assert_eq!(fs::metadata(store.output_path(7, 1)).unwrap().len(), 4 * 3 * 4);
		store.write_rows(&meta, 0, &[1, -2, 3, 4, 5, i32::MIN]).unwrap();
		store.write_rows(&meta, 2, &[7, 8, 9, 10, 11, i32::MAX]).unwrap();
		meta.rows_done = 4;
		store.save(&meta).unwrap();
		assert_eq!(store.load(7, 1).unwrap(), Some(meta.clone()));
		assert_eq!(
			store.read_rows(&meta, 4).unwrap(),
			vec![1, -2, 3, 4, 5, i32::MIN, 7, 8, 9, 10, 11, i32::MAX]
		);
		assert_eq!(store.list().unwrap(), vec![meta.clone()]);
		assert!(!store.dir(7, 1).join("meta.json.tmp").exists());
		// The loop's record lives beside the computation's, and starting again wipes both.
		assert_eq!(store.load_actions(7, 1).unwrap(), Actions::default());
		let sent = Actions {
			ack_sent_at: Some(3),
			declined_at: None,
			receipt_sent_at: Some(9),
			salt: Some("5a".repeat(32)),
			reveal_sent_at: Some(12),
			finished_at: None,
		};
		store.save_actions(7, 1, &sent).unwrap();
		store.save(&meta).unwrap();
		assert_eq!(store.load_actions(7, 1).unwrap(), sent);
		// Starting again wipes what was there.
		store.begin(&Meta::new(7, 1, d, "seed:01".into())).unwrap();
		assert_eq!(store.load(7, 1).unwrap().unwrap().rows_done, 0);
		assert_eq!(store.load_actions(7, 1).unwrap(), Actions::default());
		assert_eq!(store.read_rows(&meta, 4).unwrap(), vec![0; 12]);
		fs::remove_dir_all(base).unwrap();
	}

	#[test]
	fn an_actions_record_of_an_older_worker_reads_with_no_decline() {
		let (store, base) = temp_store("actions");
		let dir = store.dir(4, 2);
		fs::create_dir_all(&dir).unwrap();
		fs::write(dir.join("actions.json"), br#"{"ack_sent_at":7,"receipt_sent_at":null}"#)
			.unwrap();
		assert_eq!(
			store.load_actions(4, 2).unwrap(),
			Actions { ack_sent_at: Some(7), ..Default::default() }
		);
		let declined = Actions { declined_at: Some(8), ..Default::default() };
		store.save_actions(4, 2, &declined).unwrap();
		assert_eq!(store.load_actions(4, 2).unwrap(), declined);
		fs::remove_dir_all(base).unwrap();
	}

	#[test]
	fn prune_removes_only_replicas_that_ended_long_ago() {
		let (store, base) = temp_store("prune");
		let d = Dims { m: 1, n: 1, k: 1 };
		for job in 1..=3 {
			store.begin(&Meta::new(job, 0, d, "seed:00".into())).unwrap();
		}
		let ended = |t| Actions { finished_at: Some(t), ..Default::default() };
		store.save_actions(2, 0, &ended(unix_now())).unwrap();
		store.save_actions(3, 0, &ended(unix_now() - 7200)).unwrap();
		// A declined replica: only what was sent, no record.
		let declined = Actions { declined_at: Some(5), ..ended(unix_now() - 7200) };
		store.save_actions(4, 1, &declined).unwrap();
		let mut all = store.replicas().unwrap();
		all.sort();
		assert_eq!(all, vec![(1, 0), (2, 0), (3, 0), (4, 1)]);
		assert_eq!(store.list().unwrap().len(), 3);
		assert_eq!(store.prune(Duration::from_secs(3600)).unwrap(), 2);
		let mut left: Vec<u64> = store.list().unwrap().iter().map(|m| m.job).collect();
		left.sort();
		assert_eq!(left, vec![1, 2]);
		assert_eq!(store.load(3, 0).unwrap(), None);
		assert!(!store.dir(4, 1).exists());
		fs::remove_dir_all(base).unwrap();
	}
}
