package qnet

import "testing"

// TestOpTable checks the op table: every name makes an op of its own
// type, whose name is that name again.
func TestOpTable(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range OpNames() {
		if seen[name] {
			t.Errorf("op name %q is listed twice", name)
		}
		seen[name] = true
		op := NewOp(name)
		if op == nil || OpName(op) != name {
			t.Errorf("NewOp(%q) is %T, named %q", name, op, OpName(op))
		}
	}
	if NewOp("conv3d") != nil || OpName(nil) != "" {
		t.Error("an unknown name or a nil op has an op or a name")
	}
}
