//! The Merkle commitment scheme over int8 matrices.
//!
//! A `MatMulI8` job computes C = A x B with A (m x k) and B (k x n) in int8 and C (m x n) in
//! int32 with wrapping accumulation. The worker commits to C with a Merkle tree over chunks of
//! its rows (and, for inputs given by content, to A and B with trees over rows of A and columns
//! of B); the chain samples positions of C and checks the worker's openings of them by
//! recomputing one dot product each. Both sides link this crate, so that they cannot disagree
//! on a byte of the scheme. `docs/protocol.md` describes it for implementers in other
//! languages.
//!
//! - [`merkle`]: leaf and node hashes, the tree and path verification.
//! - [`matrix`]: dimensions, chunking of C, the trees over whole matrices and the commitments.
//! - [`seed`]: inputs derived from a seed (jobs with `Inputs::Seed`).
//! - [`sampling`]: how the chain draws the positions it checks.
//! - [`opening`]: what a worker sends for a position, how the chain checks it, and the
//!   worker-side [`Prover`] that builds it.
//! - [`inference`]: integer-only neural-network layers, their commitments and the check of one
//!   sampled element (the scheme of inference jobs; not yet a workload the chain accepts).
//!
//! Everything the runtime calls (verification) is free of panics: bad input is an error or
//! `false`, never an abort of the block.

#![cfg_attr(not(feature = "std"), no_std)]
// Both the runtime and the worker rely on this crate's documentation to agree on the scheme.
#![deny(missing_docs)]

extern crate alloc;

pub mod inference;
pub mod matrix;
pub mod merkle;
pub mod opening;
pub mod sampling;
pub mod seed;

#[cfg(test)]
mod tests;

pub use matrix::{
	a_tree, b_tree, c_chunk, c_leaf_count, c_leaves, c_tree, commit_inputs, commit_output, dot,
	encode_chunk, input_commitment, matmul_reference, output_commitment, Dims,
};
pub use merkle::{depth, leaf_hash, node_hash, verify_path, Domain, MerkleTree};
pub use opening::{
	verify_opening, verify_roots, InputOpening, InputSource, Opening, OpeningError, OutputOpening,
	Prover, Roots,
};
pub use sampling::{audit_roll, sample_positions, sample_seed};
pub use seed::{seed_a_row, seed_b_col, seed_matrices};
pub use sp_core::H256;

/// Elements of C per output leaf. A chunk never crosses a row of C, so the last chunk of a row
/// is shorter when `n % C_CHUNK != 0`; 64 int32 values (256 bytes) keep an opening small while
/// the tree over C stays 64 times smaller than C.
pub const C_CHUNK: u32 = 64;

/// Longest Merkle path accepted in an opening. The largest tree (over C with 2^20 rows of
/// 2^14 chunks) has depth 34; the bound only caps what an extrinsic can carry.
pub const MAX_PATH: u32 = 64;

/// Longest row of A or column of B an opening can carry: the largest matrix dimension
/// (`tessera_primitives::jobs::MAX_MATRIX_DIM`).
pub const MAX_ROW: u32 = 1 << 20;

/// Reads the little-endian `u64` at `at` of a 32-byte hash. `at` is a constant at every call
/// site (0, 8 or 16), so the slice is always in bounds.
fn u64_at(hash: &[u8; 32], at: usize) -> u64 {
	let mut bytes = [0u8; 8];
	bytes.copy_from_slice(&hash[at..at + 8]);
	u64::from_le_bytes(bytes)
}

/// Hashes the concatenation of `parts` with blake2-256 (a host function in the Wasm runtime).
fn hash_parts(parts: &[&[u8]]) -> H256 {
	let len = parts.iter().map(|p| p.len()).sum();
	let mut preimage = alloc::vec::Vec::with_capacity(len);
	for part in parts {
		preimage.extend_from_slice(part);
	}
	H256(sp_io::hashing::blake2_256(&preimage))
}
