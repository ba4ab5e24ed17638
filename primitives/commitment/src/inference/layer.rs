//! A dense layer's header and the exact integer arithmetic of one output element.
//!
//! For input row `x` (`d_in` int8 values), weight column `w` (`d_in` int8 values) and bias `b`
//! (int32), the element is
//!
//! 1. `acc = b + sum_k (x[k] - input_zero_point) * (w[k] - weight_zero_point)`, every
//!    operation wrapping in int32 (the zero points folded in exactly: any backend may expand the
//!    product, the wrapping sum is the same);
//! 2. for [`Activation::Logits`] the element is `acc` itself (int32, the last layer only);
//!    otherwise `q = requantize(acc, multiplier, shift)` ([`requantize`]: TFLite's single
//!    rounding), then `q + output_zero_point` saturated to int8;
//! 3. the activation: [`Activation::Identity`] keeps it, [`Activation::Relu`] takes
//!    `max(q, output_zero_point)` (zero in the quantized domain), [`Activation::Clamp`] clamps
//!    to `[min, max]`, and [`Activation::Table`] replaces `q` by `table[q + 128]`.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// What a layer applies after requantization.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub enum Activation {
	/// The requantized value as it is.
	Identity,
	/// `max(q, output_zero_point)`: ReLU in the quantized domain (what ONNX Runtime fuses into
	/// the output quantization).
	Relu,
	/// `min(max(q, min), max)` (ReLU6 and other clamps, in quantized values).
	Clamp {
		/// Lowest output.
		min: i8,
		/// Highest output.
		max: i8,
	},
	/// `table[q + 128]`: any activation of one int8 value (GELU, sigmoid, tanh), tabulated at
	/// import. The table is part of the model commitment.
	Table([i8; 256]),
	/// No requantization: the int32 accumulator is the output (logits). Only the last layer.
	Logits,
}

/// One dense layer: shapes and the integer constants of its arithmetic. Its weights and biases
/// are committed by their own tree ([`crate::inference::weight_tree`]).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct LayerHeader {
	/// Length of an input row (rows of the weights).
	pub d_in: u32,
	/// Length of an output row (columns of the weights).
	pub d_out: u32,
	/// Zero point of the input.
	pub input_zero_point: i8,
	/// Zero point of the weights (per tensor).
	pub weight_zero_point: i8,
	/// Requantization multiplier, in `[2^30, 2^31)` (a Q0.31 fraction of at least one half),
	/// or 0 for a layer whose output is constant.
	pub multiplier: i32,
	/// Requantization exponent: the layer's real scale is `multiplier * 2^(shift - 31)`. With
	/// `31 - shift` in `1..=62`.
	pub shift: i8,
	/// Zero point of the output.
	pub output_zero_point: i8,
	/// What follows the requantization.
	pub activation: Activation,
}

/// Why a header or a network is not valid.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum LayerError {
	/// `d_in` or `d_out` is 0 or above [`crate::inference::MAX_WIDTH`].
	Width,
	/// The multiplier is neither 0 nor in `[2^30, 2^31)`.
	Multiplier,
	/// `31 - shift` is outside `1..=62`.
	Shift,
	/// A clamp whose `min` is above its `max`.
	Clamp,
	/// Logits before the last layer.
	LogitsNotLast,
	/// A layer's `d_in` is not the previous layer's `d_out`.
	Chain,
	/// No layers, or more than [`crate::inference::MAX_LAYERS`].
	Depth,
	/// A tensor, a weight matrix or a bias vector of the wrong length.
	Length,
}

impl LayerHeader {
	/// Checks the header on its own (not its place in a network).
	pub fn validate(&self) -> Result<(), LayerError> {
		let max = crate::inference::MAX_WIDTH;
		if self.d_in == 0 || self.d_out == 0 || self.d_in > max || self.d_out > max {
			return Err(LayerError::Width);
		}
		if self.activation != Activation::Logits {
			if self.multiplier != 0 && self.multiplier < (1 << 30) {
				return Err(LayerError::Multiplier);
			}
			if !(1..=62).contains(&(31 - i32::from(self.shift))) {
				return Err(LayerError::Shift);
			}
		}
		if let Activation::Clamp { min, max } = self.activation {
			if min > max {
				return Err(LayerError::Clamp);
			}
		}
		Ok(())
	}

	/// Whether the layer outputs int32 logits rather than int8 values.
	pub fn outputs_logits(&self) -> bool {
		self.activation == Activation::Logits
	}

	/// The header as the model commitment hashes it (`docs/protocol.md`): `d_in` and `d_out`
	/// (u32 LE), the input, weight zero points (one byte each), the multiplier (i32 LE), the
	/// shift and the output zero point (one byte each), then the activation's tag (0 identity,
	/// 1 ReLU, 2 clamp, 3 table, 4 logits) and its parameters (a clamp's min and max, a table's
	/// 256 bytes).
	pub fn encode_header(&self) -> Vec<u8> {
		let mut out = Vec::with_capacity(16 + 256);
		out.extend_from_slice(&self.d_in.to_le_bytes());
		out.extend_from_slice(&self.d_out.to_le_bytes());
		out.push(self.input_zero_point as u8);
		out.push(self.weight_zero_point as u8);
		out.extend_from_slice(&self.multiplier.to_le_bytes());
		out.push(self.shift as u8);
		out.push(self.output_zero_point as u8);
		match &self.activation {
			Activation::Identity => out.push(0),
			Activation::Relu => out.push(1),
			Activation::Clamp { min, max } => out.extend_from_slice(&[2, *min as u8, *max as u8]),
			Activation::Table(table) => {
				out.push(3);
				out.extend(table.iter().map(|v| *v as u8));
			},
			Activation::Logits => out.push(4),
		}
		out
	}

	/// Operations of the layer over `batch` rows: `2 * batch * d_in * d_out`.
	pub fn ops(&self, batch: u32) -> u128 {
		2 * u128::from(batch) * u128::from(self.d_in) * u128::from(self.d_out)
	}

	/// The int32 accumulator of one output element (step 1 of the module documentation).
	/// Slices of different lengths are summed up to the shorter one (callers check lengths).
	pub fn accumulate(&self, x: &[i8], w: &[i8], bias: i32) -> i32 {
		let (zx, zw) = (i32::from(self.input_zero_point), i32::from(self.weight_zero_point));
		x.iter().zip(w).fold(bias, |acc, (x, w)| {
			acc.wrapping_add(
				i32::from(*x).wrapping_sub(zx).wrapping_mul(i32::from(*w).wrapping_sub(zw)),
			)
		})
	}

	/// The output of an accumulator (steps 2 and 3): an int8 value widened to i32, or the
	/// accumulator itself for logits.
	pub fn finish(&self, acc: i32) -> i32 {
		if self.outputs_logits() {
			return acc;
		}
		let q = requantize(acc, self.multiplier, self.shift)
			.saturating_add(i32::from(self.output_zero_point))
			.clamp(i32::from(i8::MIN), i32::from(i8::MAX));
		match &self.activation {
			Activation::Identity | Activation::Logits => q,
			Activation::Relu => q.max(i32::from(self.output_zero_point)),
			Activation::Clamp { min, max } => q.clamp(i32::from(*min), i32::from(*max)),
			// `q + 128` is in 0..=255 after the clamp above.
			Activation::Table(table) => i32::from(table[(q + 128) as usize]),
		}
	}

	/// One output element: [`Self::finish`] of [`Self::accumulate`].
	pub fn element(&self, x: &[i8], w: &[i8], bias: i32) -> i32 {
		self.finish(self.accumulate(x, w, bias))
	}
}

/// `acc * multiplier * 2^(shift - 31)`, rounded half towards positive infinity, in one step
/// (TFLite's single-rounding `MultiplyByQuantizedMultiplier`): with `t = 31 - shift`,
/// `(acc * multiplier + 2^(t-1)) >> t` in 64-bit arithmetic, the shift arithmetic (flooring),
/// saturated to int32. `t` outside `1..=62` (headers refuse it) gives 0.
pub fn requantize(acc: i32, multiplier: i32, shift: i8) -> i32 {
	let t = 31 - i32::from(shift);
	if !(1..=62).contains(&t) {
		return 0;
	}
	// |acc * multiplier| < 2^62 and the rounding term is at most 2^61: no overflow.
	let product = i64::from(acc) * i64::from(multiplier) + (1i64 << (t - 1));
	let shifted = product >> t;
	shifted.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}
