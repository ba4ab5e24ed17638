//! Spot-checks of an inference receipt: the positions the chain draws, what the worker opens
//! for each and how the chain checks it.
//!
//! A response carries every tensor root once, checked by [`verify_tensor_roots`] against the
//! receipt's output commitment and the job's batch commitment, and one [`ElementOpening`] per
//! sampled `(layer, row, column)`, checked by [`verify_element`]: row `i` of the layer's input
//! tensor, column `j` of its weights with its bias, and row `i` of its output tensor, each with
//! its path; the chain recomputes the one element. The cost is `O(d_in + d_out)` hashing and
//! `d_in` multiply-adds per sample, whatever the size of the network or the batch.

use super::{
	commit::{
		batch_commitment, encode_row_i32, encode_row_i8, encode_weight, inference_output_commitment,
	},
	layer::LayerHeader,
	MAX_LAYERS, MAX_WIDTH,
};
use crate::{
	hash_parts,
	merkle::{leaf_hash, verify_path, Domain},
	opening::Path,
	u64_at, H256,
};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{bounded::BoundedVec, ConstU32};

/// A row of an int8 tensor with its path in the tensor's tree.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct RowOpening {
	/// The row's values.
	pub data: BoundedVec<i8, ConstU32<MAX_WIDTH>>,
	/// Its path, at the row's index.
	pub path: Path,
}

/// A column of a layer's weights and its bias, with their path in the weight tree.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct WeightOpening {
	/// The column's `d_in` weights.
	pub column: BoundedVec<i8, ConstU32<MAX_WIDTH>>,
	/// The column's bias.
	pub bias: i32,
	/// Their path, at the column's index.
	pub path: Path,
}

/// A row of a layer's output: int8, or int32 for logits.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub enum OutputRow {
	/// An int8 row.
	Int8(RowOpening),
	/// A row of logits, with its path.
	Logits {
		/// The row's values.
		values: BoundedVec<i32, ConstU32<MAX_WIDTH>>,
		/// Its path, at the row's index.
		path: Path,
	},
}

/// The answer for one sampled `(layer, i, j)`.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct ElementOpening {
	/// Row `i` of the layer's input tensor.
	pub input: RowOpening,
	/// Column `j` of the layer's weights, with its bias.
	pub weight: WeightOpening,
	/// Row `i` of the layer's output tensor, which holds the element at `j`.
	pub output: OutputRow,
}

/// Why a response or an opening of an inference receipt is rejected.
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
pub enum InferenceError {
	/// The tensor roots do not give the receipt's output commitment, or are not one more than
	/// the layers.
	WrongTensorRoots,
	/// The input tensor's root does not give the job's batch commitment.
	WrongBatchRoot,
	/// The layer, row or column is outside the network.
	PositionOutOfRange,
	/// The input row is not `d_in` long.
	InputLength,
	/// The input row is not the committed row at its index.
	BadInputPath,
	/// The weight column is not `d_in` long.
	WeightLength,
	/// The column is not the committed column (with its bias) at its index.
	BadWeightPath,
	/// The output row is not `d_out` long, or not of the layer's kind (int8 or logits).
	OutputShape,
	/// The output row is not the committed row at its index.
	BadOutputPath,
	/// The claimed element is not what the layer computes from the opened row and column.
	WrongElement,
}

/// Checks a response's tensor roots once, before its openings: one per tensor (`layers + 1`),
/// the first giving the job's `batch_commitment` for a batch of `batch` rows of the first
/// layer's `d_in`, all together giving the receipt's `output` with the `model`.
pub fn verify_tensor_roots(
	model: &H256,
	headers: &[LayerHeader],
	batch: u32,
	batch_hash: &H256,
	output: &H256,
	roots: &[H256],
) -> Result<(), InferenceError> {
	if roots.len() != headers.len().saturating_add(1) {
		return Err(InferenceError::WrongTensorRoots);
	}
	if inference_output_commitment(model, batch, roots) != *output {
		return Err(InferenceError::WrongTensorRoots);
	}
	let (Some(first), Some(input_root)) = (headers.first(), roots.first()) else {
		return Err(InferenceError::WrongTensorRoots);
	};
	if batch_commitment(batch, first.d_in, input_root) != *batch_hash {
		return Err(InferenceError::WrongBatchRoot);
	}
	Ok(())
}

/// Checks the opening of element `(i, j)` of layer `header` (weights under `weight_root`,
/// input tensor under `input_root`, output tensor under `output_root`, `batch` rows), against
/// roots already checked by [`verify_tensor_roots`]. In order: the position (`i < batch`, `j <
/// d_out`), the input row's length and path, the weight column's length and path, the output
/// row's kind, length and path, and then the element.
pub fn verify_element(
	header: &LayerHeader,
	weight_root: &H256,
	input_root: &H256,
	output_root: &H256,
	batch: u32,
	position: (u32, u32),
	opening: &ElementOpening,
) -> Result<(), InferenceError> {
	let (i, j) = position;
	if i >= batch || j >= header.d_out {
		return Err(InferenceError::PositionOutOfRange);
	}
	let rows = u64::from(batch);
	let input = &opening.input;
	if input.data.len() as u64 != u64::from(header.d_in) {
		return Err(InferenceError::InputLength);
	}
	let leaf = leaf_hash(Domain::X, u64::from(i), &encode_row_i8(&input.data));
	if !verify_path(&leaf, u64::from(i), rows, &input.path, input_root) {
		return Err(InferenceError::BadInputPath);
	}
	let weight = &opening.weight;
	if weight.column.len() as u64 != u64::from(header.d_in) {
		return Err(InferenceError::WeightLength);
	}
	let leaf = leaf_hash(Domain::W, u64::from(j), &encode_weight(&weight.column, weight.bias));
	if !verify_path(&leaf, u64::from(j), u64::from(header.d_out), &weight.path, weight_root) {
		return Err(InferenceError::BadWeightPath);
	}
	let (claimed, payload, path) = match (&opening.output, header.outputs_logits()) {
		(OutputRow::Int8(row), false) if row.data.len() as u64 == u64::from(header.d_out) => {
			(row.data.get(j as usize).map(|v| i32::from(*v)), encode_row_i8(&row.data), &row.path)
		},
		(OutputRow::Logits { values, path }, true)
			if values.len() as u64 == u64::from(header.d_out) =>
		{
			(values.get(j as usize).copied(), encode_row_i32(values), path)
		},
		_ => return Err(InferenceError::OutputShape),
	};
	let leaf = leaf_hash(Domain::X, u64::from(i), &payload);
	if !verify_path(&leaf, u64::from(i), rows, path, output_root) {
		return Err(InferenceError::BadOutputPath);
	}
	let computed = header.element(&input.data, &weight.column, weight.bias);
	if claimed != Some(computed) {
		return Err(InferenceError::WrongElement);
	}
	Ok(())
}

/// The `count` positions `(layer, i, j)` drawn from `seed` for a network of `headers` over
/// `batch` rows, each layer as likely as its share of the work (`d_in * d_out`): for s in
/// `0..count`, `h = blake2_256(seed || s as u32 LE)`, the layer is the first whose running sum
/// of `d_in * d_out` exceeds `u64 LE(h[0..8]) % total`, `i = u64 LE(h[8..16]) % batch` and `j =
/// u64 LE(h[16..24]) % d_out`. Positions may repeat. Empty for an empty network or batch.
pub fn sample_elements(
	seed: &H256,
	headers: &[LayerHeader],
	batch: u32,
	count: u32,
) -> Vec<(u32, u32, u32)> {
	let work: Vec<u64> =
		headers.iter().map(|h| u64::from(h.d_in).saturating_mul(u64::from(h.d_out))).collect();
	let total = work.iter().fold(0u64, |sum, w| sum.saturating_add(*w));
	if batch == 0 || total == 0 || headers.len() > MAX_LAYERS as usize {
		return Vec::new();
	}
	(0..count)
		.filter_map(|s| {
			let h = hash_parts(&[seed.as_bytes(), &s.to_le_bytes()]).0;
			let mut at = u64_at(&h, 0) % total;
			let layer = work.iter().position(|w| {
				if at < *w {
					true
				} else {
					at -= w;
					false
				}
			})?;
			let d_out = headers.get(layer)?.d_out;
			// The remainders are below batch and d_out, so they fit u32.
			let i = (u64_at(&h, 8) % u64::from(batch)) as u32;
			let j = (u64_at(&h, 16) % u64::from(d_out.max(1))) as u32;
			Some((layer as u32, i, j))
		})
		.collect()
}
