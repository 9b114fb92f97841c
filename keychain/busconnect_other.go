//go:build !linux && !darwin && !windows

package keychain

import (
	"context"
	"net"
	"time"
)

// connectUnix connects to the unix socket where and writes out to it.
func connectUnix(ctx context.Context, where string, out []byte, deadline time.Time) (net.Conn, error) {
	return dialUnix(ctx, where, out, deadline)
}
