// Package hint is the one way an error carries its fixes: lines for a
// person, ideally commands to paste. An error that knows its fixes
// implements Hinter (as keychain.Error does), or is wrapped with Wrap; Of
// reads them.
package hint

// Hinter is an error that knows how to fix what went wrong.
type Hinter interface {
	Hints() []string
}

// Wrap returns err carrying hints; Error and Unwrap are err's. Empty hints
// are dropped; with none left, or a nil err, err is returned as it is.
func Wrap(err error, hints ...string) error {
	var keep []string
	for _, h := range hints {
		if h != "" {
			keep = append(keep, h)
		}
	}
	if err == nil || len(keep) == 0 {
		return err
	}
	return &hinted{err: err, hints: keep}
}

type hinted struct {
	err   error
	hints []string
}

func (e *hinted) Error() string   { return e.err.Error() }
func (e *hinted) Unwrap() error   { return e.err }
func (e *hinted) Hints() []string { return e.hints }

// Of returns the fixes for err: those of the first error in its chain that
// has any, else nil.
func Of(err error) []string {
	for e := err; e != nil; {
		if h, ok := e.(Hinter); ok {
			if hs := h.Hints(); len(hs) > 0 {
				return hs
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				if hs := Of(x); len(hs) > 0 {
					return hs
				}
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// First is the first of Of(err), or "": the hint a one-line report has
// room for.
func First(err error) string {
	if hs := Of(err); len(hs) > 0 {
		return hs[0]
	}
	return ""
}
