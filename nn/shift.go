package nn

// Offset is how far one channel moves in a shift: output pixel (y, x) takes
// input pixel (y+DY, x+DX).
type Offset struct{ DY, DX int }
