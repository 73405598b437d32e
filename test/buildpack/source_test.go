package buildpack

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The build from source (buildpack/lib/source.sh, toolchain.sh). TestBuildFromSource compiles
// zdcd-release for real, pg_query's C code included, once; the other tests stop before go build.

// sourceDirs is what a build from source needs of the repository, besides bin/ and buildpack/.
var sourceDirs = []string{"bin", "buildpack", "go.mod", "go.sum", "cmd", "internal", "docs"}

// checkoutCopy copies the buildpack with its Go source into a temporary directory, as Heroku's
// clone of the repository has it: the files git tracks (or would track: new files not ignored),
// with their working-tree content, and no .git. The copy pins the release as unpublished
// (placeholder checksums), whatever buildpack/SHA256SUMS says today.
func checkoutCopy(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	dst := t.TempDir()
	cmd := exec.Command("git", append([]string{"ls-files", "-z", "--cached", "--others", "--exclude-standard", "--"}, sourceDirs...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files (the tests need the repository's git checkout): %v", err)
	}
	for _, rel := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, rel)
		info, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(src, filepath.Join(dst, rel), info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	pinSums(t, dst, strings.Repeat("0", 64))
	return dst
}

// pinSums writes the buildpack's SHA256SUMS for its VERSION with sum for both architectures.
func pinSums(t *testing.T, bp, sum string) {
	t.Helper()
	version, err := os.ReadFile(filepath.Join(bp, "buildpack", "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(version))
	writeFile(t, filepath.Join(bp, "buildpack", "SHA256SUMS"),
		sum+"  zdcd-release-"+v+"-linux-amd64.tar.gz\n"+sum+"  zdcd-release-"+v+"-linux-arm64.tar.gz\n")
}

// goVersion is the pinned Go of the build from source.
func goVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "buildpack", "GO_VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// goModDownload has the go command download module@version and verify it against the checksum
// database (sum.golang.org), and returns the zip's path in the machine's module cache.
func goModDownload(t *testing.T, module string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = t.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct{ Zip, Error string }
	if jerr := json.Unmarshal(out, &info); err != nil || jerr != nil || info.Zip == "" {
		t.Fatalf("go mod download %s (needs the Go module proxy): %v %v %s\n%s", module, err, jerr, info.Error, out)
	}
	return info.Zip
}

// toolchainProxy returns a file:// Go module proxy that serves this machine's pinned toolchain
// zip, shared by test runs under $ZDCD_CACHE_DIR/goproxy (default ~/.cache/zdcd/goproxy), so CI
// downloads the 70 MB once. It is filled from a download the go command verified against
// sum.golang.org, never from the buildpack's own code.
func toolchainProxy(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("ZDCD_CACHE_DIR")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(home, ".cache", "zdcd")
	}
	dir := filepath.Join(cache, "goproxy")
	version := "v0.0.1-" + goVersion(t) + ".linux-" + runtime.GOARCH
	zip := filepath.Join(dir, "golang.org", "toolchain", "@v", version+".zip")
	if _, err := os.Stat(zip); err != nil {
		src := goModDownload(t, "golang.org/toolchain@"+version)
		if err := os.MkdirAll(filepath.Dir(zip), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(src, zip+".tmp", 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(zip+".tmp", zip); err != nil {
			t.Fatal(err)
		}
	}
	return "file://" + dir
}

// noCompilerPath returns a PATH with every program of /usr/bin except C compilers.
func noCompilerPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("/usr/bin")
	if err != nil {
		t.Fatal(err)
	}
	compiler := regexp.MustCompile(`(^|-)(cc|gcc|c89|c99|clang|tcc)(-[0-9.]+)?$`)
	for _, e := range entries {
		if compiler.MatchString(e.Name()) {
			continue
		}
		if err := os.Symlink(filepath.Join("/usr/bin", e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return "PATH=" + dir
}

// compileIn runs bp's bin/compile on a fresh Django app with the given cache, config vars and
// environment, and returns the result, the app's directory and how long it took.
func compileIn(t *testing.T, bp, cacheDir string, vars map[string]string, env ...string) (result, string, time.Duration) {
	t.Helper()
	buildDir, envDir := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(buildDir, "manage.py"), "# Django\n")
	for name, value := range vars {
		writeFile(t, filepath.Join(envDir, name), value)
	}
	start := time.Now()
	r := run(t, env, filepath.Join(bp, "bin", "compile"), buildDir, cacheDir, envDir)
	return r, buildDir, time.Since(start)
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, got)
		}
	}
}

func mustNotContain(t *testing.T, what, got string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(got, u) {
			t.Errorf("%s has %q:\n%s", what, u, got)
		}
	}
}

// TestBuildFromSource: a clean checkout whose release is not published builds zdcd-release from
// its source with an empty CACHE_DIR (toolchain, modules, cgo), installs and caches it; the next
// builds with that CACHE_DIR reuse the binary without a compiler, a toolchain or a network.
func TestBuildFromSource(t *testing.T) {
	bp := checkoutCopy(t)
	gover := goVersion(t)
	pinned := pinnedToolchainSum(t, "v0.0.1-"+gover+".linux-"+runtime.GOARCH+".zip")
	// The toolchain from the shared file:// proxy, the modules from the real one (| falls through
	// on any error, as the go command does).
	proxy := toolchainProxy(t) + "|https://proxy.golang.org"

	// The cold build gets relative paths (Heroku gives absolute ones; the scripts must not care).
	parent := t.TempDir()
	cacheDir := filepath.Join(parent, "cache")
	slug := filepath.Join(parent, "build")
	for _, dir := range []string{slug, filepath.Join(parent, "env")} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(slug, "manage.py"), "# Django\n")
	writeFile(t, filepath.Join(parent, "env", "GOPROXY"), proxy)
	start := time.Now()
	r := run(t, nil, "bash", "-c", `cd "$0" && exec "$1" build cache env`, parent, filepath.Join(bp, "bin", "compile"))
	took := time.Since(start)
	t.Logf("cold build from source: %v\n%s", took.Round(time.Second), r.stdout)
	if r.code != 0 {
		t.Fatalf("bin/compile: exit %d\n%s", r.code, r.output())
	}
	mustContain(t, "cold build's stdout", r.stdout,
		"-----> zdcd: installing zdcd-release (linux-"+runtime.GOARCH+")\n",
		"       zdcd-release 0.1.0 is not published (placeholder checksums in buildpack/SHA256SUMS): building it from this buildpack's source.\n",
		"-----> zdcd: building zdcd-release from source ("+gover+", source ",
		"/golang.org/toolchain/@v/v0.0.1-"+gover+".linux-"+runtime.GOARCH+".zip\n",
		"       SHA-256 verified: "+pinned+"\n",
		"       Go toolchain ready in ",
		"       Built in ",
		"       Installed .zdcd/bin/zdcd-release (zdcd-release v0.1.0+src.",
		"-----> zdcd: checking the Procfile's release phase\n",
	)
	if !regexp.MustCompile(`(?m)^       Built in ([0-9]+m)?[0-9]+s$`).MatchString(r.stdout) {
		t.Errorf("no `Built in <duration>` line:\n%s", r.stdout)
	}
	if dyno := dynoRun(t, slug, "zdcd-release version"); dyno.code != 0 || !strings.HasPrefix(dyno.stdout, "zdcd-release v0.1.0+src.") {
		t.Fatalf("the installed zdcd-release in a dyno: exit %d, stdout %q, stderr %q", dyno.code, dyno.stdout, dyno.stderr)
	}
	if bins, _ := filepath.Glob(filepath.Join(cacheDir, "zdcd-build", "bin", "*", "zdcd-release")); len(bins) != 1 {
		t.Fatalf("cached binaries: %v, want one", bins)
	}
	if zips, _ := filepath.Glob(filepath.Join(cacheDir, "zdcd-build", "go", "*.zip")); len(zips) != 1 {
		t.Errorf("cached toolchains: %v, want one", zips)
	}
	for _, dir := range []string{"go", "gomod", "gocache", "bin"} {
		t.Logf("CACHE_DIR/zdcd-build/%s: %d MB", dir, dirSize(t, filepath.Join(cacheDir, "zdcd-build", dir))>>20)
	}

	// Same source, same CACHE_DIR: the cached binary, with no C compiler and no reachable proxy.
	offline := map[string]string{"GOPROXY": "file:///nonexistent"}
	r, slug, took = compileIn(t, bp, cacheDir, offline, noCompilerPath(t))
	t.Logf("second build, from the cache: %v\n%s", took.Round(time.Millisecond), r.stdout)
	if r.code != 0 {
		t.Fatalf("second bin/compile: exit %d\n%s", r.code, r.output())
	}
	mustContain(t, "second build's stdout", r.stdout,
		"-----> zdcd: building zdcd-release from source ("+gover+", source ",
		"       Using cached build ("+gover+", linux-"+runtime.GOARCH+", heroku-24, source ",
		"       Installed .zdcd/bin/zdcd-release (zdcd-release v0.1.0+src.")
	mustNotContain(t, "second build's stdout", r.stdout, "Downloading", "Built in", "Go toolchain")
	if dyno := dynoRun(t, slug, "zdcd-release version"); dyno.code != 0 {
		t.Fatalf("zdcd-release from the cache in a dyno: exit %d\n%s", dyno.code, dyno.output())
	}

	// A published pin whose archive is not uploaded (404): a warning, then the source build.
	var requests atomic.Int32
	releases := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	defer releases.Close()
	pinSums(t, bp, strings.Repeat("ab", 32))
	withMirror := map[string]string{"GOPROXY": "file:///nonexistent", "ZDCD_RELEASE_MIRROR": releases.URL}
	r, _, _ = compileIn(t, bp, cacheDir, withMirror, noCompilerPath(t))
	if r.code != 0 {
		t.Fatalf("bin/compile with a 404 release: exit %d\n%s", r.code, r.output())
	}
	mustContain(t, "404 build's stderr", r.stderr, " !     zdcd-release 0.1.0 is pinned but not published: "+releases.URL+"/v0.1.0/zdcd-release-0.1.0-linux-"+runtime.GOARCH+".tar.gz answers 404.\n")
	mustContain(t, "404 build's stdout", r.stdout, "       Using cached build (")
	if requests.Load() != 1 {
		t.Errorf("release mirror got %d requests, want 1", requests.Load())
	}

	// ZDCD_BUILD_FROM_SOURCE=1 with a published pin: no download at all.
	withMirror["ZDCD_BUILD_FROM_SOURCE"] = "1\n"
	r, _, _ = compileIn(t, bp, cacheDir, withMirror, noCompilerPath(t))
	if r.code != 0 {
		t.Fatalf("bin/compile with ZDCD_BUILD_FROM_SOURCE=1: exit %d\n%s", r.code, r.output())
	}
	mustContain(t, "ZDCD_BUILD_FROM_SOURCE build's stdout", r.stdout,
		"       ZDCD_BUILD_FROM_SOURCE=1: building zdcd-release from this buildpack's source.\n",
		"       Using cached build (")
	if requests.Load() != 1 {
		t.Errorf("ZDCD_BUILD_FROM_SOURCE=1 still asked the release mirror (%d requests)", requests.Load())
	}

	// Another stack: another key (the binary links the stack's glibc); no compiler, so it fails.
	r, _, _ = compileIn(t, bp, cacheDir, withMirror, noCompilerPath(t), "STACK=heroku-22")
	if r.code == 0 || strings.Contains(r.stdout, "Using cached build") {
		t.Fatalf("a build for heroku-24 served heroku-22: exit %d\n%s", r.code, r.output())
	}

	// Other source: another key, so the cached binary is not used (no compiler here: it fails).
	main := filepath.Join(bp, "cmd", "zdcd-release", "main.go")
	src, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, main, string(src)+"\n// changed\n")
	r, _, _ = compileIn(t, bp, cacheDir, withMirror, noCompilerPath(t))
	if r.code == 0 || strings.Contains(r.stdout, "Using cached build") {
		t.Fatalf("changed source served from the cache: exit %d\n%s", r.code, r.output())
	}
	mustContain(t, "changed source's stderr", r.stderr, " !     No C compiler: zdcd-release cannot be built here\n")
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, f := range cacheFiles(t, dir) {
		if info, err := os.Lstat(f); err == nil {
			n += info.Size()
		}
	}
	return n
}

// pinnedToolchainSum is buildpack/GO_SHA256SUMS's line for file.
func pinnedToolchainSum(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "buildpack", "GO_SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[1] == file {
			return f[0]
		}
	}
	t.Fatalf("buildpack/GO_SHA256SUMS has no line for %s:\n%s", file, b)
	return ""
}

// TestPinnedToolchain: the pinned Go is go.mod's, and each pinned SHA-256 is that of the zip the
// go command downloads from the module proxy and verifies against sum.golang.org.
func TestPinnedToolchain(t *testing.T) {
	gover := goVersion(t)
	mod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^go ([0-9.]+)$`).FindSubmatch(mod); m == nil || "go"+string(m[1]) != gover {
		t.Errorf("buildpack/GO_VERSION is %s but go.mod says %q: the build from source uses GOTOOLCHAIN=local", gover, m)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			version := "v0.0.1-" + gover + ".linux-" + arch
			pinned := pinnedToolchainSum(t, version+".zip")
			if got := sha256File(t, goModDownload(t, "golang.org/toolchain@"+version)); got != pinned {
				t.Errorf("golang.org/toolchain@%s: the module proxy serves %s (verified by sum.golang.org), the pin is %s", version, got, pinned)
			}
		})
	}
}

// TestBuildFromSourceFailures: each failure before go build says title, cause and remedy.
func TestBuildFromSourceFailures(t *testing.T) {
	gover := goVersion(t)
	zip := "v0.0.1-" + gover + ".linux-" + runtime.GOARCH + ".zip"
	badProxy := t.TempDir()
	writeFile(t, filepath.Join(badProxy, "x"), "")
	if err := os.MkdirAll(filepath.Join(badProxy, "golang.org", "toolchain", "@v"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(badProxy, "golang.org", "toolchain", "@v", zip), "not the toolchain\n")
	badSum := sha256File(t, filepath.Join(badProxy, "golang.org", "toolchain", "@v", zip))

	// A private proxy with credentials in GOPROXY: 404 for one toolchain path, junk for the other.
	var served atomic.Int32
	private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if strings.HasPrefix(r.URL.Path, "/junk/") {
			w.Write([]byte("not the toolchain\n"))
			return
		}
		http.NotFound(w, r)
	}))
	defer private.Close()
	withSecret := strings.Replace(private.URL, "http://", "http://bot:s3cret-token@", 1)

	tests := []struct {
		name      string
		noSource  bool
		vars      map[string]string
		env       []string
		want      []string
		noCaching bool
	}{
		{name: "bad ZDCD_BUILD_FROM_SOURCE", vars: map[string]string{"ZDCD_BUILD_FROM_SOURCE": "maybe"},
			want: []string{" !     ZDCD_BUILD_FROM_SOURCE must be 1 or 0\n", `It is "maybe".`, "heroku config:set ZDCD_BUILD_FROM_SOURCE=1"}},
		{name: "ZDCD_BUILD_FROM_SOURCE with ZDCD_BINARY_URL", vars: map[string]string{"ZDCD_BUILD_FROM_SOURCE": "1", "ZDCD_BINARY_URL": "file:///x.tar.gz"},
			want: []string{" !     ZDCD_BUILD_FROM_SOURCE=1 and ZDCD_BINARY_URL are both set\n", "Unset one of them"}},
		{name: "no source in the buildpack", noSource: true,
			want: []string{" !     This buildpack has no source to build zdcd-release from\n", "lacks go.mod", "heroku buildpacks:add https://github.com/zdcd/zdcd"}},
		{name: "no C compiler", env: []string{noCompilerPath(t)},
			want: []string{" !     No C compiler: zdcd-release cannot be built here\n", "pg_query", "set ZDCD_BINARY_URL"}},
		{name: "toolchain checksum mismatch", vars: map[string]string{"GOPROXY": "file://" + badProxy}, noCaching: true,
			want: []string{" !     Checksum mismatch for the Go toolchain file://" + badProxy + "/golang.org/toolchain/@v/" + zip + "\n", "but the file has " + badSum}},
		{name: "mismatch is not retried on the next proxy", vars: map[string]string{"GOPROXY": "file://" + badProxy + ",file:///nonexistent"}, noCaching: true,
			want: []string{" !     Checksum mismatch for the Go toolchain file://" + badProxy}},
		{name: "toolchain served nowhere", vars: map[string]string{"GOPROXY": "file:///nonexistent1|file:///nonexistent2,direct"}, noCaching: true,
			want: []string{" !     Cannot download the Go toolchain\n", "No source served it: file:///nonexistent1/golang.org/toolchain/@v/" + zip + " file:///nonexistent2/", "set GOPROXY"}},
		{name: "credentials in GOPROXY are not printed (404)", vars: map[string]string{"GOPROXY": withSecret + "/missing,direct"}, noCaching: true,
			want: []string{"       Downloading http://***@" + strings.TrimPrefix(private.URL, "http://") + "/missing/golang.org/toolchain/@v/" + zip, " !     Cannot download the Go toolchain\n", "No source served it: http://***@"}},
		{name: "credentials in GOPROXY are not printed (mismatch)", vars: map[string]string{"GOPROXY": withSecret + "/junk"}, noCaching: true,
			want: []string{" !     Checksum mismatch for the Go toolchain http://***@" + strings.TrimPrefix(private.URL, "http://") + "/junk/"}},
		{name: "ZDCD_GO_SHA256 without a mirror", vars: map[string]string{"ZDCD_GO_SHA256": strings.Repeat("a", 64)},
			want: []string{" !     ZDCD_GO_SHA256 must be the SHA-256 of the tarball at ZDCD_GO_MIRROR\n", "ZDCD_GO_MIRROR is not set."}},
		{name: "a mirror without a SHA-256", vars: map[string]string{"ZDCD_GO_MIRROR": "https://example.invalid/dl"},
			want: []string{" !     No pinned SHA-256 for " + gover + ".linux-" + runtime.GOARCH + ".tar.gz\n", "ZDCD_GO_SHA256=<the SHA-256 of"}},
	}
	bp := checkoutCopy(t)
	bare := copyBuildpack(t)
	defer func() {
		if served.Load() < 2 {
			t.Errorf("the private proxy got %d requests, want one per credentials case", served.Load())
		}
	}()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := bp
			if tt.noSource {
				dir = bare
			}
			cacheDir := t.TempDir()
			r, slug, _ := compileIn(t, dir, cacheDir, tt.vars, tt.env...)
			if r.code == 0 {
				t.Fatalf("bin/compile succeeded:\n%s", r.output())
			}
			mustContain(t, "output", r.output(), tt.want...)
			mustNotContain(t, "output", r.output(), "s3cret-token")
			if _, err := os.Stat(filepath.Join(slug, ".zdcd")); !os.IsNotExist(err) {
				t.Errorf("something was installed: %v", err)
			}
			if files, _ := filepath.Glob(filepath.Join(cacheDir, "zdcd-build", "go", "*")); tt.noCaching && len(files) != 0 {
				t.Errorf("a toolchain that failed was cached: %v", files)
			}
		})
	}
}

// libRun runs a bash snippet with the buildpack's libraries of bp sourced.
func libRun(t *testing.T, bp, script string, args ...string) result {
	t.Helper()
	prelude := `set -euo pipefail; for f in output env checksum download release toolchain source; do source "$BP/buildpack/lib/$f.sh"; done; `
	return run(t, []string{"BP=" + bp}, "bash", append([]string{"-c", prelude + script, "lib"}, args...)...)
}

// TestToolchainFromTarballMirror: ZDCD_GO_MIRROR serves the official tarball layout (go/bin/go),
// verified by ZDCD_GO_SHA256, and cached.
func TestToolchainFromTarballMirror(t *testing.T) {
	bp := checkoutCopy(t)
	gover := goVersion(t)
	mirror := t.TempDir()
	stage := t.TempDir()
	if err := os.MkdirAll(filepath.Join(stage, "go", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(stage, "go", "bin", "go"), "#!/bin/sh\necho go version "+gover+" linux/"+runtime.GOARCH+"\n")
	tarball := filepath.Join(mirror, gover+".linux-"+runtime.GOARCH+".tar.gz")
	if out, err := exec.Command("tar", "-czf", tarball, "-C", stage, "go").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	envDir, cacheDir, goroot := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "go")
	writeFile(t, filepath.Join(envDir, "ZDCD_GO_MIRROR"), "file://"+mirror+"/")
	writeFile(t, filepath.Join(envDir, "ZDCD_GO_SHA256"), sha256File(t, tarball))
	install := `toolchain::install "$BP" "$1" "$2" "$3" "$4" && "$4/bin/go" version`
	r := libRun(t, bp, install, envDir, runtime.GOARCH, cacheDir, goroot)
	if r.code != 0 {
		t.Fatalf("toolchain::install: exit %d\n%s", r.code, r.output())
	}
	mustContain(t, "stdout", r.stdout, "       Downloading file://"+tarball+"\n", "       SHA-256 verified: ", "go version "+gover+" linux/"+runtime.GOARCH+"\n")
	if err := os.Remove(tarball); err != nil {
		t.Fatal(err)
	}
	r = libRun(t, bp, install, envDir, runtime.GOARCH, cacheDir, goroot)
	if r.code != 0 {
		t.Fatalf("toolchain::install from the cache: exit %d\n%s", r.code, r.output())
	}
	mustContain(t, "stdout", r.stdout, "       Using the Go toolchain from the build cache (no download): "+filepath.Base(tarball)+"\n")
}

func TestToolchainProxies(t *testing.T) {
	tests := []struct{ goproxy, want string }{
		{"", "https://proxy.golang.org\n"},
		{"off", "https://proxy.golang.org\n"},
		{"direct", "https://proxy.golang.org\n"},
		{"https://goproxy.example/,direct", "https://goproxy.example\n"},
		{"file:///srv/proxy|https://a.example, https://b.example/x/", "file:///srv/proxy\nhttps://a.example\nhttps://b.example/x\n"},
	}
	bp := repoRoot(t)
	for _, tt := range tests {
		r := libRun(t, bp, `toolchain::proxies "$1"`, tt.goproxy)
		if r.code != 0 || r.stdout != tt.want {
			t.Errorf("toolchain::proxies %q: exit %d, %q; want %q", tt.goproxy, r.code, r.stdout, tt.want)
		}
	}
}

// TestSourceKey: the cache key's source hash is the same for a git checkout and a copy of it
// without .git, changes with the Go source and not with the pinned release; source::commit
// names the commit of a checkout and says when the source differs from it.
func TestSourceKey(t *testing.T) {
	bp := checkoutCopy(t)
	hash := func(dir string) string {
		t.Helper()
		r := libRun(t, dir, `source::tree_hash "$BP"; source::commit "$BP"`)
		if r.code != 0 {
			t.Fatalf("source::tree_hash: exit %d\n%s", r.code, r.output())
		}
		return r.stdout
	}
	plain := hash(bp)
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(plain) {
		t.Fatalf("outside git: %q, want a hash and no commit", plain)
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = bp
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "copy")
	checkout := hash(bp)
	lines := strings.Split(checkout, "\n")
	if lines[0]+"\n" != plain || !regexp.MustCompile(`^[0-9a-f]{7}$`).MatchString(lines[1]) {
		t.Errorf("git checkout: %q, want the same hash %q and a short commit", checkout, plain)
	}
	pinSums(t, bp, strings.Repeat("cd", 32))
	if got := hash(bp); got != checkout {
		t.Errorf("the pinned release changed the source key: %q, then %q", checkout, got)
	}
	writeFile(t, filepath.Join(bp, "internal", "new.go"), "package internal\n")
	changed := hash(bp)
	if strings.HasPrefix(changed, lines[0]) || !strings.Contains(changed, lines[1]+", modified\n") {
		t.Errorf("after a change to internal/: %q, want another hash and %q", changed, lines[1]+", modified")
	}
}

// TestSourceKeyCoversTheBuild: every file of this module that goes into zdcd-release (Go, cgo, C
// and embedded files of each package it imports) is under what source::tree_hash hashes, so a
// change to any of them is a new cache key.
func TestSourceKeyCoversTheBuild(t *testing.T) {
	root := repoRoot(t)
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}{{.Dir}}|{{join .GoFiles ","}},{{join .CgoFiles ","}},{{join .CFiles ","}},{{join .HFiles ","}},{{join .EmbedFiles ","}}{{"\n"}}{{end}}{{end}}`,
		"./cmd/zdcd-release")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	hashed := regexp.MustCompile(`^(cmd/|internal/|docs/[^/]+\.go$|docs/rules/)`)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		dir, files, _ := strings.Cut(line, "|")
		for _, f := range strings.Split(files, ",") {
			if f == "" {
				continue
			}
			rel, err := filepath.Rel(root, filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			n++
			if !hashed.MatchString(filepath.ToSlash(rel)) {
				t.Errorf("%s goes into zdcd-release but source::tree_hash does not hash it (buildpack/lib/source.sh)", rel)
			}
		}
	}
	if n < 10 {
		t.Fatalf("go list named %d files of this module: %s", n, out)
	}
}

// TestToolchainSourcesOnTheProxy: the URLs the buildpack fetches the toolchain from by default
// are served by https://proxy.golang.org as the pinned zips (a HEAD request: the 70 MB download
// itself is exercised through the shared file:// proxy in TestBuildFromSource, with the same code).
func TestToolchainSourcesOnTheProxy(t *testing.T) {
	bp := repoRoot(t)
	gover := goVersion(t)
	for _, arch := range []string{"amd64", "arm64"} {
		r := libRun(t, bp, `toolchain::sources "$BP" "" "$1"`, arch)
		fields := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\t")
		file := "v0.0.1-" + gover + ".linux-" + arch + ".zip"
		want := "https://proxy.golang.org/golang.org/toolchain/@v/" + file
		if r.code != 0 || len(fields) != 3 || fields[0] != want || fields[1] != pinnedToolchainSum(t, file) || fields[2] != file {
			t.Fatalf("toolchain::sources %s: exit %d, %q; want %s, its pin, %s\n%s", arch, r.code, r.stdout, want, file, r.stderr)
		}
		resp, err := http.Head(want)
		if err != nil {
			t.Fatalf("HEAD %s (needs the Go module proxy): %v", want, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" || resp.ContentLength < 50<<20 {
			t.Errorf("HEAD %s: %s, %s, %d bytes; want 200, a zip of tens of MB", want, resp.Status, resp.Header.Get("Content-Type"), resp.ContentLength)
		}
	}
}
