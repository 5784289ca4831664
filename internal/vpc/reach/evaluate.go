package reach

import (
	"github.com/nimbuscloud/nimbus/internal/vpc/netmodel"
)

// Evaluate analyses the flow q over the model m: it follows the first
// packet from the source to the destination and, for TCP and ICMP, the
// reply back, and reports whether both get through, the hops they take and
// what blocks them. It returns an error wrapping ErrInvalidQuery when q
// names something m does not hold or that cannot be an endpoint, and one
// wrapping ErrInvalidModel when m refers to objects it does not hold.
//
// Evaluate does not change m.
func Evaluate(m *netmodel.Model, q Query) (Result, error) {
	x := netmodel.NewIndex(m)
	a := indexAddrs(m)
	f, err := resolve(x, a, q)
	if err != nil {
		return Result{}, err
	}
	if f.blocked != nil {
		return Result{Explanations: []Explanation{*f.blocked}}, nil
	}
	w := &walker{x: x, a: a, conn: map[string]bool{}}

	// The forward packet must reach the destination it was meant for.
	got, delivered := w.start(f.src, f.first)
	if w.err != nil {
		return Result{}, w.err
	}
	if delivered && !f.accepts(got) {
		w.block(misdelivered(got))
		delivered = false
	}

	// TCP's SYN-ACK and ICMP's echo reply must come back to the source,
	// from the address it sent to. UDP needs no reply.
	replied := true
	if delivered && f.first.Protocol != netmodel.UDP {
		w.ret, w.forwards = true, 0
		back, ok := w.start(got.eni, got.h.reply())
		if w.err != nil {
			return Result{}, w.err
		}
		if ok && (back.eni != f.src || back.h != f.first.reply()) {
			w.block(misdelivered(back))
			ok = false
		}
		replied = ok
	}
	return Result{
		Reachable:    delivered && replied && len(w.expl) == 0,
		Hops:         w.hops,
		Explanations: w.expl,
	}, nil
}

// start sends h from interface e, or from the internet host h.Src when e
// is nil.
func (w *walker) start(e *netmodel.ENI, h Header) (end, bool) {
	if e != nil {
		return w.emit(e, h, originates)
	}
	w.hop(Hop{Component: Component{KindInternet, h.Src.String()}, Direction: Egress, Header: h})
	return w.internet(h)
}

// accepts: the forward packet was delivered where the query meant.
func (f flow) accepts(got end) bool {
	if f.dstInternet {
		return got.eni == nil && got.h.Dst == f.first.Dst
	}
	return got.eni != nil && got.eni == f.dst
}

// misdelivered explains a packet that ended somewhere other than where
// the flow needs it (an appliance that owns the address, a spoofed source
// whose reply goes to the address's owner).
func misdelivered(got end) Explanation {
	c := Component{KindInternet, got.h.Dst.String()}
	if got.eni != nil {
		c = eniComponent(got.eni)
	}
	return Explanation{Code: CodeNoPossibleDestination, Component: c, Header: got.h}
}
