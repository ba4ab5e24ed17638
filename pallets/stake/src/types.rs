//! What the pallet stores: a provider's [`Ledger`] with its [`UnbondChunk`]s, and the
//! [`StakeParameters`] the chain is governed by.

use crate::{BalanceOf, Config, Error};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	ensure, BoundedVec, CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

/// A week of 6 s blocks: the default unbonding period, long enough for a watcher to prove a
/// fault of the last job a provider ran before it can take its stake out.
pub const DEFAULT_UNBONDING_PERIOD: u32 = 7 * 24 * 600;

/// Funds on their way out of the stake: still held, still slashable, free at `unlock_at`.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct UnbondChunk<Balance, BlockNumber> {
	/// Amount unbonding. Never zero in storage.
	pub value: Balance,
	/// First block at which `value` can be withdrawn.
	pub unlock_at: BlockNumber,
}

/// An unbonding chunk with this runtime's types.
pub type UnbondChunkOf<T> = UnbondChunk<BalanceOf<T>, BlockNumberFor<T>>;

/// A provider's stake. Every unit in it, bonded, committed as collateral or unbonding, is held
/// from the provider's account under [`crate::HoldReason::Staked`].
#[derive(
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DefaultNoBound,
	DebugNoBound,
)]
#[codec(mel_bound(T: Config))]
#[scale_info(skip_type_params(T))]
pub struct Ledger<T: Config> {
	/// Funds at stake and free of collateral: they count towards the minimum bond of the GPUs
	/// offered, new jobs' collateral comes from them, and they can be unbonded.
	pub bonded: BalanceOf<T>,
	/// Funds unbonding, in strictly increasing `unlock_at` order. They no longer count towards
	/// the minimum but can still be slashed, so that a provider cannot escape a pending slash
	/// by unbonding.
	pub unbonding: BoundedVec<UnbondChunkOf<T>, T::MaxUnbondingChunks>,
	/// Funds set aside from `bonded` as the collateral of the provider's jobs, all of them
	/// together ([`tessera_primitives::market::Collateral`]). They still count towards the
	/// minimum bond, but cannot be unbonded or taken by a fraction slash ([`Ledger::slash`]):
	/// only the job they belong to can take them ([`Ledger::slash_committed`]) or give them back
	/// ([`Ledger::release`]).
	pub committed: BalanceOf<T>,
}

impl<T: Config> Ledger<T> {
	/// A ledger with `value` bonded and nothing unbonding.
	pub fn new(value: BalanceOf<T>) -> Self {
		Self { bonded: value, unbonding: BoundedVec::new(), committed: Zero::zero() }
	}

	/// Sum of the unbonding chunks.
	pub fn unbonding_total(&self) -> BalanceOf<T> {
		// Every chunk is held on one account, so the sum is bounded by the total issuance and
		// cannot saturate.
		self.unbonding
			.iter()
			.fold(Zero::zero(), |sum: BalanceOf<T>, chunk| sum.saturating_add(chunk.value))
	}

	/// Everything held for this ledger: bonded, committed and unbonding. This is what a
	/// fraction slash is a fraction of.
	pub fn total(&self) -> BalanceOf<T> {
		self.slashable().saturating_add(self.committed)
	}

	/// What a fraction slash can take: bonded plus unbonding, everything but the committed
	/// collateral.
	pub fn slashable(&self) -> BalanceOf<T> {
		self.bonded.saturating_add(self.unbonding_total())
	}

	/// Whether nothing is left, so the ledger can be removed.
	pub fn is_empty(&self) -> bool {
		self.bonded.is_zero() && self.committed.is_zero() && self.unbonding.is_empty()
	}

	/// Moves `amount` from bonded to committed, as a job's collateral. Refused, changing
	/// nothing, when less than `amount` is bonded.
	pub fn reserve(&mut self, amount: BalanceOf<T>) -> Result<(), Error<T>> {
		ensure!(amount <= self.bonded, Error::<T>::InsufficientFreeStake);
		self.bonded = self.bonded.saturating_sub(amount);
		// Both are parts of one hold, so their sum cannot overflow.
		self.committed = self.committed.saturating_add(amount);
		Ok(())
	}

	/// Moves `amount` from committed back to bonded, or everything committed if that is less.
	/// Returns what was moved.
	pub fn release(&mut self, amount: BalanceOf<T>) -> BalanceOf<T> {
		let amount = amount.min(self.committed);
		self.committed = self.committed.saturating_sub(amount);
		self.bonded = self.bonded.saturating_add(amount);
		amount
	}

	/// Takes `amount` out of the committed collateral for a job's slash, or everything
	/// committed if that is less. Returns what was taken. Bonded and unbonding funds are never
	/// touched: a job costs at most the collateral that was set aside for it.
	pub fn slash_committed(&mut self, amount: BalanceOf<T>) -> BalanceOf<T> {
		let amount = amount.min(self.committed);
		self.committed = self.committed.saturating_sub(amount);
		amount
	}

	/// Moves `value` from bonded into a chunk unlocking at `unlock_at`, merged with an existing
	/// chunk of the same `unlock_at`. The chunk is inserted in order rather than pushed, so the
	/// chunks stay sorted even after governance shortens the unbonding period.
	pub fn unbond(
		&mut self,
		value: BalanceOf<T>,
		unlock_at: BlockNumberFor<T>,
	) -> Result<(), Error<T>> {
		ensure!(value <= self.bonded, Error::<T>::InsufficientBond);
		if let Some(chunk) = self.unbonding.iter_mut().find(|chunk| chunk.unlock_at == unlock_at) {
			chunk.value = chunk.value.saturating_add(value);
		} else {
			let index = self.unbonding.partition_point(|chunk| chunk.unlock_at < unlock_at);
			self.unbonding
				.try_insert(index, UnbondChunk { value, unlock_at })
				.map_err(|_| Error::<T>::TooManyUnbondingChunks)?;
		}
		self.bonded = self.bonded.saturating_sub(value);
		Ok(())
	}

	/// Moves exactly `value` from the unbonding chunks back into bonded, taking from the chunk
	/// that unlocks last first: those funds were the furthest from being free. Returns the
	/// number of chunks touched (emptied or reduced).
	pub fn rebond(&mut self, value: BalanceOf<T>) -> Result<u32, Error<T>> {
		ensure!(value <= self.unbonding_total(), Error::<T>::InsufficientUnbonding);
		let touched = self.take_from_unbonding(value);
		self.bonded = self.bonded.saturating_add(value);
		Ok(touched)
	}

	/// Removes every chunk unlocked at `now` and returns their sum and number.
	pub fn withdraw_unlocked(&mut self, now: BlockNumberFor<T>) -> (BalanceOf<T>, u32) {
		// The chunks are sorted, so the unlocked ones are a prefix.
		let unlocked = self.unbonding.partition_point(|chunk| chunk.unlock_at <= now);
		let mut withdrawn = BalanceOf::<T>::zero();
		let mut count = 0u32;
		for chunk in self.unbonding.drain(..unlocked) {
			withdrawn = withdrawn.saturating_add(chunk.value);
			count = count.saturating_add(1);
		}
		(withdrawn, count)
	}

	/// Takes `amount` out of the ledger for a fraction slash: from bonded first, then from the
	/// chunk that unlocks last. Returns what was taken: `amount`, or all of bonded and
	/// unbonding if they hold less.
	///
	/// Committed collateral is never taken, even when the fraction was computed over a
	/// [`Ledger::total`] that includes it. Collateral belongs to specific jobs: the jobs pallet
	/// records each job's collateral and checks (in its `try_state`) that together they equal
	/// `committed`, so a fraction slash that took from it would leave jobs whose collateral is
	/// partly gone. Before a fraud slash the jobs pallet releases the provider's collateral, so
	/// that fraud still reaches all of the stake; other fraction slashes (missed heartbeats)
	/// leave the jobs' collateral for the jobs.
	pub fn slash(&mut self, amount: BalanceOf<T>) -> BalanceOf<T> {
		let amount = amount.min(self.slashable());
		let from_bonded = amount.min(self.bonded);
		self.bonded = self.bonded.saturating_sub(from_bonded);
		self.take_from_unbonding(amount.saturating_sub(from_bonded));
		amount
	}

	/// Takes up to `value` from the chunks, last unlocking first, dropping emptied chunks.
	/// Returns the number of chunks touched.
	fn take_from_unbonding(&mut self, mut value: BalanceOf<T>) -> u32 {
		let mut touched = 0u32;
		while !value.is_zero() {
			let Some(last) = self.unbonding.last_mut() else { break };
			touched = touched.saturating_add(1);
			if last.value > value {
				last.value = last.value.saturating_sub(value);
				break;
			}
			value = value.saturating_sub(last.value);
			self.unbonding.pop();
		}
		touched
	}
}

/// The chain's staking policy, set at genesis and by [`crate::Config::AdminOrigin`].
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	frame_support::Serialize,
	frame_support::Deserialize,
)]
// The genesis config carries these parameters, so they need serde. It is reached through
// `frame_support`, exactly as the genesis config macro reaches it, so that this crate need not
// depend on serde itself.
#[serde(crate = "frame_support::__private::serde")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StakeParameters<Balance, BlockNumber> {
	/// Bond needed per GPU offered for a provider to be matchable.
	pub min_bond_per_gpu: Balance,
	/// Blocks between unbonding funds and being able to withdraw them. Never zero: unbonded
	/// funds must stay slashable for a while, or a provider could leave ahead of a proof of its
	/// fault.
	pub unbonding_period: BlockNumber,
	/// Fraction of the stake slashed for [`tessera_primitives::market::SlashReason::Fraud`].
	pub fraud_slash: Perbill,
	/// Fraction slashed for [`tessera_primitives::market::SlashReason::Dissent`].
	pub dissent_slash: Perbill,
	/// Fraction slashed for [`tessera_primitives::market::SlashReason::MissedDeadline`].
	pub missed_deadline_slash: Perbill,
	/// Fraction slashed for [`tessera_primitives::market::SlashReason::MissedHeartbeats`].
	pub missed_heartbeats_slash: Perbill,
	/// Fraction of a slash paid to the harmed client, when there is one.
	pub client_share: Perbill,
	/// Fraction of a slash paid to the watcher who proved the fault, when there is one.
	pub watcher_share: Perbill,
}

impl<Balance, BlockNumber: Zero> StakeParameters<Balance, BlockNumber> {
	/// Whether the parameters can be used: a non-zero unbonding period, and client and watcher
	/// shares that leave a non-negative remainder for the treasury.
	pub fn is_valid(&self) -> bool {
		!self.unbonding_period.is_zero()
			&& self.client_share.deconstruct().saturating_add(self.watcher_share.deconstruct())
				<= Perbill::one().deconstruct()
	}
}

/// A week's unbonding and moderate fractions. `min_bond_per_gpu` is zero because the pallet
/// cannot know the chain's units: a runtime sets it in its genesis config.
impl<Balance: Default, BlockNumber: From<u32>> Default for StakeParameters<Balance, BlockNumber> {
	fn default() -> Self {
		Self {
			min_bond_per_gpu: Balance::default(),
			unbonding_period: DEFAULT_UNBONDING_PERIOD.into(),
			fraud_slash: Perbill::from_percent(50),
			dissent_slash: Perbill::from_percent(10),
			missed_deadline_slash: Perbill::from_percent(2),
			missed_heartbeats_slash: Perbill::from_percent(1),
			client_share: Perbill::from_percent(50),
			watcher_share: Perbill::from_percent(20),
		}
	}
}

/// Stake parameters with this runtime's types.
pub type StakeParametersOf<T> = StakeParameters<BalanceOf<T>, BlockNumberFor<T>>;
