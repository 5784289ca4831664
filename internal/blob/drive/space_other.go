//go:build !(linux || darwin)

package drive

// diskSpace is unknown on this platform.
func diskSpace(string) (total, free uint64) { return 0, 0 }
