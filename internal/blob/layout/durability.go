package layout

import (
	"fmt"
	"math"
	"time"
)

// DefaultAFR is the annualized drive failure rate used when none is given:
// Backblaze's 2024 fleet-wide figure, 1.57%.
const DefaultAFR = 0.0157

// HoursPerYear is the year durability is quoted over (365.25 days).
const HoursPerYear = 8766.0

// Result is the durability of one object under a layout; see Durability.
type Result struct {
	Layout   Layout
	Drives   int
	AZs      int
	AFR      float64       // annual drive failure rate used
	HealTime time.Duration // time to restore a failed drive's shards

	Shards    int // drives each object spans (n)
	Tolerance int // shard losses survived at once (t = M or N-1)
	// FailureRate is λ, drive failures per drive-hour: AFR / 8766.
	FailureRate float64
	// WindowProbability is P(at least t of the object's other n-1 drives
	// fail within one heal window), the chance that a drive failure becomes
	// an object loss.
	WindowProbability float64
	// LossProbability is the expected probability of losing the object in a
	// year: 1 - exp(-n·λ·8766h·WindowProbability).
	LossProbability float64
	// Nines is -log10(LossProbability) (+Inf when it underflows to 0).
	Nines float64
	// AZLossTolerance is how many whole AZs can be lost at once with every
	// object still readable, given placement's per-AZ limit and drives spread
	// evenly over the AZs (at least 1 for any layout Validate accepts).
	AZLossTolerance int
	// Overhead is raw bytes stored per logical byte.
	Overhead float64
	// Err is set, and the figures are zero, when the inputs are unusable:
	// an invalid layout, fewer drives than shards, no AZs, an AFR outside
	// [0,1) or a non-positive heal time.
	Err error
}

// String renders the result on one line, for `nimbus admin storage durability`.
func (r Result) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%v: %v", r.Layout, r.Err)
	}
	return fmt.Sprintf("%v on %d drives/%d AZs (AFR %.2f%%, heal %v): P(loss/yr)=%.3g, %.1f nines, survives %d AZ(s), %.2fx",
		r.Layout, r.Drives, r.AZs, r.AFR*100, r.HealTime, r.LossProbability, r.Nines, r.AZLossTolerance, r.Overhead)
}

// Durability computes the expected annual loss probability of one object
// stored with layout l on a region of the given drive and AZ counts, for an
// annual drive failure rate (0 means DefaultAFR) and the time healing takes
// to restore a failed drive's shards. The model (doc.go has the argument):
//
//	λ      = AFR / 8766h                   drive failure rate, independent drives
//	p      = 1 - exp(-λ·T)                 P(a given drive fails within one heal window T)
//	W      = Σ_{j=t}^{n-1} C(n-1,j)·p^j·(1-p)^(n-1-j)
//	                                       P(≥ t more of the object's drives fail in that window)
//	rate   = n·λ·W                         object-loss events per hour
//	P_year = 1 - exp(-rate·8766h)          ≈ n·C(n-1,t)·(λT)^t·AFR
//	nines  = -log10(P_year)
//
// with n = Shards and t = Tolerance. It is a pure function.
func Durability(l Layout, drives int, azs int, annualFailureRate float64, healTime time.Duration) Result {
	if annualFailureRate == 0 {
		annualFailureRate = DefaultAFR
	}
	r := Result{Layout: l, Drives: drives, AZs: azs, AFR: annualFailureRate, HealTime: healTime}
	if err := l.Check(); err != nil {
		r.Err = err
		return r
	}
	n, t := l.Shards(), l.Tolerance()
	switch {
	case drives < n:
		r.Err = fmt.Errorf("%w: %v needs %d drives, have %d", ErrAZRule, l, n, drives)
	case azs < 1 || azs > drives:
		r.Err = fmt.Errorf("%w: %d AZs for %d drives", ErrInvalidModel, azs, drives)
	case annualFailureRate < 0 || annualFailureRate >= 1 || math.IsNaN(annualFailureRate):
		r.Err = fmt.Errorf("%w: annual failure rate %v outside [0,1)", ErrInvalidModel, annualFailureRate)
	case healTime <= 0:
		r.Err = fmt.Errorf("%w: heal time %v must be positive", ErrInvalidModel, healTime)
	}
	if r.Err != nil {
		return r
	}
	// The drives dealt evenly over the AZs must pass Validate's AZ rule.
	names, counts := make([]string, azs), make([]int, azs)
	for i := range azs {
		names[i] = fmt.Sprintf("az%d", i+1)
		counts[i] = drives / azs
		if i < drives%azs {
			counts[i]++
		}
	}
	if err := checkAZRule(l, names, counts); err != nil {
		r.Err = err
		return r
	}
	r.Shards, r.Tolerance, r.Overhead = n, t, l.Overhead()

	lambda := annualFailureRate / HoursPerYear
	p := -math.Expm1(-lambda * healTime.Hours())
	w := binomialTail(n-1, t, p)
	rate := float64(n) * lambda * w
	r.FailureRate, r.WindowProbability = lambda, w
	r.LossProbability = -math.Expm1(-rate * HoursPerYear)
	r.Nines = -math.Log10(r.LossProbability)

	// AZ tolerance: with drives dealt evenly, an AZ has at most
	// ceil(drives/azs) drives and so at most min(MaxPerAZ, that) shards of an
	// object; f lost AZs take at most min(n, f·perAZ) shards.
	perAZ := min(l.MaxPerAZ(), (drives+azs-1)/azs)
	for f := 1; f < azs && min(n, f*perAZ) <= t; f++ {
		r.AZLossTolerance = f
	}
	return r
}

// binomialTail is P(X >= k) for X ~ Binomial(n, p), summed from the small end
// of the tail so tiny probabilities keep their precision.
func binomialTail(n, k int, p float64) float64 {
	if k <= 0 {
		return 1
	}
	if k > n {
		return 0
	}
	total := 0.0
	for j := n; j >= k; j-- {
		total += binomial(n, j) * math.Pow(p, float64(j)) * math.Pow(1-p, float64(n-j))
	}
	return total
}

// binomial is C(n, k) as a float64 (exact for the shard counts used here).
func binomial(n, k int) float64 {
	k = min(k, n-k)
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return c
}
