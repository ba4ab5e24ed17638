//! A job's input matrices: derived from its seed, or downloaded and checked against the size and
//! the input commitment the client put on chain. A worker that cannot get inputs matching the
//! commitment does not acknowledge the job (it would lose the job's collateral for a receipt it
//! cannot deliver): it declines it ([`InputsError::is_permanent`] says which failures at once,
//! and the engine declines the others once its retries are spent).

use bytes::Buf;
use http_body_util::BodyExt;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use std::{fmt, thread, time::Duration};
use tessera_commitment::{commit_inputs, seed_a_row, seed_b_col, Dims, H256};

/// A and B of a MatMulI8 job: A row-major (m x k), B column-major (n columns of k).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrices {
	pub a: Vec<i8>,
	pub b_cols: Vec<i8>,
}

/// Why a job's inputs could not be used.
#[derive(Debug)]
pub enum InputsError {
	/// The URI is not a valid `http://` or `https://` URL.
	BadUri(String),
	/// The download failed or did not finish in time.
	Download(String),
	/// The server answered with a status other than 200.
	Status(u16),
	/// The content is not the size the job says.
	Size { expected: u64, got: u64 },
	/// The job's size is not that of its matrices (m·k + k·n bytes).
	Shape { expected: u64, declared: u64 },
	/// The matrices do not match the job's input commitment.
	Commitment { expected: H256, got: H256 },
	/// The matrices are larger than this machine can address.
	TooLarge,
}

impl fmt::Display for InputsError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			InputsError::BadUri(uri) => write!(f, "not an http(s) URL: {uri}"),
			InputsError::Download(e) => write!(f, "download failed: {e}"),
			InputsError::Status(s) => write!(f, "the server answered {s}"),
			InputsError::Size { expected, got } => {
				write!(f, "expected {expected} bytes, got {got} or more")
			},
			InputsError::Shape { expected, declared } => write!(
				f,
				"the job declares {declared} bytes but its matrices take {expected} (m·k + k·n)"
			),
			InputsError::Commitment { expected, got } => {
				write!(f, "input commitment {got:?} does not match the job's {expected:?}")
			},
			InputsError::TooLarge => write!(f, "the matrices do not fit in memory here"),
		}
	}
}

impl std::error::Error for InputsError {}

impl InputsError {
	/// Whether the job's inputs, as posted, can never be used here, so that trying again is
	/// pointless: an unusable URI, content of the wrong size or commitment, a declared size that
	/// does not fit the dimensions, matrices too large for this machine. A failed or refused
	/// download may work the next time.
	pub fn is_permanent(&self) -> bool {
		match self {
			InputsError::BadUri(_)
			| InputsError::Size { .. }
			| InputsError::Shape { .. }
			| InputsError::Commitment { .. }
			| InputsError::TooLarge => true,
			InputsError::Download(_) | InputsError::Status(_) => false,
		}
	}
}

/// Bytes the worker holds at its peak for a job: A and B twice (the matrices, and the
/// prover's or the download's copy), C as int32, the tree over C (about one byte per element),
/// and 64 MiB for chunks and buffers.
pub fn memory_needed(d: Dims) -> u64 {
	let (m, n, k) = (u64::from(d.m), u64::from(d.n), u64::from(d.k));
	2 * (m * k + n * k) + 5 * m * n + (64 << 20)
}

fn area(rows: u32, cols: u32) -> Result<usize, InputsError> {
	usize::try_from(u64::from(rows) * u64::from(cols)).map_err(|_| InputsError::TooLarge)
}

/// Derives A and B from a job's seed, rows of A and columns of B spread over `threads`
/// threads (each row and column is derived independently: docs/protocol.md).
pub fn from_seed(seed: &H256, d: Dims, threads: usize) -> Result<Matrices, InputsError> {
	let k = d.k as usize;
	let mut a = vec![0i8; area(d.m, d.k)?];
	let mut b_cols = vec![0i8; area(d.n, d.k)?];
	let threads = threads.max(1);
	let fill = |out: &mut [i8], derive: &(dyn Fn(u32, &mut [i8]) + Sync)| {
		let lines = out.len() / k.max(1);
		let per = lines.div_ceil(threads).max(1);
		thread::scope(|s| {
			for (band, chunk) in out.chunks_mut(per * k).enumerate() {
				s.spawn(move || {
					for (i, line) in chunk.chunks_mut(k).enumerate() {
						// `band * per + i` < m or n, both u32.
						derive((band * per + i) as u32, line);
					}
				});
			}
		});
	};
	fill(&mut a, &|i, line| seed_a_row(seed, d, i, line));
	fill(&mut b_cols, &|j, line| seed_b_col(seed, d, j, line));
	Ok(Matrices { a, b_cols })
}

/// Splits a downloaded file (A row-major, then B column-major) and checks it against the
/// job's input commitment.
pub fn from_content(d: Dims, bytes: &[u8], commitment: &H256) -> Result<Matrices, InputsError> {
	check_size(d, bytes.len() as u64)?;
	let a_len = area(d.m, d.k)?;
	let as_i8 = |b: &[u8]| b.iter().map(|x| *x as i8).collect::<Vec<i8>>();
	let matrices = Matrices { a: as_i8(&bytes[..a_len]), b_cols: as_i8(&bytes[a_len..]) };
	let got = commit_inputs(d, &matrices.a, &matrices.b_cols).ok_or(InputsError::TooLarge)?;
	if got != *commitment {
		return Err(InputsError::Commitment { expected: *commitment, got });
	}
	Ok(matrices)
}

/// Checks a job's declared size against its dimensions before anything is downloaded.
pub fn check_size(d: Dims, size: u64) -> Result<(), InputsError> {
	let expected = u64::from(d.m) * u64::from(d.k) + u64::from(d.k) * u64::from(d.n);
	if size != expected {
		return Err(InputsError::Shape { expected, declared: size });
	}
	Ok(())
}

/// Downloads `uri`, refusing more than `size` bytes and anything but exactly `size`.
pub async fn download(uri: &str, size: u64, timeout: Duration) -> Result<Vec<u8>, InputsError> {
	let parsed: hyper::Uri = uri.parse().map_err(|_| InputsError::BadUri(uri.into()))?;
	if !matches!(parsed.scheme_str(), Some("http" | "https")) {
		return Err(InputsError::BadUri(uri.into()));
	}
	let connector = hyper_rustls::HttpsConnectorBuilder::new()
		.with_provider_and_native_roots(rustls::crypto::ring::default_provider())
		.map_err(|e| InputsError::Download(format!("TLS roots: {e}")))?
		.https_or_http()
		.enable_http1()
		.build();
	let client: Client<_, http_body_util::Empty<bytes::Bytes>> =
		Client::builder(TokioExecutor::new()).build(connector);
	let fetch = async {
		let response =
			client.get(parsed).await.map_err(|e| InputsError::Download(e.to_string()))?;
		if response.status() != hyper::StatusCode::OK {
			return Err(InputsError::Status(response.status().as_u16()));
		}
		// Grown as data arrives, so that a size the server never sends allocates nothing.
		let capacity = usize::try_from(size.min(64 << 20)).map_err(|_| InputsError::TooLarge)?;
		let mut body = response.into_body();
		let mut out = Vec::with_capacity(capacity);
		while let Some(frame) = body.frame().await {
			let frame = frame.map_err(|e| InputsError::Download(e.to_string()))?;
			if let Ok(mut data) = frame.into_data() {
				if out.len() as u64 + data.remaining() as u64 > size {
					return Err(InputsError::Size {
						expected: size,
						got: out.len() as u64 + data.remaining() as u64,
					});
				}
				while data.has_remaining() {
					let chunk = data.chunk();
					out.extend_from_slice(chunk);
					let n = chunk.len();
					data.advance(n);
				}
			}
		}
		if out.len() as u64 != size {
			return Err(InputsError::Size { expected: size, got: out.len() as u64 });
		}
		Ok(out)
	};
	tokio::time::timeout(timeout, fetch)
		.await
		.map_err(|_| InputsError::Download(format!("not done within {} s", timeout.as_secs())))?
}

#[cfg(test)]
mod tests {
	use super::*;
	use tessera_commitment::seed_matrices;

	#[test]
	fn seed_inputs_derived_in_parallel_are_those_of_the_commitment_crate() {
		let seed = H256::repeat_byte(0x42);
		for d in
			[Dims { m: 1, n: 1, k: 1 }, Dims { m: 37, n: 5, k: 64 }, Dims { m: 3, n: 70, k: 9 }]
		{
			let (a, b_cols) = seed_matrices(&seed, d);
			for threads in [1, 2, 7, 64] {
				assert_eq!(
					from_seed(&seed, d, threads).unwrap(),
					Matrices { a: a.clone(), b_cols: b_cols.clone() }
				);
			}
		}
	}

	#[test]
	fn memory_needed_counts_inputs_output_and_tree() {
		let d = Dims { m: 8192, n: 8192, k: 8192 };
		// 2 x 128 MiB of inputs, 5 x 64 Mi for C and its tree, 64 MiB of buffers.
		assert_eq!(memory_needed(d) >> 20, 256 + 320 + 64);
		let huge = Dims { m: 1 << 20, n: 1, k: 1 << 20 };
		assert!(memory_needed(huge) > 1 << 40);
	}

	#[test]
	fn content_inputs_are_checked_against_size_and_commitment() {
		let d = Dims { m: 3, n: 2, k: 4 };
		let bytes: Vec<u8> = (0..(3 * 4 + 4 * 2) as u8).map(|x| x.wrapping_mul(37)).collect();
		let as_i8: Vec<i8> = bytes.iter().map(|x| *x as i8).collect();
		let commitment = commit_inputs(d, &as_i8[..12], &as_i8[12..]).unwrap();
		let m = from_content(d, &bytes, &commitment).unwrap();
		assert_eq!((m.a.as_slice(), m.b_cols.as_slice()), (&as_i8[..12], &as_i8[12..]));
		assert!(check_size(d, 20).is_ok());
		assert!(matches!(
			check_size(d, 21),
			Err(InputsError::Shape { expected: 20, declared: 21 })
		));
		assert!(matches!(
			from_content(d, &bytes[..19], &commitment),
			Err(InputsError::Shape { .. })
		));
		let mut tampered = bytes.clone();
		tampered[5] ^= 1;
		let wrong = from_content(d, &tampered, &commitment).unwrap_err();
		assert!(matches!(wrong, InputsError::Commitment { .. }));
		// Wrong content is declined at once; a download that failed is tried again.
		assert!(wrong.is_permanent());
		assert!(check_size(d, 21).unwrap_err().is_permanent());
		assert!(InputsError::Size { expected: 20, got: 19 }.is_permanent());
		assert!(InputsError::BadUri("ftp://x".into()).is_permanent());
		assert!(!InputsError::Download("connection refused".into()).is_permanent());
		assert!(!InputsError::Status(503).is_permanent());
	}
}
