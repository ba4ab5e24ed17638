//! Spot-checks: honest and made-up outputs, seed and committed inputs, refused answers.

use super::*;

/// Attack 4: answering a spot-check must not cost an honest provider, nor be crowded out:
/// a full, right answer is free, in the operational class, and reported to the jobs pallet
/// at once so that it pays in this block; a wrong one pays its fee.
#[test]
fn an_honest_answer_is_free_operational_and_settled_at_once() {
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo, Pays};
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
		let made_up = job.prover(&job.wrong_c());
		submit(1, 0, BOB, &job.spec(Verification::SpotCheck), &job.receipt(&made_up));
		run_to_block(DRAW);
		let call = crate::Call::<Test>::respond {
			job: 0,
			replica: 0,
			roots: prover.roots(),
			openings: openings(&prover, &drawn(0, 0), &all(8)),
		};
		assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
		// Half the samples: free, but nothing decided yet.
		let half = answer(ALICE, 0, 0, &prover, &[0, 1, 2, 3]).expect("taken");
		assert_eq!(half.pays_fee, Pays::No);
		assert!(MockJobs::told().is_empty());
		let rest = answer(ALICE, 0, 0, &prover, &[4, 5, 6, 7]).expect("taken");
		assert_eq!(rest.pays_fee, Pays::No);
		assert_eq!(MockJobs::told(), vec![(0, 0)]);
		assert_eq!(verdict(0, 0), accepted_at(DRAW));
		// A made-up output's answer proves the fault: it pays, and is reported at once too.
		let wrong = answer(BOB, 1, 0, &made_up, &all(8)).expect("taken");
		assert_eq!(wrong.pays_fee, Pays::Yes);
		assert_eq!(MockJobs::told(), vec![(0, 0), (1, 0)]);
		assert_eq!(verdict(1, 0), fraud_at(DRAW));
	});
}

#[test]
fn an_honest_provider_passes_with_seed_inputs() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		let output = prover.output_commitment();
		assert_eq!(output, commit_output(SMALL, &job.c()).unwrap());

		// The samples are drawn after the randomness delay, from blocks that did not
		// exist when the receipt was submitted.
		assert_eq!(
			submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover)),
			DRAW
		);
		assert_eq!(stage(0, 0), Stage::Draw { at: DRAW, audit: false });
		run_to_block(DRAW - 1);
		assert_eq!(MockJobs::due(0, 0), Some(DRAW));
		assert!(take_events().is_empty());

		run_to_block(DRAW);
		// blake2-256 of the hashes of blocks START + 1 ..= START + 3.
		let positions = expected_positions(DRAW, 0, 0, &output, SMALL, SPOT_CHECK_SAMPLES);
		assert_eq!(positions.len(), 8);
		let respond_by = DRAW + RESPONSE_WINDOW;
		assert_eq!(take_events(), vec![samples_drawn(0, 0, positions.clone(), respond_by, false)]);
		assert_eq!(
			stage(0, 0),
			Stage::Sampling {
				positions: bounded(positions),
				answered: 0,
				respond_by,
				audit: false
			}
		);
		assert_eq!(MockJobs::due(0, 0), Some(respond_by + 1));

		run_to_block(DRAW + 1);
		assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
		assert_eq!(take_events(), vec![Event::SpotCheckPassed { job: 0, replica: 0 }]);
		// The jobs pallet is told in the block of the answer (and settles there and then),
		// not at the end of the response window; it closed the check and its look.
		assert_eq!(verdict(0, 0), accepted_at(DRAW + 1));
		assert!(Checks::<Test>::get(0, 0).is_none());
		assert_eq!(MockJobs::due(0, 0), None);
		// Nothing is looked at or told again when the window ends.
		run_to_block(respond_by + 1);
		assert_eq!(MockJobs::told(), vec![(0, 0)]);
		assert!(take_events().is_empty());
	});
}

#[test]
fn an_honest_provider_passes_with_committed_inputs_answering_over_two_calls() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::content(ODD, 2);
		let prover = job.honest();
		let output = prover.output_commitment();
		submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
		run_to_block(DRAW);
		let positions = expected_positions(DRAW, 0, 0, &output, ODD, SPOT_CHECK_SAMPLES);
		let respond_by = DRAW + RESPONSE_WINDOW;
		assert_eq!(take_events(), vec![samples_drawn(0, 0, positions.clone(), respond_by, false)]);
		// Inputs given by content: every opening carries its row of A and column of B.
		let first = openings(&prover, &positions, &[0]);
		assert!(first[0].1.row.is_some() && first[0].1.column.is_some());

		assert_ok!(answer(ALICE, 0, 0, &prover, &[0, 1, 2]));
		assert!(take_events().is_empty());
		assert_eq!(
			stage(0, 0),
			Stage::Sampling {
				positions: bounded(positions),
				answered: 0b111,
				respond_by,
				audit: false
			}
		);
		run_to_block(respond_by);
		assert_eq!(verdict(0, 0), None);
		// The second call, in the last block of the window, completes the answer: accepted
		// in that block.
		assert_ok!(answer(ALICE, 0, 0, &prover, &[3, 4, 5, 6, 7]));
		assert_eq!(take_events(), vec![Event::SpotCheckPassed { job: 0, replica: 0 }]);
		assert_eq!(verdict(0, 0), accepted_at(respond_by));
		run_to_block(respond_by + 1);
		assert_eq!(MockJobs::told(), vec![(0, 0)]);
	});
}

#[test]
fn an_honest_provider_passes_with_rows_longer_than_a_chunk() {
	ExtBuilder::default().build_and_execute(|| {
		for (id, job) in [MatMul::seeded(WIDE, 3), MatMul::content(WIDE, 4)].iter().enumerate() {
			let prover = job.honest();
			submit(
				id as JobId,
				0,
				ALICE,
				&job.spec(Verification::SpotCheck),
				&job.receipt(&prover),
			);
		}
		run_to_block(DRAW);
		take_events();
		for (id, job) in [MatMul::seeded(WIDE, 3), MatMul::content(WIDE, 4)].iter().enumerate() {
			assert_ok!(answer(ALICE, id as JobId, 0, &job.honest(), &all(8)));
		}
		assert_eq!(
			take_events(),
			vec![
				Event::SpotCheckPassed { job: 0, replica: 0 },
				Event::SpotCheckPassed { job: 1, replica: 0 }
			]
		);
		assert_eq!(verdict(0, 0), accepted_at(DRAW));
		assert_eq!(verdict(1, 0), accepted_at(DRAW));
	});
}

#[test]
fn a_response_is_charged_for_the_openings_it_carries() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::content(ODD, 2);
		let prover = job.honest();
		submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
		run_to_block(DRAW);
		let info = answer(ALICE, 0, 0, &prover, &[0, 1, 2]).expect("a valid answer");
		assert_eq!(info.actual_weight, Some(sampling::respond_weight::<Test>(3, ODD.k)));
	});
}

#[test]
fn a_made_up_output_is_fraud() {
	ExtBuilder::default().build_and_execute(|| {
		let seeded = MatMul::seeded(SMALL, 1);
		let content = MatMul::content(ODD, 2);
		let provers = [seeded.prover(&seeded.wrong_c()), content.prover(&content.wrong_c())];
		submit(0, 0, ALICE, &seeded.spec(Verification::SpotCheck), &seeded.receipt(&provers[0]));
		submit(1, 0, BOB, &content.spec(Verification::SpotCheck), &content.receipt(&provers[1]));
		run_to_block(DRAW);
		take_events();

		// The roots open the commitment and every path holds: only the recomputed dot
		// product differs, at the very first sample.
		assert_ok!(answer(ALICE, 0, 0, &provers[0], &all(8)));
		assert_ok!(answer(BOB, 1, 0, &provers[1], &all(8)));
		assert_eq!(
			take_events(),
			vec![
				opening_failed(0, 0, 0, OpeningError::WrongProduct),
				opening_failed(1, 0, 0, OpeningError::WrongProduct),
			]
		);
		// Each faulty answer is told as fraud in its own block, and its check closed.
		assert_eq!(verdict(0, 0), fraud_at(DRAW));
		assert_eq!(verdict(1, 0), fraud_at(DRAW));
		assert!(Checks::<Test>::get(0, 0).is_none() && Checks::<Test>::get(1, 0).is_none());
	});
}

/// `TALL`'s right output with row `row` made up, its commitment, and the positions the draw
/// at [`DRAW`] gives job 0 with it.
fn with_wrong_row(job: &MatMul, row: u32) -> (Vec<i32>, H256, Vec<(u32, u32)>) {
	let n = job.dims.n as usize;
	let mut c = job.c();
	for x in &mut c[row as usize * n..(row as usize + 1) * n] {
		*x = x.wrapping_add(1);
	}
	let output = commit_output(job.dims, &c).unwrap();
	let positions = expected_positions(DRAW, 0, 0, &output, job.dims, SPOT_CHECK_SAMPLES);
	(c, output, positions)
}

// A provider that skips 1% of the work (one row of 100) and makes that row up is caught
// only when a sample falls in the row: with 8 samples, with probability 1 - 0.99^8, about
// 7.7%. The check is probabilistic; what makes skipping not pay is that the slash of the
// whole bond outweighs the 1% saved many times over (docs/protocol.md, "Economics"). The
// two tests below pick a row the draw does, and one it does not, sample: the provider
// commits to its output before the draw, and the draw depends on that output, so the row
// is found by trying rows until the draw for the resulting commitment hits it (or misses).

#[test]
fn a_wrong_row_is_caught_when_a_sample_falls_in_it() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(TALL, 5);
		let (row, c, output, positions) = (0..TALL.m)
			.find_map(|row| {
				let (c, output, positions) = with_wrong_row(&job, row);
				positions.iter().any(|(i, _)| *i == row).then_some((row, c, output, positions))
			})
			.expect("some row is sampled");
		let prover = job.prover(&c);
		assert_eq!(prover.output_commitment(), output);
		submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
		run_to_block(DRAW);
		assert_eq!(drawn(0, 0), positions);
		take_events();

		assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
		let first_hit = positions.iter().position(|(i, _)| *i == row).expect("sampled") as u32;
		assert_eq!(
			take_events(),
			vec![opening_failed(0, 0, first_hit, OpeningError::WrongProduct)]
		);
		assert_eq!(verdict(0, 0), fraud_at(DRAW));
	});
}

#[test]
fn a_wrong_row_no_sample_falls_in_goes_unnoticed() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(TALL, 5);
		let (row, c, positions) = (0..TALL.m)
			.find_map(|row| {
				let (c, _, positions) = with_wrong_row(&job, row);
				positions.iter().all(|(i, _)| *i != row).then_some((row, c, positions))
			})
			.expect("some row is not sampled");
		assert_ne!(c, job.c());
		let prover = job.prover(&c);
		submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
		run_to_block(DRAW);
		assert_eq!(drawn(0, 0), positions);
		assert!(drawn(0, 0).iter().all(|(i, _)| *i != row));
		take_events();

		// Every sampled position is right: the receipt passes.
		assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
		assert_eq!(take_events(), vec![Event::SpotCheckPassed { job: 0, replica: 0 }]);
		assert_eq!(verdict(0, 0), accepted_at(DRAW));
	});
}

#[test]
fn withheld_openings_are_fraud() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		let spec = job.spec(Verification::SpotCheck);
		// Job 0 is not answered at all, job 1 only in part.
		submit(0, 0, ALICE, &spec, &job.receipt(&prover));
		submit(1, 0, ALICE, &spec, &job.receipt(&prover));
		run_to_block(DRAW);
		take_events();
		assert_ok!(answer(ALICE, 1, 0, &prover, &[0, 1, 2, 3, 4, 5, 6]));
		assert!(take_events().is_empty());

		let respond_by = DRAW + RESPONSE_WINDOW;
		run_to_block(respond_by);
		assert!(take_events().is_empty());
		assert_eq!(verdict(0, 0), None);
		assert_eq!(verdict(1, 0), None);
		run_to_block(respond_by + 1);
		// Both looks are due in this block; the hook makes them in its agenda's storage
		// order, not by job.
		let events = take_events();
		assert_eq!(events.len(), 2);
		for job in 0..2 {
			assert!(events.contains(&Event::SpotCheckFailed {
				job,
				replica: 0,
				fault: Fault::Withheld
			}));
		}
		assert_eq!(verdict(0, 0), fraud_at(respond_by + 1));
		assert_eq!(verdict(1, 0), fraud_at(respond_by + 1));
	});
}

#[test]
fn an_opening_of_another_position_is_rejected() {
	ExtBuilder::default().build_and_execute(|| {
		let seeded = MatMul::seeded(SMALL, 1);
		let content = MatMul::content(SMALL, 2);
		submit(
			0,
			0,
			ALICE,
			&seeded.spec(Verification::SpotCheck),
			&seeded.receipt(&seeded.honest()),
		);
		submit(
			1,
			0,
			ALICE,
			&content.spec(Verification::SpotCheck),
			&content.receipt(&content.honest()),
		);
		run_to_block(DRAW);
		take_events();

		// Sample 0 answered with the (right) opening of the same column one row down.
		let elsewhere = |job: JobId| {
			let (i, j) = drawn(job, 0)[0];
			((i + 1) % SMALL.m, j)
		};
		let wrong = |prover: &Prover, job| {
			BoundedVec::try_from(vec![(0, prover.open(elsewhere(job)).unwrap())]).unwrap()
		};
		let seeded_prover = seeded.honest();
		assert_ok!(Proofs::respond(
			signed(worker_of(ALICE)),
			0,
			0,
			seeded_prover.roots(),
			wrong(&seeded_prover, 0)
		));
		let content_prover = content.honest();
		assert_ok!(Proofs::respond(
			signed(worker_of(ALICE)),
			1,
			0,
			content_prover.roots(),
			wrong(&content_prover, 1)
		));
		// Seed inputs: the chunk is not on the path of the sampled leaf. Committed inputs:
		// the row of A is checked first, and it is not the sampled row.
		assert_eq!(
			take_events(),
			vec![
				opening_failed(0, 0, 0, OpeningError::BadOutputPath),
				opening_failed(1, 0, 0, OpeningError::BadRowPath),
			]
		);
		assert_eq!(verdict(0, 0), fraud_at(DRAW));
		assert_eq!(verdict(1, 0), fraud_at(DRAW));
	});
}

#[test]
fn a_receipt_copied_from_another_job_cannot_be_opened() {
	ExtBuilder::default().build_and_execute(|| {
		// Job 0 is computed honestly; its output commitment is then submitted as the
		// receipt of job 1 (same dimensions, another seed).
		let original = MatMul::seeded(SMALL, 1);
		let other = MatMul::seeded(SMALL, 2);
		let prover = original.honest();
		let copied = original.receipt(&prover);
		submit(0, 0, ALICE, &original.spec(Verification::SpotCheck), &copied);
		submit(1, 0, ALICE, &other.spec(Verification::SpotCheck), &copied);
		// With inputs given by content: job 3's receipt is job 2's. Answered with job 2's
		// roots, or with job 3's input trees and job 2's C.
		let content_original = MatMul::content(SMALL, 3);
		let content_other = MatMul::content(SMALL, 4);
		let content_prover = content_original.honest();
		let content_copied = content_original.receipt(&content_prover);
		submit(2, 0, BOB, &content_other.spec(Verification::SpotCheck), &content_copied);
		submit(3, 0, BOB, &content_other.spec(Verification::SpotCheck), &content_copied);
		let mixed = content_other.prover(&content_original.c());
		assert_eq!(mixed.output_commitment(), content_copied.output_commitment);
		run_to_block(DRAW);
		take_events();

		assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
		assert_ok!(answer(ALICE, 1, 0, &prover, &all(8)));
		assert_ok!(answer(BOB, 2, 0, &content_prover, &all(8)));
		assert_ok!(answer(BOB, 3, 0, &mixed, &all(8)));
		assert_eq!(
			take_events(),
			vec![
				Event::SpotCheckPassed { job: 0, replica: 0 },
				opening_failed(1, 0, 0, OpeningError::WrongProduct),
				Event::SpotCheckFailed {
					job: 2,
					replica: 0,
					fault: Fault::Roots(OpeningError::WrongInputRoots)
				},
				opening_failed(3, 0, 0, OpeningError::WrongProduct),
			]
		);
		assert_eq!(verdict(0, 0), accepted_at(DRAW));
		for job in 1..=3 {
			assert_eq!(verdict(job, 0), fraud_at(DRAW));
		}
	});
}

#[test]
fn wrong_roots_are_fraud() {
	ExtBuilder::default().build_and_execute(|| {
		let seeded = MatMul::seeded(SMALL, 1);
		let content = MatMul::content(SMALL, 2);
		let spec = content.spec(Verification::SpotCheck);
		submit(
			0,
			0,
			ALICE,
			&seeded.spec(Verification::SpotCheck),
			&seeded.receipt(&seeded.honest()),
		);
		submit(1, 0, ALICE, &spec, &content.receipt(&content.honest()));
		submit(2, 0, ALICE, &spec, &content.receipt(&content.honest()));
		run_to_block(DRAW);
		take_events();

		let respond = |job: JobId, prover: &Prover, change: fn(&mut tessera_commitment::Roots)| {
			let mut roots = prover.roots();
			change(&mut roots);
			let openings = openings(prover, &drawn(job, 0), &all(8));
			Proofs::respond(signed(worker_of(ALICE)), job, 0, roots, openings)
		};
		// Another C root; no input roots for committed inputs; other input roots.
		assert_ok!(respond(0, &seeded.honest(), |r| r.output = H256::zero()));
		assert_ok!(respond(1, &content.honest(), |r| r.inputs = None));
		assert_ok!(respond(2, &content.honest(), |r| r.inputs = Some((H256::zero(), H256::zero()))));
		let roots_failed =
			|job, error| Event::SpotCheckFailed { job, replica: 0, fault: Fault::Roots(error) };
		assert_eq!(
			take_events(),
			vec![
				roots_failed(0, OpeningError::WrongOutputRoot),
				roots_failed(1, OpeningError::MissingInputs),
				roots_failed(2, OpeningError::WrongInputRoots),
			]
		);
		for job in 0..=2 {
			assert_eq!(verdict(job, 0), fraud_at(DRAW));
		}
	});
}

#[test]
fn respond_refuses_unknown_checks_and_strangers() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
		run_to_block(DRAW);
		let positions = drawn(0, 0);
		let respond = |who, job, replica| {
			Proofs::respond(
				signed(who),
				job,
				replica,
				prover.roots(),
				openings(&prover, &positions, &[0]),
			)
		};
		assert_noop!(respond(worker_of(ALICE), 1, 0), Error::<Test>::UnknownCheck);
		assert_noop!(respond(worker_of(ALICE), 0, 1), Error::<Test>::UnknownCheck);
		// Another provider's worker, the provider's own (cold) account, nobody.
		assert_noop!(respond(worker_of(BOB), 0, 0), Error::<Test>::NotProvidersWorker);
		assert_noop!(respond(ALICE, 0, 0), Error::<Test>::NotProvidersWorker);
		assert_noop!(respond(NOBODY, 0, 0), Error::<Test>::NotProvidersWorker);
		assert_noop!(
			Proofs::respond(
				RuntimeOrigin::none(),
				0,
				0,
				prover.roots(),
				openings(&prover, &positions, &[0])
			),
			DispatchError::BadOrigin
		);
		assert_ok!(respond(worker_of(ALICE), 0, 0));
	});
}

#[test]
fn respond_refuses_before_the_draw_after_the_decision_and_after_the_window() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		let spec = job.spec(Verification::SpotCheck);
		submit(0, 0, ALICE, &spec, &job.receipt(&prover));
		submit(1, 0, ALICE, &spec, &job.receipt(&prover));
		let any = || openings(&prover, &[(0, 0)], &[0]);
		let respond =
			|job| Proofs::respond(signed(worker_of(ALICE)), job, 0, prover.roots(), any());

		// Before the draw: nothing to answer yet.
		assert_noop!(respond(0), Error::<Test>::NotSampling);
		run_to_block(DRAW - 1);
		assert_noop!(respond(0), Error::<Test>::NotSampling);
		run_to_block(DRAW);

		// Once decided, a check takes no more answers: it was told and closed at once, so
		// there is no check left to answer.
		assert_ok!(answer(ALICE, 0, 0, &prover, &all(8)));
		assert_eq!(verdict(0, 0), accepted_at(DRAW));
		assert_noop!(respond(0), Error::<Test>::UnknownCheck);

		// This pallet's hook is behind and looks at job 1 late: the window still closes at
		// `respond_by`.
		let respond_by = DRAW + RESPONSE_WINDOW;
		MockJobs::postpone(1, 0, respond_by + 3);
		run_to_block(respond_by);
		assert_ok!(answer(ALICE, 1, 0, &prover, &[0]));
		run_to_block(respond_by + 1);
		assert_noop!(answer(ALICE, 1, 0, &prover, &[1]), Error::<Test>::ResponseClosed);
		take_events();
		run_to_block(respond_by + 3);
		assert_eq!(
			take_events(),
			vec![Event::SpotCheckFailed { job: 1, replica: 0, fault: Fault::Withheld }]
		);
		assert_eq!(verdict(0, 0), accepted_at(DRAW));
		assert_eq!(verdict(1, 0), fraud_at(respond_by + 3));
	});
}

#[test]
fn respond_refuses_unknown_and_repeated_samples() {
	ExtBuilder::default().build_and_execute(|| {
		let job = MatMul::seeded(SMALL, 1);
		let prover = job.honest();
		submit(0, 0, ALICE, &job.spec(Verification::SpotCheck), &job.receipt(&prover));
		run_to_block(DRAW);
		let positions = drawn(0, 0);
		let opening = |s: usize| prover.open(positions[s]).unwrap();
		let respond = |openings: Vec<(u32, Opening)>| {
			Proofs::respond(
				signed(worker_of(ALICE)),
				0,
				0,
				prover.roots(),
				BoundedVec::try_from(openings).unwrap(),
			)
		};
		assert_noop!(respond(vec![(8, opening(0))]), Error::<Test>::UnknownSample);
		assert_noop!(
			respond(vec![(0, opening(0)), (31, opening(0))]),
			Error::<Test>::UnknownSample
		);
		assert_noop!(
			respond(vec![(0, opening(0)), (0, opening(0))]),
			Error::<Test>::AlreadyAnswered
		);
		assert_ok!(respond(vec![(0, opening(0)), (1, opening(1))]));
		assert_noop!(
			respond(vec![(2, opening(2)), (1, opening(1))]),
			Error::<Test>::AlreadyAnswered
		);
		assert_ok!(answer(ALICE, 0, 0, &prover, &[2, 3, 4, 5, 6, 7]));
		assert_eq!(verdict(0, 0), accepted_at(DRAW));
		assert!(Checks::<Test>::get(0, 0).is_none());
	});
}
