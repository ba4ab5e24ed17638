//! Spot-checks and random audits: drawing output positions from randomness that did not exist
//! when the receipt was submitted, and checking the provider's openings of them.
//!
//! ## Where the randomness comes from
//!
//! The samples of a receipt submitted in block `s` are drawn in block `s + d + 1`
//! (`d` = [`Config::RandomnessDelay`]) from the hashes of blocks `s + 1 ..= s + d`, mixed with the
//! job, the replica and the output commitment ([`tessera_commitment::sample_seed`]). None of those
//! blocks existed when the receipt was signed, so the provider commits to its output before it
//! can know where it will be checked. An audit drawn at the end of a challenge window uses the
//! `d` blocks just before it, which all come after the receipt as well.
//!
//! What a block author can bias: the author of the last of those blocks sees the earlier
//! hashes and can choose among the hashes it could give its own block (by ordering or leaving
//! out transactions), and so re-roll the samples; a provider colluding with that author can
//! retry until its samples miss the wrong part of its output. `docs/protocol.md` (Randomness)
//! says why this is acceptable on today's permissioned validator set and what replaces it (a
//! VRF, with BABE).

use crate::{
	pallet::{Checks, Config, Error, Event, Pallet},
	Decision, Fault, Matrix, Stage, StageOf,
};
use alloc::vec::Vec;
use frame_support::{ensure, traits::Get, weights::Weight, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::{
	traits::{One, Saturating},
	DispatchError,
};
use tessera_commitment::{verify_opening, verify_roots, Opening, Roots};
use tessera_primitives::{jobs::JobId, market::ProviderRegistry, market::SlashReason};

/// The randomness of block `end`: the hashes of the [`Config::RandomnessDelay`] blocks before
/// it, hashed together. `end` must not be after the current block (its parent's hash is the
/// newest one known).
pub fn randomness<T: Config>(end: BlockNumberFor<T>) -> H256 {
	let mut block = end.saturating_sub(T::RandomnessDelay::get());
	let mut hashes = Vec::new();
	while block < end {
		hashes.extend_from_slice(frame_system::Pallet::<T>::block_hash(block).as_ref());
		block = block.saturating_add(One::one());
	}
	H256(sp_io::hashing::blake2_256(&hashes))
}

/// The seed of the draw for replica `replica` of `job` with output `output`, at block `end`.
pub fn draw_seed<T: Config>(
	end: BlockNumberFor<T>,
	job: JobId,
	replica: u32,
	output: &H256,
) -> H256 {
	tessera_commitment::sample_seed(&randomness::<T>(end), job, replica, output)
}

/// Draws `count` samples of `matrix` from `seed` and opens the sampling stage: the provider has
/// until [`Config::ResponseWindow`] blocks from now to answer. Returns the stage and the block
/// at which to look again.
pub fn start<T: Config>(
	job: JobId,
	replica: u32,
	matrix: &Matrix,
	seed: &H256,
	count: u32,
	audit: bool,
) -> (StageOf<T>, BlockNumberFor<T>) {
	let now = frame_system::Pallet::<T>::block_number();
	let respond_by = now.saturating_add(T::ResponseWindow::get());
	let drawn = tessera_commitment::sample_positions(seed, matrix.dims, count);
	let positions = BoundedVec::truncate_from(drawn);
	Pallet::<T>::deposit_event(Event::SamplesDrawn {
		job,
		replica,
		positions: positions.clone(),
		respond_by,
		audit,
	});
	// The verdict is asked for the block after the window: answers are taken up to and
	// including `respond_by`.
	(
		Stage::Sampling { positions, answered: 0, respond_by, audit },
		respond_by.saturating_add(One::one()),
	)
}

/// Whether an audit is drawn from `seed`, with [`Config::AuditChance`].
pub fn audit_hits<T: Config>(seed: &H256) -> bool {
	tessera_commitment::audit_roll(seed) < T::AuditChance::get().deconstruct()
}

/// The mask with one bit per drawn sample.
pub fn all_answered(samples: usize) -> u32 {
	if samples >= 32 {
		u32::MAX
	} else {
		(1u32 << samples) - 1
	}
}

/// What a response did.
pub struct Answer {
	/// The job's `k`, for the weight actually used.
	pub k: u32,
	/// Whether the check is now decided (every sample answered right, or a fault found).
	pub decided: bool,
	/// Whether the response proved a fault.
	pub faulty: bool,
}

/// Checks `worker`'s answer for replica `replica` of `job`; records a pass or a fault.
pub fn respond<T: Config>(
	worker: &T::AccountId,
	job: JobId,
	replica: u32,
	roots: &Roots,
	openings: &[(u32, Opening)],
) -> Result<Answer, DispatchError> {
	let mut check = Checks::<T>::get(job, replica).ok_or(Error::<T>::UnknownCheck)?;
	ensure!(
		T::Registry::provider_of_worker(worker).as_ref() == Some(&check.provider),
		Error::<T>::NotProvidersWorker
	);
	let Stage::Sampling { positions, mut answered, respond_by, audit } = check.stage.clone() else {
		return Err(Error::<T>::NotSampling.into());
	};
	let matrix = check.matrix.ok_or(Error::<T>::NotSampling)?;
	ensure!(frame_system::Pallet::<T>::block_number() <= respond_by, Error::<T>::ResponseClosed);
	for (sample, _) in openings {
		ensure!((*sample as usize) < positions.len(), Error::<T>::UnknownSample);
		let bit = 1u32 << sample;
		ensure!(answered & bit == 0, Error::<T>::AlreadyAnswered);
		answered |= bit;
	}

	let source = matrix.inputs.into();
	let fault = match verify_roots(matrix.dims, &source, &check.output, roots) {
		Err(error) => Some(Fault::Roots(error)),
		Ok(()) => openings.iter().find_map(|(sample, opening)| {
			let position = positions.get(*sample as usize).copied()?;
			verify_opening(matrix.dims, &source, roots, position, opening)
				.err()
				.map(|error| Fault::Opening { sample: *sample, error })
		}),
	};
	let faulty = fault.is_some();
	let decided = if let Some(fault) = fault {
		check.stage =
			Stage::Decided(Decision::Rejected { offence: SlashReason::Fraud, watcher: None });
		Pallet::<T>::deposit_event(Event::SpotCheckFailed { job, replica, fault });
		true
	} else if answered == all_answered(positions.len()) {
		check.stage = Stage::Decided(Decision::Accepted);
		Pallet::<T>::deposit_event(Event::SpotCheckPassed { job, replica });
		true
	} else {
		check.stage = Stage::Sampling { positions, answered, respond_by, audit };
		false
	};
	Checks::<T>::insert(job, replica, check);
	Ok(Answer { k: matrix.dims.k, decided, faulty })
}

/// The weight of a response with `samples` openings of a job with inner dimension `k`: the
/// worse of seed-derived and committed inputs. The benchmarks' second component counts the
/// elements of A the response covers in all (`samples x k`), because the chain's work is one
/// dot product of length `k` and its rows' hashing per sample.
pub fn respond_weight<T: Config>(samples: u32, k: u32) -> Weight {
	let elements = samples.saturating_mul(k);
	T::WeightInfo::respond_committed(samples, elements)
		.max(T::WeightInfo::respond_seeded(samples, elements))
}

use crate::WeightInfo;
