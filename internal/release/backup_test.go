package release

import "testing"

func TestBackupNumber(t *testing.T) {
	for in, want := range map[string]int{"b005": 5, "a012": 12, "b1234": 1234, "x": 0, "005": 0, "b": 0} {
		got, err := backupNumber(in)
		if got != want || (want == 0) != (err != nil) {
			t.Errorf("backupNumber(%q) = %d, %v", in, got, err)
		}
	}
}
