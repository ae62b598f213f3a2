package models

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"os"
	"slices"
	"strings"
)

//go:embed labels/imagenet_synsets.txt labels/cifar10.txt
var labelFiles embed.FS

// Labels are the class names of a model's outputs, by index.
type Labels struct {
	Names []string
	// IDs are dataset identifiers when the label file has them (ImageNet
	// WordNet ids such as n01443537), else the names again.
	IDs []string
}

// DefaultLabels returns the built-in label set "imagenet" or "cifar10".
func DefaultLabels(set string) (*Labels, error) {
	data, err := labelFiles.ReadFile("labels/" + map[string]string{
		"imagenet": "imagenet_synsets.txt", "cifar10": "cifar10.txt"}[set])
	if err != nil {
		return nil, fmt.Errorf("no built-in label set %q", set)
	}
	return parseLabels(data, set)
}

// LoadLabels reads a label file: one class per line, in output order. A
// line may start with an id followed by a space ("n01443537 goldfish,
// Carassius auratus"): lines whose first word looks like a WordNet id are
// read that way, and the name is the text up to the first comma.
func LoadLabels(path string) (*Labels, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	return parseLabels(data, path)
}

func parseLabels(data []byte, source string) (*Labels, error) {
	l := &Labels{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		id, name := line, line
		if first, rest, ok := strings.Cut(line, " "); ok && isWordNetID(first) {
			id = first
			name, _, _ = strings.Cut(strings.TrimSpace(rest), ",")
		}
		l.IDs = append(l.IDs, id)
		l.Names = append(l.Names, strings.TrimSpace(name))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("labels %s: %w", source, err)
	}
	if len(l.Names) == 0 {
		return nil, fmt.Errorf("labels %s: no labels (expected one class per line)", source)
	}
	return l, nil
}

// isWordNetID matches "n" followed by eight digits.
func isWordNetID(s string) bool {
	if len(s) != 9 || s[0] != 'n' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Index returns the class index of an id or name, or -1.
func (l *Labels) Index(idOrName string) int {
	for i := range l.Names {
		if l.IDs[i] == idOrName || l.Names[i] == idOrName {
			return i
		}
	}
	return -1
}

// Name returns the name of class i, or "class i" past the end of the list.
func (l *Labels) Name(i int) string { return ClassName(l.Names, i) }

// ClassName is the name of class i in names, or "class i" when names does
// not cover it (a model trained for more classes than it has names for).
func ClassName(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("class %d", i)
}

// LabelsFromNames wraps class names, such as those stored in a model file,
// as Labels; when they are one of the built-in sets, that set is returned
// so its dataset ids (ImageNet WordNet ids) are known too.
func LabelsFromNames(names []string) *Labels {
	for _, set := range []string{"imagenet", "cifar10"} {
		if l, err := DefaultLabels(set); err == nil && slices.Equal(l.Names, names) {
			return l
		}
	}
	return &Labels{Names: names, IDs: names}
}
