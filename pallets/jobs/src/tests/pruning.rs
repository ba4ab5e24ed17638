//! Pruning: a closed job's record and its client's index entry go `JobRetention` blocks after
//! it closed, a bounded number a block, none skipped; open jobs stay.

use super::*;
use crate::pallet::{PruneCursor, Prunes};

fn exists(id: JobId) -> bool {
	crate::pallet::Jobs::<Test>::contains_key(id)
}

#[test]
fn a_closed_job_is_kept_for_the_retention_then_pruned_with_its_index() {
	ExtBuilder::market().build_and_execute(|| {
		let id = post(CLIENT, spec());
		ack(ALICE, id, 0);
		submit(ALICE, id, 0, 60);
		run_to_block(2);
		assert_ok!(Jobs::accept(signed(CLIENT), id, 0));
		assert_eq!(job(id).closed_at, Some(2));
		assert!(Prunes::<Test>::contains_key(2 + JOB_RETENTION, id));
		take_events();

		// Readable by the runtime API until then.
		run_to_block(2 + JOB_RETENTION - 1);
		assert_eq!(Jobs::job_record(id).map(|job| job.state), Some(JobState::Completed));
		assert_eq!(Jobs::client_jobs_page(&CLIENT, None, 10), vec![id]);
		assert!(take_events().is_empty());

		run_to_block(2 + JOB_RETENTION);
		assert_eq!(take_events(), vec![Event::JobPruned { job: id }]);
		assert!(!exists(id));
		assert_eq!(Jobs::job_record(id), None);
		assert!(!ClientJobs::<Test>::contains_key(CLIENT, id));
		assert!(Jobs::client_jobs_page(&CLIENT, None, 10).is_empty());
		assert_eq!(ProviderJobs::<Test>::iter().count(), 0);
		assert_eq!(Prunes::<Test>::iter().count(), 0);
		assert_eq!(Timeouts::<Test>::iter().count(), 0);
		// The counters keep the job as completed, and count it as pruned.
		assert_eq!(stats(), JobStats { completed: 1, pruned: 1, ..Default::default() });
		assert_eq!(Jobs::jobs_posted(), 1);
		// Pruning moves no money.
		assert_eq!(free(CLIENT), INITIAL - 300 - fee_on(300));
	});
}

#[test]
fn open_jobs_are_never_pruned() {
	ExtBuilder::default().build_and_execute(|| {
		let queued = post(CLIENT, spec_with(|s| s.deadline = 3 * JOB_RETENTION));
		let closed = post(CLIENT, spec());
		assert_ok!(Jobs::cancel(signed(CLIENT), closed));
		run_to_block(2 * JOB_RETENTION);
		assert!(!exists(closed));
		assert_eq!(job(queued).state, JobState::Queued);
		assert!(ClientJobs::<Test>::contains_key(CLIENT, queued));
		assert_eq!(Queue::<Test>::get().to_vec(), vec![queued]);
	});
}

#[test]
fn pruning_is_bounded_per_block_and_skips_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		// Five jobs closed in block 1 (the queue holds four at once).
		let mut ids = Vec::new();
		for _ in 0..5 {
			let id = post(CLIENT, spec());
			assert_ok!(Jobs::cancel(signed(CLIENT), id));
			ids.push(id);
		}
		let due = 1 + JOB_RETENTION;
		assert_eq!(Prunes::<Test>::iter_prefix(due).count(), 5);
		run_to_block(due - 1);
		assert!(ids.iter().all(|id| exists(*id)));
		let pruned_at = |n: BlockNumber| {
			run_to_block(n);
			ids.iter().filter(|id| !exists(**id)).count()
		};
		assert_eq!(pruned_at(due), MAX_PRUNES_PER_BLOCK as usize);
		assert_eq!(PruneCursor::<Test>::get(), due);
		assert_eq!(pruned_at(due + 1), 2 * MAX_PRUNES_PER_BLOCK as usize);
		assert_eq!(pruned_at(due + 2), 5);
		assert_eq!(stats().pruned, 5);
		assert_eq!(stats().cancelled, 5);
	});
}

#[test]
fn the_hook_charges_what_it_pruned() {
	ExtBuilder::default().build_and_execute(|| {
		use crate::WeightInfo;
		let id = post(CLIENT, spec());
		assert_ok!(Jobs::cancel(signed(CLIENT), id));
		run_to_block(JOB_RETENTION);
		let due = 1 + JOB_RETENTION;
		System::set_block_number(due);
		let weight = Jobs::on_initialize(due);
		assert_eq!(
			weight,
			<() as WeightInfo>::on_initialize_timeouts(0)
				.saturating_add(<() as WeightInfo>::on_initialize_queue(0))
				.saturating_add(<() as WeightInfo>::on_initialize_prune(1))
		);
		assert!(!exists(id));
	});
}
