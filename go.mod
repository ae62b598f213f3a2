module neonet.dev/neonet

go 1.26
