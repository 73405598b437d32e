package buildpack

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// verifiedBuild is a build whose ZDCD_BINARY_URL is a file:// archive of binary, with its SHA-256.
func verifiedBuild(t *testing.T, binary string) (build, string) {
	t.Helper()
	archive, sum := makeArchive(t, binary, "9.9.9", t.TempDir())
	return newBuild(t, map[string]string{"ZDCD_BINARY_URL": "file://" + archive, "ZDCD_BINARY_SHA256": sum + "\n"}), archive
}

func TestCompileInstallsOnSlug(t *testing.T) {
	b, archive := verifiedBuild(t, fakeBinary(t))
	r := b.compile(t)
	if r.code != 0 {
		t.Fatalf("bin/compile: exit %d\n%s", r.code, r.output())
	}
	for _, want := range []string{
		"-----> zdcd: installing zdcd-release (linux-" + runtime.GOARCH + ")\n",
		"       Downloading file://" + archive + "\n",
		"       SHA-256 verified: ",
		"       Installed .zdcd/bin/zdcd-release (" + fakeVersion + ")\n",
		"       Added .zdcd/bin to PATH (.profile.d/zdcd.sh)\n",
		"-----> zdcd: checking the Procfile's release phase\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	bin := filepath.Join(b.buildDir, ".zdcd", "bin", "zdcd-release")
	info, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o755 {
		t.Errorf("%s: mode %v, want 0755", bin, info.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(b.buildDir, "bin")); !os.IsNotExist(err) {
		t.Errorf("the app's own bin/ was touched: %v", err)
	}
	profile, err := os.ReadFile(filepath.Join(b.buildDir, ".profile.d", "zdcd.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(profile), `export PATH="$HOME/.zdcd/bin:$PATH"`) || strings.Contains(string(profile), b.buildDir) {
		t.Errorf(".profile.d/zdcd.sh must prepend $HOME/.zdcd/bin and name no build path:\n%s", profile)
	}
	export, err := os.ReadFile(filepath.Join(b.bp, "export"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "export PATH=" + b.buildDir + "/.zdcd/bin:\"$PATH\"\n"; string(export) != want {
		t.Errorf("export file for later buildpacks: %q, want %q", export, want)
	}
}

// dynoRun runs command the way a dyno starts, the release dyno included: a login shell with
// HOME at the slug that sources every .profile.d/*.sh before the command.
func dynoRun(t *testing.T, slug, command string) result {
	t.Helper()
	script := `for f in "$HOME"/.profile.d/*.sh; do . "$f"; done; ` + command
	return run(t, []string{"HOME=" + slug}, "bash", "-lc", script)
}

func TestProfileDPutsBinaryOnPath(t *testing.T) {
	b, _ := verifiedBuild(t, fakeBinary(t))
	if r := b.compile(t); r.code != 0 {
		t.Fatalf("bin/compile: exit %d\n%s", r.code, r.output())
	}
	r := dynoRun(t, b.buildDir, "command -v zdcd-release && zdcd-release version")
	want := filepath.Join(b.buildDir, ".zdcd", "bin", "zdcd-release") + "\n" + fakeVersion + "\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("dyno: exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
	}
}

// TestCompileRealBinary installs the real zdcd-release and runs it in a dyno.
func TestCompileRealBinary(t *testing.T) {
	binary := filepath.Join(t.TempDir(), "zdcd-release")
	cmd := exec.Command("go", "build", "-o", binary, "./cmd/zdcd-release")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	b, _ := verifiedBuild(t, binary)
	if r := b.compile(t); r.code != 0 {
		t.Fatalf("bin/compile: exit %d\n%s", r.code, r.output())
	}
	r := dynoRun(t, b.buildDir, "zdcd-release version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "zdcd-release ") {
		t.Fatalf("zdcd-release version in a dyno: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestCompileUsesCache(t *testing.T) {
	b, archive := verifiedBuild(t, fakeBinary(t))
	if r := b.compile(t); r.code != 0 || !strings.Contains(r.stdout, "Downloading") {
		t.Fatalf("first bin/compile: exit %d\n%s", r.code, r.output())
	}
	if files := cacheFiles(t, b.cacheDir); len(files) != 1 {
		t.Fatalf("cache after the first build: %v, want one archive", files)
	}
	// The source is gone: the second build can only succeed from the cache.
	if err := os.Remove(archive); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(b.buildDir, ".zdcd")); err != nil {
		t.Fatal(err)
	}
	r := b.compile(t)
	if r.code != 0 {
		t.Fatalf("second bin/compile: exit %d\n%s", r.code, r.output())
	}
	if !strings.Contains(r.stdout, "       Using the archive from the build cache (no download)") || strings.Contains(r.stdout, "Downloading") {
		t.Errorf("second bin/compile must say it used the cache and not download:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(b.buildDir, ".zdcd", "bin", "zdcd-release")); err != nil {
		t.Error(err)
	}

	// A new checksum is a new key: the old entry is not used (the source is gone, so this fails).
	writeFile(t, filepath.Join(b.envDir, "ZDCD_BINARY_SHA256"), strings.Repeat("ab", 32))
	if r := b.compile(t); r.code == 0 || !strings.Contains(r.stderr, " !     Download failed: file://"+archive) {
		t.Errorf("bin/compile with another checksum: exit %d, want a failed download\n%s", r.code, r.output())
	}
}

func TestCompileChecksumMismatch(t *testing.T) {
	archive, sum := makeArchive(t, fakeBinary(t), "9.9.9", t.TempDir())
	wrong := strings.Repeat("0", 63) + "1"
	b := newBuild(t, map[string]string{"ZDCD_BINARY_URL": "file://" + archive, "ZDCD_BINARY_SHA256": wrong})
	r := b.compile(t)
	if r.code == 0 {
		t.Fatalf("bin/compile accepted a checksum mismatch:\n%s", r.output())
	}
	for _, want := range []string{
		" !     Checksum mismatch for file://" + archive + "\n",
		" !     Expected SHA-256 " + wrong + " but the file has " + sum,
		" !     Check the URL and the pinned SHA-256",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(b.buildDir, ".zdcd")); !os.IsNotExist(err) {
		t.Errorf("something was installed after a mismatch: %v", err)
	}
	if files := cacheFiles(t, b.cacheDir); len(files) != 0 {
		t.Errorf("a mismatching archive was cached: %v", files)
	}
}

func TestCompileFileURLWithoutChecksum(t *testing.T) {
	archive, sum := makeArchive(t, fakeBinary(t), "9.9.9", t.TempDir())
	b := newBuild(t, map[string]string{"ZDCD_BINARY_URL": "file://" + archive})
	r := b.compile(t)
	if r.code != 0 {
		t.Fatalf("bin/compile: exit %d\n%s", r.code, r.output())
	}
	for _, want := range []string{"Not verified: no ZDCD_BINARY_SHA256", "Its SHA-256 is " + sum} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if files := cacheFiles(t, b.cacheDir); len(files) != 0 {
		t.Errorf("an unverified archive was cached: %v", files)
	}
}

// TestCompilePinnedRelease runs the default path — the release pinned in buildpack/VERSION and
// buildpack/SHA256SUMS — against a file:// mirror of GitHub's release tree written by dist.sh.
func TestCompilePinnedRelease(t *testing.T) {
	b := newBuild(t, nil)
	mirror := t.TempDir()
	release := filepath.Join(mirror, "v1.2.3")
	makeArchive(t, fakeBinary(t), "1.2.3", release)
	if r := run(t, nil, filepath.Join(repoRoot(t), "buildpack", "dist.sh"), "sums", release); r.code != 0 {
		t.Fatalf("dist.sh sums: exit %d\n%s", r.code, r.output())
	}
	sums, err := os.ReadFile(filepath.Join(release, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(b.bp, "buildpack", "VERSION"), "1.2.3\n")
	writeFile(t, filepath.Join(b.bp, "buildpack", "SHA256SUMS"), string(sums))
	writeFile(t, filepath.Join(b.envDir, "ZDCD_RELEASE_MIRROR"), "file://"+mirror)
	r := b.compile(t)
	if r.code != 0 {
		t.Fatalf("bin/compile: exit %d\n%s", r.code, r.output())
	}
	want := "Downloading file://" + release + "/zdcd-release-1.2.3-linux-" + runtime.GOARCH + ".tar.gz"
	if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "Installed .zdcd/bin/zdcd-release") {
		t.Errorf("stdout lacks %q or the install:\n%s", want, r.stdout)
	}
}

func TestCompileFailures(t *testing.T) {
	archive, sum := makeArchive(t, fakeBinary(t), "9.9.9", t.TempDir())

	broken := filepath.Join(t.TempDir(), "zdcd-release")
	writeFile(t, broken, "#!/bin/sh\necho 'cannot execute binary file: Exec format error' >&2\nexit 126\n")
	if err := os.Chmod(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	brokenArchive, brokenSum := makeArchive(t, broken, "9.9.9", t.TempDir())

	notArchive := filepath.Join(t.TempDir(), "zdcd-release.tar.gz")
	writeFile(t, notArchive, "<html>Not Found</html>\n")

	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{
			// Not published, so built from source, which this copy of bin/ and buildpack/ lacks.
			"unpublished pinned release without the source",
			nil,
			[]string{" !     This buildpack has no source to build zdcd-release from", "set ZDCD_BINARY_URL and ZDCD_BINARY_SHA256"},
		},
		{
			"failed download",
			map[string]string{"ZDCD_BINARY_URL": "file://" + archive + ".missing", "ZDCD_BINARY_SHA256": sum},
			[]string{" !     Download failed: file://" + archive + ".missing", " !     curl: ", " !     Check that the URL exists"},
		},
		{
			"https without a checksum",
			map[string]string{"ZDCD_BINARY_URL": "https://example.invalid/zdcd-release.tar.gz"},
			[]string{" !     ZDCD_BINARY_SHA256 is required with an http(s) ZDCD_BINARY_URL", "heroku config:set ZDCD_BINARY_SHA256="},
		},
		{
			"malformed checksum",
			map[string]string{"ZDCD_BINARY_URL": "file://" + archive, "ZDCD_BINARY_SHA256": "abc"},
			[]string{" !     ZDCD_BINARY_SHA256 is not a SHA-256", `it is "abc"`},
		},
		{
			"checksum without a URL",
			map[string]string{"ZDCD_BINARY_SHA256": sum},
			[]string{" !     ZDCD_BINARY_SHA256 is set without ZDCD_BINARY_URL"},
		},
		{
			"unsupported scheme",
			map[string]string{"ZDCD_BINARY_URL": "ftp://example.invalid/z.tar.gz", "ZDCD_BINARY_SHA256": sum},
			[]string{" !     ZDCD_BINARY_URL must be an https://, http:// or file:// URL"},
		},
		{
			"not an archive",
			map[string]string{"ZDCD_BINARY_URL": "file://" + notArchive, "ZDCD_BINARY_SHA256": sha256File(t, notArchive)},
			[]string{" !     Cannot unpack the zdcd-release archive", "make dist"},
		},
		{
			"binary that does not run here",
			map[string]string{"ZDCD_BINARY_URL": "file://" + brokenArchive, "ZDCD_BINARY_SHA256": brokenSum},
			[]string{" !     zdcd-release does not run on this stack (heroku-24", "Exec format error"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuild(t, tt.vars)
			r := b.compile(t)
			if r.code == 0 {
				t.Fatalf("bin/compile succeeded:\n%s", r.output())
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
		})
	}
}
