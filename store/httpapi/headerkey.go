package httpapi

import "strings"

// headerKey is how a key travels in an HTTP header (X-Zmesh-Key): keys may
// hold any byte, a header value may not (a NUL, CR or LF breaks the
// response, and clients such as curl abort on it). Every byte that is not
// printable ASCII (below 0x21 or above 0x7E: controls, space, DEL, the
// bytes of non-ASCII UTF-8), and '%' itself, is written as %XX, upper-case
// hex; every other byte stays. url.PathUnescape (decodeURIComponent in a
// browser) gives the key back; a key of printable ASCII without '%' is
// unchanged.
func headerKey(key string) string {
	n := 0
	for i := 0; i < len(key); i++ {
		if escapeInHeader(key[i]) {
			n++
		}
	}
	if n == 0 {
		return key
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(key) + 2*n)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if escapeInHeader(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func escapeInHeader(c byte) bool { return c < 0x21 || c > 0x7e || c == '%' }
