package earlybus

import "testing"

func TestSocket(t *testing.T) {
	for addr, want := range map[string]string{
		"unix:path=/run/user/1000/bus":            "/run/user/1000/bus",
		"unix:path=/tmp/a%20b,guid=0123":          "/tmp/a b",
		"unix:abstract=/tmp/dbus-x,guid=1":        "@/tmp/dbus-x",
		"tcp:host=h,port=1;unix:path=/second/bus": "/second/bus",
		"unix:tmpdir=/tmp":                        "",
		"unix:path=/bad%zz":                       "",
		"tcp:host=h,port=1":                       "",
	} {
		got, ok := Socket(addr)
		if got != want || ok != (want != "") {
			t.Errorf("Socket(%q) = %q, %v; want %q", addr, got, ok, want)
		}
	}
}

func TestHandshake(t *testing.T) {
	first := []byte("FIRST")
	got := string(Handshake(1000, first))
	want := "\x00AUTH EXTERNAL 31303030\r\nBEGIN\r\n" + string(Hello) + "FIRST"
	if got != want {
		t.Errorf("Handshake(1000) = %q, want %q", got, want)
	}
	if got, want := string(Handshake(0, nil)), "\x00AUTH EXTERNAL 30\r\nBEGIN\r\n"+string(Hello); got != want {
		t.Errorf("Handshake(0) = %q, want %q", got, want)
	}
}
