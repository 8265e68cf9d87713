package backendtest

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Crash describes a durability test under SIGKILL (see RunCrash). The test
// binary's TestMain runs the writer when DirEnv is set: it writes write
// numbers from the one in StartEnv on, into the store in the directory in
// DirEnv, and prints a line "ok N" (one write to stdout) once write N is
// acknowledged.
type Crash struct {
	// DirEnv and StartEnv name the writer's environment variables.
	DirEnv, StartEnv string
	// Rounds is how many writers are started and killed.
	Rounds int
	// Round r's kill comes after FirstKill + r × KillStep
	// acknowledgements and then r × DelayStep more (how far into the
	// next write it lands): somewhere inside a write, at another point
	// each round.
	FirstKill, KillStep int
	DelayStep           time.Duration
	// Check reopens dir after a round and checks it against every write
	// acknowledged so far; it returns the highest write number it found,
	// so the next writer starts after it.
	Check func(t *testing.T, dir string, acked map[int]bool) int
}

// RunCrash runs c's rounds in a temporary directory: each starts the test
// binary as a writer, kills it with SIGKILL (see Crash.FirstKill),
// collects the acknowledgements still in the pipe, and calls c.Check. It
// reports how many acknowledged writes survived. With -short it skips,
// as it spawns processes.
func RunCrash(t *testing.T, c Crash) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns writer processes")
	}
	dir := t.TempDir()
	next, acked := 0, map[int]bool{}
	for round := range c.Rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), c.DirEnv+"="+dir, c.StartEnv+"="+strconv.Itoa(next))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		killAfter, n := c.FirstKill+round*c.KillStep, 0
		for n < killAfter && lines.Scan() {
			acked[parseAck(t, lines.Text())] = true
			n++
		}
		// Part of the scenario, not synchronisation.
		time.Sleep(time.Duration(round) * c.DelayStep)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for lines.Scan() { // acknowledgements already in the pipe count too
			acked[parseAck(t, lines.Text())] = true
		}
		if err := cmd.Wait(); err == nil {
			t.Fatalf("round %d: the writer exited normally; it was to be killed", round)
		}
		if n < killAfter {
			t.Fatalf("round %d: the writer stopped after %d writes", round, n)
		}
		next = c.Check(t, dir, acked) + 1
	}
	t.Logf("%d acknowledged writes survived %d SIGKILLs", len(acked), c.Rounds)
}

func parseAck(t *testing.T, line string) int {
	t.Helper()
	rest, ok := strings.CutPrefix(line, "ok ")
	i, err := strconv.Atoi(rest)
	if !ok || err != nil {
		t.Fatalf("writer said %q", line)
	}
	return i
}
