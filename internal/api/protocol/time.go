package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Time is a timestamp member of a shape. It renders the way each protocol
// wants a Smithy timestamp by default:
//   - XML (query, ec2query responses) and query input: ISO 8601 UTC with
//     milliseconds, "2006-01-02T15:04:05.000Z" (input also accepts any
//     RFC 3339 form and epoch seconds);
//   - JSON: epoch seconds as a number, fractional milliseconds allowed;
//   - CBOR: tag 1 wrapping epoch seconds (float64 on output; integer or
//     float on input).
//
// Use *Time for optional members: encoding/json and encoding/xml do not
// omit zero structs.
type Time struct{ time.Time }

// isoMillis is the XML/query timestamp layout AWS emits.
const isoMillis = "2006-01-02T15:04:05.000Z"

// NewTime returns t as a Time truncated to milliseconds in UTC.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// MarshalText implements encoding.TextMarshaler (used by encoding/xml).
func (t Time) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format(isoMillis)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Time) UnmarshalText(b []byte) error {
	v, err := parseTimestamp(string(b))
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON renders epoch seconds.
func (t Time) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, epochSeconds(t.Time), 'f', -1, 64), nil
}

// UnmarshalJSON accepts epoch seconds (integer or fractional).
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp must be epoch seconds: %w", err)
	}
	v, err := fromEpoch(f)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalCBOR renders tag 1 (epoch-based date/time) over a float64, the
// form the Smithy rpcv2Cbor serializers emit.
func (t Time) MarshalCBOR() ([]byte, error) {
	b := make([]byte, 0, 10)
	b = append(b, 0xc1, 0xfb)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(epochSeconds(t.Time))), nil
}

// UnmarshalCBOR accepts tag 1 over an integer or a float.
func (t *Time) UnmarshalCBOR(b []byte) error {
	if len(b) == 1 && (b[0] == 0xf6 || b[0] == 0xf7) { // null, undefined
		return nil
	}
	if len(b) < 2 || b[0] != 0xc1 {
		return errors.New("timestamp must be CBOR tag 1")
	}
	var n any
	if err := cbor.Unmarshal(b[1:], &n); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	var f float64
	switch v := n.(type) {
	case uint64:
		f = float64(v)
	case int64:
		f = float64(v)
	case float64:
		f = v
	default:
		return fmt.Errorf("timestamp: tag 1 over %T", n)
	}
	v, err := fromEpoch(f)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1e3 }

// maxEpoch bounds accepted epoch values (year 10000) so conversions never
// overflow.
const maxEpoch = 253402300800

func fromEpoch(f float64) (time.Time, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < -maxEpoch || f > maxEpoch {
		return time.Time{}, fmt.Errorf("timestamp %v out of range", f)
	}
	return time.UnixMilli(int64(math.Round(f * 1e3))).UTC(), nil
}

// parseTimestamp reads a query-input timestamp: ISO 8601 / RFC 3339 (with or
// without fractional seconds), or epoch seconds.
func parseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return fromEpoch(f)
	}
	return time.Time{}, fmt.Errorf("invalid timestamp %q: want ISO 8601", s)
}
