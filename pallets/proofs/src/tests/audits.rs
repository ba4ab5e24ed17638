//! Random audits of receipts whose policy would accept them.

use super::*;

#[test]
fn an_optimistic_receipt_is_audited_at_the_end_of_its_window() {
	ExtBuilder::default().audit_chance(Perbill::one()).build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		let end = START + CHALLENGE_WINDOW;
		assert_eq!(
			submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &job.receipt(&prover)),
			end
		);
		assert_eq!(stage(0, 0), Stage::Window { until: end });
		run_to_block(end);
		// Drawn from the blocks just before the end of the window, all after the receipt.
		let positions =
			expected_positions(end, 0, 0, &prover.output_commitment(), SMALL, AUDIT_SAMPLES);
		assert_eq!(positions.len(), 4);
		let respond_by = end + RESPONSE_WINDOW;
		assert_eq!(take_events(), vec![samples_drawn(0, 0, positions, respond_by, true)]);
		assert_eq!(MockJobs::due(0, 0), Some(respond_by + 1));

		// Four samples only: a fifth is unknown.
		let fifth = BoundedVec::try_from(vec![(4, prover.open(drawn(0, 0)[0]).unwrap())]).unwrap();
		assert_noop!(
			Proofs::respond(signed(worker_of(ALICE)), 0, 0, prover.roots(), fifth),
			Error::<Test>::UnknownSample
		);
		assert_ok!(answer(ALICE, 0, 0, &prover, &all(4)));
		assert_eq!(take_events(), vec![Event::SpotCheckPassed { job: 0, replica: 0 }]);
		// Accepted in the block of the answer, not at the end of the response window.
		assert_eq!(verdict(0, 0), accepted_at(end));
		run_to_block(respond_by + 1);
		assert_eq!(MockJobs::told(), vec![(0, 0)]);
	});
}

#[test]
fn a_cheating_optimistic_receipt_is_caught_by_an_audit() {
	ExtBuilder::default().audit_chance(Perbill::one()).build_and_execute(|| {
		let job = MatMul::content(ODD, 2);
		let cheat = job.prover(&job.wrong_c());
		let spec = job.spec(Verification::Optimistic);
		// Job 0 answers with its made-up output, job 1 does not answer.
		submit(0, 0, ALICE, &spec, &job.receipt(&cheat));
		submit(1, 0, BOB, &spec, &job.receipt(&cheat));
		let end = START + CHALLENGE_WINDOW;
		run_to_block(end);
		take_events();
		// The made-up answer is fraud in its own block; the silence once the window is over.
		assert_ok!(answer(ALICE, 0, 0, &cheat, &all(4)));
		assert_eq!(take_events(), vec![opening_failed(0, 0, 0, OpeningError::WrongProduct)]);
		assert_eq!(verdict(0, 0), fraud_at(end));
		run_to_block(end + RESPONSE_WINDOW);
		assert_eq!(verdict(1, 0), None);
		run_to_block(end + RESPONSE_WINDOW + 1);
		assert_eq!(
			take_events(),
			vec![Event::SpotCheckFailed { job: 1, replica: 0, fault: Fault::Withheld }]
		);
		assert_eq!(verdict(1, 0), fraud_at(end + RESPONSE_WINDOW + 1));
	});
}

#[test]
fn nothing_is_audited_at_zero_chance() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let cheat = job.prover(&job.wrong_c());
		submit(0, 0, ALICE, &job.spec(Verification::Optimistic), &job.receipt(&cheat));
		run_to_block(START + CHALLENGE_WINDOW);
		assert_eq!(verdict(0, 0), accepted_at(START + CHALLENGE_WINDOW));
		assert!(take_events().is_empty());
	});
}

#[test]
fn opaque_receipts_are_never_audited() {
	ExtBuilder::default().audit_chance(Perbill::one()).build_and_execute(|| {
		submit(0, 0, ALICE, &opaque_spec(Verification::Optimistic), &receipt(out(1), 100));
		let providers = [ALICE, BOB, CHARLIE];
		for (replica, provider) in providers.into_iter().enumerate() {
			let sealed = sealed_receipt(1, replica as u32, provider, out(2));
			submit(1, replica as u32, provider, &replicated(3), &sealed);
		}
		System::reset_events();
		for (replica, provider) in providers.into_iter().enumerate() {
			assert_ok!(reveal(1, replica as u32, provider, out(2)));
		}
		// The last reveal decides the opaque replicas at once: accepted, no audit drawn.
		let events = take_events();
		assert_eq!(events.last(), Some(&Event::QuorumReached { job: 1, output: out(2) }));
		assert!(!events.iter().any(|e| matches!(e, Event::SamplesDrawn { .. })));
		for replica in 0..3 {
			assert_eq!(verdict(1, replica), accepted_at(START));
		}
		run_to_block(START + CHALLENGE_WINDOW);
		assert_eq!(verdict(0, 0), accepted_at(START + CHALLENGE_WINDOW));
		assert!(take_events().is_empty());
	});
}

#[test]
fn an_audit_is_drawn_when_the_roll_is_below_the_chance() {
	ExtBuilder::default().build_and_execute(|| {
		let first = MatMul::seeded(SMALL, 1);
		let second = MatMul::seeded(SMALL, 2);
		let (p1, p2) = (first.honest(), second.honest());
		submit(0, 0, ALICE, &first.spec(Verification::Optimistic), &first.receipt(&p1));
		run_to_block(START + 1);
		submit(1, 0, ALICE, &second.spec(Verification::Optimistic), &second.receipt(&p2));
		let (end0, end1) = (START + CHALLENGE_WINDOW, START + 1 + CHALLENGE_WINDOW);
		let roll0 = audit_roll(&sample_seed(&randomness(end0), 0, 0, &p1.output_commitment()));
		let roll1 = audit_roll(&sample_seed(&randomness(end1), 1, 0, &p2.output_commitment()));

		// A chance equal to the roll misses it, one part more hits it.
		run_to_block(end0 - 1);
		AuditChance::set(Perbill::from_parts(roll0));
		run_to_block(end0);
		assert_eq!(verdict(0, 0), accepted_at(end0));
		assert!(take_events().is_empty());
		AuditChance::set(Perbill::from_parts(roll1 + 1));
		run_to_block(end1);
		let positions =
			expected_positions(end1, 1, 0, &p2.output_commitment(), SMALL, AUDIT_SAMPLES);
		assert_eq!(
			take_events(),
			vec![samples_drawn(1, 0, positions, end1 + RESPONSE_WINDOW, true)]
		);
		assert_ok!(answer(ALICE, 1, 0, &p2, &all(4)));
		assert_eq!(verdict(1, 0), accepted_at(end1));
	});
}
