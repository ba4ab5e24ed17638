//! Integer-only neural-network inference, exact on every backend, and its commitments: the
//! scheme a spot-checked inference job is verified by (`docs/protocol.md`, "Inference").
//!
//! A network is a sequence of dense layers. Layer `l` reads tensor `l` (the input batch for
//! `l = 0`) and writes tensor `l + 1`, both `batch` rows long; every value is an integer and
//! every operation is defined to the bit, so that one sampled element of any layer can be
//! recomputed by the chain from one row of the layer's input, one column of its weights and its
//! bias, whatever order a GPU summed in.
//!
//! - [`layer`]: a layer's header (shapes, zero points, the requantization multiplier and
//!   shift, the activation), [`layer::requantize`] and the element of one output position.
//! - [`commit`]: the trees over tensors (one leaf per row) and over a layer's weights (one leaf
//!   per output column, with its bias), the model, batch and output commitments.
//! - [`opening`]: what a worker sends for a sampled `(layer, row, column)`, how it is checked,
//!   and how the chain draws the positions, weighting layers by their work.
//! - [`reference`]: the plain reference implementation of a whole network, which faster
//!   backends are tested against.

pub mod commit;
pub mod layer;
pub mod opening;
pub mod reference;

#[cfg(test)]
mod tests;

pub use commit::{
	batch_commitment, inference_output_commitment, model_commitment, tensor_tree, weight_tree,
};
pub use layer::{requantize, Activation, LayerError, LayerHeader};
pub use opening::{
	sample_elements, verify_element, verify_tensor_roots, ElementOpening, InferenceError,
	OutputRow, RowOpening, WeightOpening,
};
pub use reference::{run_layer, run_network, Tensor};

/// Longest row of any tensor (`d_in` or `d_out` of a layer): an opening carries whole rows.
pub const MAX_WIDTH: u32 = 1 << 16;

/// Most layers in a network.
pub const MAX_LAYERS: u32 = 64;
