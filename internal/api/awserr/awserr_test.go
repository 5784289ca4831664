package awserr

import (
	"errors"
	"fmt"
	"testing"
)

func TestMatch(t *testing.T) {
	errA, errB := errors.New("NoSuchThing"), errors.New("Other")
	rules := []Rule{{Sentinel: errA, Status: 404, Code: "NoSuchThing"}, {Sentinel: errB, Status: 500, Code: "Boom"}}
	e, ok := Match(fmt.Errorf("%w: The thing x cannot be found.", errA), rules)
	if !ok || e.Code != "NoSuchThing" || e.Status != 404 || e.Message != "The thing x cannot be found." || e.Server {
		t.Fatalf("wrapped: %+v %v", e, ok)
	}
	e, ok = Match(fmt.Errorf("outer: %w", errB), rules)
	if !ok || e.Code != "Boom" || !e.Server || e.Message != "outer: Other" {
		t.Fatalf("wrapped deeper: %+v %v", e, ok)
	}
	if _, ok := Match(errors.New("unrelated"), rules); ok {
		t.Fatal("matched an unrelated error")
	}
}
