module neonet.dev/neonet

go 1.26.0

require (
	github.com/nlpodyssey/gopickle v0.2.0
	golang.org/x/image v0.48.0
)
