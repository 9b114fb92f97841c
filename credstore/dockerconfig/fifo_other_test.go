//go:build !unix

package dockerconfig

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs here") }
