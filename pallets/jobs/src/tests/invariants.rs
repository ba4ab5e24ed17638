//! The invariants `try_state` checks, and a long mixed run that keeps the books.

use super::*;

#[test]
fn integrity_test_passes() {
	ExtBuilder::market().build_and_execute(|| {
		<Jobs as Hooks<BlockNumber>>::integrity_test();
	});
}

#[test]
fn try_state_catches_stats_that_drift() {
	ExtBuilder::market().build_and_execute(|| {
		post(CLIENT, spec());
		assert_ok!(Jobs::do_try_state());
		Stats::<Test>::mutate(|s| s.escrowed += 1);
		assert!(Jobs::do_try_state().is_err());
		Stats::<Test>::mutate(|s| s.escrowed -= 1);
		Stats::<Test>::mutate(|s| s.completed += 1);
		assert!(Jobs::do_try_state().is_err());
		Stats::<Test>::mutate(|s| s.completed -= 1);
	});
}

#[test]
fn try_state_catches_a_missing_timeout() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		Timeouts::<Test>::remove(1 + ACK_TIMEOUT, (id, Timeout::Acknowledgement(0)));
		assert!(Jobs::do_try_state().is_err());
		Timeouts::<Test>::insert(1 + ACK_TIMEOUT, (id, Timeout::Acknowledgement(0)), ());
	});
}

#[test]
fn try_state_catches_a_submitted_replica_that_kept_its_deadline() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 1);
		assert_ok!(Jobs::do_try_state());
		// The verifier owns a submitted receipt: a timeout of the jobs pallet's own for it
		// would fail or settle it behind the verifier's back.
		Timeouts::<Test>::insert(DEADLINE + 1, (id, Timeout::Delivery(0)), ());
		assert!(Jobs::do_try_state().is_err());
		Timeouts::<Test>::remove(DEADLINE + 1, (id, Timeout::Delivery(0)));
	});
}

#[test]
fn try_state_catches_a_hold_that_differs_from_the_escrow() {
	ExtBuilder::market().build_and_execute(|| {
		use frame_support::traits::{fungible::MutateHold, tokens::Precision};
		let reason = RuntimeHoldReason::Jobs(HoldReason::Escrow);
		post(CLIENT, spec());
		assert_ok!(Balances::release(&reason, &CLIENT, 1, Precision::Exact));
		assert!(Jobs::do_try_state().is_err());
		assert_ok!(Balances::hold(&reason, &CLIENT, 1));
	});
}

#[test]
fn try_state_catches_escrow_that_drifts_from_the_budget() {
	ExtBuilder::market().build_and_execute(|| {
		use frame_support::traits::{fungible::MutateHold, tokens::Precision};
		let reason = RuntimeHoldReason::Jobs(HoldReason::Escrow);
		let drifted = Err("escrow differs from budget less payments and fees".into());
		let id = post(CLIENT, replicated(2));
		assert_ok!(Jobs::do_try_state());
		// One more in escrow, held from the client and counted in the stats: every other
		// check agrees, only the budget does not.
		let bump = |by: i128| {
			crate::pallet::Jobs::<Test>::mutate(id, |j| {
				let j = j.as_mut().unwrap();
				j.escrow = j.escrow.checked_add_signed(by).unwrap();
			});
			Stats::<Test>::mutate(|s| s.escrowed = s.escrowed.checked_add_signed(by).unwrap());
		};
		bump(1);
		assert_ok!(Balances::hold(&reason, &CLIENT, 1));
		assert_eq!(Jobs::do_try_state(), drifted);
		bump(-1);
		assert_ok!(Balances::release(&reason, &CLIENT, 1, Precision::Exact));
		assert_ok!(Jobs::do_try_state());
		// After a payment the escrow is the budget less the payment and its fee: a payment
		// recorded larger than what left the escrow shows.
		ack(BOB, id, 1);
		submit(BOB, id, 1, 50);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 1));
		assert_eq!(job(id).escrow, escrow_of(MAX_PRICE, UNITS, 2) - 306);
		assert_ok!(Jobs::do_try_state());
		crate::pallet::Jobs::<Test>::mutate(id, |j| {
			j.as_mut().unwrap().replicas[1].state = ReplicaState::Paid { payment: 301, fee: 6 };
		});
		assert_eq!(Jobs::do_try_state(), drifted);
		crate::pallet::Jobs::<Test>::mutate(id, |j| {
			j.as_mut().unwrap().replicas[1].state = ReplicaState::Paid { payment: 300, fee: 6 };
		});
		assert_ok!(Jobs::do_try_state());
	});
}

#[test]
fn try_state_catches_collateral_that_drifts_from_committed() {
	ExtBuilder::market().build_and_execute(|| {
		let drifted = Err("a provider's collateral is less than its running replicas'".into());
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		assert_ok!(Jobs::do_try_state());
		// More set aside in the stake pallet than the replicas say is another pallet's (a
		// re-execution's): the runtime's tests check the total.
		assert_ok!(MockStake::reserve(&ALICE, 1));
		assert_ok!(Jobs::do_try_state());
		MockStake::release(&ALICE, 1);
		// A replica that says more than is set aside.
		let set = |collateral: Balance| {
			crate::pallet::Jobs::<Test>::mutate(id, |j| {
				j.as_mut().unwrap().replicas[0].collateral = collateral;
			});
		};
		set(ALICE_COLLATERAL + 1);
		assert_eq!(Jobs::do_try_state(), drifted);
		set(ALICE_COLLATERAL);
		assert_ok!(Jobs::do_try_state());
		// Once paid, none is left: collateral left behind shows, though the job is closed.
		submit(ALICE, id, 0, UNITS);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_ok!(Jobs::do_try_state());
		// Collateral on a replica that has not been acknowledged.
		let waiting = post(CLIENT, spec());
		crate::pallet::Jobs::<Test>::mutate(waiting, |j| {
			j.as_mut().unwrap().replicas[0].collateral = 5;
		});
		assert_ok!(MockStake::reserve(&ALICE, 5));
		assert_eq!(Jobs::do_try_state(), Err("collateral on a replica not running".into()));
		MockStake::release(&ALICE, 5);
		crate::pallet::Jobs::<Test>::mutate(waiting, |j| {
			j.as_mut().unwrap().replicas[0].collateral = 0;
		});
	});
}

/// A deterministic stream of pseudo-random numbers (a 64-bit LCG).
struct Dice(u64);

impl Dice {
	/// A number in `0..n`.
	fn roll(&mut self, n: u64) -> u64 {
		self.0 =
			self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
		(self.0 >> 33) % n
	}
}

/// `result` is `Ok`, or one of the errors a mixed run may meet when the hook has a backlog or
/// a provider's stake is committed elsewhere.
fn ok_or_one_of<const N: usize>(
	result: sp_runtime::DispatchResult,
	allowed: [Error<Test>; N],
) -> bool {
	let allowed: Vec<sp_runtime::DispatchError> = allowed.into_iter().map(Into::into).collect();
	match result {
		Ok(()) => true,
		Err(error) => {
			assert!(allowed.contains(&error), "unexpected {error:?}");
			false
		},
	}
}

/// What a [`mixed_run`] met: replicas failed for each [`FailureReason`] (in the order of
/// [`REASONS`]), payments, early acceptances, and jobs that ended each way.
#[derive(Default, Debug)]
struct Met {
	failed: [usize; 7],
	paid: usize,
	accepted_early: usize,
	stats: JobStats<Balance>,
}

const REASONS: [FailureReason; 7] = [
	FailureReason::Declined,
	FailureReason::MissedAcknowledgement,
	FailureReason::MissedDeadline,
	FailureReason::Outvoted,
	FailureReason::Rejected,
	FailureReason::ProviderBanned,
	FailureReason::PaymentFailed,
];

/// Sixty blocks of a market driven by `seed`: jobs of one or two replicas posted all along;
/// workers that acknowledge, decline or stay silent; receipts accepted by the verifier or early
/// by the client, outvoted (with a watcher), still pending, or never sent (a missed deadline);
/// at most one fraud, which bans its provider and fails its other replicas; queued jobs
/// cancelled; each job holds a storage deposit while open, and closed jobs are pruned
/// [`JOB_RETENTION`] blocks after they close. Then it waits for every job to end and checks the
/// books to the unit: each account's balance is its initial one plus or minus the payments, fees
/// and slashes it took part in, and nothing is held or set aside (deposits included).
fn mixed_run(seed: u64) -> Met {
	JobDeposit::set(3);
	let before = total(&EVERYONE);
	let mut dice = Dice(seed);
	let mut posted: Vec<JobId> = Vec::new();
	let mut clients = std::collections::BTreeMap::new();
	// Replicas whose worker will never send a receipt.
	let mut lazy = std::collections::BTreeSet::new();
	let mut fraud_done = false;
	for _ in 0..60 {
		let now = System::block_number();
		let client = if dice.roll(2) == 0 { CLIENT } else { CLIENT2 };
		let replicas = 1 + dice.roll(2) as u32;
		let gpu_seconds = 1 + dice.roll(UNITS);
		let deadline = now + MIN_DEADLINE + 5 + dice.roll(20);
		let spec = spec_with(|s| {
			s.workload = Workload::Opaque { program: H256::repeat_byte(7), gpu_seconds };
			s.replicas = replicas;
			if replicas > 1 {
				s.verification = Verification::Replicated;
			}
			s.deadline = deadline;
		});
		let id = NextJobId::<Test>::get();
		if ok_or_one_of(
			Jobs::post(signed(client), spec),
			[Error::<Test>::QueueFull, Error::<Test>::TooManyOpenJobs],
		) {
			posted.push(id);
			clients.insert(id, client);
		}
		for &id in &posted {
			// Closed long enough ago to be pruned.
			let Some(record) = crate::pallet::Jobs::<Test>::get(id) else { continue };
			if record.state == JobState::Queued && dice.roll(4) == 0 {
				assert_ok!(Jobs::cancel(signed(record.client), id));
				continue;
			}
			for (replica, slot) in record.replicas.iter().enumerate() {
				let replica = replica as u32;
				let worker = signed(worker_of(slot.provider));
				match slot.state {
					ReplicaState::AwaitingAck { .. } => match dice.roll(5) {
						0 => {
							ok_or_one_of(
								Jobs::decline(worker, id, replica),
								[Error::<Test>::AckWindowClosed],
							);
						},
						1 => {}, // Silence.
						_ => {
							let acked = ok_or_one_of(
								Jobs::acknowledge(worker, id, replica),
								[
									Error::<Test>::AckWindowClosed,
									Error::<Test>::InsufficientCollateral,
								],
							);
							if acked && dice.roll(6) == 0 {
								lazy.insert((id, replica));
							}
						},
					},
					ReplicaState::Running => {
						if lazy.contains(&(id, replica)) || dice.roll(3) == 0 {
							continue;
						}
						let used = dice.roll(record.units + 1);
						let verdict = match dice.roll(8) {
							0 if !fraud_done => {
								fraud_done = true;
								Look::Decided(fraud())
							},
							1 => Look::Decided(Verdict::Rejected {
								offence: SlashReason::Dissent,
								watcher: Some(CLIENT2),
							}),
							2 => Look::Pending(now + 2),
							_ => Look::ACCEPTED,
						};
						let submitted = ok_or_one_of(
							Jobs::submit_receipt(worker, id, replica, receipt(used)),
							[Error::<Test>::DeadlinePassed],
						);
						if submitted {
							MockVerifier::script(id, replica, vec![verdict]);
						}
					},
					ReplicaState::Submitted { .. } => {
						if dice.roll(4) == 0 {
							assert_ok!(Jobs::accept(signed(record.client), id, replica));
						}
					},
					ReplicaState::Paid { .. } | ReplicaState::Failed => {},
				}
			}
		}
		run_to_block(now + 1 + dice.roll(3));
	}
	run_to_block(System::block_number() + MAX_DEADLINE);

	// Every job ended (most were pruned meanwhile) and left nothing behind.
	for &id in &posted {
		if let Some(record) = crate::pallet::Jobs::<Test>::get(id) {
			assert!(!record.state.is_open(), "job {id} is still open");
		}
	}
	assert!(stats().pruned > 0, "some jobs were pruned");
	assert_eq!(crate::pallet::OpenJobs::<Test>::iter().count(), 0);
	let stats = stats();
	assert_eq!(stats.queued + stats.active, 0);
	assert_eq!(
		stats.completed + stats.failed + stats.cancelled + stats.expired,
		posted.len() as u32
	);
	assert_eq!(stats.escrowed, 0);
	for who in EVERYONE {
		assert_eq!(held(who), 0);
		assert_eq!(deposit_held(who), 0);
		assert_eq!(committed(who), 0);
	}

	// The books: every unit that moved is a payment, a fee or a slash.
	let events: Vec<Event<Test>> = System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Jobs(e) = r.event { Some(e) } else { None })
		.collect();
	let initial = |who: &AccountId| match *who {
		CLIENT | CLIENT2 => INITIAL,
		ALICE | BOB | CHARLIE => STAKE,
		TREASURY => ED,
		_ => 0,
	};
	let mut books: std::collections::BTreeMap<AccountId, i128> =
		EVERYONE.iter().map(|who| (*who, initial(who) as i128)).collect();
	let mut moved = |from: AccountId, to: AccountId, amount: Balance| {
		*books.entry(from).or_default() -= amount as i128;
		*books.entry(to).or_default() += amount as i128;
	};
	let mut met = Met { stats, ..Default::default() };
	for event in &events {
		match event {
			Event::Paid { job: id, provider, payment, fee, .. } => {
				let client = clients[id];
				moved(client, *provider, *payment);
				moved(client, TREASURY, *fee);
				met.paid += 1;
			},
			Event::ReplicaFailed { reason, .. } => {
				let index = REASONS.iter().position(|r| r == reason).expect("every reason");
				met.failed[index] += 1;
			},
			Event::AcceptedEarly { .. } => met.accepted_early += 1,
			_ => {},
		}
	}
	for slash in MockStake::slashes() {
		if let Some(client) = slash.harmed {
			moved(slash.who, client, slash.outcome.to_client);
		}
		if let Some(watcher) = slash.watcher {
			moved(slash.who, watcher, slash.outcome.to_watcher);
		}
		moved(slash.who, TREASURY, slash.outcome.to_treasury);
	}
	for (who, balance) in books {
		assert_eq!(Balances::total_balance(&who) as i128, balance, "the books of {who}");
	}
	assert_eq!(total(&EVERYONE), before);
	met
}

#[test]
fn many_jobs_keep_the_books() {
	let mut all = Met::default();
	for seed in 0..8u64 {
		let mut met = Met::default();
		ExtBuilder::market().build_and_execute(|| met = mixed_run(0x5eed + seed));
		// At most one fraud a run, and the run goes on with one provider fewer.
		assert!(met.failed[4] <= 1, "seed {seed}: {met:?}");
		for (total, count) in all.failed.iter_mut().zip(met.failed) {
			*total += count;
		}
		all.paid += met.paid;
		all.accepted_early += met.accepted_early;
		all.stats.completed += met.stats.completed;
		all.stats.failed += met.stats.failed;
		all.stats.cancelled += met.stats.cancelled;
	}
	// Together the runs met every way a replica and a job can end (but a payment to an
	// account that cannot receive, which the mock cannot make happen).
	for (reason, count) in REASONS.iter().zip(all.failed).take(6) {
		assert!(count > 0, "no {reason:?} in {all:?}");
	}
	assert!(all.paid > 0 && all.accepted_early > 0, "{all:?}");
	assert!(all.stats.completed > 0 && all.stats.failed > 0 && all.stats.cancelled > 0);
}
