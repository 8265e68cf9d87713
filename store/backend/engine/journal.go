package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/store/backend"
)

// The journal is the engine's write-ahead log (format 2; Pebble runs with
// its own log disabled). Every write of the volume is a Pebble batch; its
// representation is appended to the journal, synced (sync: always), and
// only then committed to Pebble's memtable. Pebble's tables hold what was
// flushed; the journal holds the rest, and is replayed into Pebble when
// the volume opens.
//
// Why not Pebble's log: a synced put there is handed to Pebble's log
// writer goroutine, which writes and syncs it and wakes the committer. On
// the development machine (2 cores, ext4) a synced Set from one goroutine
// took 175-192 µs against 98-130 µs for a write and an fdatasync done by
// the committing goroutine itself (medians of 3 000, same run): from one
// caller a put is a chain of such waits, and the hand-offs were a third of
// it. Here the committer that finds no sync running writes and syncs the
// pending records itself (group commit: the records appended meanwhile
// wait for its sync to end, and one of their writers then syncs them all).
//
// # Files
//
// The journal is the directory "journal" of the volume's root, holding
// segments named by a number (000001.jnl, ...), replayed in that order. A
// segment starts with a 16-byte header, the magic "zmjrnl\x00\x01" and
// its number (uint64, little-endian), then records:
//
//	length   uint32, little-endian: the payload's length (> 0)
//	checksum uint32, little-endian: CRC-32C of the length's 4 bytes and the payload
//	payload  a Pebble batch's representation
//
// A segment is created with its full size allocated (journalSegment
// bytes, zeros), so that a sync writes data only, not the file's size; a
// length of zero therefore ends the segment's records. A record whose
// checksum fails, or that runs past the file's end, ends them too in the
// last segment (a crash in the middle of a write); in any other segment it
// is damage, reported at open. Once a segment is full the next is made;
// then a checkpoint flushes Pebble's memtables to tables and removes the
// segments whose records are all in them. Close flushes and removes every
// segment, so a volume closed cleanly opens with an empty journal.
//
// Replaying a record again is harmless: records hold only sets, deletes
// and range deletes, and two records touching the same key are committed
// in journal order (the key's lock is held from the append to the
// commit).

// journalMagic starts every segment.
const journalMagic = "zmjrnl\x00\x01"

const (
	segmentHeaderLen = 16
	recordHeaderLen  = 8
	// journalSegment is the size a segment is created with, and past
	// which the next record goes to a new one.
	journalSegment = 32 << 20
	// maxPending bounds the records waiting in memory for a write (sync:
	// window, collections): the writer that passes it writes and syncs.
	maxPending = 4 << 20
	// maxRecord bounds a record's payload (a batch: at most a few MiB).
	maxRecord = 1 << 30
	// slowSync is how long a write and sync may take before it is logged.
	slowSync = 5 * time.Second
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errJournalBroken wraps the error that stopped the journal: after a
// failed write or sync what reached the disk is unknown, so every later
// write is refused until the volume is opened again.
var errJournalBroken = errors.New("the engine's journal failed; writes are refused until the volume is reopened")

// journal appends records to the current segment and syncs them.
type journal struct {
	dir     string
	log     *slog.Logger
	segSize int64

	mu       sync.Mutex
	pending  []byte // records appended, not yet written
	spare    []byte // the buffer last written, reused for pending
	appended uint64 // bytes ever appended (records and their headers)
	durable  uint64 // bytes of appended written and synced
	syncing  bool   // a writer is writing and syncing (the leader)
	target   uint64 // appended when the running sync took pending
	cur      chan struct{}
	next     chan struct{} // closed when the sync that takes pending ends
	err      error         // set once a write or sync failed

	// lead passes the leader's role to a writer waiting in next, when a
	// sync ends with records pending.
	lead chan struct{}

	// Owned by the leader (syncing true), or by the journal's owner
	// while no writer runs.
	f     *os.File
	num   uint64 // current segment's number
	off   int64  // where the next record goes in f
	first uint64 // the lowest segment number still on disk

	current atomic.Uint64 // num, for checkpoints
	sealed  chan struct{} // capacity 1: a segment was filled (a checkpoint may remove it)
	syncs   atomic.Uint64
	bytes   atomic.Uint64
}

// segmentName is the file name of segment num.
func segmentName(num uint64) string { return fmt.Sprintf("%06d.jnl", num) }

// listSegments returns the numbers of dir's segments, ascending; a
// missing dir has none. A file that is not a segment is an error.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var nums []uint64
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name(), ".jnl")
		n, err := strconv.ParseUint(base, 10, 64)
		if !ok || err != nil || n == 0 || segmentName(n) != e.Name() {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				continue // a segment whose creation did not finish
			}
			return nil, fmt.Errorf("%w: %s: %s is not a journal segment", backend.ErrCorrupt, dir, e.Name())
		}
		nums = append(nums, n)
	}
	slices.Sort(nums)
	return nums, nil
}

// replayJournal calls apply with the payload of every record in dir's
// segments, in order, and returns the segment numbers it read. apply may
// keep the payload.
func replayJournal(dir string, apply func(payload []byte) error) ([]uint64, error) {
	nums, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	for i, n := range nums {
		name := filepath.Join(dir, segmentName(n))
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		last := i == len(nums)-1
		recs, tail, err := segmentRecords(b, n)
		if err == nil && tail != "" && !last {
			err = errors.New(tail)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: journal segment %s: %w", backend.ErrCorrupt, name, err)
		}
		for _, p := range recs {
			if err := apply(p); err != nil {
				return nil, fmt.Errorf("journal segment %s: %w", name, err)
			}
		}
	}
	return nums, nil
}

// segmentRecords returns the payloads of segment b (number num), pointing
// into b. tail, if not empty, says why the records ended before a zero
// length (a torn or damaged record); err is a header that is not a
// segment's.
func segmentRecords(b []byte, num uint64) (recs [][]byte, tail string, err error) {
	if len(b) < segmentHeaderLen {
		if len(b) == 0 {
			return nil, "", nil // created, never written: a crash while it was made
		}
		return nil, "", fmt.Errorf("%d bytes, shorter than a header", len(b))
	}
	if string(b[:8]) != journalMagic {
		return nil, "", errors.New("no journal header")
	}
	if got := binary.LittleEndian.Uint64(b[8:16]); got != num {
		return nil, "", fmt.Errorf("header says segment %d", got)
	}
	off := segmentHeaderLen
	for {
		if len(b)-off < recordHeaderLen {
			if len(bytes0(b[off:])) != len(b)-off {
				return recs, fmt.Sprintf("a record header cut short at offset %d", off), nil
			}
			return recs, "", nil
		}
		n := binary.LittleEndian.Uint32(b[off:])
		sum := binary.LittleEndian.Uint32(b[off+4:])
		if n == 0 && sum == 0 {
			if len(bytes0(b[off:])) != len(b)-off {
				return recs, fmt.Sprintf("data after the end of the records at offset %d", off), nil
			}
			return recs, "", nil
		}
		end := off + recordHeaderLen + int(n)
		if n == 0 || end > len(b) || end < off {
			return recs, fmt.Sprintf("a record of %d bytes at offset %d runs past the segment's end", n, off), nil
		}
		if crc32.Update(crc32.Checksum(b[off:off+4], crcTable), crcTable, b[off+recordHeaderLen:end]) != sum {
			return recs, fmt.Sprintf("a record's checksum fails at offset %d", off), nil
		}
		recs = append(recs, b[off+recordHeaderLen:end])
		off = end
	}
}

// bytes0 returns the prefix of b that is zeros.
func bytes0(b []byte) []byte {
	for i, c := range b {
		if c != 0 {
			return b[:i]
		}
	}
	return b
}

// openJournal starts a journal in dir after the segments in replayed (the
// ones replayJournal read, which removeBelow(j.num) removes once their
// records are in tables): it creates the next segment, and removes what
// an unfinished creation left.
func openJournal(dir string, replayed []uint64, log *slog.Logger, segSize int64) (*journal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(dir)); err != nil { // the journal's directory itself
		return nil, err
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(tmp) > 0 {
		for _, name := range tmp {
			os.Remove(name)
		}
	}
	j := &journal{dir: dir, log: log, segSize: segSize, next: make(chan struct{}), lead: make(chan struct{}, 1), sealed: make(chan struct{}, 1)}
	j.num = 1
	j.first = 1
	if len(replayed) > 0 {
		j.first = replayed[0]
		j.num = replayed[len(replayed)-1] + 1
	}
	f, err := j.createSegment(j.num)
	if err != nil {
		return nil, err
	}
	j.f, j.off = f, segmentHeaderLen
	j.current.Store(j.num)
	return j, nil
}

// createSegment makes segment num, allocated at its full size and synced
// with its directory, under a temporary name first so that a crash never
// leaves a segment without its header.
func (j *journal) createSegment(num uint64) (*os.File, error) {
	tmp := filepath.Join(j.dir, ".tmp-"+segmentName(num))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, segmentHeaderLen)
	copy(hdr, journalMagic)
	binary.LittleEndian.PutUint64(hdr[8:], num)
	if perr := preallocate(f, j.segSize); perr != nil {
		// A nearly full file system: the segment grows as it is written.
		j.log.Warn("engine: cannot allocate a journal segment; it grows as written", "dir", j.dir, "bytes", j.segSize, "err", perr)
		err = f.Truncate(0)
	}
	err = errors.Join(err, writeFull(f, hdr, 0), f.Sync())
	if err == nil {
		err = os.Rename(tmp, filepath.Join(j.dir, segmentName(num)))
	}
	if err == nil {
		err = syncDir(j.dir)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("create journal segment %d: %w", num, err)
	}
	return f, nil
}

func writeFull(f *os.File, b []byte, off int64) error {
	_, err := f.WriteAt(b, off)
	return err
}

// append adds a record holding payload; with sync it returns once the
// record is on disk.
func (j *journal) append(payload []byte, sync bool) error {
	if len(payload) == 0 || len(payload) > maxRecord {
		return fmt.Errorf("engine: a journal record of %d bytes (1 to %d): %w", len(payload), maxRecord, backend.ErrInvalidEntry)
	}
	var h [recordHeaderLen]byte
	binary.LittleEndian.PutUint32(h[:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Update(crc32.Checksum(h[:4], crcTable), crcTable, payload))
	j.mu.Lock()
	if j.err != nil {
		err := j.err
		j.mu.Unlock()
		return err
	}
	j.pending = append(append(j.pending, h[:]...), payload...)
	j.appended += uint64(recordHeaderLen + len(payload))
	if !sync && len(j.pending) < maxPending {
		j.mu.Unlock()
		return nil
	}
	return j.waitLocked(j.appended)
}

// sync writes and syncs every record appended so far.
func (j *journal) sync() error {
	j.mu.Lock()
	return j.waitLocked(j.appended)
}

// waitLocked returns, unlocking j.mu, once the journal is durable up to
// end: it leads a sync if none runs, else waits for the one that holds
// end's record (or for the role of leader of the next).
func (j *journal) waitLocked(end uint64) error {
	for {
		switch {
		case j.err != nil:
			err := j.err
			j.mu.Unlock()
			return err
		case j.durable >= end:
			j.mu.Unlock()
			return nil
		case !j.syncing:
			j.leadLocked()
			continue
		case end <= j.target:
			ch := j.cur
			j.mu.Unlock()
			<-ch
		default:
			ch := j.next
			j.mu.Unlock()
			select {
			case <-ch:
			case <-j.lead:
				j.mu.Lock()
				if !j.syncing && j.durable < end && j.err == nil {
					j.leadLocked()
				} else if !j.syncing && len(j.pending) > 0 {
					j.passLead() // not ours to use: the writers pending need it
				}
				continue
			}
		}
		j.mu.Lock()
	}
}

// passLead hands the leader's role to a writer waiting for the next sync.
func (j *journal) passLead() {
	select {
	case j.lead <- struct{}{}:
	default:
	}
}

// leadLocked writes and syncs the pending records, unlocking j.mu while
// it does; it returns with j.mu held.
func (j *journal) leadLocked() {
	j.syncing = true
	buf := j.pending
	j.pending = j.spare[:0]
	j.spare = nil
	j.target = j.appended
	j.cur = j.next
	j.next = make(chan struct{})
	cur := j.cur
	j.mu.Unlock()

	begin := time.Now()
	err := j.writeOut(buf)
	if d := time.Since(begin); d > slowSync {
		j.log.Warn("engine: slow journal sync", "dir", j.dir, "bytes", len(buf), "duration", d)
	}

	j.mu.Lock()
	j.syncing = false
	if cap(buf) <= maxPending {
		j.spare = buf[:0]
	}
	if err != nil {
		j.err = fmt.Errorf("engine: %w: %w", errJournalBroken, backend.Fail("journal "+j.dir, err))
		j.log.Error("engine: journal write failed; writes are refused until the volume is reopened", "dir", j.dir, "err", err)
		close(cur)
		close(j.next)
		return
	}
	j.durable = j.target
	close(cur)
	if len(j.pending) > 0 {
		j.passLead()
	}
}

// writeOut writes buf at the end of the current segment (starting the
// next segment first if it would pass segSize) and syncs it. Only the
// leader calls it.
func (j *journal) writeOut(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if j.off+int64(len(buf)) > j.segSize && j.off > segmentHeaderLen {
		if f, err := j.createSegment(j.num + 1); err != nil {
			// Go on in the current segment, past its allocated size.
			j.log.Warn("engine: cannot start a new journal segment; the current one grows", "dir", j.dir, "err", err)
		} else {
			j.f.Close() // synced: every write to it was
			j.f, j.num, j.off = f, j.num+1, segmentHeaderLen
			j.current.Store(j.num)
			select {
			case j.sealed <- struct{}{}:
			default:
			}
		}
	}
	if err := writeFull(j.f, buf, j.off); err != nil {
		return err
	}
	if err := datasync(j.f); err != nil {
		return err
	}
	j.off += int64(len(buf))
	j.syncs.Add(1)
	j.bytes.Add(uint64(len(buf)))
	return nil
}

// removeBelow removes the segments numbered below num (their records are
// in Pebble's tables).
func (j *journal) removeBelow(num uint64) error {
	var errs []error
	for n := j.first; n < num; n++ {
		if err := os.Remove(filepath.Join(j.dir, segmentName(n))); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		j.first = n + 1
	}
	return errors.Join(errs...)
}

// close closes the current segment; with removeAll (every record is in
// Pebble's tables) it removes every segment.
func (j *journal) close(removeAll bool) error {
	err := j.f.Close()
	if removeAll && err == nil {
		err = j.removeBelow(j.num + 1)
	}
	return err
}
