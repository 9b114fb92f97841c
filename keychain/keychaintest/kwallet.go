package keychaintest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/godbus/dbus/v5"
)

// KWalletOptions set up a KWallet for StartKWallet.
type KWalletOptions struct {
	// Closed leaves the wallet closed: unlocking its collection needs the
	// wallet's password in a dialog. By default the wallet is opened the
	// way pam_kwallet opens it at login (pamOpen), and its collection then
	// reports Locked until a client calls Unlock, which completes with no
	// dialog.
	Closed bool
	// Unlocked also unlocks the collection of the pamOpen'ed wallet (as a
	// client's Unlock would), so it starts unlocked. Not with Closed.
	Unlocked bool
	// Short skips the test under -short: pass testing.Short().
	Short bool
}

const (
	kwalletName       = "org.kde.kwalletd5"
	kwalletPath       = dbus.ObjectPath("/modules/kwalletd5")
	kwalletWallet     = "kdewallet"
	kwalletCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/" + kwalletWallet)
)

// KWalletAvailable reports why kwalletd5 cannot run here, or "".
func KWalletAvailable() string {
	return missing(program{"kwalletd5", "libkf5wallet-bin"})
}

// StartKWallet skips the test (fails it with CI=true) when kwalletd5
// cannot run, else starts it as StartKWalletDir does in a fresh temporary
// directory and stops it when the test ends, like Start.
func StartKWallet(t TB, opts KWalletOptions) *SecretService {
	t.Helper()
	require(t, opts.Short, ImplKWallet, KWalletAvailable())
	return startManaged(t, func(dir string) (*SecretService, error) { return StartKWalletDir(dir, opts) })
}

// StartKWalletDir starts a private session bus and, on it, kwalletd5
// headless (Qt's offscreen platform) with its Secret Service API on and a
// wallet "kdewallet" (collection
// /org/freedesktop/secrets/collection/kdewallet, also the default alias),
// created and opened as pam_kwallet does at login: pamOpen with a
// throwaway password hash. Its collection then reports Locked; see
// KWalletOptions. Everything lives under dir, as with StartSecretService.
func StartKWalletDir(dir string, opts KWalletOptions) (*SecretService, error) {
	if opts.Closed && opts.Unlocked {
		return nil, errors.New("keychaintest: KWalletOptions: Closed and Unlocked together")
	}
	return startImpl(dir, ImplKWallet, KWalletAvailable(), func(s *SecretService) error {
		return s.startKWallet(opts)
	})
}

func (s *SecretService) startKWallet(opts KWalletOptions) error {
	conf := "[Wallet]\nEnabled=true\nFirst Use=false\nDefault Wallet=" + kwalletWallet +
		"\nUse One Wallet=true\nClose When Idle=false\nPrompt on Open=false\n\n" +
		"[org.freedesktop.secrets]\napiEnabled=true\n"
	if err := os.WriteFile(filepath.Join(s.dir, "config", "kwalletrc"), []byte(conf), 0o600); err != nil {
		return err
	}
	hash := make([]byte, 56) // pam_kwallet's hash of the login password
	if _, err := rand.Read(hash); err != nil {
		return err
	}
	// A wallet created by pamOpen becomes a collection only once kwalletd5
	// starts again.
	if err := s.runKWallet(); err != nil {
		return err
	}
	if err := s.pamOpen(hash); err != nil {
		return err
	}
	wallet := filepath.Join(s.dir, "data", "kwalletd", kwalletWallet+".kwl")
	if err := s.waitFor(s.svc, "the wallet file written", func(context.Context) error {
		_, err := os.Stat(wallet)
		return err
	}); err != nil {
		return err
	}
	s.mu.Lock()
	d := s.svc
	s.svc = nil
	s.mu.Unlock()
	if err := d.stop(); err != nil {
		return err
	}
	if err := s.runKWallet(); err != nil {
		return err
	}
	if err := s.waitFor(s.svc, "showing the wallet's collection", s.hasCollection); err != nil {
		return err
	}
	if opts.Closed {
		return nil
	}
	if err := s.pamOpen(hash); err != nil {
		return err
	}
	if opts.Unlocked {
		return s.unlockNoPrompt()
	}
	return nil
}

// runKWallet starts kwalletd5 and waits for it to own its name and
// org.freedesktop.secrets.
func (s *SecretService) runKWallet() error {
	cmd := exec.Command("kwalletd5")
	cmd.Env = s.daemonEnv(s.addr)
	cmd.Dir = s.home
	cmd.SysProcAttr = sysProcAttr()
	d, err := s.start("kwalletd5", cmd)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.svc = d
	s.mu.Unlock()
	return s.waitFor(d, "on the bus", func(ctx context.Context) error {
		return s.call(ctx, func(conn *dbus.Conn) error {
			for _, name := range []string{kwalletName, secretsName} {
				var owned bool
				err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned)
				if err != nil {
					return err
				}
				if !owned {
					return errors.New(name + " not on the bus yet")
				}
			}
			return nil
		})
	})
}

// pamOpen opens the wallet as pam_kwallet does, creating it if need be.
func (s *SecretService) pamOpen(hash []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return s.call(ctx, func(conn *dbus.Conn) error {
		err := conn.Object(kwalletName, kwalletPath).
			CallWithContext(ctx, "org.kde.KWallet.pamOpen", 0, kwalletWallet, hash, int32(0)).Err
		if err != nil {
			return fmt.Errorf("keychaintest: kwalletd5 pamOpen: %w", err)
		}
		return nil
	})
}

// hasCollection is nil once the Secret Service lists the wallet's
// collection.
func (s *SecretService) hasCollection(ctx context.Context) error {
	return s.call(ctx, func(conn *dbus.Conn) error {
		var v dbus.Variant
		err := conn.Object(secretsName, secretsPath).
			CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, serviceIface, "Collections").Store(&v)
		if err != nil {
			return err
		}
		if paths, _ := v.Value().([]dbus.ObjectPath); !slices.Contains(paths, kwalletCollection) {
			return fmt.Errorf("collections %v, not yet %s", paths, kwalletCollection)
		}
		return nil
	})
}

// unlockNoPrompt unlocks the default collection where the service needs no
// person for it: Unlock answers no prompt, or a prompt that completes by
// itself.
func (s *SecretService) unlockNoPrompt() error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return s.call(ctx, func(conn *dbus.Conn) error {
		var unlocked []dbus.ObjectPath
		var prompt dbus.ObjectPath
		err := conn.Object(secretsName, secretsPath).
			CallWithContext(ctx, serviceIface+".Unlock", 0, []dbus.ObjectPath{defaultAlias}).Store(&unlocked, &prompt)
		if err != nil {
			return fmt.Errorf("keychaintest: unlock: %w", err)
		}
		if prompt != "/" {
			if err := runPrompt(ctx, conn, prompt); err != nil {
				return err
			}
		}
		locked, err := s.defaultLocked(ctx)
		if err == nil && locked {
			err = errors.New("keychaintest: default collection still locked after Unlock")
		}
		return err
	})
}

// runPrompt shows prompt and waits for its Completed signal (or ctx).
func runPrompt(ctx context.Context, conn *dbus.Conn, prompt dbus.ObjectPath) error {
	match := []dbus.MatchOption{
		dbus.WithMatchObjectPath(prompt),
		dbus.WithMatchInterface("org.freedesktop.Secret.Prompt"),
		dbus.WithMatchMember("Completed"),
	}
	if err := conn.AddMatchSignalContext(ctx, match...); err != nil {
		return err
	}
	defer conn.RemoveMatchSignalContext(context.Background(), match...)
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	if err := conn.Object(secretsName, prompt).
		CallWithContext(ctx, "org.freedesktop.Secret.Prompt.Prompt", 0, "").Err; err != nil {
		return fmt.Errorf("keychaintest: prompt: %w", err)
	}
	for {
		select {
		case sig := <-signals:
			if sig.Path != prompt || sig.Name != "org.freedesktop.Secret.Prompt.Completed" {
				continue
			}
			if dismissed, _ := sig.Body[0].(bool); dismissed {
				return errors.New("keychaintest: unlock prompt dismissed")
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("keychaintest: unlock prompt did not complete: %w", ctx.Err())
		}
	}
}

// call runs f on a fresh private connection to the bus.
func (s *SecretService) call(ctx context.Context, f func(*dbus.Conn) error) error {
	conn, err := s.connectBus(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return f(conn)
}
