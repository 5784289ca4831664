package netplane

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// tableSpec is a whole nftables table as nimbus wants it. Rules carry
// their source text as a comment; a chain whose comments differ from the
// wanted ones is rewritten, a set whose elements differ gets the
// difference, and anything structural (a set's type or flags, a base
// chain's hook) rebuilds the table, always in one atomic transaction.
type tableSpec struct {
	table  *nftables.Table
	sets   []*setSpec
	chains []*chainSpec
}

type setSpec struct {
	set   *nftables.Set
	elems []nftables.SetElement
}

type chainSpec struct {
	chain *nftables.Chain
	rules []ruleSpec
}

// ruleSpec is one rule: its text (nft syntax, for people and for change
// detection) and its expressions.
type ruleSpec struct {
	text  string
	exprs []expr.Any
}

func (s *tableSpec) addSet(set *nftables.Set, elems []nftables.SetElement) {
	set.Table = s.table
	s.sets = append(s.sets, &setSpec{set: set, elems: elems})
}

func (s *tableSpec) addChain(c *nftables.Chain, rules ...ruleSpec) *chainSpec {
	c.Table = s.table
	cs := &chainSpec{chain: c, rules: rules}
	s.chains = append(s.chains, cs)
	return cs
}

// comment is the rule's user data: nft's comment TLV with the text
// (shortened, with a hash, past nft's 128-byte limit).
func comment(text string) []byte {
	if len(text) > 100 {
		h := sha256.Sum256([]byte(text))
		text = text[:88] + "~" + hex.EncodeToString(h[:5])
	}
	return userdata.AppendString(nil, userdata.TypeComment, text)
}

// batch queues the messages of one transaction and says what they do.
type batch struct {
	c    *nftables.Conn
	ns   string
	what []string
}

func (b *batch) note(format string, args ...any) {
	b.what = append(b.what, fmt.Sprintf(format, args...))
}

// ensureTable makes the namespace's table match spec. rebuild forces a
// full rebuild (e.g. a netdev chain's device was recreated).
func (p *Plane) ensureTable(n *ns, spec *tableSpec, rebuild bool) error {
	c, err := nftables.New(nftables.WithNetNSFd(int(n.fd)))
	if err != nil {
		return fmt.Errorf("netplane: nftables in %s: %w", n.name, err)
	}
	b := &batch{c: c, ns: n.name}
	exists, err := tableExists(c, spec.table)
	if err != nil {
		return fmt.Errorf("netplane: list tables in %s: %w", n.name, err)
	}
	if exists && !rebuild {
		ok, err := b.diff(spec)
		if err != nil {
			return fmt.Errorf("netplane: read table %s in %s: %w", spec.table.Name, n.name, err)
		}
		rebuild = !ok
	}
	if !exists || rebuild {
		// A fresh connection: whatever diff queued is dropped unsent.
		fresh, err := nftables.New(nftables.WithNetNSFd(int(n.fd)))
		if err != nil {
			return fmt.Errorf("netplane: nftables in %s: %w", n.name, err)
		}
		b = &batch{c: fresh, ns: n.name}
		if exists {
			b.c.DelTable(spec.table)
			b.note("delete table %s", spec.table.Name)
		}
		if err := b.create(spec); err != nil {
			return err
		}
	}
	if len(b.what) == 0 {
		return nil
	}
	if err := b.c.Flush(); err != nil {
		return fmt.Errorf("netplane: nftables transaction in %s (%s): %w", n.name, strings.Join(b.what, "; "), err)
	}
	for _, w := range b.what {
		p.changed(n.name, "nft %s", w)
	}
	return nil
}

func tableExists(c *nftables.Conn, t *nftables.Table) (bool, error) {
	tables, err := c.ListTablesOfFamily(t.Family)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(tables, func(x *nftables.Table) bool { return x.Name == t.Name }), nil
}

// create queues the whole table.
func (b *batch) create(spec *tableSpec) error {
	b.c.AddTable(spec.table)
	b.note("add table %s", spec.table.Name)
	for _, cs := range spec.chains {
		b.c.AddChain(cs.chain)
	}
	for _, ss := range spec.sets {
		if err := b.addSet(ss); err != nil {
			return err
		}
	}
	for _, cs := range spec.chains {
		b.addRules(cs)
	}
	return nil
}

const elemChunk = 256

func (b *batch) addSet(ss *setSpec) error {
	if err := b.c.AddSet(ss.set, nil); err != nil {
		return fmt.Errorf("netplane: set %s: %w", ss.set.Name, err)
	}
	return b.addElems(ss.set, ss.elems)
}

func (b *batch) addElems(s *nftables.Set, elems []nftables.SetElement) error {
	for len(elems) > 0 {
		n := min(len(elems), elemChunk)
		if err := b.c.SetAddElements(s, elems[:n]); err != nil {
			return fmt.Errorf("netplane: elements of %s: %w", s.Name, err)
		}
		b.note("add %d elements to %s", n, s.Name)
		elems = elems[n:]
	}
	return nil
}

func (b *batch) addRules(cs *chainSpec) {
	for _, r := range cs.rules {
		b.c.AddRule(&nftables.Rule{Table: cs.chain.Table, Chain: cs.chain, Exprs: r.exprs, UserData: comment(r.text)})
	}
	if len(cs.rules) > 0 {
		b.note("write %d rules of chain %s", len(cs.rules), cs.chain.Name)
	}
}

// diff queues the changes that turn the kernel's table into spec. It
// returns false when the difference is structural and needs a rebuild.
func (b *batch) diff(spec *tableSpec) (bool, error) {
	c, t := b.c, spec.table
	sets, err := c.GetSets(t)
	if err != nil {
		return false, err
	}
	haveSets := map[string]*nftables.Set{}
	for _, s := range sets {
		haveSets[s.Name] = s
	}
	chains, err := c.ListChainsOfTableFamily(t.Family)
	if err != nil {
		return false, err
	}
	haveChains := map[string]*nftables.Chain{}
	for _, ch := range chains {
		if ch.Table.Name == t.Name {
			haveChains[ch.Name] = ch
		}
	}
	for _, ss := range spec.sets {
		if h := haveSets[ss.set.Name]; h != nil && !sameSetType(h, ss.set) {
			return false, nil
		}
	}
	for _, cs := range spec.chains {
		if h := haveChains[cs.chain.Name]; h != nil && !sameChainType(h, cs.chain) {
			return false, nil
		}
	}

	// New chains first: elements and rules may jump to them.
	for _, cs := range spec.chains {
		if haveChains[cs.chain.Name] == nil {
			c.AddChain(cs.chain)
			b.note("add chain %s", cs.chain.Name)
		}
	}
	// Sets: new ones whole; existing ones by element difference, stale
	// elements out before new ones in (a map key may change its value).
	for _, ss := range spec.sets {
		h := haveSets[ss.set.Name]
		if h == nil {
			if err := b.addSet(ss); err != nil {
				return false, err
			}
			continue
		}
		elems, err := c.GetSetElements(h)
		if err != nil {
			return false, err
		}
		want := map[string]bool{}
		for _, e := range ss.elems {
			want[elemKey(ss.set, e, false)] = true
		}
		var stale []nftables.SetElement
		for _, e := range elems {
			k := elemKey(ss.set, e, true)
			if want[k] {
				delete(want, k)
				continue
			}
			stale = append(stale, e)
		}
		if len(stale) > 0 {
			for i := range stale {
				stale[i].Val, stale[i].VerdictData = nil, nil // keys identify elements
			}
			if err := c.SetDeleteElements(h, stale); err != nil {
				return false, err
			}
			b.note("delete %d elements from %s", len(stale), ss.set.Name)
		}
		var add []nftables.SetElement
		for _, e := range ss.elems {
			if want[elemKey(ss.set, e, false)] {
				add = append(add, e)
			}
		}
		if err := b.addElems(h, add); err != nil {
			return false, err
		}
	}
	// Rules: a chain whose rule comments differ is rewritten.
	for _, cs := range spec.chains {
		if haveChains[cs.chain.Name] != nil {
			rules, err := c.GetRules(t, cs.chain)
			if err != nil {
				return false, err
			}
			if sameRules(rules, cs.rules) {
				continue
			}
			c.FlushChain(cs.chain)
		}
		b.addRules(cs)
	}
	// What is no longer wanted: chains (flushed, then deleted), then sets.
	wantChains := map[string]bool{}
	for _, cs := range spec.chains {
		wantChains[cs.chain.Name] = true
	}
	for name, ch := range haveChains {
		if !wantChains[name] {
			c.FlushChain(ch)
		}
	}
	for name, ch := range haveChains {
		if !wantChains[name] {
			c.DelChain(ch)
			b.note("delete chain %s", name)
		}
	}
	wantSets := map[string]bool{}
	for _, ss := range spec.sets {
		wantSets[ss.set.Name] = true
	}
	for name, s := range haveSets {
		if !wantSets[name] && !s.Anonymous {
			c.DelSet(s)
			b.note("delete set %s", name)
		}
	}
	return true, nil
}

func sameRules(have []*nftables.Rule, want []ruleSpec) bool {
	if len(have) != len(want) {
		return false
	}
	for i, r := range have {
		if string(r.UserData) != string(comment(want[i].text)) {
			return false
		}
	}
	return true
}

func sameSetType(h, w *nftables.Set) bool {
	if h.IsMap != w.IsMap || h.Interval != w.Interval || h.Concatenation != w.Concatenation {
		return false
	}
	verdict := nftables.TypeVerdict.Name
	if w.IsMap && w.DataType.Name == verdict {
		// google/nftables v0.3.0 reads a verdict map's data type back
		// into KeyType (losing the key's length): compare what it keeps.
		return h.KeyType.Name == verdict || h.DataType.Name == verdict
	}
	return h.KeyType.Bytes == w.KeyType.Bytes && (!w.IsMap || h.DataType.Name == w.DataType.Name)
}

func sameChainType(h, w *nftables.Chain) bool {
	eq := func(a, b *nftables.ChainHook) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	eqp := func(a, b *nftables.ChainPriority) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	eqpol := func(a, b *nftables.ChainPolicy) bool {
		return (a == nil || *a == nftables.ChainPolicyAccept) == (b == nil || *b == nftables.ChainPolicyAccept)
	}
	return eq(h.Hooknum, w.Hooknum) && eqp(h.Priority, w.Priority) && h.Type == w.Type && eqpol(h.Policy, w.Policy)
}

// elemKey is an element's identity and value as a string. Elements read
// from the kernel carry a verdict as raw attributes in Val.
func elemKey(s *nftables.Set, e nftables.SetElement, fromKernel bool) string {
	k := hex.EncodeToString(e.Key) + "/" + hex.EncodeToString(e.KeyEnd)
	if e.IntervalEnd {
		return k + "/end"
	}
	if !s.IsMap {
		return k
	}
	if s.DataType.Name == nftables.TypeVerdict.Name {
		if fromKernel {
			kind, chain := decodeVerdict(e.Val)
			return fmt.Sprintf("%s=v%d:%s", k, kind, chain)
		}
		if e.VerdictData != nil {
			return fmt.Sprintf("%s=v%d:%s", k, e.VerdictData.Kind, e.VerdictData.Chain)
		}
	}
	return k + "=" + hex.EncodeToString(e.Val)
}

func decodeVerdict(b []byte) (int64, string) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return 0, ""
	}
	ad.ByteOrder = binary.BigEndian
	var kind int64
	var chain string
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_VERDICT_CODE:
			kind = int64(int32(ad.Uint32()))
		case unix.NFTA_VERDICT_CHAIN:
			chain = ad.String()
		}
	}
	return kind, chain
}
