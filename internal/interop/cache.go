package interop

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// CachedBuild returns the path of the binary CacheDir()/name/name-sum,
// building it first unless it is already there; sum names the sources it
// is built from. build writes the binary at out, a path inside the
// temporary directory tmp (where it may put sources too); the result is
// renamed into place, so test processes building at once never see half a
// file. Builds beyond the newest few are removed, so the cache does not
// grow with every edit.
func CachedBuild(name, sum string, build func(tmp, out string) error) (string, error) {
	dir := filepath.Join(CacheDir(), name)
	bin := filepath.Join(dir, name+"-"+sum)
	if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, name)
	if err := build(tmp, out); err != nil {
		return "", err
	}
	if err := os.Rename(out, bin); err != nil {
		if _, statErr := os.Stat(bin); statErr == nil {
			return bin, nil // another process won the race with the same build
		}
		return "", errors.Join(fmt.Errorf("installing %s into the cache", name), err)
	}
	cleanOld(dir, name, bin)
	return bin, nil
}

// cleanOld keeps keep and the 4 newest other builds in dir and removes
// the rest.
func cleanOld(dir, name, keep string) {
	old, _ := filepath.Glob(filepath.Join(dir, name+"-*"))
	type built struct {
		path string
		mod  int64
	}
	var bs []built
	for _, p := range old {
		if st, err := os.Stat(p); err == nil && p != keep {
			bs = append(bs, built{p, st.ModTime().UnixNano()})
		}
	}
	slices.SortFunc(bs, func(a, b built) int { return cmp.Compare(a.mod, b.mod) }) // oldest first
	for i := 0; i < len(bs)-4; i++ {
		os.Remove(bs[i].path)
	}
}
