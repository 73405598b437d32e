package buildpack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the repository, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// copyBuildpack copies the buildpack (bin/ and buildpack/) into a temporary directory, the way
// Heroku checks it out for a build: compile writes its `export` file there, and tests may change
// the pinned release of the copy.
func copyBuildpack(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	root := repoRoot(t)
	for _, dir := range []string{"bin", "buildpack"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			return copyFile(path, filepath.Join(dst, rel), info.Mode().Perm())
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// fakeVersion is what the fake zdcd-release prints for `version`.
const fakeVersion = "zdcd-release 9.9.9-test"

// fakeBinary writes a tiny zdcd-release that answers `version` and fails otherwise.
func fakeBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "zdcd-release")
	script := "#!/bin/sh\n[ \"$1\" = version ] || { echo \"fake zdcd-release: $*\" >&2; exit 3; }\necho '" + fakeVersion + "'\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// result is one run of a script.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) output() string { return r.stdout + r.stderr }

// run runs a buildpack script (or any program) with a minimal environment, as a build would.
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "STACK=heroku-24", "TMPDIR=" + t.TempDir()}, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// makeArchive packs binary as release version for this machine's architecture into outdir with
// buildpack/dist.sh, exactly as `make dist` does, and returns the archive's path and SHA-256.
func makeArchive(t *testing.T, binary, version, outdir string) (string, string) {
	t.Helper()
	r := run(t, nil, filepath.Join(repoRoot(t), "buildpack", "dist.sh"), "archive", binary, version, runtime.GOARCH, outdir)
	if r.code != 0 {
		t.Fatalf("dist.sh archive: exit %d\n%s", r.code, r.output())
	}
	path := strings.TrimSpace(r.stdout)
	return path, sha256File(t, path)
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// build is one app build: the three directories bin/compile gets.
type build struct {
	bp, buildDir, cacheDir, envDir string
}

// newBuild prepares a Django app (manage.py), an empty cache and config vars in ENV_DIR.
func newBuild(t *testing.T, vars map[string]string) build {
	t.Helper()
	b := build{bp: copyBuildpack(t), buildDir: t.TempDir(), cacheDir: t.TempDir(), envDir: t.TempDir()}
	writeFile(t, filepath.Join(b.buildDir, "manage.py"), "# Django\n")
	for name, value := range vars {
		writeFile(t, filepath.Join(b.envDir, name), value)
	}
	return b
}

func (b build) compile(t *testing.T) result {
	t.Helper()
	return run(t, nil, filepath.Join(b.bp, "bin", "compile"), b.buildDir, b.cacheDir, b.envDir)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cacheFiles lists the files under CACHE_DIR.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
