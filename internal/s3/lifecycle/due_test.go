package lifecycle

import (
	"testing"
	"time"
)

// TestDue: an action set for N days after t is due at the start of the day
// after the one t+N falls in ("rounded up to the next midnight UTC").
func TestDue(t *testing.T) {
	ts := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		day  time.Duration
		t    string
		days int
		want string
	}{
		// S3's own example: created 1/15/2014 10:30 UTC, 3 days.
		{0, "2014-01-15T10:30:00Z", 3, "2014-01-19T00:00:00Z"},
		{24 * time.Hour, "2014-01-15T10:30:00Z", 3, "2014-01-19T00:00:00Z"},
		// At midnight exactly: still the next day's midnight.
		{0, "2014-01-15T00:00:00Z", 3, "2014-01-19T00:00:00Z"},
		// A nanosecond before midnight.
		{0, "2014-01-14T23:59:59.999999999Z", 3, "2014-01-18T00:00:00Z"},
		{0, "2014-01-15T10:30:00Z", 0, "2014-01-16T00:00:00Z"},
		{0, "2014-01-15T10:30:00Z", -5, "2014-01-16T00:00:00Z"},
		{0, "2014-01-15T10:30:00Z", 1, "2014-01-17T00:00:00Z"},
		// Days are UTC days, whatever the zone t is given in.
		{0, "2014-01-15T23:30:00-05:00", 1, "2014-01-18T00:00:00Z"},
		{0, "2014-01-15T01:30:00+05:00", 1, "2014-01-16T00:00:00Z"},
		// Month, year and leap-day boundaries.
		{0, "2014-01-31T12:00:00Z", 1, "2014-02-02T00:00:00Z"},
		{0, "2024-02-28T12:00:00Z", 1, "2024-03-01T00:00:00Z"},
		{0, "2023-12-31T12:00:00Z", 365, "2024-12-31T00:00:00Z"}, // 2024 is a leap year
		// Before the epoch: floor, not truncation toward zero.
		{0, "1969-12-31T12:00:00Z", 0, "1970-01-01T00:00:00Z"},
		{0, "1969-12-30T00:00:00Z", 1, "1970-01-01T00:00:00Z"},
		// Scaled days count from the Unix epoch in units of Day.
		{time.Second, "2014-01-15T10:30:00.5Z", 3, "2014-01-15T10:30:04Z"},
		{time.Second, "2014-01-15T10:30:00Z", 3, "2014-01-15T10:30:04Z"},
		{10 * time.Second, "2014-01-15T10:30:05Z", 2, "2014-01-15T10:30:30Z"},
		{time.Hour, "2014-01-15T10:30:00Z", 2, "2014-01-15T13:00:00Z"},
		{-time.Hour, "2014-01-15T10:30:00Z", 3, "2014-01-19T00:00:00Z"}, // not positive: 24h
	}
	for _, tc := range cases {
		got := Clock{Day: tc.day}.Due(ts(tc.t), tc.days)
		if want := ts(tc.want); !got.Equal(want) {
			t.Errorf("Clock{%v}.Due(%s, %d) = %s, want %s", tc.day, tc.t, tc.days, got.Format(time.RFC3339Nano), tc.want)
		}
		if got.Location() != time.UTC {
			t.Errorf("Due(%s) in %v, want UTC", tc.t, got.Location())
		}
	}
}

// TestDueNever: times and day counts too large to represent are never due.
func TestDueNever(t *testing.T) {
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := (Clock{}).Due(far, 1); !got.Equal(Never()) {
		t.Errorf("Due(year 3000) = %v, want Never", got)
	}
	if got := (Clock{}).Due(time.Now(), 1<<31-1); !got.Equal(Never()) {
		t.Errorf("Due(now, 2^31-1 days) = %v, want Never", got)
	}
	if got := (Clock{Day: 1}).Due(time.Unix(0, 1<<62), 1<<62); !got.Equal(Never()) {
		t.Errorf("Due with 1ns days near the limit = %v, want Never", got)
	}
	// Before 1678, t is taken as 1678: due no earlier than S3 would be.
	old := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := (Clock{}).Due(old, 1); got.Before(old.AddDate(0, 0, 2)) {
		t.Errorf("Due(year 1000) = %v, earlier than S3's", got)
	}
}
