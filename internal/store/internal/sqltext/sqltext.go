package sqltext

import (
	"strconv"
	"strings"
)

// segments calls code for each stretch of q outside literals, quoted identifiers
// and comments, and keep for every other stretch, in order.
func segments(q string, code, keep func(string)) {
	start := 0 // start of the current code stretch
	i := 0
	flush := func(end int) {
		if end > start {
			code(q[start:end])
		}
	}
	for i < len(q) {
		c := q[i]
		var end int
		switch {
		case c == '\'':
			// E'...' allows backslash escapes; plain '...' only doubles quotes.
			esc := i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && (i == 1 || !isIdent(q[i-2]))
			end = quoted(q, i, '\'', esc)
		case c == '"' || c == '`':
			end = quoted(q, i, c, false)
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			end = strings.IndexByte(q[i:], '\n')
			if end < 0 {
				end = len(q)
			} else {
				end += i + 1
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end = blockComment(q, i)
		case c == '$' && (i == 0 || !isIdent(q[i-1])):
			end = dollarQuoted(q, i)
		}
		if end <= i {
			i++
			continue
		}
		flush(i)
		keep(q[i:end])
		i = end
		start = end
	}
	flush(len(q))
}

// quoted returns the index just past the literal starting at q[i] == delim.
// A doubled delimiter is an escaped one. An unterminated literal runs to the end.
func quoted(q string, i int, delim byte, backslash bool) int {
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if backslash {
				j++
			}
		case delim:
			if j+1 < len(q) && q[j+1] == delim {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}

// blockComment handles /* ... */ with PostgreSQL's nesting.
func blockComment(q string, i int) int {
	depth := 0
	for j := i; j+1 < len(q); j++ {
		switch {
		case q[j] == '/' && q[j+1] == '*':
			depth++
			j++
		case q[j] == '*' && q[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(q)
}

// dollarQuoted handles PostgreSQL's $tag$ ... $tag$; it returns i when q[i:]
// does not start a dollar quote (e.g. a $1 parameter).
func dollarQuoted(q string, i int) int {
	j := i + 1
	for j < len(q) && isIdent(q[j]) && !(j == i+1 && q[j] >= '0' && q[j] <= '9') {
		j++
	}
	if j >= len(q) || q[j] != '$' {
		return i
	}
	tag := q[i : j+1]
	k := strings.Index(q[j+1:], tag)
	if k < 0 {
		return len(q)
	}
	return j + 1 + k + len(tag)
}

func isIdent(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// Rebind rewrites each ? placeholder outside literals, quoted identifiers and
// comments to PostgreSQL's $1, $2, ... and reports how many it rewrote.
func Rebind(q string) (string, int) {
	if strings.IndexByte(q, '?') < 0 {
		return q, 0
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	segments(q, func(s string) {
		for {
			k := strings.IndexByte(s, '?')
			if k < 0 {
				b.WriteString(s)
				return
			}
			n++
			b.WriteString(s[:k])
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			s = s[k+1:]
		}
	}, func(s string) { b.WriteString(s) })
	return b.String(), n
}

// PostgresTypes rewrites the type name BLOB (any case, as a whole word outside
// literals and comments) to BYTEA, for migrations written in the portable subset.
func PostgresTypes(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	segments(q, func(s string) {
		for {
			k := indexWord(s, "blob")
			if k < 0 {
				b.WriteString(s)
				return
			}
			b.WriteString(s[:k])
			b.WriteString("BYTEA")
			s = s[k+4:]
		}
	}, func(s string) { b.WriteString(s) })
	return b.String()
}

// indexWord finds word (lower case) in s case-insensitively as a whole identifier.
func indexWord(s, word string) int {
	ls := strings.ToLower(s)
	off := 0
	for {
		k := strings.Index(ls[off:], word)
		if k < 0 {
			return -1
		}
		k += off
		before := k == 0 || !isIdent(s[k-1])
		after := k+len(word) == len(s) || !isIdent(s[k+len(word)])
		if before && after {
			return k
		}
		off = k + len(word)
	}
}
