package s3

import "testing"

func TestParseCopyRange(t *testing.T) {
	for _, tc := range []struct {
		in          string
		ok          bool
		first, last int64
	}{
		{"bytes=0-9", true, 0, 9},
		{"bytes=5-5", true, 5, 5},
		{"bytes=9-0", false, 0, 0},
		{"bytes=-5", false, 0, 0},
		{"bytes=5-", false, 0, 0},
		{"0-9", false, 0, 0},
		{"bytes=0-9,20-30", false, 0, 0},
	} {
		r, err := parseCopyRange(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (r.First != tc.first || r.Last != tc.last)) {
			t.Errorf("%q: %+v %v", tc.in, r, err)
		}
	}
}

func FuzzParseCopyRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=-1", "bytes=1-0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseCopyRange(s)
		if err == nil && (r.First < 0 || r.Last < r.First) {
			t.Fatalf("%q accepted as %+v", s, r)
		}
	})
}
