//! Dimensions, the chunking of C, the trees over whole matrices and the commitments.
//!
//! Layouts in memory: A row-major (row i is `a[i*k..(i+1)*k]`), B column-major (column j is
//! `b_cols[j*k..(j+1)*k]`) and C row-major. B is stored by columns so that every spot-check
//! needs one contiguous row of A and one contiguous column of B, each one leaf of its tree.

use crate::{
	hash_parts,
	merkle::{leaf_hash, leaf_hash_i8, Domain, MerkleTree},
	C_CHUNK, H256,
};
use alloc::{vec, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Dimensions of a job: A is m x k, B is k x n, C is m x n.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Dims {
	/// Rows of A and of C.
	pub m: u32,
	/// Columns of B and of C.
	pub n: u32,
	/// Columns of A, rows of B: the length of every dot product.
	pub k: u32,
}

/// `rows * cols` as a length in memory; `None` where it does not fit `usize` (a 32-bit
/// target), so that no length computation can overflow.
pub(crate) fn area(rows: u32, cols: u32) -> Option<usize> {
	usize::try_from(u64::from(rows) * u64::from(cols)).ok()
}

/// Chunks (leaves) in one row of C: `ceil(n / C_CHUNK)`.
fn chunks_per_row(n: u32) -> u64 {
	u64::from(n.div_ceil(C_CHUNK))
}

/// Leaves of the tree over C: `m * ceil(n / 64)`.
pub fn c_leaf_count(d: Dims) -> u64 {
	u64::from(d.m) * chunks_per_row(d.n)
}

/// Where element (i, j) of C lies: `(leaf index, offset in the chunk, the chunk's length)`,
/// with leaf index `i * ceil(n/64) + j/64` and offset `j % 64`. The length is 64 except for the
/// last chunk of a row when `n % 64 != 0`. Meaningful only for `i < m`, `j < n` (the caller
/// checks the range); it never panics outside it.
pub fn c_chunk(d: Dims, i: u32, j: u32) -> (u64, u32, u32) {
	let offset = j % C_CHUNK;
	let leaf = u64::from(i) * chunks_per_row(d.n) + u64::from(j / C_CHUNK);
	let len = d.n.saturating_sub(j - offset).min(C_CHUNK);
	(leaf, offset, len)
}

/// The payload of a C leaf: each value as 4 little-endian bytes, concatenated.
pub fn encode_chunk(values: &[i32]) -> Vec<u8> {
	values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The dot product of a row of A and a column of B: the wrapping (mod 2^32) sum of the
/// products in i32, the result every backend computes exactly whatever its summation order.
/// Slices of different lengths are summed up to the shorter one (callers check lengths).
pub fn dot(a_row: &[i8], b_col: &[i8]) -> i32 {
	a_row
		.iter()
		.zip(b_col)
		.fold(0i32, |acc, (a, b)| acc.wrapping_add(i32::from(*a).wrapping_mul(i32::from(*b))))
}

/// The commitment to a job's inputs: `blake2_256(b"tessera/inputs/v1" || m || n || k ||
/// a_root || b_root)` with the dimensions as u32 LE. It binds the dimensions, so that the same
/// bytes cannot be reread with another shape.
pub fn input_commitment(d: Dims, a_root: &H256, b_root: &H256) -> H256 {
	hash_parts(&[
		b"tessera/inputs/v1",
		&d.m.to_le_bytes(),
		&d.n.to_le_bytes(),
		&d.k.to_le_bytes(),
		a_root.as_bytes(),
		b_root.as_bytes(),
	])
}

/// The commitment to a job's output (the receipt's `output_commitment`):
/// `blake2_256(b"tessera/output/v1" || m || n || k || c_root)`.
pub fn output_commitment(d: Dims, c_root: &H256) -> H256 {
	hash_parts(&[
		b"tessera/output/v1",
		&d.m.to_le_bytes(),
		&d.n.to_le_bytes(),
		&d.k.to_le_bytes(),
		c_root.as_bytes(),
	])
}

/// The tree over `lines` of `len` elements each (rows of A or columns of B); `None` if the
/// slice is not exactly `count` lines or there are none.
fn lines_tree(domain: Domain, lines: &[i8], count: u32, len: u32) -> Option<MerkleTree> {
	if count == 0 || len == 0 || lines.len() != area(count, len)? {
		return None;
	}
	let leaves = lines
		.chunks_exact(len as usize)
		.enumerate()
		.map(|(index, line)| leaf_hash_i8(domain, index as u64, line))
		.collect();
	MerkleTree::new(leaves)
}

/// The tree over the rows of A (row-major, `m * k` elements): leaf i is
/// `leaf_hash(A, i, row i as bytes)`. `None` on a length mismatch or an empty matrix.
pub fn a_tree(d: Dims, a: &[i8]) -> Option<MerkleTree> {
	lines_tree(Domain::A, a, d.m, d.k)
}

/// The tree over the columns of B (column-major, `n * k` elements): leaf j is
/// `leaf_hash(B, j, column j as bytes)`. `None` on a length mismatch or an empty matrix.
pub fn b_tree(d: Dims, b_cols: &[i8]) -> Option<MerkleTree> {
	lines_tree(Domain::B, b_cols, d.n, d.k)
}

/// The tree over C (row-major, `m * n` elements): each row cut into chunks of [`C_CHUNK`],
/// leaf `i * ceil(n/64) + c` is `leaf_hash(C, that index, encode_chunk(chunk c of row i))`.
/// `None` on a length mismatch or an empty matrix.
pub fn c_tree(d: Dims, c: &[i32]) -> Option<MerkleTree> {
	if d.m == 0 || c.len() != area(d.m, d.n)? {
		return None;
	}
	MerkleTree::new(c_leaves(d, 0, c)?)
}

/// The leaves of [`c_tree`] for whole rows `row0..` of C (`rows` holds a multiple of n values),
/// so that a worker can hash each part of C as it is computed. `None` if `rows` is not whole
/// rows, n is zero, or the rows run past m.
pub fn c_leaves(d: Dims, row0: u32, rows: &[i32]) -> Option<Vec<H256>> {
	let n = d.n as usize;
	if n == 0 || !rows.len().is_multiple_of(n) {
		return None;
	}
	let count = u32::try_from(rows.len() / n).ok()?;
	if row0.checked_add(count)? > d.m {
		return None;
	}
	let first = u64::from(row0).checked_mul(chunks_per_row(d.n))?;
	let mut payload = Vec::with_capacity(4 * C_CHUNK as usize);
	Some(
		rows.chunks_exact(n)
			.flat_map(|row| row.chunks(C_CHUNK as usize))
			.enumerate()
			.map(|(offset, chunk)| {
				payload.clear();
				payload.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
				leaf_hash(Domain::C, first + offset as u64, &payload)
			})
			.collect(),
	)
}

/// The input commitment of whole matrices: [`input_commitment`] of the roots of
/// [`a_tree`] and [`b_tree`]. For a `MatMulI8` job with `Inputs::Content` this is the job's
/// `hash`.
pub fn commit_inputs(d: Dims, a: &[i8], b_cols: &[i8]) -> Option<H256> {
	let a_root = a_tree(d, a)?.root();
	let b_root = b_tree(d, b_cols)?.root();
	Some(input_commitment(d, &a_root, &b_root))
}

/// The output commitment of a whole C: [`output_commitment`] of the root of [`c_tree`].
pub fn commit_output(d: Dims, c: &[i32]) -> Option<H256> {
	Some(output_commitment(d, &c_tree(d, c)?.root()))
}

/// C = A x B by plain loops over [`dot`]: the reference the worker's fast kernels are tested
/// against. Empty if a slice does not match the dimensions.
pub fn matmul_reference(d: Dims, a: &[i8], b_cols: &[i8]) -> Vec<i32> {
	let (Some(a_len), Some(b_len), Some(c_len)) = (area(d.m, d.k), area(d.n, d.k), area(d.m, d.n))
	else {
		return Vec::new();
	};
	if a.len() != a_len || b_cols.len() != b_len {
		return Vec::new();
	}
	if d.k == 0 {
		// Empty sums.
		return vec![0; c_len];
	}
	let k = d.k as usize;
	let mut c = Vec::with_capacity(c_len);
	for row in a.chunks_exact(k) {
		c.extend(b_cols.chunks_exact(k).map(|col| dot(row, col)));
	}
	c
}
