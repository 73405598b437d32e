package e2e

// ftNightlyCells are the fault matrix's cells of `zdcd-release nightly`: the Scheduler job that
// deploys a refused release in the maintenance window (see faults_test.go for the matrix).
func ftNightlyCells() []ftCell {
	return []ftCell{
		{
			step: "nightly: maintenance on", fault: "PATCH app answers 503, persistently",
			command: "nightly", version: ntUnsafe, arrange: ftPatchApp(503),
			exit: 3, outcome: "failed", workers: 2,
			output: []string{"Nothing was released: maintenance mode could not be switched on"},
			note:   "nothing released; the app is brought back and the approvals revoked",
		},
		{
			step: "nightly: release phase", fault: "a migration fails after the unsafe one; the release phase restores",
			command: "nightly", version: ftNightly,
			exit: 3, outcome: "restored", workers: 2, restored: true,
			output: []string{"ended restored: the database was restored from", "Maintenance mode off."},
			note:   "maintenance mode is on before the release phase's backup: the restore loses no write",
		},
	}
}
