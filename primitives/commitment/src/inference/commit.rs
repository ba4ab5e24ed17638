//! The trees and commitments of an inference job.
//!
//! - A **tensor tree** has one leaf per row: leaf `i` is `leaf_hash(X, i, row i)`, the row's
//!   values as bytes (int8) or as 4 little-endian bytes each (int32 logits). Tensor 0 is the
//!   input batch; tensor `l + 1` is the output of layer `l` and so the input of layer `l + 1`:
//!   one tree, opened by both layers.
//! - A **weight tree** has one leaf per output column: leaf `j` is `leaf_hash(W, j, column j
//!   of the weights (d_in bytes) ++ bias j (i32 LE))`.
//! - The **model commitment** binds every layer's header and weight root; the **batch
//!   commitment** (the job's input `hash`) the batch's shape and tensor 0's root; the **output
//!   commitment** (the receipt's) the model, the batch and the root of every tensor.

use super::{
	layer::{LayerError, LayerHeader},
	reference::Tensor,
};
use crate::{
	hash_parts,
	merkle::{leaf_hash, Domain, MerkleTree},
	H256,
};
use alloc::vec::Vec;

/// The payload of a tensor row's leaf: int8 values as their bytes.
pub fn encode_row_i8(row: &[i8]) -> Vec<u8> {
	row.iter().map(|v| *v as u8).collect()
}

/// The payload of a logits row's leaf: each int32 as 4 little-endian bytes.
pub fn encode_row_i32(row: &[i32]) -> Vec<u8> {
	row.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The payload of a weight leaf: the column's `d_in` bytes, then the bias as i32 LE.
pub fn encode_weight(column: &[i8], bias: i32) -> Vec<u8> {
	let mut payload = encode_row_i8(column);
	payload.extend_from_slice(&bias.to_le_bytes());
	payload
}

/// The tree over a tensor's rows; `None` for an empty tensor.
pub fn tensor_tree(tensor: &Tensor) -> Option<MerkleTree> {
	let leaves = match tensor {
		Tensor::I8 { width, values } => {
			let width = usize::try_from(*width).ok().filter(|w| *w > 0)?;
			values
				.chunks_exact(width)
				.enumerate()
				.map(|(i, row)| leaf_hash(Domain::X, i as u64, &encode_row_i8(row)))
				.collect()
		},
		Tensor::I32 { width, values } => {
			let width = usize::try_from(*width).ok().filter(|w| *w > 0)?;
			values
				.chunks_exact(width)
				.enumerate()
				.map(|(i, row)| leaf_hash(Domain::X, i as u64, &encode_row_i32(row)))
				.collect()
		},
	};
	MerkleTree::new(leaves)
}

/// The tree over a layer's weights, given column-major (`d_out` columns of `d_in`) with one
/// bias per column. [`LayerError::Length`] on a length mismatch.
pub fn weight_tree(
	header: &LayerHeader,
	weight_cols: &[i8],
	bias: &[i32],
) -> Result<MerkleTree, LayerError> {
	let d_in = header.d_in as usize;
	if d_in == 0
		|| bias.len() != header.d_out as usize
		|| weight_cols.len() != d_in.saturating_mul(bias.len())
	{
		return Err(LayerError::Length);
	}
	let leaves = weight_cols
		.chunks_exact(d_in)
		.zip(bias)
		.enumerate()
		.map(|(j, (column, b))| leaf_hash(Domain::W, j as u64, &encode_weight(column, *b)))
		.collect();
	MerkleTree::new(leaves).ok_or(LayerError::Length)
}

/// `blake2_256(b"tessera/model/v1" || layers as u32 LE || for each layer: its encoded header
/// (`LayerHeader::encode_header`) || its weight root)`.
pub fn model_commitment(layers: &[(LayerHeader, H256)]) -> H256 {
	let mut preimage = b"tessera/model/v1".to_vec();
	preimage.extend_from_slice(&(layers.len() as u32).to_le_bytes());
	for (header, root) in layers {
		preimage.extend_from_slice(&header.encode_header());
		preimage.extend_from_slice(root.as_bytes());
	}
	hash_parts(&[&preimage])
}

/// `blake2_256(b"tessera/batch/v1" || batch as u32 LE || width as u32 LE || input root)`: the
/// commitment to an input batch of `batch` rows of `width` int8 values.
pub fn batch_commitment(batch: u32, width: u32, input_root: &H256) -> H256 {
	hash_parts(&[
		b"tessera/batch/v1",
		&batch.to_le_bytes(),
		&width.to_le_bytes(),
		input_root.as_bytes(),
	])
}

/// `blake2_256(b"tessera/inference/v1" || model || batch as u32 LE || tensors as u32 LE ||
/// each tensor root, the input's first)`: a receipt's output commitment, which binds every
/// layer's activations, so that none can be skipped or taken from another batch.
pub fn inference_output_commitment(model: &H256, batch: u32, tensor_roots: &[H256]) -> H256 {
	let mut preimage = b"tessera/inference/v1".to_vec();
	preimage.extend_from_slice(model.as_bytes());
	preimage.extend_from_slice(&batch.to_le_bytes());
	preimage.extend_from_slice(&(tensor_roots.len() as u32).to_le_bytes());
	for root in tensor_roots {
		preimage.extend_from_slice(root.as_bytes());
	}
	hash_parts(&[&preimage])
}
