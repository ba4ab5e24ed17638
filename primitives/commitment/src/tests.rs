//! Tests of the whole scheme: round trips, every rejection, domain separation and the
//! known-answer vectors that other implementations (the worker, JS clients) check against.

mod merkle;
mod sampling;
mod seed;

use crate::{merkle::leaf_hash_i8, *};
use alloc::{format, string::String, vec, vec::Vec};
use codec::{Decode, Encode, MaxEncodedLen};

const SHAPES: [Dims; 5] = [
	Dims { m: 1, n: 1, k: 1 },
	Dims { m: 3, n: 5, k: 7 },
	// n > 64 and not a multiple of it: rows of three chunks, the last two elements long.
	Dims { m: 2, n: 130, k: 9 },
	Dims { m: 17, n: 1, k: 33 },
	Dims { m: 64, n: 64, k: 64 },
];

/// Arbitrary but reproducible int8 data covering the whole range (an LCG's high byte).
fn bytes(len: usize, salt: u64) -> Vec<i8> {
	let mut state = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
	(0..len)
		.map(|_| {
			state = state
				.wrapping_mul(6_364_136_223_846_793_005)
				.wrapping_add(1_442_695_040_888_963_407);
			(state >> 56) as u8 as i8
		})
		.collect()
}

fn hex(h: &H256) -> String {
	h.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A job with its inputs, output, prover and the commitments the chain holds.
struct Job {
	d: Dims,
	a: Vec<i8>,
	b_cols: Vec<i8>,
	c: Vec<i32>,
	source: InputSource,
	prover: Prover,
}

impl Job {
	fn seeded(d: Dims, seed: H256) -> Self {
		let (a, b_cols) = seed_matrices(&seed, d);
		let c = matmul_reference(d, &a, &b_cols);
		let prover = Prover::new(d, None, &c).unwrap();
		Job { d, a, b_cols, c, source: InputSource::Seed(seed), prover }
	}

	fn committed(d: Dims, salt: u64) -> Self {
		let a = bytes((d.m * d.k) as usize, salt);
		let b_cols = bytes((d.n * d.k) as usize, salt + 1);
		let c = matmul_reference(d, &a, &b_cols);
		Self::committed_with(d, a, b_cols, c)
	}

	fn committed_with(d: Dims, a: Vec<i8>, b_cols: Vec<i8>, c: Vec<i32>) -> Self {
		let prover = Prover::new(d, Some((&a, &b_cols)), &c).unwrap();
		let source = InputSource::Committed(commit_inputs(d, &a, &b_cols).unwrap());
		Job { d, a, b_cols, c, source, prover }
	}

	fn output(&self) -> H256 {
		self.prover.output_commitment()
	}

	fn verify(&self, position: (u32, u32), opening: &Opening) -> Result<(), OpeningError> {
		verify_opening(self.d, &self.source, &self.prover.roots(), position, opening)
	}

	fn open(&self, position: (u32, u32)) -> Opening {
		self.prover.open(position).unwrap()
	}
}

#[test]
fn round_trip_every_position() {
	for (s, d) in SHAPES.into_iter().enumerate() {
		let jobs = [Job::seeded(d, H256::repeat_byte(s as u8 + 1)), Job::committed(d, s as u64)];
		for job in jobs {
			let roots = job.prover.roots();
			assert_eq!(job.output(), commit_output(d, &job.c).unwrap());
			assert_eq!(verify_roots(d, &job.source, &job.output(), &roots), Ok(()));
			match job.source {
				InputSource::Seed(_) => assert_eq!(roots.inputs, None),
				InputSource::Committed(commitment) => {
					let (a_root, b_root) = roots.inputs.unwrap();
					assert_eq!(input_commitment(d, &a_root, &b_root), commitment);
				},
			}
			for i in 0..d.m {
				for j in 0..d.n {
					let opening = job.open((i, j));
					let committed = matches!(job.source, InputSource::Committed(_));
					assert_eq!(opening.row.is_some(), committed);
					assert_eq!(opening.column.is_some(), committed);
					assert_eq!(job.verify((i, j), &opening), Ok(()), "{d:?} at ({i}, {j})");
				}
			}
		}
	}
}

#[test]
fn sampled_positions_verify() {
	let job = Job::committed(Dims { m: 40, n: 300, k: 20 }, 9);
	let seed = sample_seed(&H256::repeat_byte(5), 3, 0, &job.output());
	for position in sample_positions(&seed, job.d, 64) {
		assert_eq!(job.verify(position, &job.open(position)), Ok(()));
	}
}

#[test]
fn seed_openings_ignore_provided_inputs() {
	let seeded = Job::seeded(Dims { m: 3, n: 5, k: 7 }, H256::repeat_byte(1));
	let committed = Job::committed(Dims { m: 3, n: 5, k: 7 }, 1);
	let mut opening = seeded.open((1, 2));
	opening.row = committed.open((1, 2)).row;
	assert_eq!(seeded.verify((1, 2), &opening), Ok(()));
}

#[test]
fn wrong_element_of_c_is_caught_at_its_position_only() {
	for d in [Dims { m: 2, n: 130, k: 9 }, Dims { m: 3, n: 5, k: 7 }] {
		let honest = Job::committed(d, 4);
		let mut c = honest.c.clone();
		let bad = (1u32, d.n - 1);
		let at = (bad.0 * d.n + bad.1) as usize;
		c[at] = c[at].wrapping_add(1);
		let job = Job::committed_with(d, honest.a.clone(), honest.b_cols.clone(), c);
		assert_ne!(job.output(), honest.output());
		assert_eq!(verify_roots(d, &job.source, &job.output(), &job.prover.roots()), Ok(()));
		for i in 0..d.m {
			for j in 0..d.n {
				let expected = if (i, j) == bad { Err(OpeningError::WrongProduct) } else { Ok(()) };
				assert_eq!(job.verify((i, j), &job.open((i, j))), expected, "({i}, {j})");
			}
		}
		// The same with seed inputs.
		let honest = Job::seeded(d, H256::repeat_byte(8));
		let mut c = honest.c.clone();
		c[at] ^= 1 << 20;
		let prover = Prover::new(d, None, &c).unwrap();
		let roots = prover.roots();
		assert_eq!(
			verify_opening(d, &honest.source, &roots, bad, &prover.open(bad).unwrap()),
			Err(OpeningError::WrongProduct)
		);
		assert_eq!(
			verify_opening(d, &honest.source, &roots, (0, 0), &prover.open((0, 0)).unwrap()),
			Ok(())
		);
	}
}

#[test]
fn opening_of_another_position_is_rejected() {
	let d = Dims { m: 4, n: 200, k: 9 };
	let job = Job::committed(d, 11);
	// Another row: the row of A is at the wrong index.
	assert_eq!(job.verify((1, 5), &job.open((2, 5))), Err(OpeningError::BadRowPath));
	// Same row, another column in the same chunk: the column of B is at the wrong index.
	assert_eq!(job.verify((1, 5), &job.open((1, 6))), Err(OpeningError::BadColumnPath));
	// Same row and column of the inputs but another chunk of C: patch the inputs so that only
	// the chunk is foreign.
	let mut opening = job.open((1, 70));
	let own = job.open((1, 5));
	opening.row = own.row;
	opening.column = own.column;
	assert_eq!(job.verify((1, 5), &opening), Err(OpeningError::BadOutputPath));

	let seeded = Job::seeded(d, H256::repeat_byte(3));
	assert_eq!(seeded.verify((1, 5), &seeded.open((2, 5))), Err(OpeningError::BadOutputPath));
	assert_eq!(seeded.verify((1, 5), &seeded.open((1, 70))), Err(OpeningError::BadOutputPath));
	// Same chunk, another column: with seed inputs an opening is only the chunk, which is the
	// same for both, so it proves (1, 5) as well; the verifier checks the element at 5 % 64.
	assert_eq!(seeded.open((1, 6)), seeded.open((1, 5)));
	assert_eq!(seeded.verify((1, 5), &seeded.open((1, 6))), Ok(()));
}

#[test]
fn wrong_roots_are_rejected() {
	let d = Dims { m: 3, n: 5, k: 7 };
	let job = Job::committed(d, 2);
	let output = job.output();
	let roots = job.prover.roots();
	let (a_root, b_root) = roots.inputs.unwrap();

	let bad_c = Roots { output: H256::repeat_byte(1), ..roots };
	assert_eq!(verify_roots(d, &job.source, &output, &bad_c), Err(OpeningError::WrongOutputRoot));
	// The dimensions are bound: the same root under another shape is another commitment.
	let other = Dims { m: 5, n: 3, k: 7 };
	assert_eq!(
		verify_roots(other, &job.source, &output, &roots),
		Err(OpeningError::WrongOutputRoot)
	);

	for inputs in [(b_root, a_root), (a_root, H256::zero()), (H256::zero(), b_root)] {
		let bad = Roots { inputs: Some(inputs), ..roots };
		assert_eq!(verify_roots(d, &job.source, &output, &bad), Err(OpeningError::WrongInputRoots));
	}
	let none = Roots { inputs: None, ..roots };
	assert_eq!(verify_roots(d, &job.source, &output, &none), Err(OpeningError::MissingInputs));

	// Seed inputs: input roots are ignored, present or not.
	let seeded = Job::seeded(d, H256::repeat_byte(1));
	let roots = seeded.prover.roots();
	let out = seeded.output();
	assert_eq!(verify_roots(d, &seeded.source, &out, &roots), Ok(()));
	let with = Roots { inputs: Some((a_root, b_root)), ..roots };
	assert_eq!(verify_roots(d, &seeded.source, &out, &with), Ok(()));
	// A tree built over other inputs (the provider ignored the seed) fails the product.
	let prover = Prover::new(d, None, &job.c).unwrap();
	assert_eq!(
		verify_roots(d, &seeded.source, &prover.output_commitment(), &prover.roots()),
		Ok(())
	);
	let failures = (0..d.m)
		.flat_map(|i| (0..d.n).map(move |j| (i, j)))
		.filter(|p| {
			verify_opening(d, &seeded.source, &prover.roots(), *p, &prover.open(*p).unwrap())
				== Err(OpeningError::WrongProduct)
		})
		.count();
	assert!(failures > 10, "{failures}");
}

#[test]
fn missing_inputs_are_rejected() {
	let d = Dims { m: 3, n: 5, k: 7 };
	let job = Job::committed(d, 3);
	let mut opening = job.open((1, 1));
	opening.row = None;
	assert_eq!(job.verify((1, 1), &opening), Err(OpeningError::MissingInputs));
	let mut opening = job.open((1, 1));
	opening.column = None;
	assert_eq!(job.verify((1, 1), &opening), Err(OpeningError::MissingInputs));
	let roots = Roots { inputs: None, ..job.prover.roots() };
	assert_eq!(
		verify_opening(d, &job.source, &roots, (1, 1), &job.open((1, 1))),
		Err(OpeningError::MissingInputs)
	);
	// An opening from a seed prover carries no inputs.
	let seeded = Job::seeded(d, H256::repeat_byte(1));
	assert_eq!(job.verify((1, 1), &seeded.open((1, 1))), Err(OpeningError::MissingInputs));
}

#[test]
fn paths_of_the_wrong_length_are_rejected() {
	let d = Dims { m: 5, n: 130, k: 9 };
	let job = Job::committed(d, 5);
	let position = (3, 100);

	let mut opening = job.open(position);
	opening.output.path.pop();
	assert_eq!(job.verify(position, &opening), Err(OpeningError::BadOutputPath));
	let mut opening = job.open(position);
	opening.output.path.try_push(H256::zero()).unwrap();
	assert_eq!(job.verify(position, &opening), Err(OpeningError::BadOutputPath));

	let mut opening = job.open(position);
	opening.row.as_mut().unwrap().path.pop();
	assert_eq!(job.verify(position, &opening), Err(OpeningError::BadRowPath));
	let mut opening = job.open(position);
	opening.column.as_mut().unwrap().path.try_push(H256::zero()).unwrap();
	assert_eq!(job.verify(position, &opening), Err(OpeningError::BadColumnPath));

	// A wrong sibling, not only a wrong length.
	let mut opening = job.open(position);
	opening.output.path[0] = H256::repeat_byte(1);
	assert_eq!(job.verify(position, &opening), Err(OpeningError::BadOutputPath));
}

#[test]
fn chunks_of_the_wrong_length_are_rejected() {
	let d = Dims { m: 2, n: 130, k: 9 };
	let job = Job::committed(d, 6);
	// A full chunk, truncated.
	let mut opening = job.open((1, 10));
	opening.output.chunk.pop();
	assert_eq!(job.verify((1, 10), &opening), Err(OpeningError::ChunkLength));
	// The short last chunk of a row (2 elements), truncated and extended.
	let mut opening = job.open((1, 128));
	assert_eq!(opening.output.chunk.len(), 2);
	opening.output.chunk.pop();
	assert_eq!(job.verify((1, 128), &opening), Err(OpeningError::ChunkLength));
	let mut opening = job.open((1, 129));
	opening.output.chunk.try_push(0).unwrap();
	assert_eq!(job.verify((1, 129), &opening), Err(OpeningError::ChunkLength));
	// A changed element that is not the one checked still breaks the leaf.
	let mut opening = job.open((1, 10));
	opening.output.chunk[11] ^= 1;
	assert_eq!(job.verify((1, 10), &opening), Err(OpeningError::BadOutputPath));
}

#[test]
fn rows_of_the_wrong_length_are_rejected() {
	let d = Dims { m: 3, n: 5, k: 7 };
	let job = Job::committed(d, 7);
	let mut opening = job.open((2, 4));
	opening.row.as_mut().unwrap().data.pop();
	assert_eq!(job.verify((2, 4), &opening), Err(OpeningError::RowLength));
	let mut opening = job.open((2, 4));
	opening.column.as_mut().unwrap().data.try_push(0).unwrap();
	assert_eq!(job.verify((2, 4), &opening), Err(OpeningError::RowLength));
	// A changed element of the row breaks its leaf.
	let mut opening = job.open((2, 4));
	opening.row.as_mut().unwrap().data[0] ^= 1;
	assert_eq!(job.verify((2, 4), &opening), Err(OpeningError::BadRowPath));
}

#[test]
fn positions_out_of_range_are_rejected() {
	for job in [
		Job::committed(Dims { m: 3, n: 5, k: 7 }, 8),
		Job::seeded(Dims { m: 3, n: 5, k: 7 }, H256::zero()),
	] {
		let opening = job.open((2, 4));
		for position in [(3, 0), (0, 5), (3, 5), (u32::MAX, u32::MAX)] {
			assert_eq!(job.verify(position, &opening), Err(OpeningError::PositionOutOfRange));
			assert!(job.prover.open(position).is_none());
		}
	}
}

#[test]
fn domains_and_indices_are_separated() {
	let payload = [1u8, 2, 3, 4];
	let a = leaf_hash(Domain::A, 0, &payload);
	let b = leaf_hash(Domain::B, 0, &payload);
	let c = leaf_hash(Domain::C, 0, &payload);
	assert!(a != b && b != c && a != c);
	assert_ne!(a, leaf_hash(Domain::A, 1, &payload));
	// The preimage is tag || index LE || payload.
	let mut preimage = vec![b'A'];
	preimage.extend_from_slice(&0u64.to_le_bytes());
	preimage.extend_from_slice(&payload);
	assert_eq!(a, H256(sp_io::hashing::blake2_256(&preimage)));
	let mut preimage = vec![b'N'];
	preimage.extend_from_slice(a.as_bytes());
	preimage.extend_from_slice(b.as_bytes());
	assert_eq!(node_hash(&a, &b), H256(sp_io::hashing::blake2_256(&preimage)));

	// Seeded A and B differ.
	let (sa, sb) = seed_matrices(&H256::repeat_byte(1), Dims { m: 4, n: 4, k: 8 });
	assert_ne!(sa, sb);

	// A = B^T (row i of A is column i of B): a row opening still cannot stand in for a column.
	let d = Dims { m: 4, n: 4, k: 6 };
	let a = bytes(24, 12);
	let job = Job::committed_with(d, a.clone(), a.clone(), matmul_reference(d, &a, &a));
	let mut opening = job.open((2, 2));
	assert_eq!(opening.row.as_ref().unwrap().data, opening.column.as_ref().unwrap().data);
	opening.column = opening.row.clone();
	assert_eq!(job.verify((2, 2), &opening), Err(OpeningError::BadColumnPath));
	assert_ne!(leaf_hash_i8(Domain::A, 2, &a[12..18]), leaf_hash_i8(Domain::B, 2, &a[12..18]));
}

#[test]
fn c_chunks_never_cross_a_row() {
	let d = Dims { m: 2, n: 130, k: 1 };
	assert_eq!(c_leaf_count(d), 6);
	assert_eq!(c_chunk(d, 0, 0), (0, 0, 64));
	assert_eq!(c_chunk(d, 0, 127), (1, 63, 64));
	assert_eq!(c_chunk(d, 0, 128), (2, 0, 2));
	assert_eq!(c_chunk(d, 1, 0), (3, 0, 64));
	assert_eq!(c_chunk(d, 1, 129), (5, 1, 2));
	let d = Dims { m: 3, n: 64, k: 1 };
	assert_eq!(c_leaf_count(d), 3);
	assert_eq!(c_chunk(d, 2, 63), (2, 63, 64));
	let d = Dims { m: 1 << 20, n: 1 << 20, k: 1 };
	assert_eq!(c_leaf_count(d), 1 << 34);
	assert!(depth(c_leaf_count(d)) <= MAX_PATH);

	// The tree over C by hand: leaves are the encoded chunks of each row.
	let d = Dims { m: 2, n: 65, k: 1 };
	let c: Vec<i32> = (0..130).map(|x| x * 1000 - 7).collect();
	let leaves: Vec<H256> = [&c[0..64], &c[64..65], &c[65..129], &c[129..130]]
		.iter()
		.enumerate()
		.map(|(index, chunk)| leaf_hash(Domain::C, index as u64, &encode_chunk(chunk)))
		.collect();
	let root = node_hash(&node_hash(&leaves[0], &leaves[1]), &node_hash(&leaves[2], &leaves[3]));
	assert_eq!(c_tree(d, &c).unwrap().root(), root);
	assert_eq!(encode_chunk(&[1, -1]), vec![1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
}

#[test]
fn length_mismatches_are_none() {
	let d = Dims { m: 3, n: 5, k: 7 };
	let (a, b) = seed_matrices(&H256::zero(), d);
	let c = matmul_reference(d, &a, &b);
	assert_eq!(c.len(), 15);
	assert!(a_tree(d, &a[1..]).is_none());
	assert!(b_tree(d, &a).is_none());
	assert!(c_tree(d, &c[1..]).is_none());
	assert!(commit_inputs(d, &b, &a).is_none());
	assert!(commit_output(d, &[]).is_none());
	assert!(Prover::new(d, None, &c[..14]).is_none());
	assert!(Prover::new(d, Some((&a, &a)), &c).is_none());
	assert!(Prover::new(d, Some((&a, &b)), &c).is_some());
	assert!(matmul_reference(d, &a, &a).is_empty());
	let empty = Dims { m: 0, n: 5, k: 7 };
	assert!(a_tree(empty, &[]).is_none());
	assert!(Prover::new(empty, None, &[]).is_none());
}

#[test]
fn dot_wraps() {
	let k = 140_000;
	let row = vec![127i8; k];
	// 127 * 127 * 140_000 = 2_258_060_000, past i32::MAX: it wraps to that minus 2^32.
	assert_eq!(dot(&row, &row), -2_036_907_296);
	assert_eq!(dot(&row, &row), (16_129i64 * k as i64 - (1i64 << 32)) as i32);
	let low = vec![-128i8; k];
	// 16384 * 140_000 = 2_293_760_000.
	assert_eq!(dot(&low, &low), (2_293_760_000i64 - (1i64 << 32)) as i32);
	assert_eq!(dot(&low, &row), (-16_256i64 * k as i64 + (1i64 << 32)) as i32);
	assert_eq!(dot(&[1, 2, 3], &[4, 5, 6]), 32);
	assert_eq!(dot(&[-1, 2], &[3, -4]), -11);
	// The reference multiplies with the same wrapping dot.
	let d = Dims { m: 1, n: 1, k: k as u32 };
	assert_eq!(matmul_reference(d, &row, &row), vec![-2_036_907_296]);
}

#[test]
fn openings_encode_and_decode() {
	let job = Job::committed(Dims { m: 2, n: 130, k: 9 }, 13);
	let opening = job.open((1, 129));
	let encoded = opening.encode();
	assert_eq!(Opening::decode(&mut &encoded[..]).unwrap(), opening);
	let roots = job.prover.roots();
	assert_eq!(Roots::decode(&mut &roots.encode()[..]).unwrap(), roots);
	assert!(encoded.len() <= Opening::max_encoded_len());
	let err = OpeningError::WrongProduct;
	assert_eq!(OpeningError::decode(&mut &err.encode()[..]).unwrap(), err);
}

/// Known answers for the seed job `H256::repeat_byte(1)`, 3 x 5 x 7. Any implementation of
/// the protocol must reproduce these; docs/protocol.md lists them.
#[test]
fn known_answers() {
	let seed = H256::repeat_byte(1);
	let d = Dims { m: 3, n: 5, k: 7 };
	let (a, b_cols) = seed_matrices(&seed, d);
	let c = matmul_reference(d, &a, &b_cols);
	let a_root = a_tree(d, &a).unwrap().root();
	let b_root = b_tree(d, &b_cols).unwrap().root();
	let c_root = c_tree(d, &c).unwrap().root();
	let inputs = commit_inputs(d, &a, &b_cols).unwrap();
	let output = commit_output(d, &c).unwrap();
	let sample = sample_seed(&H256::repeat_byte(2), 7, 1, &output);

	let mut row = vec![0i8; 16];
	seed_a_row(&seed, Dims { m: 1, n: 1, k: 16 }, 0, &mut row);

	let got = format!(
		"a_row0={:?}\nb_col0={:?}\na_row0_k16={:?}\nc={:?}\na_root={}\nb_root={}\nc_root={}\ninputs={}\noutput={}\nsample={}\npositions={:?}\naudit={}\n",
		&a[..7],
		&b_cols[..7],
		&row[..8],
		c,
		hex(&a_root),
		hex(&b_root),
		hex(&c_root),
		hex(&inputs),
		hex(&output),
		hex(&sample),
		sample_positions(&sample, d, 4),
		audit_roll(&sample),
	);
	let expected = "\
a_row0=[-7, 101, -97, 71, 84, 112, -76]
b_col0=[85, 105, -110, 29, -9, -90, 3]
a_row0_k16=[-7, 101, -97, 71, 84, 112, -76, 127]
c=[11675, 20519, -7539, 7042, 13040, 20906, -17194, 23577, 1008, 3411, 7400, 56, -6900, -3209, -3325]
a_root=6eeea292a06e725915ea24860df0fc4c408a8d78062e15b0e9363683210f5d7e
b_root=feac246564f77a57b4b9d0505b8b6fba854597f345a249ce5ffb22d65075ccd2
c_root=5e67edae91be71d620f472d7c1d93c43be53b42da49b8020676bc7257e25793b
inputs=15d11c2db592e9807f78817187cc17ca634c37da26e5e96ab9506934cec3c383
output=0b892d8c6d1a81d4002c8131bec543eb013d8cc6dc9446f83a07e8613a0555f9
sample=fa5c428fda4fb8883732bf290eb7a3906038c613926fbaf1d87151942399c5fd
positions=[(1, 3), (1, 3), (1, 2), (0, 0)]
audit=204744006
";
	assert_eq!(got, expected, "\n{got}");
}

/// Known answers for a seed job whose rows of C span three chunks (the last one short) and
/// whose C tree is padded (6 leaves to 8): seed `H256::repeat_byte(1)`, 2 x 130 x 9.
#[test]
fn known_answers_multi_chunk() {
	let seed = H256::repeat_byte(1);
	let d = Dims { m: 2, n: 130, k: 9 };
	let (a, b_cols) = seed_matrices(&seed, d);
	let c = matmul_reference(d, &a, &b_cols);
	assert_eq!(
		hex(&commit_inputs(d, &a, &b_cols).unwrap()),
		"e724dc70a6065a17d6a58137f2c03d0beac2173f804a05b38aed9b3a2ff7722e"
	);
	assert_eq!(
		hex(&commit_output(d, &c).unwrap()),
		"92784a322d2c29e4aaf9a94cd0ee71ee610280d53504389ac9c81bfb193a98ac"
	);
}

#[test]
fn leaves_hashed_a_few_rows_at_a_time_make_the_same_tree_and_prover() {
	let d = Dims { m: 7, n: 130, k: 3 };
	let (a, b_cols) = seed_matrices(&H256::repeat_byte(3), d);
	let c = matmul_reference(d, &a, &b_cols);
	let n = d.n as usize;
	let mut leaves = Vec::new();
	for (row0, rows) in [(0u32, 0..2), (2, 2..3), (3, 3..7)] {
		leaves.extend(c_leaves(d, row0, &c[rows.start * n..rows.end * n]).unwrap());
	}
	assert_eq!(leaves.len() as u64, c_leaf_count(d));
	assert_eq!(MerkleTree::new(leaves.clone()).unwrap().root(), c_tree(d, &c).unwrap().root());
	let whole = Prover::new(d, Some((&a, &b_cols)), &c).unwrap();
	let parts = Prover::from_parts(d, Some((&a, &b_cols)), c.clone(), leaves.clone()).unwrap();
	assert_eq!(parts.output_commitment(), whole.output_commitment());
	assert_eq!(parts.roots(), whole.roots());
	assert_eq!(parts.open((6, 129)), whole.open((6, 129)));
	// Not whole rows, rows past m, or the wrong number of leaves: refused.
	assert_eq!(c_leaves(d, 0, &c[..n + 1]), None);
	assert_eq!(c_leaves(d, 6, &c[..2 * n]), None);
	assert!(Prover::from_parts(d, None, c.clone(), leaves[1..].to_vec()).is_none());
	assert!(Prover::from_parts(d, None, c[n..].to_vec(), leaves).is_none());
}
