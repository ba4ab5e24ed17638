//! `cancel`: a queued job back to its client.

use super::*;

#[test]
fn refunds_a_queued_job_in_full() {
	ExtBuilder::default().build_and_execute(|| {
		let id = post(CLIENT, spec());
		take_events();
		assert_ok!(Jobs::cancel(signed(CLIENT), id));
		assert_eq!(
			take_events(),
			vec![Event::Closed { job: id, state: JobState::Cancelled, refund: ESCROW, deposit: 0 }]
		);
		assert_eq!(held(CLIENT), 0);
		assert_eq!(free(CLIENT), INITIAL);
		assert_eq!(stats(), JobStats { cancelled: 1, ..Default::default() });
		assert!(Queue::<Test>::get().is_empty());
		assert_eq!(timeouts_at(DEADLINE + 1), 0);
		assert_eq!(job(id).state, JobState::Cancelled);
		assert_eq!(job(id).escrow, 0);
		// Nothing happens at the old deadline.
		run_to_block(DEADLINE + 2);
		assert!(take_events().is_empty());
		assert_eq!(free(CLIENT), INITIAL);
	});
}

#[test]
fn refusals() {
	ExtBuilder::market().build_and_execute(|| {
		assert_noop!(Jobs::cancel(signed(CLIENT), 7), Error::<Test>::UnknownJob);
		// Active: assigned at once.
		let active = post(CLIENT, spec());
		assert_noop!(Jobs::cancel(signed(CLIENT), active), Error::<Test>::NotQueued);
		// Queued: three replicas at up to 6.
		let queued = post(
			CLIENT,
			spec_with(|s| {
				s.replicas = 3;
				s.max_price_per_unit = 6;
			}),
		);
		assert_noop!(Jobs::cancel(signed(CLIENT2), queued), Error::<Test>::NotClient);
		assert_noop!(Jobs::cancel(signed(worker_of(ALICE)), queued), Error::<Test>::NotClient);
		assert_ok!(Jobs::cancel(signed(CLIENT), queued));
		assert_noop!(Jobs::cancel(signed(CLIENT), queued), Error::<Test>::NotQueued);
		assert_eq!(held(CLIENT), ESCROW);
	});
}

#[test]
fn an_expired_job_cannot_be_cancelled() {
	ExtBuilder::default().build_and_execute(|| {
		let id = post(CLIENT, spec());
		run_to_block(DEADLINE + 1);
		assert_eq!(job(id).state, JobState::Expired);
		assert_noop!(Jobs::cancel(signed(CLIENT), id), Error::<Test>::NotQueued);
	});
}
