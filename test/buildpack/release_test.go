package buildpack

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestProcfileCheck(t *testing.T) {
	const line = "release: zdcd-release release"
	tests := []struct {
		name     string
		procfile *string
		warning  string // "" when none
	}{
		{"no Procfile", nil, " !     No Procfile: zdcd-release will not run in the release phase."},
		{"no release entry", ptr("web: gunicorn mysite.wsgi\n"), " !     Your Procfile has no release phase"},
		{"another release command", ptr("release: python manage.py migrate\nweb: gunicorn mysite.wsgi\n"), " !     Your Procfile's release phase does not run zdcd-release."},
		{"zdcd release", ptr("web: gunicorn mysite.wsgi\nrelease: zdcd-release release\n"), ""},
		{"zdcd release with flags, CRLF, no final newline", ptr("release:   zdcd-release release --project-dir src\r\nweb: gunicorn x"), ""},
		{"zdcd check is not the release", ptr("release: zdcd-release check\n"), " !     Your Procfile's release phase does not run zdcd-release."},
	}
	archive, sum := makeArchive(t, fakeBinary(t), "9.9.9", t.TempDir())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuild(t, map[string]string{"ZDCD_BINARY_URL": "file://" + archive, "ZDCD_BINARY_SHA256": sum})
			if tt.procfile != nil {
				writeFile(t, filepath.Join(b.buildDir, "Procfile"), *tt.procfile)
			}
			r := b.compile(t)
			if r.code != 0 {
				t.Fatalf("a Procfile problem must warn, not fail: exit %d\n%s", r.code, r.output())
			}
			if tt.warning == "" {
				if r.stderr != "" {
					t.Errorf("unexpected warning:\n%s", r.stderr)
				}
				if !strings.Contains(r.stdout, "       Procfile release phase: zdcd-release release") {
					t.Errorf("stdout does not confirm the release phase:\n%s", r.stdout)
				}
				return
			}
			if !strings.Contains(r.stderr, tt.warning) || !strings.Contains(r.stderr, " !         "+line+"\n") {
				t.Errorf("stderr lacks %q and the exact line %q:\n%s", tt.warning, line, r.stderr)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestRelease(t *testing.T) {
	r := run(t, nil, filepath.Join(repoRoot(t), "bin", "release"), t.TempDir())
	if r.code != 0 || r.stdout != "--- {}\n" || r.stderr != "" {
		t.Fatalf("bin/release: exit %d, stdout %q, stderr %q; want exit 0, stdout %q", r.code, r.stdout, r.stderr, "--- {}\n")
	}
}

func TestPlatformArch(t *testing.T) {
	lib := filepath.Join(repoRoot(t), "buildpack", "lib")
	tests := []struct{ machine, arch string }{
		{"x86_64", "amd64"},
		{"aarch64", "arm64"},
		{"armv7l", ""},
	}
	for _, tt := range tests {
		t.Run(tt.machine, func(t *testing.T) {
			r := run(t, nil, "bash", "-c", `set -euo pipefail; source "$0/output.sh"; source "$0/platform.sh"; platform::arch_of "$1"`, lib, tt.machine)
			if got := strings.TrimSpace(r.stdout); got != tt.arch || (r.code == 0) != (tt.arch != "") {
				t.Errorf("platform::arch_of %s: %q, exit %d; want %q", tt.machine, got, r.code, tt.arch)
			}
		})
	}
}

// TestArchiveLayout checks what `make dist` writes (through buildpack/dist.sh) is what bin/compile
// reads: zdcd-release at the root, executable, root-owned, reproducible, listed in SHA256SUMS.
func TestArchiveLayout(t *testing.T) {
	binary := fakeBinary(t)
	out := t.TempDir()
	path, sum := makeArchive(t, binary, "1.2.3", out)
	if want := "zdcd-release-1.2.3-linux-"; !strings.HasPrefix(filepath.Base(path), want) || !strings.HasSuffix(path, ".tar.gz") {
		t.Fatalf("archive %s, want %s<arch>.tar.gz", path, want)
	}
	_, again := makeArchive(t, binary, "1.2.3", t.TempDir())
	if again != sum {
		t.Errorf("dist.sh archive is not reproducible: %s then %s", sum, again)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	members := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		members[h.Name] = h
	}
	h := members["zdcd-release"]
	if h == nil {
		t.Fatalf("no zdcd-release at the archive's root: %v", members)
	}
	if h.Mode&0o777 != 0o755 || h.Uid != 0 || h.Gid != 0 {
		t.Errorf("zdcd-release: mode %o uid %d gid %d, want 755 0 0", h.Mode&0o777, h.Uid, h.Gid)
	}
	for name := range members {
		if name != "zdcd-release" && name != "LICENSE" && name != "README.md" {
			t.Errorf("unexpected member %q", name)
		}
	}

	if r := run(t, nil, filepath.Join(repoRoot(t), "buildpack", "dist.sh"), "sums", out); r.code != 0 {
		t.Fatalf("dist.sh sums: exit %d\n%s", r.code, r.output())
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if want := sum + "  " + filepath.Base(path) + "\n"; string(sums) != want {
		t.Errorf("SHA256SUMS %q, want %q", sums, want)
	}
}

// TestPinnedRelease checks the pin: buildpack/VERSION and buildpack/SHA256SUMS agree and list
// both architectures.
func TestPinnedRelease(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "buildpack")
	version, err := os.ReadFile(filepath.Join(dir, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(version))
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(v) {
		t.Fatalf("buildpack/VERSION %q is not a version without its v", v)
	}
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^[0-9a-f]{64}  zdcd-release-(.+)-linux-(amd64|arm64)\.tar\.gz$`)
	arches := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil || m[1] != v {
			t.Errorf("buildpack/SHA256SUMS line %q is not `<sha256>  zdcd-release-%s-linux-<arch>.tar.gz`", l, v)
			continue
		}
		arches[m[2]] = true
	}
	if !arches["amd64"] || !arches["arm64"] {
		t.Errorf("buildpack/SHA256SUMS lists %v, want amd64 and arm64", arches)
	}
}

// TestShellcheck keeps every buildpack script shellcheck-clean, tracked by git or not yet.
func TestShellcheck(t *testing.T) {
	root := repoRoot(t)
	scripts, err := filepath.Glob(filepath.Join(root, "bin", "*"))
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(filepath.Join(root, "buildpack"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".sh") {
			scripts = append(scripts, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-x"}
	for _, s := range scripts {
		rel, err := filepath.Rel(root, s)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, rel)
	}
	cmd := exec.Command("shellcheck", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("shellcheck %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
