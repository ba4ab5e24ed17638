//! Core types of the Tessera chain.
//!
//! Everything that the runtime, the node and the worker must agree on lives here, so that a
//! change of, say, the balance type is one edit. [`market`] holds what the market pallets share:
//! requirements, slash reasons and the traits through which they call each other; [`jobs`] the
//! job spec, receipts and the verifier trait.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod api;
pub mod jobs;
pub mod market;

use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// An index to a block.
pub type BlockNumber = u32;

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;

/// Some way of identifying an account on the chain. We intentionally make it equivalent to the
/// public key of our transaction signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account, in the smallest unit (1 TSR = 10^12 units).
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// Token facts: the chain properties a wallet reads, and the units the runtime prices in.
pub mod currency {
	use super::Balance;

	/// Symbol shown by wallets.
	pub const TOKEN_SYMBOL: &str = "TSR";
	/// Decimal places of one TSR.
	pub const TOKEN_DECIMALS: u8 = 12;
	/// One TSR in the smallest unit.
	pub const UNIT: Balance = 1_000_000_000_000;
	/// One thousandth of a TSR.
	pub const MILLI_UNIT: Balance = UNIT / 1_000;
	/// One millionth of a TSR.
	pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
	/// The least balance an account must keep to exist.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;
}

/// Block time facts shared by the runtime (Aura slot) and the node.
pub mod time {
	use super::BlockNumber;

	/// Target block time. Aura's slot duration is this value; change it only with a runtime
	/// upgrade that every validator runs, since it is fixed at genesis in the chain's storage.
	pub const MILLI_SECS_PER_BLOCK: u64 = 6_000;
	/// Slot duration for Aura.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
	/// Blocks per minute at the target block time.
	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	/// Blocks per hour.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// Blocks per day.
	pub const DAYS: BlockNumber = HOURS * 24;
}
