// Package buildpack runs the buildpack's scripts for real, on temporary build directories.
package buildpack

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestDetect(t *testing.T) {
	detect, err := filepath.Abs("../../bin/detect")
	if err != nil {
		t.Fatal(err)
	}
	django := t.TempDir()
	if err := os.WriteFile(filepath.Join(django, "manage.py"), []byte("# Django\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		buildDir string
		code     int
		stdout   string
	}{
		{"Django project", django, 0, "zdcd\n"},
		{"not a Django project", t.TempDir(), 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(detect, tt.buildDir)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			out, err := cmd.Output()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code || string(out) != tt.stdout {
				t.Fatalf("bin/detect: exit %d, stdout %q; want exit %d, stdout %q", code, out, tt.code, tt.stdout)
			}
		})
	}
}
