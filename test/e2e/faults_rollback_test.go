package e2e

// ftRollbackCells are the fault matrix's cells of `zdcd-release rollback --confirm APP` (see
// faults_test.go for the matrix).
func ftRollbackCells() []ftCell {
	return []ftCell{}
}
