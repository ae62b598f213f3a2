package cli

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseInterleaved(t *testing.T) {
	var out bytes.Buffer
	f := NewFlags("prog", "cmd", "IMAGE...", fstest.MapFS{}, &out)
	top := f.Int("top", 5, "")
	pos, err := Parse(f, []string{"a.jpg", "--top", "3", "b.jpg", "--", "--c.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	if *top != 3 || strings.Join(pos, " ") != "a.jpg b.jpg --c.jpg" {
		t.Fatalf("top %d, positional %q", *top, pos)
	}
	if !Given(f, "top") || Given(f, "other") {
		t.Error("Given does not tell the flags on the command line")
	}
	if out.Len() != 0 {
		t.Errorf("parsing printed %q", out.String())
	}
}

func TestParseErrorsAndHelp(t *testing.T) {
	var out bytes.Buffer
	help := fstest.MapFS{"help/cmd.txt": {Data: []byte("Does a thing.\n")}}
	f := NewFlags("prog", "cmd", "[--n N]", help, &out)
	n := 1
	f.Var(AtLeastOne{N: &n}, "n", "how many")
	if err := ParseFlags(f, []string{"--n", "0"}); !IsUsage(err) {
		t.Errorf("--n 0: %v, want a usage error", err)
	}
	if err := ParseFlags(f, []string{"extra"}); !IsUsage(err) || !strings.Contains(err.Error(), `"extra"`) {
		t.Errorf("positional argument: %v, want a usage error naming it", err)
	}
	if out.Len() != 0 {
		t.Errorf("errors printed help: %q", out.String())
	}
	if err := ParseFlags(f, []string{"--help"}); !errors.Is(err, flag.ErrHelp) || IsUsage(err) {
		t.Errorf("--help: %v", err)
	}
	for _, want := range []string{"Usage: prog cmd [--n N]", "Does a thing.", "-n", "how many"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help %q lacks %q", out.String(), want)
		}
	}
}

func TestSplitList(t *testing.T) {
	if got := strings.Join(SplitList(" a, ,b,"), "|"); got != "a|b" {
		t.Errorf("SplitList = %q", got)
	}
}
