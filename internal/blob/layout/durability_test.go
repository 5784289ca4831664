package layout

import (
	"errors"
	"math"
	"testing"
	"time"
)

// TestDurability checks Durability against the closed-form approximation
// worked by hand (it agrees with the exact binomial model to ~1e-3 relative
// while λT is small):
//
//	λ = AFR/8766h = 0.0157/8766 = 1.79101e-6 per hour
//	λT (T = 24h)  = 4.29843e-5;  (λT)² = 1.84765e-9;  (λT)^3 = 7.94197e-14;  (λT)^4 = 3.41380e-18
//	P_year ≈ n · C(n-1, t) · (λT)^t · AFR
func TestDurability(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name  string
		l     Layout
		d, az int
		afr   float64
		heal  time.Duration
		want  float64 // hand computation, in the comment
		nines float64
		azTol int
	}{
		// 3 · C(2,2)=1 · 1.84765e-9 · 0.0157 = 8.7024e-11 -> 10.06 nines
		{"replicas(3)", Replicated(3), 6, 3, 0, day, 8.7024e-11, 10.06, 2},
		// 2 · C(1,1)=1 · 4.29843e-5 · 0.0157 = 1.3497e-6 -> 5.87 nines
		{"replicas(2)", Replicated(2), 4, 2, 0, day, 1.3497e-6, 5.87, 1},
		// 6 · C(5,2)=10 · 1.84765e-9 · 0.0157 = 1.7405e-9 -> 8.76 nines
		{"RS(4,2)", ReedSolomon(4, 2), 6, 3, 0, day, 1.7405e-9, 8.76, 1},
		// 9 · C(8,3)=56 · 7.94199e-14 · 0.0157 = 6.2843e-13 -> 12.20 nines
		{"RS(6,3)", ReedSolomon(6, 3), 9, 3, 0, day, 6.2843e-13, 12.20, 1},
		// 12 · C(11,4)=330 · 3.41381e-18 · 0.0157 = 2.1224e-16 -> 15.67 nines
		{"RS(8,4)", ReedSolomon(8, 4), 12, 3, 0.0157, day, 2.1224e-16, 15.67, 1},
		// 14 · C(13,4)=715 · 3.41381e-18 · 0.0157 = 5.3650e-16 -> 15.27 nines
		{"RS(10,4)", ReedSolomon(10, 4), 16, 4, 0, day, 5.3650e-16, 15.27, 1},
		// a week to heal: λT = 3.00890e-4, (λT)² = 9.05347e-8;
		// 6 · 10 · 9.05347e-8 · 0.0157 = 8.5284e-8 -> 7.07 nines
		{"RS(4,2) slow heal", ReedSolomon(4, 2), 6, 3, 0, 7 * day, 8.5284e-8, 7.07, 1},
		// AFR 5%, 72h: λ = 5.70386e-6, λT = 4.10678e-4, (λT)^4 = 2.84448e-14;
		// 14 · 715 · 2.84448e-14 · 0.05 = 1.4237e-11 -> 10.85 nines
		// (the exact model is 0.4% lower: the factor (1-p)^(n-1-t) = (1-4.1e-4)^9)
		{"RS(10,4) bad drives", ReedSolomon(10, 4), 100, 4, 0.05, 72 * time.Hour, 1.4237e-11, 10.85, 1},
		// replicas in 4 AZs survive N-1 = 2 AZ losses; RS(2,2) over 2x2 drives one.
		{"replicas(3) 4 AZs", Replicated(3), 8, 4, 0, day, 8.7024e-11, 10.06, 2},
		// 4 · C(3,2)=3 · 1.84765e-9 · 0.0157 = 3.4809e-10 -> 9.46 nines
		{"RS(2,2)", ReedSolomon(2, 2), 4, 2, 0, day, 3.4809e-10, 9.46, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Durability(tc.l, tc.d, tc.az, tc.afr, tc.heal)
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if rel := math.Abs(r.LossProbability-tc.want) / tc.want; rel > 5e-3 {
				t.Errorf("P(loss/yr) = %.5g, hand %.5g (relative error %.2g)", r.LossProbability, tc.want, rel)
			}
			if math.Abs(r.Nines-tc.nines) > 0.01 {
				t.Errorf("nines = %.3f, hand %.2f", r.Nines, tc.nines)
			}
			if r.AZLossTolerance != tc.azTol {
				t.Errorf("AZ loss tolerance = %d, want %d", r.AZLossTolerance, tc.azTol)
			}
		})
	}
}

// Shorter heals and wider parity only ever help; more drives per object
// with the same parity only ever hurt.
func TestDurabilityMonotone(t *testing.T) {
	prev := 0.0
	for _, h := range []time.Duration{168 * time.Hour, 72 * time.Hour, 24 * time.Hour, time.Hour} {
		r := Durability(ReedSolomon(8, 4), 12, 3, 0, h)
		if r.Nines <= prev {
			t.Errorf("heal %v: %.2f nines, not above %.2f", h, r.Nines, prev)
		}
		prev = r.Nines
	}
	if a, b := Durability(ReedSolomon(4, 2), 6, 3, 0, 24*time.Hour), Durability(ReedSolomon(10, 2), 12, 6, 0, 24*time.Hour); a.Nines <= b.Nines {
		t.Errorf("RS(4,2) %.2f nines <= RS(10,2) %.2f", a.Nines, b.Nines)
	}
}

func TestDurabilityErrors(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		r    Result
		want error
	}{
		{"invalid layout", Durability(Layout{}, 6, 3, 0, day), ErrInvalidLayout},
		{"too few drives", Durability(ReedSolomon(4, 2), 5, 3, 0, day), ErrAZRule},
		{"AZs cannot hold it", Durability(ReedSolomon(10, 4), 30, 3, 0, day), ErrAZRule},
		{"no AZs", Durability(ReedSolomon(4, 2), 6, 0, 0, day), ErrInvalidModel},
		{"AFR of 100%", Durability(ReedSolomon(4, 2), 6, 3, 1, day), ErrInvalidModel},
		{"negative AFR", Durability(ReedSolomon(4, 2), 6, 3, -0.1, day), ErrInvalidModel},
		{"NaN AFR", Durability(ReedSolomon(4, 2), 6, 3, math.NaN(), day), ErrInvalidModel},
		{"no heal time", Durability(ReedSolomon(4, 2), 6, 3, 0, 0), ErrInvalidModel},
	} {
		if !errors.Is(tc.r.Err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, tc.r.Err, tc.want)
		}
		if tc.r.LossProbability != 0 || tc.r.Nines != 0 {
			t.Errorf("%s: figures set with an error: %+v", tc.name, tc.r)
		}
	}
}
