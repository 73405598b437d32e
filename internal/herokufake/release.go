package herokufake

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Slug is a slug as tests see it.
type Slug struct {
	ID           string
	Dir          string
	Commit       string
	ProcessTypes map[string]string
}

// CreateSlug turns a directory into a slug of the app: the directory is copied (without .git)
// into the state directory, so the slug stays the version it was, and its Procfile gives the
// process types. The commit is a SHA-1 of the contents.
func (s *Server) CreateSlug(appName, dir, description string) (Slug, error) {
	s.mu.Lock()
	a := s.findApp(appName)
	s.mu.Unlock()
	if a == nil {
		return Slug{}, fmt.Errorf("herokufake: no app %s", appName)
	}
	id := s.newID()
	dst := filepath.Join(s.opts.StateDir, "slugs", id)
	size, err := copyTree(dir, dst)
	if err != nil {
		return Slug{}, fmt.Errorf("herokufake: copy %s into a slug: %w", dir, err)
	}
	pt, err := readProcfile(filepath.Join(dst, "Procfile"))
	if err != nil {
		return Slug{}, err
	}
	commit, err := treeHash(dst)
	if err != nil {
		return Slug{}, err
	}
	if description == "" {
		description = "Deploy " + commit[:7]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sum := sha256.Sum256([]byte(commit))
	sl := &slug{id: id, appID: a.id, dir: dst, commit: commit, description: description,
		processTypes: pt, size: int(size), checksum: "SHA256:" + hex.EncodeToString(sum[:]),
		createdAt: now, updatedAt: now}
	s.slugs = append(s.slugs, sl)
	return Slug{ID: id, Dir: dst, Commit: commit, ProcessTypes: pt}, nil
}

// Deploy does what `git push heroku` does with a directory: a build makes it a slug, and the
// slug becomes a new release, whose release phase runs asynchronously. It returns the release
// (pending when the Procfile has a release command); see WaitRelease.
func (s *Server) Deploy(appName, dir string) (ReleaseStatus, error) {
	sl, err := s.CreateSlug(appName, dir, "")
	if err != nil {
		return ReleaseStatus{}, err
	}
	s.mu.Lock()
	a := s.findApp(appName)
	slg := s.slugByID(sl.ID)
	r := s.newRelease(a, slg.description, sl.ID)
	now := s.now()
	ver := sl.Commit
	s.builds = append(s.builds, &build{id: s.newID(), appID: a.id, slugID: sl.ID, releaseID: r.id,
		status: "succeeded", version: ver, createdAt: now, updatedAt: now})
	s.startRelease(a, r)
	s.mu.Unlock()
	return s.Release(appName, r.id)
}

// WaitRelease polls until a release is no longer pending, bounded by timeout.
func (s *Server) WaitRelease(appName, idOrVersion string, timeout time.Duration) (ReleaseStatus, error) {
	deadline := time.Now().Add(timeout)
	for {
		r, err := s.Release(appName, idOrVersion)
		if err != nil || r.Status != "pending" {
			return r, err
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("herokufake: release v%d of %s still pending after %s", r.Version, appName, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startRelease runs the release phase of r, or makes it current at once when its slug has no
// release command. s.mu must be held.
func (s *Server) startRelease(a *app, r *release) {
	sl := s.slugByID(r.slugID)
	if sl == nil || sl.processTypes["release"] == "" {
		s.succeed(a, r)
		return
	}
	r.hasCommand = true
	r.output = newOutput()
	env := append([]string(nil), s.opts.ReleaseEnv...)
	dynoName := fmt.Sprintf("release.%d", 1000+r.version)
	env = append(env, "DYNO="+dynoName, "PS1=", "PORT=5000")
	if a.features["runtime-dyno-metadata"] {
		env = append(env,
			"HEROKU_APP_ID="+a.id,
			"HEROKU_APP_NAME="+a.name,
			"HEROKU_APP_DEFAULT_DOMAIN_NAME="+a.name+".herokuapp.com",
			"HEROKU_DYNO_ID="+s.newID(),
			"HEROKU_RELEASE_CREATED_AT="+r.createdAt.Format(time.RFC3339),
			"HEROKU_RELEASE_VERSION="+fmt.Sprintf("v%d", r.version),
			"HEROKU_SLUG_COMMIT="+sl.commit,
			"HEROKU_SLUG_DESCRIPTION="+sl.description)
	}
	for _, k := range sortedKeys(r.config) {
		env = append(env, k+"="+r.config[k])
	}
	now := s.now()
	d := &dyno{id: s.newID(), name: dynoName, typ: "release", command: sl.processTypes["release"],
		size: "Basic", state: "starting", releaseID: r.id, releaseVersion: r.version, createdAt: now, updatedAt: now}
	a.dynos = append(a.dynos, d)
	s.procs.Add(1)
	// With SerializeReleases, each release phase waits for the one started before it: the turn
	// is taken here, under s.mu and in version order (a mutex taken by the goroutines would let a
	// later release phase run first).
	var prev, mine chan struct{}
	if s.opts.SerializeReleases {
		prev, mine = a.lastPhase, make(chan struct{})
		a.lastPhase = mine
	}
	go s.runReleasePhase(a, r, d, sl.dir, sl.processTypes["release"], env, prev, mine)
}

func (s *Server) runReleasePhase(a *app, r *release, d *dyno, dir, command string, env []string, prev, mine chan struct{}) {
	defer s.procs.Done()
	if prev != nil {
		<-prev
	}
	if mine != nil {
		defer close(mine)
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.ReleaseTimeout)
	defer cancel()
	// As in every dyno, the slug's .profile.d scripts are sourced first (buildpacks put their
	// PATH additions there), in the app directory, which is also HOME (/app on Heroku).
	shell := "/bin/bash"
	if _, err := os.Stat(shell); err != nil {
		shell = "/bin/sh"
	}
	script := "for f in .profile.d/*.sh; do if [ -r \"$f\" ]; then . \"./$f\"; fi; done\n" + command
	cmd := exec.CommandContext(ctx, shell, "-c", script)
	cmd.Dir = dir
	cmd.Env = append(env[:len(env):len(env)], "HOME="+dir)
	cmd.Stdout = r.output
	cmd.Stderr = r.output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	s.mu.Lock()
	d.state = "up"
	s.mu.Unlock()
	r.output.setStarted()
	s.opts.Logf("release v%d of %s: running %q", r.version, a.name, command)
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		fmt.Fprintf(r.output, "Release command timed out after %s\n", s.opts.ReleaseTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range a.dynos {
		if x == d {
			a.dynos = append(a.dynos[:i], a.dynos[i+1:]...)
			break
		}
	}
	if err != nil {
		r.status, r.updatedAt = "failed", s.now()
		s.opts.Logf("release v%d of %s: failed: %v", r.version, a.name, err)
	} else {
		s.succeed(a, r)
		s.opts.Logf("release v%d of %s: succeeded", r.version, a.name)
	}
	r.output.finish()
}

func readProcfile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pt := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, cmd, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		pt[strings.TrimSpace(name)] = strings.TrimSpace(cmd)
	}
	return pt, sc.Err()
}

// copyTree copies src into dst (which must not exist), skipping .git, and returns the bytes copied.
func copyTree(src, dst string) (int64, error) {
	var total int64
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			n, err := copyFile(p, target, info.Mode().Perm())
			total += n
			return err
		}
		return nil
	})
	return total, err
}

func copyFile(src, dst string, perm fs.FileMode) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// treeHash is a SHA-1 over the sorted relative paths and contents of dir.
func treeHash(dir string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha1.New()
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\x00", rel)
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SlugDir is the directory holding slug id's files: where a one-off dyno of a release runs
// (`heroku run`, a Scheduler job), as /app on Heroku.
func (s *Server) SlugDir(id string) string {
	return filepath.Join(s.opts.StateDir, "slugs", id)
}
