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
// A segment is created at its full size, zeros, so that a sync writes
// data only, not the file's size: the first one a journal starts with
// allocated (firstSegment bytes at most, cheap to make), the next ones
// (journalSegment bytes) made ahead by a goroutine of the journal and
// written with zeros, which makes a sync cheaper still (see
// newSegmentFile), or allocated when needed if the file system lacks room
// for that. A length of zero therefore ends the segment's records. A record whose
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
	// firstSegment bounds the size of the segment a journal starts with,
	// allocated (not written) so that opening a volume writes little; the
	// segments after it are made ahead, written with zeros (see makeSegment).
	firstSegment = 4 << 20
	// askAhead is how much of a segment is written before the next one is
	// made ahead: at once, but for a volume that writes little.
	askAhead = 64 << 10
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
	room    func(n int64) bool // see openJournal

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

	// kick wakes the syncer (capacity 1): a sync ended with records
	// pending. quit stops the syncer and the maker; workers waits for them.
	kick, quit chan struct{}
	workers    sync.WaitGroup
	// make asks the maker for the segment after the current one (once
	// askAhead bytes of the current one are written); the maker leaves it
	// in ahead.
	make     chan uint64
	aheadMu  sync.Mutex
	ahead    *os.File // zero-filled, named tmpName(aheadNum, true); nil: none
	aheadNum uint64

	// Owned by the leader (syncing true), or by the journal's owner
	// while no writer runs.
	f     *os.File
	num   uint64 // current segment's number
	size  int64  // current segment's allocated size
	asked bool   // the maker was asked for the next segment
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
			if strings.HasPrefix(e.Name(), ".") {
				continue // a segment being made (tmpName), or left so by a crash
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
//
// room, if not nil, tells whether the file system has room for a segment
// of n bytes to be made ahead (written with zeros, it takes the space at
// once); without room the next segment is allocated when needed.
func openJournal(dir string, replayed []uint64, log *slog.Logger, segSize int64, room func(n int64) bool) (*journal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(dir)); err != nil { // the journal's directory itself
		return nil, err
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.jnl")); len(tmp) > 0 {
		for _, name := range tmp {
			os.Remove(name)
		}
	}
	j := &journal{dir: dir, log: log, segSize: segSize, room: room, next: make(chan struct{}),
		kick: make(chan struct{}, 1), quit: make(chan struct{}), make: make(chan uint64, 1), sealed: make(chan struct{}, 1)}
	j.num = 1
	j.first = 1
	if len(replayed) > 0 {
		j.first = replayed[0]
		j.num = replayed[len(replayed)-1] + 1
	}
	j.size = min(segSize, firstSegment)
	f, err := j.createSegment(j.num, j.size)
	if err != nil {
		return nil, err
	}
	j.f, j.off = f, segmentHeaderLen
	j.current.Store(j.num)
	j.workers.Add(2) // stopped by close
	go j.syncer()
	go j.maker()
	return j, nil
}

// createSegment makes segment num of size bytes, allocated (not written)
// and installed (see installSegment).
func (j *journal) createSegment(num uint64, size int64) (*os.File, error) {
	f, err := j.newSegmentFile(num, size, false)
	if err == nil {
		if err = j.installSegment(num, false); err != nil {
			f.Close()
		}
	}
	return f, err
}

// tmpName is the name of segment num while it is made: by the maker
// (ahead) or by the leader. Two names, so that the leader making a
// segment the maker has not finished never shares its file.
func (j *journal) tmpName(num uint64, ahead bool) string {
	if ahead {
		return filepath.Join(j.dir, ".ahead-"+segmentName(num))
	}
	return filepath.Join(j.dir, ".tmp-"+segmentName(num))
}

// newSegmentFile makes segment num under its temporary name (so that a
// crash never leaves a segment without its header), size bytes, synced:
// written with zeros (zero), or else allocated.
//
// Why zeros: a sync after a write into allocated but never written
// blocks must also record, in the file system's journal, that they are
// written now; into blocks written before, it writes the data alone.
// Measured (development machine, ext4; a write of 3 300 bytes, what 24
// concurrent puts append, then fdatasync; medians of 2 000): 197-207 µs
// allocated, 138-142 µs written with zeros, 258-265 µs growing the file.
// With 110-byte writes (one put) the three were 136-143 µs, 136-143 µs
// and 197 µs: a block is then new once every 37 syncs.
func (j *journal) newSegmentFile(num uint64, size int64, zero bool) (*os.File, error) {
	tmp := j.tmpName(num, zero)
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, segmentHeaderLen)
	copy(hdr, journalMagic)
	binary.LittleEndian.PutUint64(hdr[8:], num)
	if zero {
		err = writeZeros(f, size)
	} else if perr := preallocate(f, size); perr != nil {
		// A nearly full file system: the segment grows as it is written.
		j.log.Warn("engine: cannot allocate a journal segment; it grows as written", "dir", j.dir, "bytes", size, "err", perr)
		err = f.Truncate(0)
	}
	err = errors.Join(err, writeFull(f, hdr, 0), f.Sync())
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("create journal segment %d: %w", num, err)
	}
	return f, nil
}

// installSegment gives segment num, made by newSegmentFile, its name, and
// syncs the directory so the name survives a crash.
func (j *journal) installSegment(num uint64, ahead bool) error {
	err := os.Rename(j.tmpName(num, ahead), filepath.Join(j.dir, segmentName(num)))
	if err == nil {
		err = syncDir(j.dir)
	}
	if err != nil {
		os.Remove(j.tmpName(num, ahead))
		return fmt.Errorf("install journal segment %d: %w", num, err)
	}
	return nil
}

// writeZeros writes size bytes of zeros to f from its start.
func writeZeros(f *os.File, size int64) error {
	zeros := make([]byte, min(size, 1<<20))
	for off := int64(0); off < size; off += int64(len(zeros)) {
		if err := writeFull(f, zeros[:min(int64(len(zeros)), size-off)], off); err != nil {
			return err
		}
	}
	return nil
}

// maker makes the segment after the current one when asked, written
// with zeros, into ahead, until the journal closes.
func (j *journal) maker() {
	defer j.workers.Done()
	for {
		var num uint64
		select {
		case <-j.quit:
			return
		case num = <-j.make:
		}
		if j.room != nil && !j.room(j.segSize) {
			continue // a nearly full file system: allocated when needed
		}
		f, err := j.newSegmentFile(num, j.segSize, true)
		if err != nil {
			j.log.Warn("engine: cannot make the next journal segment ahead; it will be allocated when needed", "dir", j.dir, "err", err)
			continue
		}
		j.aheadMu.Lock()
		old, oldNum := j.ahead, j.aheadNum
		j.ahead, j.aheadNum = f, num
		j.aheadMu.Unlock()
		if old != nil && oldNum != num { // one never taken (its name is reused when equal)
			old.Close()
			os.Remove(j.tmpName(oldNum, true))
		}
	}
}

// takeSpare returns the segment made ahead if it is segment num, installed.
func (j *journal) takeSpare(num uint64) *os.File {
	j.aheadMu.Lock()
	f, fNum := j.ahead, j.aheadNum
	j.ahead = nil
	j.aheadMu.Unlock()
	if f != nil && fNum != num { // made too late: the leader made num itself
		f.Close()
		os.Remove(j.tmpName(fNum, true))
		f = nil
	}
	if f == nil {
		return nil
	}
	if err := j.installSegment(num, true); err != nil {
		j.log.Warn("engine: cannot install the journal segment made ahead", "dir", j.dir, "err", err)
		f.Close()
		return nil
	}
	return f
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
// end's record, or for the next (which the syncer leads).
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
		}
		ch := j.next
		if end <= j.target {
			ch = j.cur
		}
		j.mu.Unlock()
		<-ch
		j.mu.Lock()
	}
}

// syncer leads the syncs while records keep coming during syncs, until
// the journal closes: a writer that leads a sync with nobody else writing
// (one caller) syncs inline, with no hand-off; once records were appended
// during its sync, it kicks the syncer, which syncs them and goes on
// while more come, as a log writer of its own would, rather than handing
// the role to one of the waiting writers, which would first have to be
// scheduled (the disk idle meanwhile, behind the goroutines the sync just
// answered).
func (j *journal) syncer() {
	defer j.workers.Done()
	for {
		select {
		case <-j.quit:
			return
		case <-j.kick:
		}
		j.mu.Lock()
		for j.err == nil && !j.syncing && len(j.pending) > 0 {
			j.leadLocked()
		}
		j.mu.Unlock()
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
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
}

// writeOut writes buf at the end of the current segment (starting the
// next segment first if it would pass segSize) and syncs it. Only the
// leader calls it.
func (j *journal) writeOut(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if j.off+int64(len(buf)) > j.size && j.off > segmentHeaderLen {
		f := j.takeSpare(j.num + 1)
		var err error
		if f == nil {
			f, err = j.createSegment(j.num+1, j.segSize)
		}
		if err != nil {
			// Go on in the current segment, past its allocated size.
			j.log.Warn("engine: cannot start a new journal segment; the current one grows", "dir", j.dir, "err", err)
		} else {
			j.f.Close() // synced: every write to it was
			j.f, j.num, j.off, j.size, j.asked = f, j.num+1, segmentHeaderLen, j.segSize, false
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
	if !j.asked && j.off > min(j.size/2, askAhead) {
		j.asked = true
		select {
		case j.make <- j.num + 1:
		default:
		}
	}
	j.syncs.Add(1)
	j.bytes.Add(uint64(len(buf)))
	return nil
}

// stopWorkers stops the syncer and the maker and waits for them (no
// writer may be left), and removes a segment made ahead and never taken.
func (j *journal) stopWorkers() {
	close(j.quit)
	j.workers.Wait()
	if j.ahead != nil {
		j.ahead.Close()
		os.Remove(j.tmpName(j.aheadNum, true))
		j.ahead = nil
	}
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
	j.stopWorkers()
	err := j.f.Close()
	if removeAll && err == nil {
		err = j.removeBelow(j.num + 1)
	}
	return err
}
