package arm64

//go:generate go run ./gen
