//go:build linux || darwin

package drive

import "syscall"

// diskSpace returns the filesystem's total and available bytes, or zeros
// when statfs fails (Probe's write test still reports a dead drive).
func diskSpace(path string) (total, free uint64) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0
	}
	return st.Blocks * uint64(st.Bsize), st.Bavail * uint64(st.Bsize)
}
