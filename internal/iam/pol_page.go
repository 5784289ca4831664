package iam

import "sort"

// polPage sorts items by key and cuts the page after the marker with the
// shared pagination (pageOf): markers hold the last key returned.
func polPage[T any](items []T, key func(T) string, page PageInput) (Listing[T], error) {
	sort.SliceStable(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	return pageOf(items, page, key)
}
