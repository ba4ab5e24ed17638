//! The plain reference implementation of a network: loops over [`LayerHeader::element`], the
//! definition faster backends (the worker's fused GEMM, CUDA) are tested against.

use super::layer::{LayerError, LayerHeader};
use alloc::vec::Vec;

/// A tensor of `values.len() / width` rows: int8 activations, or the int32 logits of a last
/// layer.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Tensor {
	/// int8 values, row-major.
	I8 {
		/// Values per row.
		width: u32,
		/// The values.
		values: Vec<i8>,
	},
	/// int32 logits, row-major.
	I32 {
		/// Values per row.
		width: u32,
		/// The values.
		values: Vec<i32>,
	},
}

impl Tensor {
	/// Values per row.
	pub fn width(&self) -> u32 {
		match self {
			Tensor::I8 { width, .. } | Tensor::I32 { width, .. } => *width,
		}
	}

	/// Number of rows (0 for a zero width).
	pub fn rows(&self) -> usize {
		let width = self.width() as usize;
		if width == 0 {
			return 0;
		}
		match self {
			Tensor::I8 { values, .. } => values.len() / width,
			Tensor::I32 { values, .. } => values.len() / width,
		}
	}
}

/// One layer over `x` (row-major, `d_in` per row), with weights column-major (`d_out` columns
/// of `d_in`) and one bias per column.
pub fn run_layer(
	header: &LayerHeader,
	x: &[i8],
	weight_cols: &[i8],
	bias: &[i32],
) -> Result<Tensor, LayerError> {
	header.validate()?;
	let (d_in, d_out) = (header.d_in as usize, header.d_out as usize);
	if !x.len().is_multiple_of(d_in)
		|| bias.len() != d_out
		|| weight_cols.len() != d_in.saturating_mul(d_out)
	{
		return Err(LayerError::Length);
	}
	let mut out = Vec::with_capacity((x.len() / d_in).saturating_mul(d_out));
	for row in x.chunks_exact(d_in) {
		out.extend(
			weight_cols.chunks_exact(d_in).zip(bias).map(|(w, b)| header.element(row, w, *b)),
		);
	}
	Ok(if header.outputs_logits() {
		Tensor::I32 { width: header.d_out, values: out }
	} else {
		// Every non-logits element is an int8 value widened to i32.
		Tensor::I8 { width: header.d_out, values: out.into_iter().map(|v| v as i8).collect() }
	})
}

/// Checks a network's headers: each valid, `d_in` of each the `d_out` of the one before,
/// logits only last, between 1 and [`crate::inference::MAX_LAYERS`] layers.
pub fn validate_network(headers: &[&LayerHeader]) -> Result<(), LayerError> {
	if headers.is_empty() || headers.len() > crate::inference::MAX_LAYERS as usize {
		return Err(LayerError::Depth);
	}
	for (l, header) in headers.iter().enumerate() {
		header.validate()?;
		if l + 1 < headers.len() && header.outputs_logits() {
			return Err(LayerError::LogitsNotLast);
		}
		if l > 0 && headers[l - 1].d_out != header.d_in {
			return Err(LayerError::Chain);
		}
	}
	Ok(())
}

/// A layer with its weights (column-major) and biases.
pub type Layer<'a> = (&'a LayerHeader, &'a [i8], &'a [i32]);

/// Every tensor of a network over `input` (row-major, the first layer's `d_in` per row): the
/// input itself first, then each layer's output.
pub fn run_network(layers: &[Layer<'_>], input: &[i8]) -> Result<Vec<Tensor>, LayerError> {
	let headers: Vec<&LayerHeader> = layers.iter().map(|(h, _, _)| *h).collect();
	validate_network(&headers)?;
	let mut tensors = alloc::vec![Tensor::I8 { width: headers[0].d_in, values: input.to_vec() }];
	for (header, weights, bias) in layers {
		let Some(Tensor::I8 { values, .. }) = tensors.last() else {
			return Err(LayerError::LogitsNotLast);
		};
		let next = run_layer(header, values, weights, bias)?;
		tensors.push(next);
	}
	Ok(tensors)
}
