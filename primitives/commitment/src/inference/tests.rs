//! Known-answer vectors (reproduced by an independent implementation, `docs/protocol.md`),
//! the reference against saturating inputs, and every way an opening can be refused.

use super::{
	commit::{encode_row_i32, encode_row_i8},
	opening::{verify_tensor_roots, InferenceError, OutputRow},
	reference::validate_network,
	*,
};
use crate::{merkle::MerkleTree, H256};
use alloc::{vec, vec::Vec};
use sp_core::bounded::BoundedVec;

fn hex(s: &str) -> H256 {
	let mut out = [0u8; 32];
	for (i, byte) in out.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex");
	}
	H256(out)
}

/// The two-layer network of the known-answer vectors: 3 -> 2 (ReLU, scale 1/4) -> 2 logits.
fn kat_network() -> Vec<(LayerHeader, Vec<i8>, Vec<i32>)> {
	vec![
		(
			LayerHeader {
				d_in: 3,
				d_out: 2,
				input_zero_point: 1,
				weight_zero_point: 0,
				multiplier: 1 << 30,
				shift: -1,
				output_zero_point: -5,
				activation: Activation::Relu,
			},
			vec![1, 2, 3, -1, 0, 1],
			vec![10, -20],
		),
		(
			LayerHeader {
				d_in: 2,
				d_out: 2,
				input_zero_point: -5,
				weight_zero_point: 1,
				multiplier: 0,
				shift: 0,
				output_zero_point: 0,
				activation: Activation::Logits,
			},
			vec![3, -1, 2, 2],
			vec![100, -100],
		),
	]
}

const KAT_INPUT: [i8; 6] = [1, -2, 3, 127, -128, 0];

/// Every tensor, the weight trees and the tensor trees of the known-answer network.
struct Run {
	headers: Vec<LayerHeader>,
	tensors: Vec<Tensor>,
	weight_trees: Vec<MerkleTree>,
	tensor_trees: Vec<MerkleTree>,
	model: H256,
}

fn run(network: &[(LayerHeader, Vec<i8>, Vec<i32>)], input: &[i8]) -> Run {
	let layers: Vec<reference::Layer<'_>> =
		network.iter().map(|(h, w, b)| (h, w.as_slice(), b.as_slice())).collect();
	let tensors = run_network(&layers, input).expect("valid network");
	let weight_trees: Vec<MerkleTree> =
		network.iter().map(|(h, w, b)| weight_tree(h, w, b).expect("lengths")).collect();
	let tensor_trees = tensors.iter().map(|t| tensor_tree(t).expect("rows")).collect();
	let headers: Vec<LayerHeader> = network.iter().map(|(h, _, _)| h.clone()).collect();
	let committed: Vec<(LayerHeader, H256)> =
		headers.iter().cloned().zip(weight_trees.iter().map(|t| t.root())).collect();
	Run { headers, tensors, weight_trees, tensor_trees, model: model_commitment(&committed) }
}

#[test]
fn requantize_rounds_half_up_in_one_step() {
	// (acc, multiplier, shift) -> result, from the independent implementation.
	let cases = [
		((3, 1 << 30, 0), 2),
		((-3, 1 << 30, 0), -1),
		((5, 1 << 30, 0), 3),
		((-5, 1 << 30, 0), -2),
		((1000, 1_518_500_250, -5), 22),
		((-1000, 1_518_500_250, -5), -22),
		((i32::MAX, i32::MAX, 30), i32::MAX),
		((i32::MIN, i32::MAX, 30), i32::MIN),
		((12_345, i32::MAX, -31), 0),
	];
	for ((acc, multiplier, shift), expected) in cases {
		assert_eq!(requantize(acc, multiplier, shift), expected, "{acc} {multiplier} {shift}");
	}
	// A shift outside the range gives 0 rather than an overflow.
	assert_eq!(requantize(1, 1 << 30, 31), 0);
	assert_eq!(requantize(1, 1 << 30, -32), 0);
}

#[test]
fn known_answers_of_a_two_layer_network() {
	let run = run(&kat_network(), &KAT_INPUT);
	assert_eq!(run.tensors[1], Tensor::I8 { width: 2, values: vec![-2, -5, -5, -5] });
	assert_eq!(run.tensors[2], Tensor::I32 { width: 2, values: vec![106, -97, 100, -100] });
	assert_eq!(run.model, hex("daeeefa2fefee921e95ca7bc0ec7314781a5c2ab5679508b2ff7ef6a81202dba"));
	let roots: Vec<H256> = run.tensor_trees.iter().map(|t| t.root()).collect();
	assert_eq!(
		batch_commitment(2, 3, &roots[0]),
		hex("49184ac7948bdf7d65eea52d101e98722b9eb1a742174e0404b4499f67cf443b")
	);
	assert_eq!(
		inference_output_commitment(&run.model, 2, &roots),
		hex("a77d576bd89120d567f67a28a52e3c11313458dfd17459c0e8546b8ed2c884df")
	);
}

#[test]
fn known_answers_of_a_table_and_a_clamp() {
	let table: [i8; 256] = core::array::from_fn(|k| {
		let v = k as i32 - 128;
		(v * v / 128 - 64).clamp(-128, 127) as i8
	});
	let tabled = LayerHeader {
		d_in: 2,
		d_out: 1,
		input_zero_point: 0,
		weight_zero_point: 0,
		multiplier: 1 << 30,
		shift: 0,
		output_zero_point: 3,
		activation: Activation::Table(table),
	};
	assert_eq!(tabled.element(&[40, 50], &[1, 1], 0), -46);
	assert_eq!(
		H256(sp_io::hashing::blake2_256(&tabled.encode_header())),
		hex("69163c1f7763bc2e438c7162846cfb4b54525e6db0640a56de9beb9c9c0ba24a")
	);
	let clamped = LayerHeader {
		output_zero_point: 0,
		activation: Activation::Clamp { min: 0, max: 6 },
		..tabled
	};
	assert_eq!(clamped.element(&[40, 50], &[1, 1], 0), 6);
	assert_eq!(clamped.element(&[-40, 0], &[1, 1], 0), 0);
}

/// A deterministic stream of bytes for inputs and weights.
fn bytes(seed: u64, len: usize) -> Vec<i8> {
	let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
	(0..len)
		.map(|_| {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			(state >> 56) as u8 as i8
		})
		.collect()
}

#[test]
fn the_reference_agrees_with_a_widened_computation_on_saturating_inputs() {
	// All -128 and all 127 inputs and weights with extreme zero points, and random ones: the
	// int32 accumulator (wrapping), the requantization and the saturation against the same
	// arithmetic done in i128.
	for (seed, zx, zw) in [(1u64, -128i8, 127i8), (2, 127, -128), (3, 0, 0), (4, -7, 3)] {
		for d_in in [1u32, 7, 64, 4096] {
			let header = LayerHeader {
				d_in,
				d_out: 3,
				input_zero_point: zx,
				weight_zero_point: zw,
				multiplier: 1_518_500_250,
				shift: -9,
				output_zero_point: -3,
				activation: Activation::Identity,
			};
			let mut x = bytes(seed, d_in as usize);
			let mut w = bytes(seed + 100, 3 * d_in as usize);
			if seed == 1 {
				x.iter_mut().for_each(|v| *v = 127);
				w.iter_mut().for_each(|v| *v = -128);
			}
			let out = run_layer(&header, &x, &w, &[i32::MAX, 0, i32::MIN]).expect("valid");
			let Tensor::I8 { values, .. } = out else { panic!("int8 output") };
			for (j, bias) in [i32::MAX, 0, i32::MIN].into_iter().enumerate() {
				let col = &w[j * d_in as usize..(j + 1) * d_in as usize];
				let wide: i128 = x
					.iter()
					.zip(col)
					.map(|(x, w)| {
						(i128::from(*x) - i128::from(zx)) * (i128::from(*w) - i128::from(zw))
					})
					.sum::<i128>() + i128::from(bias);
				// Wrapping to int32, as the accumulator does.
				let acc = (wide.rem_euclid(1 << 32) as u32) as i32;
				let scaled = (i128::from(acc) * 1_518_500_250 + (1i128 << 39)) >> 40;
				let expected = (scaled - 3).clamp(-128, 127) as i8;
				assert_eq!(values[j], expected, "seed {seed} d_in {d_in} column {j}");
			}
		}
	}
}

#[test]
fn networks_with_bad_headers_are_refused() {
	let network = kat_network();
	let (a, b) = (&network[0].0, &network[1].0);
	assert_eq!(validate_network(&[a, b]), Ok(()));
	assert_eq!(validate_network(&[]), Err(LayerError::Depth));
	assert_eq!(validate_network(&[b, a]), Err(LayerError::LogitsNotLast));
	assert_eq!(validate_network(&[a, a]), Err(LayerError::Chain));
	let bad = |change: fn(&mut LayerHeader)| {
		let mut header = a.clone();
		change(&mut header);
		header.validate()
	};
	assert_eq!(bad(|h| h.d_in = 0), Err(LayerError::Width));
	assert_eq!(bad(|h| h.d_out = MAX_WIDTH + 1), Err(LayerError::Width));
	assert_eq!(bad(|h| h.multiplier = (1 << 30) - 1), Err(LayerError::Multiplier));
	assert_eq!(bad(|h| h.shift = 31), Err(LayerError::Shift));
	assert_eq!(
		bad(|h| h.activation = Activation::Clamp { min: 5, max: 4 }),
		Err(LayerError::Clamp)
	);
	assert_eq!(run_layer(a, &[1, 2], &network[0].1, &network[0].2), Err(LayerError::Length));
	assert_eq!(weight_tree(a, &[1, 2, 3], &network[0].2).err(), Some(LayerError::Length));
}

fn path(tree: &MerkleTree, index: u64) -> crate::opening::Path {
	BoundedVec::truncate_from(tree.path(index).expect("leaf"))
}

/// The honest opening of `(layer, i, j)`.
fn open(
	run: &Run,
	network: &[(LayerHeader, Vec<i8>, Vec<i32>)],
	l: usize,
	i: u32,
	j: u32,
) -> ElementOpening {
	let row = |t: &Tensor| match t {
		Tensor::I8 { width, values } => {
			let w = *width as usize;
			values[i as usize * w..(i as usize + 1) * w].to_vec()
		},
		Tensor::I32 { .. } => panic!("an int8 input"),
	};
	let (header, weights, bias) = &network[l];
	let d_in = header.d_in as usize;
	let output = match &run.tensors[l + 1] {
		Tensor::I8 { .. } => OutputRow::Int8(RowOpening {
			data: BoundedVec::truncate_from(row(&run.tensors[l + 1])),
			path: path(&run.tensor_trees[l + 1], i.into()),
		}),
		Tensor::I32 { width, values } => {
			let w = *width as usize;
			OutputRow::Logits {
				values: BoundedVec::truncate_from(
					values[i as usize * w..(i as usize + 1) * w].to_vec(),
				),
				path: path(&run.tensor_trees[l + 1], i.into()),
			}
		},
	};
	ElementOpening {
		input: RowOpening {
			data: BoundedVec::truncate_from(row(&run.tensors[l])),
			path: path(&run.tensor_trees[l], i.into()),
		},
		weight: WeightOpening {
			column: BoundedVec::truncate_from(
				weights[j as usize * d_in..(j as usize + 1) * d_in].to_vec(),
			),
			bias: bias[j as usize],
			path: path(&run.weight_trees[l], j.into()),
		},
		output,
	}
}

fn check(
	run: &Run,
	l: usize,
	batch: u32,
	position: (u32, u32),
	opening: &ElementOpening,
) -> Result<(), InferenceError> {
	verify_element(
		&run.headers[l],
		&run.weight_trees[l].root(),
		&run.tensor_trees[l].root(),
		&run.tensor_trees[l + 1].root(),
		batch,
		position,
		opening,
	)
}

/// A network of three layers 16 -> 24 -> 8 -> 4 logits over a batch of 5.
fn wide_network() -> Vec<(LayerHeader, Vec<i8>, Vec<i32>)> {
	let dims = [16u32, 24, 8, 4];
	dims.windows(2)
		.enumerate()
		.map(|(l, pair)| {
			let (d_in, d_out) = (pair[0], pair[1]);
			let last = l == dims.len() - 2;
			(
				LayerHeader {
					d_in,
					d_out,
					input_zero_point: if l == 0 { 0 } else { -128 },
					weight_zero_point: 0,
					multiplier: 1_300_000_000,
					shift: -6,
					output_zero_point: -128,
					activation: if last { Activation::Logits } else { Activation::Relu },
				},
				bytes(l as u64 + 10, (d_in * d_out) as usize),
				(0..d_out as i32).map(|j| j * 37 - 200).collect(),
			)
		})
		.collect()
}

#[test]
fn every_honest_element_of_every_layer_verifies() {
	let network = wide_network();
	let input = bytes(99, 5 * 16);
	let run = run(&network, &input);
	let roots: Vec<H256> = run.tensor_trees.iter().map(|t| t.root()).collect();
	let output = inference_output_commitment(&run.model, 5, &roots);
	let batch_hash = batch_commitment(5, 16, &roots[0]);
	assert_eq!(
		verify_tensor_roots(&run.model, &run.headers, 5, &batch_hash, &output, &roots),
		Ok(())
	);
	for (l, (header, _, _)) in network.iter().enumerate() {
		for i in 0..5 {
			for j in 0..header.d_out {
				let opening = open(&run, &network, l, i, j);
				assert_eq!(check(&run, l, 5, (i, j), &opening), Ok(()), "layer {l} ({i}, {j})");
			}
		}
	}
}

#[test]
fn tensor_roots_that_do_not_match_are_refused() {
	let network = wide_network();
	let run = run(&network, &bytes(99, 5 * 16));
	let roots: Vec<H256> = run.tensor_trees.iter().map(|t| t.root()).collect();
	let output = inference_output_commitment(&run.model, 5, &roots);
	let batch_hash = batch_commitment(5, 16, &roots[0]);
	let verify = |roots: &[H256], batch_hash: &H256| {
		verify_tensor_roots(&run.model, &run.headers, 5, batch_hash, &output, roots)
	};
	// A layer's activations swapped for another's, one missing, or another batch.
	let mut swapped = roots.clone();
	swapped.swap(1, 2);
	assert_eq!(verify(&swapped, &batch_hash), Err(InferenceError::WrongTensorRoots));
	assert_eq!(verify(&roots[..3], &batch_hash), Err(InferenceError::WrongTensorRoots));
	let other_batch = batch_commitment(5, 16, &H256::repeat_byte(1));
	assert_eq!(verify(&roots, &other_batch), Err(InferenceError::WrongBatchRoot));
}

#[test]
fn every_bad_opening_is_refused_with_its_error() {
	let network = wide_network();
	let run = run(&network, &bytes(99, 5 * 16));
	let honest = open(&run, &network, 1, 2, 3);
	assert_eq!(check(&run, 1, 5, (2, 3), &honest), Ok(()));
	assert_eq!(check(&run, 1, 5, (5, 3), &honest), Err(InferenceError::PositionOutOfRange));
	assert_eq!(check(&run, 1, 5, (2, 8), &honest), Err(InferenceError::PositionOutOfRange));
	let mut bad = honest.clone();
	bad.input.data.truncate(23);
	assert_eq!(check(&run, 1, 5, (2, 3), &bad), Err(InferenceError::InputLength));
	// Another row of the input (a reused activation) at this index.
	let mut bad = honest.clone();
	bad.input = open(&run, &network, 1, 1, 3).input;
	assert_eq!(check(&run, 1, 5, (2, 3), &bad), Err(InferenceError::BadInputPath));
	let mut bad = honest.clone();
	bad.weight.column.truncate(3);
	assert_eq!(check(&run, 1, 5, (2, 3), &bad), Err(InferenceError::WeightLength));
	// Other weights, or another bias.
	let mut bad = honest.clone();
	bad.weight.column[0] = bad.weight.column[0].wrapping_add(1);
	assert_eq!(check(&run, 1, 5, (2, 3), &bad), Err(InferenceError::BadWeightPath));
	let mut bad = honest.clone();
	bad.weight.bias += 1;
	assert_eq!(check(&run, 1, 5, (2, 3), &bad), Err(InferenceError::BadWeightPath));
	// Logits where int8 is due, or a short row.
	let mut bad = honest.clone();
	bad.output = OutputRow::Logits {
		values: BoundedVec::truncate_from(vec![0; 8]),
		path: honest.input.path.clone(),
	};
	assert_eq!(check(&run, 1, 5, (2, 3), &bad), Err(InferenceError::OutputShape));
	let mut bad = honest.clone();
	if let OutputRow::Int8(row) = &mut bad.output {
		row.data.truncate(7);
	}
	assert_eq!(check(&run, 1, 5, (2, 3), &bad), Err(InferenceError::OutputShape));
	// A changed output row no longer hashes to the committed one.
	let mut bad = honest.clone();
	if let OutputRow::Int8(row) = &mut bad.output {
		row.data[3] = row.data[3].wrapping_add(1);
	}
	assert_eq!(check(&run, 1, 5, (2, 3), &bad), Err(InferenceError::BadOutputPath));
}

#[test]
fn a_worker_that_computes_a_layer_wrongly_is_caught_where_it_is_sampled() {
	// The cheat commits to a layer-1 output computed from other weights: its openings are
	// consistent with its own trees, and the recomputation refuses them.
	let network = wide_network();
	let input = bytes(99, 5 * 16);
	let mut forged = network.clone();
	// Column 0 of layer 1 (its first 24 weights) shifted by 50.
	forged[1].1[..24].iter_mut().for_each(|w| *w = w.wrapping_add(50));
	let honest_model = run(&network, &input).model;
	let cheat = run(&forged, &input);
	// It must open the weights of the committed model, not its own.
	let honest = run(&network, &input);
	let mut caught = 0;
	for i in 0..5 {
		for j in 0..8 {
			let mut opening = open(&cheat, &forged, 1, i, j);
			opening.weight = open(&honest, &network, 1, i, j).weight;
			let result = verify_element(
				&honest.headers[1],
				&honest.weight_trees[1].root(),
				&cheat.tensor_trees[1].root(),
				&cheat.tensor_trees[2].root(),
				5,
				(i, j),
				&opening,
			);
			if result == Err(InferenceError::WrongElement) {
				caught += 1;
			} else {
				assert_eq!(result, Ok(()), "only the wrong elements fail");
			}
		}
	}
	// Only column 0 used the changed weights; where its value changed, the sample catches it.
	assert!(caught > 0 && caught <= 5, "{caught}");
	let Tensor::I8 { values, .. } = &honest.tensors[2] else { panic!("int8") };
	assert!(values.iter().any(|v| *v != -128), "the test's activations are not all zero");
	assert_ne!(honest_model, cheat.model);
}

#[test]
fn samples_weight_layers_by_their_work() {
	let network = wide_network();
	let headers: Vec<LayerHeader> = network.iter().map(|(h, _, _)| h.clone()).collect();
	let samples = sample_elements(&H256::repeat_byte(7), &headers, 5, 6_000);
	assert_eq!(samples.len(), 6_000);
	let mut per_layer = [0u32; 3];
	for (l, i, j) in &samples {
		per_layer[*l as usize] += 1;
		assert!(*i < 5 && *j < headers[*l as usize].d_out);
	}
	// Work 16*24 = 384, 24*8 = 192, 8*4 = 32 of 608: 3,789, 1,895 and 316 of 6,000.
	let expected = [3_789u32, 1_895, 316];
	for (got, want) in per_layer.iter().zip(expected) {
		assert!(got.abs_diff(want) < want / 8, "{per_layer:?}");
	}
	assert_eq!(samples, sample_elements(&H256::repeat_byte(7), &headers, 5, 6_000));
	assert!(sample_elements(&H256::repeat_byte(7), &headers, 0, 10).is_empty());
	assert!(sample_elements(&H256::repeat_byte(7), &[], 5, 10).is_empty());
}

#[test]
fn rows_encode_as_documented() {
	assert_eq!(encode_row_i8(&[-1, 0, 127]), vec![0xff, 0, 0x7f]);
	assert_eq!(encode_row_i32(&[-2]), vec![0xfe, 0xff, 0xff, 0xff]);
}
