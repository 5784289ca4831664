package ec2

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"slices"

	"github.com/nimbuscloud/nimbus/internal/api/awserr"
)

// EC2's MaxResults bounds for the Describe calls served here.
const (
	minPage = 5
	maxPage = 1000
)

// page cuts one page out of a Describe result. The services return whole
// lists; pages are taken here after sorting by key, and a NextToken is the
// (encoded) key of the last item handed out, so a page boundary survives
// items created or deleted between calls. No MaxResults and no token: the
// whole list, as EC2.
func page[T any](items []T, key func(T) string, maxResults *int, token string) ([]T, string, error) {
	if maxResults == nil && token == "" {
		return items, "", nil
	}
	limit := maxPage
	if maxResults != nil {
		if *maxResults < minPage || *maxResults > maxPage {
			return nil, "", awserr.New(http.StatusBadRequest, "InvalidParameterValue",
				"Value ( %d ) for parameter maxResults is invalid. Parameter must be between %d and %d.", *maxResults, minPage, maxPage)
		}
		limit = *maxResults
	}
	sorted := slices.SortedStableFunc(slices.Values(items), func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	start := 0
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(after) == 0 {
			return nil, "", awserr.New(http.StatusBadRequest, "InvalidPaginationToken", "The pagination token '%s' is invalid.", token)
		}
		start, _ = slices.BinarySearchFunc(sorted, string(after), func(v T, k string) int { return cmp.Compare(key(v), k) })
		if start < len(sorted) && key(sorted[start]) == string(after) {
			start++
		}
	}
	end := min(start+limit, len(sorted))
	next := ""
	if end < len(sorted) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(sorted[end-1])))
	}
	return sorted[start:end], next, nil
}
