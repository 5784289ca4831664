package account

import (
	"fmt"
	"io"
)

const (
	keyAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" // base32, as AWS key IDs
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// newAccountID returns 12 random digits.
func (s *Service) newAccountID() (string, error) {
	b, err := s.randomFrom("0123456789", 12)
	if err != nil {
		return "", err
	}
	if b[0] == '0' { // keep IDs free of a leading zero so no tool trims them
		b[0] = '1'
	}
	return string(b), nil
}

// newKeyPair returns an AKIA access key ID and a 40-character secret.
func (s *Service) newKeyPair() (string, string, error) {
	id, err := s.randomFrom(keyAlphabet, 16)
	if err != nil {
		return "", "", err
	}
	sk, err := s.randomFrom(secretAlphabet, 40)
	if err != nil {
		return "", "", err
	}
	return "AKIA" + string(id), string(sk), nil
}

// randomFrom draws n characters uniformly from alphabet (rejection sampling).
func (s *Service) randomFrom(alphabet string, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, n*2)
	for len(out) < n {
		if _, err := io.ReadFull(s.rand, buf); err != nil {
			return nil, fmt.Errorf("account: random: %w", err)
		}
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return out, nil
}
