package pyjson

import (
	"math"
	"testing"
)

// Expected strings are Python 3's json.dumps output for the same values.
func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{
		1e16: "1e+16", 1e-05: "1e-05", 0.0001: "0.0001", math.Copysign(0, -1): "-0.0", 0: "0.0",
		1.5e300: "1.5e+300", 123456789.0: "123456789.0", 1e15: "1000000000000000.0", 2.5e-7: "2.5e-07",
		0.1: "0.1", 36.0 / 7: "5.142857142857143", -3: "-3.0", 9999999999999998.0: "9999999999999998.0",
		math.Inf(1): "Infinity", math.Inf(-1): "-Infinity",
	} {
		if got := Float(f); got != want {
			t.Errorf("Float(%v) = %s, want %s", f, got, want)
		}
	}
	if got := Float(math.NaN()); got != "NaN" {
		t.Errorf("Float(NaN) = %s", got)
	}
}

func TestPyString(t *testing.T) {
	in := "a\"b\\c\n\x01\x7f é 😀 \u2019"
	want := `"a\"b\\c\n\u0001\u007f \u00e9 \ud83d\ude00 \u2019"`
	if got := String(in); got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
	if got := Object(Member{"k", Strings([]string{"x", "y"})}, Member{"n", List(nil)}); got != `{"k": ["x", "y"], "n": []}` {
		t.Errorf("Object = %s", got)
	}
}
