package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/zmesh/zmesh/store"
)

// streamAbove is the size above which `zmesh put` streams a file
// (store.Client.PutReader) instead of reading it whole: one chunk.
const streamAbove = store.ChunkSize

// sniffLen is how much of a streamed value decides its default encoding.
const sniffLen = 64 << 10

// withStream is with for a transfer of any length: --timeout bounds each
// wait for the server rather than the whole command.
func (c *clientFlags) withStream(ctx context.Context, f func(cli *store.Client, ctx context.Context) error) error {
	endpoints, opts, err := c.options(nil)
	if err != nil {
		return err
	}
	opts.Timeout = c.timeout
	cli, err := store.Connect(endpoints, opts)
	if err != nil {
		return err
	}
	defer cli.Close()
	return f(cli, ctx)
}

// openValue opens the value of `zmesh put`: a file, or standard input
// ("-") copied to a temporary file when it is longer than streamAbove.
// small holds the whole value when it is at most streamAbove bytes (then
// f is nil); otherwise f is positioned at its start and done removes what
// openValue made.
func openValue(file string) (small []byte, f *os.File, size int64, done func(), err error) {
	done = func() {}
	if file == "-" {
		head, err := io.ReadAll(io.LimitReader(os.Stdin, streamAbove+1))
		if err != nil {
			return nil, nil, 0, done, fmt.Errorf("reading standard input: %w", err)
		}
		if len(head) <= streamAbove {
			return head, nil, int64(len(head)), done, nil
		}
		tmp, err := os.CreateTemp("", "zmesh-stdin-*")
		if err != nil {
			return nil, nil, 0, done, err
		}
		done = func() { tmp.Close(); os.Remove(tmp.Name()) }
		if _, err := tmp.Write(head); err == nil {
			_, err = io.Copy(tmp, os.Stdin)
		}
		if err == nil {
			size, err = tmp.Seek(0, io.SeekCurrent)
		}
		if err == nil {
			_, err = tmp.Seek(0, io.SeekStart)
		}
		if err != nil {
			done()
			return nil, nil, 0, func() {}, fmt.Errorf("reading standard input: %w", err)
		}
		return nil, tmp, size, done, nil
	}
	f, err = os.Open(file)
	if err != nil {
		return nil, nil, 0, done, err
	}
	st, err := f.Stat()
	if err != nil || st.Size() <= streamAbove || !st.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, nil, 0, done, err
		}
		v, err := os.ReadFile(file)
		return v, nil, int64(len(v)), done, err
	}
	return nil, f, st.Size(), func() { f.Close() }, nil
}

// sniff returns the first bytes of f (up to sniffLen) and rewinds it.
func sniff(f *os.File) ([]byte, error) {
	b := make([]byte, sniffLen)
	n, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return trimRune(b[:n]), nil
}

// trimRune drops a UTF-8 sequence cut at the end of b.
func trimRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return b
		}
		if c >= 0xC0 { // the start of a sequence: whole if it has its bytes
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if i < need {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}

// progress returns a function showing how many of size bytes are done on
// a progress bar with rate and ETA on stderr when it is a terminal, and
// doing nothing otherwise; finish ends the bar.
func progress(stderr io.Writer, size int64, what string) (set func(done int64), finish func()) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(int64) {}, func() {}
	}
	bar := progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return func(n int64) { bar.Set64(n) }, func() { bar.Finish() }
}

// sendProgress reads a file PutReader sends, reporting its position once
// PutReader has rewound it after hashing it (the first pass is not the
// transfer).
type sendProgress struct {
	f       *os.File
	set     func(int64)
	pos     int64
	rewound bool
}

func (p *sendProgress) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	p.pos += int64(n)
	if p.rewound {
		p.set(p.pos)
	}
	return n, err
}

func (p *sendProgress) Seek(off int64, whence int) (int64, error) {
	pos, err := p.f.Seek(off, whence)
	p.pos, p.rewound = pos, true
	return pos, err
}

// writeProgress counts what a get writes.
type writeProgress struct {
	w   io.Writer
	set func(int64)
	n   int64
}

func (p *writeProgress) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	p.set(p.n)
	return n, err
}
