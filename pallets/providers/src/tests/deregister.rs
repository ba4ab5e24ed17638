//! Deregistering.

use super::*;

#[test]
fn deregister_removes_everything() {
	ExtBuilder::default().bond(ALICE, bond_for(1)).build_and_execute(|| {
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NotRegistered
		);
		register(ALICE, 5);
		assert_ok!(Providers::job_assigned(&ALICE));
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::JobsActive
		);
		assert_ok!(Providers::job_released(&ALICE));
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		System::assert_last_event(
			Event::Deregistered { provider: ALICE, deposit: REGISTRATION_DEPOSIT }.into(),
		);
		assert!(crate::Providers::<Test>::get(ALICE).is_none());
		assert!(crate::Workers::<Test>::get(worker_of(ALICE)).is_none());
		assert_eq!(crate::PriceIndex::<Test>::iter().count(), 0);
		assert_eq!(crate::LivenessDeadlines::<Test>::iter().count(), 0);
		assert_eq!(crate::ProviderCount::<Test>::get(), 0);
		// The worker key and the account are free again.
		register(ALICE, 5);
	});
}
