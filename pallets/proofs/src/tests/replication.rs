//! Replicated jobs: sealed receipts, reveals, the tally, the spot-checks a dissent triggers,
//! and the dispute origin.

use super::*;

const PROVIDERS: [AccountId; 5] = [ALICE, BOB, CHARLIE, DAVE, EVE];

/// Replica `r` of job 0 by `PROVIDERS[r]`, sealing `outputs[r]`.
fn seal_all(spec: &SpecOf, outputs: &[H256]) {
	for (replica, output) in outputs.iter().enumerate() {
		let (replica, provider) = (replica as u32, PROVIDERS[replica]);
		submit(0, replica, provider, spec, &sealed_receipt(0, replica, provider, *output));
	}
}

/// Every replica of job 0 reveals its `outputs[r]`.
fn reveal_all(outputs: &[H256]) {
	for (replica, output) in outputs.iter().enumerate() {
		assert_ok!(reveal(0, replica as u32, PROVIDERS[replica], *output));
	}
}

/// The verdict of replica `replica` of job 0, without its block.
fn outcome(replica: u32) -> Option<VerdictOf> {
	verdict(0, replica).map(|(verdict, _)| verdict)
}

fn accepted() -> Option<VerdictOf> {
	Some(Verdict::Accepted)
}

fn dissent() -> Option<VerdictOf> {
	Some(Verdict::Rejected { offence: SlashReason::Dissent, watcher: None })
}

fn fraud() -> Option<VerdictOf> {
	Some(Verdict::Rejected { offence: SlashReason::Fraud, watcher: None })
}

fn missed() -> Option<VerdictOf> {
	Some(Verdict::Rejected { offence: SlashReason::MissedDeadline, watcher: None })
}

/// Runs blocks until replica `replica` of job 0 is being sampled; returns the block.
fn run_until_sampled(replica: u32, limit: BlockNumber) -> BlockNumber {
	while !matches!(stage(0, replica), Stage::Sampling { .. }) {
		assert!(System::block_number() < limit, "replica {replica} never sampled");
		run_to_block(System::block_number() + 1);
	}
	System::block_number()
}

#[test]
fn receipts_are_sealed_until_every_replica_has_sealed() {
	ExtBuilder::default().build_and_execute(|| {
		let spec = replicated(3);
		seal_all(&spec, &[out(1), out(1)]);
		let seal =
			|replica: u32, provider| sealed_output(0, replica, &provider, &out(1), &salt(replica));
		assert_eq!(stage(0, 0), Stage::Sealed { seal: seal(0, ALICE) });
		assert_eq!(stage(0, 1), Stage::Sealed { seal: seal(1, BOB) });
		// The chain shows only seals: nothing another replica could copy.
		assert_eq!(Checks::<Test>::get(0, 0).map(|c| c.output), Some(seal(0, ALICE)));
		assert_noop!(reveal(0, 0, ALICE, out(1)), Error::<Test>::RevealsNotOpen);
		assert!(take_events().is_empty());

		// The third seal opens the reveals for all of them.
		submit(0, 2, CHARLIE, &spec, &sealed_receipt(0, 2, CHARLIE, out(1)));
		let until = START + REVEAL_WINDOW;
		assert_eq!(take_events(), vec![Event::RevealsOpened { job: 0, until }]);
		assert_eq!(stage(0, 0), Stage::Revealing { seal: seal(0, ALICE), until });
		assert_eq!(stage(0, 2), Stage::Revealing { seal: seal(2, CHARLIE), until });
		assert_eq!(Tallies::<Test>::get(0).and_then(|t| t.reveal_until), Some(until));
	});
}

#[test]
fn a_reveal_is_free_and_operational_and_every_refusal_is_named() {
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo, Pays};
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(reveal(0, 0, ALICE, out(1)), Error::<Test>::UnknownCheck);
		seal_all(&replicated(3), &[out(1), out(1), out(1)]);
		assert_noop!(
			Proofs::reveal(signed(worker_of(BOB)), 0, 0, out(1), salt(0)),
			Error::<Test>::NotProvidersWorker
		);
		assert_noop!(reveal(0, 0, ALICE, out(2)), Error::<Test>::SealMismatch);
		assert_noop!(
			Proofs::reveal(signed(worker_of(ALICE)), 0, 0, out(1), salt(1)),
			Error::<Test>::SealMismatch
		);
		let call =
			crate::Call::<Test>::reveal { job: 0, replica: 0, output: out(1), salt: salt(0) };
		assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
		let taken = reveal(0, 0, ALICE, out(1)).expect("a valid reveal");
		assert_eq!(taken.pays_fee, Pays::No);
		assert!(take_events().contains(&Event::Revealed { job: 0, replica: 0, output: out(1) }));
		assert_eq!(stage(0, 0), Stage::Quorum);
		assert_eq!(Checks::<Test>::get(0, 0).map(|c| c.output), Some(out(1)));
		assert_noop!(reveal(0, 0, ALICE, out(1)), Error::<Test>::NotSealed);
		// Only replicated receipts are sealed.
		submit(1, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		assert_noop!(
			Proofs::reveal(signed(worker_of(ALICE)), 1, 0, out(1), salt(0)),
			Error::<Test>::NotSealed
		);
		// After the window, a reveal comes too late.
		run_to_block(START + REVEAL_WINDOW + 1);
		assert!(matches!(stage(0, 1), Stage::Revealing { .. }));
		assert_noop!(reveal(0, 1, BOB, out(1)), Error::<Test>::RevealClosed);
	});
}

#[test]
fn three_agreeing_replicas_are_all_accepted() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let output = job.honest().output_commitment();
		seal_all(&with_replicas(job.spec(Verification::Replicated), 3), &[output; 3]);
		reveal_all(&[output; 2]);
		assert!(MockJobs::told().is_empty());
		System::reset_events();
		// The last reveal has the tally decide at once...
		assert_ok!(reveal(0, 2, CHARLIE, output));
		assert_eq!(
			take_events(),
			vec![
				Event::Revealed { job: 0, replica: 2, output },
				Event::QuorumReached { job: 0, output }
			]
		);
		// ...but a deterministic result still waits for its audit draw, from blocks that came
		// after every receipt.
		for replica in 0..3 {
			assert_eq!(stage(0, replica), Stage::Draw { at: DRAW, audit: true });
			assert_eq!(MockJobs::due(0, replica), Some(DRAW));
		}
		assert!(MockJobs::told().is_empty());
		assert_eq!(Tallies::<Test>::get(0).map(|t| t.replicas), Some(3));
		run_to_block(DRAW - 1);
		assert!(MockJobs::told().is_empty());
		run_to_block(DRAW);
		// No audit at 0%: every replica is accepted at the draw.
		assert!(take_events().is_empty());
		for replica in 0..3 {
			assert_eq!(verdict(0, replica), accepted_at(DRAW));
		}
		// Forgotten once every replica is closed.
		assert!(Tallies::<Test>::get(0).is_none());
	});
}

#[test]
fn a_copied_seal_cannot_be_revealed_and_costs_the_copier_a_missed_deadline() {
	// Bob puts Alice's seal in his receipt without running the job. Once Alice reveals, her
	// output and salt are public, but a seal binds its replica and provider: Bob cannot open
	// it, and his replica fails as late (its collateral, in the jobs pallet), while Alice and
	// Charlie are accepted.
	ExtBuilder::default().build_and_execute(|| {
		let spec = replicated(3);
		let alices = sealed_receipt(0, 0, ALICE, out(1));
		submit(0, 0, ALICE, &spec, &alices);
		submit(0, 1, BOB, &spec, &alices);
		submit(0, 2, CHARLIE, &spec, &sealed_receipt(0, 2, CHARLIE, out(1)));
		assert_ok!(reveal(0, 0, ALICE, out(1)));
		assert_ok!(reveal(0, 2, CHARLIE, out(1)));
		assert_noop!(
			Proofs::reveal(signed(worker_of(BOB)), 0, 1, out(1), salt(0)),
			Error::<Test>::SealMismatch
		);
		assert_noop!(reveal(0, 1, BOB, out(1)), Error::<Test>::SealMismatch);
		System::reset_events();
		run_to_block(START + REPLICATION_POLL + 1);
		let events = take_events();
		assert!(events.contains(&Event::RevealWithheld { job: 0, replica: 1 }));
		assert!(events.contains(&Event::QuorumReached { job: 0, output: out(1) }));
		assert_eq!(outcome(0), accepted());
		assert_eq!(outcome(1), missed());
		assert_eq!(outcome(2), accepted());
	});
}

#[test]
fn a_lying_minority_is_slashed_only_after_every_winner_passes_its_spot_check() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		let honest = prover.output_commitment();
		let wrong = job.prover(&job.wrong_c()).output_commitment();
		let outputs = [honest, honest, wrong];
		seal_all(&with_replicas(job.spec(Verification::Replicated), 3), &outputs);
		System::reset_events();
		reveal_all(&outputs);
		// The last reveal tallies at once: the dissent makes every winner face a full
		// spot-check, drawn after the randomness delay; the dissenter waits.
		let events = take_events();
		assert!(events.contains(&Event::QuorumReached { job: 0, output: honest }));
		assert!(events.contains(&Event::Outvoted { job: 0, replica: 2 }));
		assert_eq!(stage(0, 2), Stage::Outvoted);
		for replica in 0..2 {
			assert_eq!(stage(0, replica), Stage::Draw { at: DRAW, audit: false });
		}
		run_to_block(DRAW);
		for replica in 0..2 {
			assert_eq!(drawn(0, replica).len() as u32, SPOT_CHECK_SAMPLES);
		}
		let respond_by = DRAW + RESPONSE_WINDOW;
		run_to_block(respond_by);
		assert_eq!(outcome(2), None, "not slashed while the winners are being checked");
		assert_ok!(answer(ALICE, 0, 0, &prover, &all(SPOT_CHECK_SAMPLES)));
		assert_ok!(answer(BOB, 0, 1, &prover, &all(SPOT_CHECK_SAMPLES)));
		assert_eq!(verdict(0, 0), accepted_at(respond_by));
		assert_eq!(verdict(0, 1), accepted_at(respond_by));
		// The dissenter is slashed at its next look, once every winner has passed.
		let due = MockJobs::due(0, 2).expect("the dissenter is still open");
		assert!(due <= respond_by + REPLICATION_POLL);
		run_to_block(due - 1);
		assert_eq!(outcome(2), None);
		run_to_block(due);
		assert_eq!(verdict(0, 2), dissent().map(|v| (v, due)));
		assert!(Tallies::<Test>::get(0).is_none());
	});
}

#[test]
fn an_honest_minority_is_paid_when_the_majority_is_proven_wrong() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		let honest = prover.output_commitment();
		let cheat = job.prover(&job.wrong_c());
		let wrong = cheat.output_commitment();
		let outputs = [honest, wrong, wrong];
		seal_all(&with_replicas(job.spec(Verification::Replicated), 3), &outputs);
		System::reset_events();
		reveal_all(&outputs);
		// Tallied in the last reveal's block.
		let events = take_events();
		assert!(events.contains(&Event::QuorumReached { job: 0, output: wrong }));
		assert!(events.contains(&Event::Outvoted { job: 0, replica: 0 }));
		run_to_block(DRAW);
		// Bob opens his made-up output; Charlie does not answer. Both are fraud.
		assert_ok!(answer(BOB, 0, 1, &cheat, &all(SPOT_CHECK_SAMPLES)));
		assert_eq!(verdict(0, 1), fraud_at(DRAW));
		// Alice is spot-checked on her own output once a winner is proven wrong...
		let sampled = run_until_sampled(0, DEADLINE);
		assert!(System::events()
			.iter()
			.any(|r| r.event
				== RuntimeEvent::Proofs(Event::MajorityDisproven { job: 0, replica: 0 })));
		assert_eq!(outcome(0), None);
		// ...and paid once she answers.
		assert_ok!(answer(ALICE, 0, 0, &prover, &all(SPOT_CHECK_SAMPLES)));
		assert_eq!(verdict(0, 0), accepted_at(sampled));
		assert_eq!(outcome(2), None);
		run_to_block(DRAW + RESPONSE_WINDOW + 1);
		assert_eq!(verdict(0, 2), fraud_at(DRAW + RESPONSE_WINDOW + 1));
		assert_eq!(outcome(0), accepted());
		assert_eq!(outcome(1), fraud());
		assert!(Tallies::<Test>::get(0).is_none());
	});
}

#[test]
fn an_outvoted_opaque_replica_is_slashed_for_dissent_at_once() {
	// Nothing can recompute an opaque program: the tally alone decides.
	ExtBuilder::default().build_and_execute(|| {
		let outputs = [out(1), out(1), out(2)];
		seal_all(&replicated(3), &outputs);
		System::reset_events();
		reveal_all(&outputs);
		// Decided in the block of the last reveal, every replica at once.
		assert_eq!(
			take_events(),
			vec![
				Event::Revealed { job: 0, replica: 0, output: out(1) },
				Event::Revealed { job: 0, replica: 1, output: out(1) },
				Event::Revealed { job: 0, replica: 2, output: out(2) },
				Event::QuorumReached { job: 0, output: out(1) },
				Event::Outvoted { job: 0, replica: 2 }
			]
		);
		assert_eq!(verdict(0, 0), accepted_at(START));
		assert_eq!(verdict(0, 1), accepted_at(START));
		assert_eq!(verdict(0, 2), dissent().map(|v| (v, START)));
	});
}

#[test]
fn a_client_accepts_a_replica_early_only_once_every_reveal_agrees() {
	ExtBuilder::default().build_and_execute(|| {
		let spec = replicated(3);
		seal_all(&spec, &[out(1), out(1)]);
		assert_noop!(MockJobs::accept(0, 0), Error::<Test>::UnderProof);
		submit(0, 2, CHARLIE, &spec, &sealed_receipt(0, 2, CHARLIE, out(2)));
		assert_noop!(MockJobs::accept(0, 0), Error::<Test>::UnderProof);
		reveal_all(&[out(1), out(1)]);
		// Charlie has not revealed yet.
		assert_noop!(MockJobs::accept(0, 0), Error::<Test>::UnderProof);
		assert_ok!(reveal(0, 2, CHARLIE, out(2)));
		// Charlie dissents: the tally decides, not the client, in the block of his reveal.
		assert_eq!(verdict(0, 0), accepted_at(START));
		assert_eq!(verdict(0, 1), accepted_at(START));
		assert_eq!(verdict(0, 2), dissent().map(|v| (v, START)));
	});
	ExtBuilder::default().build_and_execute(|| {
		// A deterministic job whose reveals all agree waits only for its audit draw, which
		// the client may waive.
		let job = MatMul::seeded(SMALL, 1);
		let output = job.honest().output_commitment();
		seal_all(&with_replicas(job.spec(Verification::Replicated), 2), &[output; 2]);
		reveal_all(&[output; 2]);
		assert_eq!(stage(0, 0), Stage::Draw { at: DRAW, audit: true });
		assert_ok!(MockJobs::accept(0, 0));
		assert!(Tallies::<Test>::get(0).is_some());
		assert_ok!(MockJobs::accept(0, 1));
		assert!(Tallies::<Test>::get(0).is_none());
		run_to_block(DRAW);
		assert!(MockJobs::told().is_empty());
	});
}

#[test]
fn three_different_outputs_go_to_the_dispute_origin() {
	ExtBuilder::default().build_and_execute(|| {
		let outputs = [out(1), out(2), out(3)];
		seal_all(&replicated(3), &outputs);
		System::reset_events();
		reveal_all(&outputs);
		// No output has a majority: disputed in the last reveal's block.
		assert!((0..3).all(|replica| stage(0, replica) == Stage::Disputed));
		let mut disputed: Vec<u32> = take_events()
			.into_iter()
			.filter_map(
				|e| if let Event::Disputed { replica, .. } = e { Some(replica) } else { None },
			)
			.collect();
		disputed.sort();
		assert_eq!(disputed, vec![0, 1, 2]);
		// The hook's looks leave it to the dispute origin.
		run_to_block(START + DISPUTE_POLL);
		assert!((0..3).all(|replica| stage(0, replica) == Stage::Disputed));
		assert!(MockJobs::told().is_empty());

		assert_noop!(
			Proofs::resolve_dispute(signed(CLIENT), 0, None, Some(out(2))),
			DispatchError::BadOrigin
		);
		assert_ok!(Proofs::resolve_dispute(root(), 0, None, Some(out(2))));
		assert_eq!(
			take_events(),
			vec![Event::DisputeResolved { job: 0, replica: None, accepted: Some(out(2)) }]
		);
		// Every replica is settled in the block of the resolution; the tally goes with the
		// last check.
		let resolved = START + DISPUTE_POLL;
		assert_eq!(verdict(0, 0), dissent().map(|v| (v, resolved)));
		assert_eq!(verdict(0, 1), accepted_at(resolved));
		assert_eq!(verdict(0, 2), dissent().map(|v| (v, resolved)));
		assert!(Tallies::<Test>::get(0).is_none());
		assert_noop!(
			Proofs::resolve_dispute(root(), 0, None, Some(out(1))),
			Error::<Test>::NotDisputed
		);
	});
}

#[test]
fn the_dispute_origin_can_reject_every_replica() {
	ExtBuilder::default().build_and_execute(|| {
		let outputs = [out(1), out(2), out(3)];
		seal_all(&replicated(3), &outputs);
		reveal_all(&outputs);
		run_to_block(START + REPLICATION_POLL);
		assert_ok!(Proofs::resolve_dispute(root(), 0, None, None));
		for replica in 0..3 {
			assert_eq!(verdict(0, replica), dissent().map(|v| (v, START + REPLICATION_POLL)));
		}
	});
}

#[test]
fn reveals_open_at_the_deadline_when_a_replica_never_seals() {
	ExtBuilder::default().build_and_execute(|| {
		let deadline = 20;
		let spec = SpecOf { deadline, ..replicated(3) };
		// Charlie never delivers; Alice and Bob disagree.
		seal_all(&spec, &[out(1), out(2)]);
		run_to_block(deadline);
		assert!(matches!(stage(0, 0), Stage::Sealed { .. }));
		assert!(take_events().is_empty());
		// Looked at every poll, and once more right after the deadline, which opens them.
		run_to_block(deadline + 1);
		let until = deadline + 1 + REVEAL_WINDOW;
		assert_eq!(take_events(), vec![Event::RevealsOpened { job: 0, until }]);
		assert!(matches!(stage(0, 1), Stage::Revealing { .. }));
		reveal_all(&[out(1), out(2)]);
		System::reset_events();
		run_to_block(until + 1);
		assert!((0..2).all(|replica| stage(0, replica) == Stage::Disputed));
		assert_ok!(Proofs::resolve_dispute(root(), 0, None, Some(out(1))));
		assert_eq!(verdict(0, 0), accepted_at(until + 1));
		assert_eq!(verdict(0, 1), dissent().map(|v| (v, until + 1)));
		// Once the deadline has passed no receipt can come any more: the tally goes with the
		// last check.
		assert_eq!(Checks::<Test>::iter_prefix(0).count(), 0);
		assert!(Tallies::<Test>::get(0).is_none());
	});
}

#[test]
fn five_replicas_need_three_agreeing() {
	ExtBuilder::default().build_and_execute(|| {
		let outputs = [out(1), out(1), out(2), out(1), out(3)];
		seal_all(&replicated(5), &outputs);
		reveal_all(&outputs);
		// All decided by the last reveal.
		let expected = [accepted(), accepted(), dissent(), accepted(), dissent()];
		for (replica, expected) in expected.into_iter().enumerate() {
			let told = expected.map(|v| (v, START));
			assert_eq!(verdict(0, replica as u32), told, "replica {replica}");
		}
		assert!(Tallies::<Test>::get(0).is_none());
	});
}

#[test]
fn two_pairs_and_a_fifth_output_go_to_the_dispute_origin() {
	ExtBuilder::default().build_and_execute(|| {
		let outputs = [out(1), out(1), out(2), out(2), out(3)];
		seal_all(&replicated(5), &outputs);
		reveal_all(&outputs);
		run_to_block(START + REPLICATION_POLL + 1);
		assert!((0..5).all(|replica| stage(0, replica) == Stage::Disputed));
		assert_ok!(Proofs::resolve_dispute(root(), 0, None, Some(out(2))));
		for replica in 0..5 {
			let expected = if replica == 2 || replica == 3 { accepted() } else { dissent() };
			let told = expected.map(|v| (v, START + REPLICATION_POLL + 1));
			assert_eq!(verdict(0, replica), told);
		}
	});
}

#[test]
fn resolve_dispute_refuses_jobs_that_are_not_disputed() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Proofs::resolve_dispute(root(), 0, None, None), Error::<Test>::NotDisputed);
		seal_all(&replicated(3), &[out(1), out(2)]);
		// Still waiting for the third replica.
		run_to_block(START + REPLICATION_POLL);
		assert!(matches!(stage(0, 0), Stage::Sealed { .. }));
		assert_noop!(
			Proofs::resolve_dispute(root(), 0, None, Some(out(1))),
			Error::<Test>::NotDisputed
		);
		assert_noop!(
			Proofs::resolve_dispute(signed(CLIENT), 0, None, None),
			DispatchError::BadOrigin
		);
		// An optimistic receipt in its window is not disputed either.
		submit(1, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		assert_noop!(
			Proofs::resolve_dispute(root(), 1, None, Some(out(1))),
			Error::<Test>::NotDisputed
		);
	});
}

/// A dissent from a deterministic result makes every winner face a spot-check; until it is
/// drawn the winners wait in [`Stage::Draw`]. Accepting a winner early then would decide what
/// its spot-check must, and the outvoted replicas wait on its verdict.
#[test]
fn a_client_cannot_accept_a_winner_early_while_a_dissent_waits_for_its_spot_check() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let honest = job.honest().output_commitment();
		let wrong = job.prover(&job.wrong_c()).output_commitment();
		let outputs = [honest, honest, wrong];
		seal_all(&with_replicas(job.spec(Verification::Replicated), 3), &outputs);
		reveal_all(&outputs);
		assert_eq!(stage(0, 0), Stage::Draw { at: DRAW, audit: false });
		assert_eq!(stage(0, 2), Stage::Outvoted);
		assert_noop!(MockJobs::accept(0, 0), Error::<Test>::UnderProof);
	});
}
