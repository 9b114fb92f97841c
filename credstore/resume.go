package credstore

import (
	"path/filepath"
	"strings"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/internal/statefile"
	"github.com/docker-credential-pat/docker-credential-pat/keychain"
)

// resumeFile keeps what the keychain learned in the last get for the
// next one (keychain.Resumer): the Secret Service's session path, no
// secret, in a record of resumeSize bytes rewritten in place.
const (
	resumeFile = "resume"
	resumeSize = 128
)

// resume gives b what the last get learned, and returns it. The record is
// read only for a backend that uses it: a get on the kernel keyring reads
// no more files than before.
func (s *Store) resume(b keychain.Backend) (learned string) {
	keychain.Resume(b, func() string {
		if data, err := statefile.ReadFile(filepath.Join(s.dir, resumeFile), resumeSize); err == nil {
			learned = strings.TrimSpace(string(data))
		}
		return learned
	})
	return learned
}

// keepLearned records what b learned in this get, if it is not what the
// last one did. Concurrent gets each write the whole record with one
// write; whichever lands last is kept, and a record read half written is
// a wrong guess, which costs the next get nothing.
func (s *Store) keepLearned(b keychain.Backend, last string) {
	learned := keychain.Learned(b)
	if learned == "" || learned == last || len(learned) >= resumeSize {
		return
	}
	f, err := statefile.OpenWrite(filepath.Join(s.dir, resumeFile))
	if err != nil {
		return
	}
	defer f.Close()
	record := []byte(learned + strings.Repeat(" ", resumeSize-1-len(learned)) + "\n")
	_, _ = f.WriteAt(record, 0)
}
