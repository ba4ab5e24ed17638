//! Each pallet's configuration.
//!
//! Weights: every pallet here uses the benchmarked `SubstrateWeight` that ships with it, measured
//! by polkadot-sdk on reference hardware; our own pallets use weights we generate with
//! `scripts/bench.sh` (see docs/benchmarks.md).

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, IdentityFee, Weight,
	},
	PalletId,
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureRoot,
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{AccountIdConversion, Bounded, One},
	FixedPointNumber, Perbill, Perquintill,
};
use sp_version::RuntimeVersion;

use super::{
	currency::{self, MICRO_UNIT, UNIT},
	time::{DAYS, MILLI_SECS_PER_BLOCK, MINUTES},
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, Jobs, Nonce, OriginCaller,
	PalletInfo, Proofs, Providers, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason,
	RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Stake, System, EXISTENTIAL_DEPOSIT,
	SLOT_DURATION, VERSION,
};

/// Share of a block that ordinary (non-operational) transactions may fill.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Largest block, in bytes.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

/// Most validators an authority set may hold (Aura and GRANDPA alike).
pub type MaxAuthorities = ConstU32<32>;

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;

	/// 2 seconds of compute in a 6 second block: the rest is for propagation and import.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks, of which ordinary transactions may fill `NORMAL_DISPATCH_RATIO`.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(MAX_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	/// 42: the generic Substrate address format, which every wallet displays.
	pub const SS58Prefix: u16 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores state in ParityDB (see docs/validator-guide.md), so its costs apply.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	type SystemWeightInfo = frame_system::weights::SubstrateWeight<Runtime>;
	type ExtensionsWeightInfo = frame_system::SubstrateExtensionsWeight<Runtime>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = MaxAuthorities;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Equivocation reports need a session/offences pallet to act on; this chain has a fixed
	// validator set changed by governance, so reports are not accepted and cost nothing.
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<0>;
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// Fees rise when blocks are more than a quarter full, so that filling blocks (and the job
	/// queue) gets dearer the longer it goes on...
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// ...by up to about 0.75% a block at full blocks (Polkadot's figure)...
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	/// ...and never fall below the base fee, so a provider can still price an idle chain's
	/// fees in advance (the worker's own calls are operational or free).
	pub MinimumMultiplier: Multiplier = Multiplier::one();
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees are burnt (the credit is dropped), which total issuance shows.
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	/// 1 unit (10^-12 TSR) per picosecond of weight: a transfer costs about 0.0002 TSR.
	type WeightToFee = IdentityFee<Balance>;
	/// 1 micro-TSR per byte, so that large transactions pay for the space they take.
	type LengthToFee = ConstantMultiplier<Balance, ConstU128<MICRO_UNIT>>;
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

// ---- The market ---------------------------------------------------------------------------

parameter_types! {
	/// Receives the treasury's share of slashes (and, later, protocol fees). It has no key: only
	/// a runtime upgrade or governance call can spend from it. Genesis funds it with the
	/// existential deposit so that any share, however small, can be paid into it.
	pub TreasuryAccount: AccountId = TREASURY_PALLET_ID.into_account_truncating();
	/// A worker must show it is alive at least every 5 minutes...
	pub const HeartbeatTimeout: BlockNumber = 5 * MINUTES;
	/// ...and may do so for free at most once a minute.
	pub const HeartbeatInterval: BlockNumber = MINUTES;
	/// A provider's record halves its distance to neutral in a week without jobs.
	pub const ReputationHalfLife: BlockNumber = 7 * DAYS;
	/// A provider holds 1 TSR while registered, for the storage of its record, worker key and
	/// index entries (released in full when it deregisters).
	pub const RegistrationDeposit: Balance = UNIT;
}

/// The id the treasury account is derived from.
pub const TREASURY_PALLET_ID: PalletId = PalletId(*b"tsr/trsy");

impl pallet_providers::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegistrationDeposit = RegistrationDeposit;
	type Stake = Stake;
	type MaxModelLen = ConstU32<64>;
	type MaxEndpointLen = ConstU32<256>;
	type MaxJobSlots = ConstU32<16>;
	type HeartbeatInterval = HeartbeatInterval;
	type HeartbeatTimeout = HeartbeatTimeout;
	/// Up to 64 providers taken offline per block (more wait for the next block).
	type MaxLivenessChecksPerBlock = ConstU32<64>;
	/// A matching query visits at most 64 index entries.
	type MaxIndexScan = ConstU32<64>;
	type ReputationHalfLife = ReputationHalfLife;
	/// Jobs paying less than 0.001 TSR move no reputation...
	type MinReputationValue = ConstU128<{ currency::MILLI_UNIT }>;
	/// ...and a job paying 1 TSR or more makes the full step.
	type ReputationValueUnit = ConstU128<UNIT>;
	type WeightInfo = pallet_providers::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

impl pallet_stake::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Observer = Providers;
	type Treasury = TreasuryAccount;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MaxUnbondingChunks = ConstU32<16>;
	type WeightInfo = pallet_stake::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

parameter_types! {
	/// 2% of every payment to a provider goes to the treasury.
	pub const ProtocolFee: Perbill = Perbill::from_percent(2);
	/// A worker has 2 minutes to acknowledge a job assigned to it.
	pub const AckTimeout: BlockNumber = 2 * MINUTES;
	/// A job's deadline is at least 5 minutes...
	pub const MinDeadline: BlockNumber = 5 * MINUTES;
	/// ...and at most 30 days after it is posted.
	pub const MaxDeadline: BlockNumber = 30 * DAYS;
	/// A provider puts half of a replica's value at stake when it acknowledges it...
	pub const CollateralRatio: Perbill = Perbill::from_percent(50);
	/// ...and at least 1 TSR, so a missed deadline always costs something.
	pub const MinCollateral: Balance = UNIT;
	/// A client gets at most half its budget for a replica out of that replica's collateral.
	pub const MaxCompensation: Perbill = Perbill::from_percent(50);
	/// Each job holds 0.1 TSR from its client while it is open, for the storage of its record
	/// (released in full when it closes)...
	pub const JobDeposit: Balance = UNIT / 10;
	/// ...a client has at most 32 open jobs at once...
	pub const MaxOpenJobsPerClient: u32 = 32;
	/// ...and a closed job is kept for a day, then pruned with its index entries.
	pub const JobRetention: BlockNumber = DAYS;
}

impl pallet_jobs::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = Providers;
	type Slasher = Stake;
	type Collateral = Stake;
	type Verifier = Proofs;
	type Treasury = TreasuryAccount;
	type ProtocolFee = ProtocolFee;
	type CollateralRatio = CollateralRatio;
	type MinCollateral = MinCollateral;
	type MaxCompensation = MaxCompensation;
	type MillisecsPerBlock = ConstU64<MILLI_SECS_PER_BLOCK>;
	/// The registry's `MaxJobSlots`.
	type MaxProviderJobs = ConstU32<16>;
	type MaxReplicas = ConstU32<8>;
	type AckTimeout = AckTimeout;
	type MinDeadline = MinDeadline;
	type MaxDeadline = MaxDeadline;
	type MaxQueued = ConstU32<1024>;
	/// Up to 64 timeouts (acknowledgements, deadlines, verdicts, expiries) handled per block.
	type MaxTimeoutsPerBlock = ConstU32<64>;
	/// The hook retries 4 queued jobs per block, oldest first, round robin.
	type MaxQueueMatchesPerBlock = ConstU32<4>;
	type JobDeposit = JobDeposit;
	type MaxOpenJobsPerClient = MaxOpenJobsPerClient;
	type JobRetention = JobRetention;
	/// Up to 16 closed jobs pruned per block.
	type MaxPrunesPerBlock = ConstU32<16>;
	type WeightInfo = pallet_jobs::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

parameter_types! {
	/// Samples are drawn from the hash of the block after a receipt's (its author could bias
	/// the draw, as the last author of any longer delay could: see docs/protocol.md,
	/// Randomness), so that an honest receipt is paid within a few blocks.
	pub const RandomnessDelay: BlockNumber = 1;
	/// Optimistic and attested receipts can be challenged for a minute.
	pub const ChallengeWindow: BlockNumber = MINUTES;
	/// A provider has 2 minutes to open its samples.
	pub const ResponseWindow: BlockNumber = 2 * MINUTES;
	/// 2% of the deterministic receipts of other policies are spot-checked anyway.
	pub const AuditChance: Perbill = Perbill::from_percent(2);
	/// A challenge puts up 100 TSR; the loser of the challenge pays.
	pub const ChallengeBond: Balance = 100 * UNIT;
	/// Executors have 30 minutes to recompute a challenged job.
	pub const ReexecutionWindow: BlockNumber = 30 * MINUTES;
	/// Half the bond pays the executors who reported the majority result.
	pub const ExecutorShare: Perbill = Perbill::from_percent(50);
	/// Executors are drawn uniformly among the providers that fit a challenged job, looking at
	/// up to 64 online, bonded providers taken at random...
	pub const ExecutorDrawTries: u32 = 64;
	/// ...and each sets 1 TSR of its bond aside while it re-executes, which it loses if it does
	/// not reveal its result or reveals one against the majority.
	pub const ExecutorCollateral: Balance = UNIT;
	/// A replicated job's tally is looked at every minute until it decides.
	pub const ReplicationPoll: BlockNumber = MINUTES;
	/// The providers of a replicated job have 2 minutes to reveal their sealed outputs once
	/// every replica has sealed.
	pub const RevealWindow: BlockNumber = 2 * MINUTES;
	/// Disputes are looked at every 10 minutes until the dispute origin decides them.
	pub const DisputePoll: BlockNumber = 10 * MINUTES;
	/// Root has 7 days after a job's deadline to decide its disputes; then the receipts stand
	/// and challengers get their bonds back.
	pub const DisputePeriod: BlockNumber = 7 * DAYS;
}

impl pallet_proofs::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Registry = Providers;
	type Collateral = Stake;
	type Verdicts = Jobs;
	type Attestations = Providers;
	type AttestationOrigin = EnsureRoot<AccountId>;
	type DisputeOrigin = EnsureRoot<AccountId>;
	type RandomnessDelay = RandomnessDelay;
	/// 8 samples: a provider that skips a fraction f of the output is caught with probability
	/// 1 - (1 - f)^8 (see docs/protocol.md).
	type SpotCheckSamples = ConstU32<8>;
	type AuditSamples = ConstU32<4>;
	type AuditChance = AuditChance;
	type ResponseWindow = ResponseWindow;
	type ChallengeWindow = ChallengeWindow;
	type ChallengeBond = ChallengeBond;
	type Executors = ConstU32<3>;
	type ReexecutionWindow = ReexecutionWindow;
	type ExecutorShare = ExecutorShare;
	type ExecutorDrawTries = ExecutorDrawTries;
	type ExecutorCollateral = ExecutorCollateral;
	type ReplicationPoll = ReplicationPoll;
	type RevealWindow = RevealWindow;
	type DisputePoll = DisputePoll;
	type DisputePeriod = DisputePeriod;
	/// Looks at checks per block: each is bounded by `agenda::settle_weight` (see
	/// docs/benchmarks.md); a backlog carries over to the next block.
	type MaxLooksPerBlock = ConstU32<32>;
	type MaxReplicas = ConstU32<8>;
	type MaxAuthorities = ConstU32<16>;
	type MaxMeasurements = ConstU32<64>;
	type WeightInfo = pallet_proofs::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketBenchmarks;
}

/// Sets up each market pallet's benchmarks with the real neighbouring pallets, so that the
/// weights include what the neighbours do (a slash inside the liveness hook, a re-index inside a
/// bond).
#[cfg(feature = "runtime-benchmarks")]
pub struct MarketBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_providers::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn bond(who: &AccountId, gpus: u32) {
		use frame_support::traits::fungible::Mutate;
		use tessera_primitives::market::StakeInfo;
		let amount = Stake::minimum_bond(gpus).max(EXISTENTIAL_DEPOSIT);
		let _ = Balances::mint_into(who, amount.saturating_mul(2));
		let bonded = if Stake::bonded(who) == 0 {
			Stake::bond(RuntimeOrigin::signed(who.clone()), amount)
		} else {
			Stake::bond_extra(RuntimeOrigin::signed(who.clone()), amount)
		};
		assert!(bonded.is_ok(), "benchmark bond: {bonded:?}");
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_jobs::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn providers(count: u32, max_price: u128) -> alloc::vec::Vec<(AccountId, AccountId)> {
		benchmark_providers("jobs", count, max_price)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_proofs::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn providers(count: u32, max_price: u128) -> alloc::vec::Vec<(AccountId, AccountId)> {
		benchmark_providers("proofs", count, max_price)
	}
}

/// Registers and bonds `count` providers named after `pallet`, one job slot each, and returns
/// their (provider, worker) accounts.
#[cfg(feature = "runtime-benchmarks")]
fn benchmark_providers(
	pallet: &'static str,
	count: u32,
	max_price: u128,
) -> alloc::vec::Vec<(AccountId, AccountId)> {
	(0..count)
		.map(|i| {
			let provider: AccountId = frame_benchmarking::account(pallet, i, 0);
			let worker: AccountId = frame_benchmarking::account(pallet, i, 1);
			<MarketBenchmarks as pallet_providers::BenchmarkHelper<AccountId>>::bond(&provider, 8);
			let registered = Providers::register(
				RuntimeOrigin::signed(provider.clone()),
				benchmark_profile(),
				max_price,
				// One job at a time, so that each job of a benchmark has a provider of its
				// own and no storage item is shared between them.
				1,
				sp_runtime::BoundedVec::truncate_from(b"https://gpu.example.org".to_vec()),
				worker.clone(),
			);
			assert!(registered.is_ok(), "benchmark registration: {registered:?}");
			// Workers pay fees up front: give them some.
			use frame_support::traits::fungible::Mutate;
			let _ = Balances::mint_into(&worker, crate::UNIT);
			(provider, worker)
		})
		.collect()
}

/// Eight H100s in Europe: a provider that fits any job with default requirements.
#[cfg(feature = "runtime-benchmarks")]
fn benchmark_profile() -> pallet_providers::HardwareProfileOf<Runtime> {
	use pallet_providers::{GpuSpec, HardwareProfile};
	HardwareProfile {
		gpu: GpuSpec {
			model: sp_runtime::BoundedVec::truncate_from(b"NVIDIA H100 80GB HBM3".to_vec()),
			vram_mib: 80 * 1024,
			count: 8,
			fp16_tflops: 989,
			int8_tops: 1_979,
		},
		cpu_cores: 64,
		ram_mib: 1024 * 1024,
		disk_gib: 8_000,
		bandwidth_mbps: 10_000,
		region: tessera_primitives::market::Region::Europe,
		capabilities: tessera_primitives::market::Capabilities {
			matmul_i8: true,
			opaque: true,
			enclave: true,
		},
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_stake::BenchmarkHelper<AccountId> for MarketBenchmarks {
	fn setup_observed(who: &AccountId) {
		use frame_support::traits::fungible::Mutate;
		let worker: AccountId = frame_benchmarking::account("worker", 0, 0);
		let profile = benchmark_profile();
		// The registration deposit comes on top of the funds the stake benchmarks measure with.
		let minted = Balances::mint_into(who, RegistrationDeposit::get());
		assert!(minted.is_ok(), "benchmark deposit: {minted:?}");
		let registered = Providers::register(
			RuntimeOrigin::signed(who.clone()),
			profile,
			crate::UNIT,
			16,
			sp_runtime::BoundedVec::truncate_from(b"https://gpu.example.org".to_vec()),
			worker,
		);
		assert!(registered.is_ok(), "benchmark registration: {registered:?}");
	}
}
