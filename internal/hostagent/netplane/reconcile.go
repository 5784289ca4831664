package netplane

// reconciler makes the kernel's objects of one kind (addresses, routes,
// rules, neighbours, FDB entries) exactly the planned ones. Objects are
// matched by key: a kernel object whose key is planned is kept if it is
// the same, else put replaces it; one whose key is not planned is
// deleted; a planned key the kernel lacks is put.
type reconciler[K comparable, H, W any] struct {
	// haveKey is a kernel object's key; false leaves the object alone
	// (nimbus does not manage it).
	haveKey func(H) (K, bool)
	wantKey func(W) K
	// same reports whether the kernel's object is the planned one; nil:
	// equal keys are equal objects.
	same func(W, H) bool
	del  func(H) error
	// put adds a planned object, replacing the kernel's under its key.
	put func(W) error
}

func (r reconciler[K, H, W]) run(have []H, want []W) error {
	pending := make(map[K]W, len(want))
	for _, w := range want {
		pending[r.wantKey(w)] = w
	}
	for _, h := range have {
		k, ok := r.haveKey(h)
		if !ok {
			continue
		}
		w, planned := pending[k]
		switch {
		case planned && (r.same == nil || r.same(w, h)):
			delete(pending, k)
		case planned:
			// put replaces it below
		default:
			if err := r.del(h); err != nil {
				return err
			}
		}
	}
	for _, w := range want {
		if _, ok := pending[r.wantKey(w)]; ok {
			if err := r.put(w); err != nil {
				return err
			}
		}
	}
	return nil
}
