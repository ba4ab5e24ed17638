//! Openings: what a worker sends for a sampled position of C, how the chain checks it, and
//! the worker-side [`Prover`] that builds them.
//!
//! A response carries the roots once ([`Roots`], checked by [`verify_roots`] against the
//! commitments the chain holds) and one [`Opening`] per position (checked by
//! [`verify_opening`]): the chunk of C holding the position with its path, and for inputs
//! given by content the row of A and the column of B with theirs. The chain recomputes the
//! one dot product and compares it with the claimed element.

use crate::{
	matrix::{
		a_tree, area, b_tree, c_chunk, c_leaf_count, c_leaves, dot, encode_chunk, input_commitment,
		output_commitment, Dims,
	},
	merkle::{leaf_hash, leaf_hash_i8, verify_path, Domain, MerkleTree},
	seed::seed_dot,
	C_CHUNK, H256, MAX_PATH, MAX_ROW,
};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{bounded::BoundedVec, ConstU32};

/// A Merkle path as it travels in an extrinsic, leaf level first.
pub type Path = BoundedVec<H256, ConstU32<MAX_PATH>>;

/// A row of A or a column of B with its path in the tree over rows (columns).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct InputOpening {
	/// The k elements of the row (column).
	pub data: BoundedVec<i8, ConstU32<MAX_ROW>>,
	/// Its path in the tree over A's rows (B's columns), at the row (column) index.
	pub path: Path,
}

/// The chunk of C that holds a position, with its path in the tree over C.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct OutputOpening {
	/// The whole chunk (up to [`C_CHUNK`] elements), since the leaf hashes the whole chunk.
	pub chunk: BoundedVec<i32, ConstU32<C_CHUNK>>,
	/// Its path in the tree over C.
	pub path: Path,
}

/// The answer for one sampled position (i, j).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct Opening {
	/// The chunk of row i of C that holds column j.
	pub output: OutputOpening,
	/// Row i of A; `None` for seed inputs, which the chain derives itself.
	pub row: Option<InputOpening>,
	/// Column j of B; `None` for seed inputs.
	pub column: Option<InputOpening>,
}

/// The tree roots behind a response's commitments, sent once per response.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Roots {
	/// The root of the tree over C.
	pub output: H256,
	/// (A root, B root); `None` for seed inputs.
	pub inputs: Option<(H256, H256)>,
}

/// Where a job's inputs come from, as the verifier sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InputSource {
	/// Derived from this seed (`Inputs::Seed`): the verifier derives rows and columns itself.
	Seed(H256),
	/// Given by content: the job's input commitment (the `hash` of `Inputs::Content`).
	Committed(H256),
}

/// Why a response or an opening is rejected.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum OpeningError {
	/// The position is outside C.
	PositionOutOfRange,
	/// The C root does not give the receipt's output commitment.
	WrongOutputRoot,
	/// The A and B roots do not give the job's input commitment.
	WrongInputRoots,
	/// Inputs given by content, but input roots, the row or the column are missing.
	MissingInputs,
	/// The row or the column is not k elements long.
	RowLength,
	/// The row of A is not the committed row at its index.
	BadRowPath,
	/// The column of B is not the committed column at its index.
	BadColumnPath,
	/// The chunk of C is not as long as the chunk holding the position.
	ChunkLength,
	/// The chunk of C is not the committed chunk at its index.
	BadOutputPath,
	/// The claimed element of C is not the dot product of the row and the column.
	WrongProduct,
}

/// Checks a response's roots once, before its openings: `output_commitment(d, roots.output)`
/// must be `output`; for committed inputs, `roots.inputs` must be present
/// ([`OpeningError::MissingInputs`]) and give the job's input commitment
/// ([`OpeningError::WrongInputRoots`]). For seed inputs `roots.inputs` is ignored.
pub fn verify_roots(
	d: Dims,
	source: &InputSource,
	output: &H256,
	roots: &Roots,
) -> Result<(), OpeningError> {
	if output_commitment(d, &roots.output) != *output {
		return Err(OpeningError::WrongOutputRoot);
	}
	if let InputSource::Committed(commitment) = source {
		let (a_root, b_root) = roots.inputs.ok_or(OpeningError::MissingInputs)?;
		if input_commitment(d, &a_root, &b_root) != *commitment {
			return Err(OpeningError::WrongInputRoots);
		}
	}
	Ok(())
}

/// Checks one committed input line (row of A, column of B) at `index` of a tree over `count`
/// leaves, returning its data.
fn check_line<'a>(
	line: Option<&'a InputOpening>,
	domain: Domain,
	index: u32,
	count: u32,
	k: u32,
	root: &H256,
	bad_path: OpeningError,
) -> Result<&'a [i8], OpeningError> {
	let line = line.ok_or(OpeningError::MissingInputs)?;
	if line.data.len() as u64 != u64::from(k) {
		return Err(OpeningError::RowLength);
	}
	let leaf = leaf_hash_i8(domain, u64::from(index), &line.data);
	if !verify_path(&leaf, u64::from(index), u64::from(count), &line.path, root) {
		return Err(bad_path);
	}
	Ok(&line.data)
}

/// Checks the opening of position `(i, j)` against roots already checked by
/// [`verify_roots`]. In order:
///
/// 1. `i < m` and `j < n` ([`OpeningError::PositionOutOfRange`]);
/// 2. committed inputs: input roots, row and column present ([`OpeningError::MissingInputs`]),
///    each k long ([`OpeningError::RowLength`]), the row on the A tree at index i
///    ([`OpeningError::BadRowPath`]) and the column on the B tree at index j
///    ([`OpeningError::BadColumnPath`]); seed inputs: the row and column are derived from the
///    seed and any provided ones are ignored;
/// 3. the chunk is as long as the chunk holding (i, j) ([`OpeningError::ChunkLength`]) and on
///    the C tree at its leaf index ([`OpeningError::BadOutputPath`]);
/// 4. the dot product of row and column is the chunk's element at `j % 64`
///    ([`OpeningError::WrongProduct`]).
pub fn verify_opening(
	d: Dims,
	source: &InputSource,
	roots: &Roots,
	position: (u32, u32),
	opening: &Opening,
) -> Result<(), OpeningError> {
	let (i, j) = position;
	if i >= d.m || j >= d.n {
		return Err(OpeningError::PositionOutOfRange);
	}

	// Inputs first, then the output, in the documented order, so that every implementation
	// reports the same error for the same bad opening.
	let product = match source {
		InputSource::Seed(seed) => seed_dot(seed, d, i, j),
		InputSource::Committed(_) => {
			let (a_root, b_root) = roots.inputs.ok_or(OpeningError::MissingInputs)?;
			let row = opening.row.as_ref();
			let column = opening.column.as_ref();
			if row.is_none() || column.is_none() {
				return Err(OpeningError::MissingInputs);
			}
			let row = check_line(row, Domain::A, i, d.m, d.k, &a_root, OpeningError::BadRowPath)?;
			let column =
				check_line(column, Domain::B, j, d.n, d.k, &b_root, OpeningError::BadColumnPath)?;
			dot(row, column)
		},
	};

	let (leaf, offset, len) = c_chunk(d, i, j);
	let chunk = &opening.output.chunk;
	if chunk.len() as u64 != u64::from(len) {
		return Err(OpeningError::ChunkLength);
	}
	let c_leaf = leaf_hash(Domain::C, leaf, &encode_chunk(chunk));
	if !verify_path(&c_leaf, leaf, c_leaf_count(d), &opening.output.path, &roots.output) {
		return Err(OpeningError::BadOutputPath);
	}
	// offset < len == chunk.len(), so the element exists; a missing one is still an error,
	// never a panic.
	let claimed = chunk.get(offset as usize).ok_or(OpeningError::ChunkLength)?;
	if *claimed != product {
		return Err(OpeningError::WrongProduct);
	}
	Ok(())
}

/// The trees and matrices behind committed (content) inputs.
#[derive(Clone, Debug)]
struct ProverInputs {
	a: Vec<i8>,
	b_cols: Vec<i8>,
	a_tree: MerkleTree,
	b_tree: MerkleTree,
}

/// Worker side: everything needed to answer spot-checks for one job.
#[derive(Clone, Debug)]
pub struct Prover {
	d: Dims,
	c: Vec<i32>,
	c_tree: MerkleTree,
	/// `None` for seed inputs: the chain derives those itself.
	inputs: Option<ProverInputs>,
}

impl Prover {
	/// Builds the trees. `inputs`: `Some((a, b_cols))` for inputs given by content (A
	/// row-major, B column-major), `None` for seed inputs; `c` the computed output, row-major.
	/// `None` on a length mismatch or an empty matrix. Copies the matrices it opens.
	pub fn new(d: Dims, inputs: Option<(&[i8], &[i8])>, c: &[i32]) -> Option<Self> {
		Self::from_parts(d, inputs, c.to_vec(), c_leaves(d, 0, c)?)
	}

	/// As [`Prover::new`], with C moved in rather than copied and the leaves of its tree
	/// already hashed (by [`c_leaves`], as C was computed). `None` on a length mismatch.
	pub fn from_parts(
		d: Dims,
		inputs: Option<(&[i8], &[i8])>,
		c: Vec<i32>,
		leaves: Vec<H256>,
	) -> Option<Self> {
		if d.m == 0 || c.len() != area(d.m, d.n)? || leaves.len() as u64 != c_leaf_count(d) {
			return None;
		}
		let c_tree = MerkleTree::new(leaves)?;
		let inputs = match inputs {
			Some((a, b_cols)) => Some(ProverInputs {
				a_tree: a_tree(d, a)?,
				b_tree: b_tree(d, b_cols)?,
				a: a.to_vec(),
				b_cols: b_cols.to_vec(),
			}),
			None => None,
		};
		Some(Self { d, c, c_tree, inputs })
	}

	/// The output commitment to put in the receipt.
	pub fn output_commitment(&self) -> H256 {
		output_commitment(self.d, &self.c_tree.root())
	}

	/// The roots to send with a response.
	pub fn roots(&self) -> Roots {
		Roots {
			output: self.c_tree.root(),
			inputs: self.inputs.as_ref().map(|inputs| (inputs.a_tree.root(), inputs.b_tree.root())),
		}
	}

	/// The opening of position (i, j); `None` if it is outside C (or a row is longer than an
	/// opening can carry).
	pub fn open(&self, position: (u32, u32)) -> Option<Opening> {
		let (i, j) = position;
		let d = self.d;
		if i >= d.m || j >= d.n {
			return None;
		}
		let (leaf, offset, len) = c_chunk(d, i, j);
		let start = area(i, d.n)?.checked_add((j - offset) as usize)?;
		let chunk = self.c.get(start..start.checked_add(len as usize)?)?;
		let output = OutputOpening {
			chunk: chunk.to_vec().try_into().ok()?,
			path: self.c_tree.path(leaf)?.try_into().ok()?,
		};
		let (row, column) = match &self.inputs {
			None => (None, None),
			Some(inputs) => {
				let line = |data: &[i8], tree: &MerkleTree, index: u32| {
					let start = area(index, d.k)?;
					let line = data.get(start..start.checked_add(d.k as usize)?)?;
					Some(InputOpening {
						data: line.to_vec().try_into().ok()?,
						path: tree.path(u64::from(index))?.try_into().ok()?,
					})
				};
				(
					Some(line(&inputs.a, &inputs.a_tree, i)?),
					Some(line(&inputs.b_cols, &inputs.b_tree, j)?),
				)
			},
		};
		Some(Opening { output, row, column })
	}
}
