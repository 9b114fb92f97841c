package token

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Scope is what a token may do. The distribution form
// "repository:NAME:ACTIONS" (and "registry:catalog:*") is understood as a
// resource type, name and actions; anything else is free text.
type Scope struct {
	Type    string   // "repository", "registry"; "" for free text
	Name    string   // repository name, possibly with a host and port
	Actions []string // "pull", "push", "delete", "*", ...
	Text    string   // free text, when Type is ""
}

// maxScope bounds one scope's length.
const maxScope = 1024

// scopeTypes are the resource types of the distribution token scope.
var scopeTypes = map[string]bool{"repository": true, "registry": true}

// actionOrder is the order actions are shown in.
var actionOrder = map[string]int{"pull": 1, "push": 2, "delete": 3, "*": 4}

// ParseScope reads one scope. "repository:myteam/myapi:push,pull" is
// understood as the distribution form and shown as
// "repository:myteam/myapi:pull,push"; text that does not start with a
// distribution resource type is kept as it is. Empty text, control
// characters and a malformed distribution scope are refused.
func ParseScope(s string) (Scope, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Scope{}, errors.New("empty scope")
	}
	if len(t) > maxScope {
		return Scope{}, fmt.Errorf("scope longer than %d bytes", maxScope)
	}
	if strings.IndexFunc(t, unicode.IsControl) >= 0 {
		return Scope{}, errors.New("scope with control characters")
	}
	typ, rest, ok := strings.Cut(t, ":")
	if !ok || !scopeTypes[strings.ToLower(typ)] {
		if HoldsToken(t) {
			return Scope{}, ErrHoldsToken
		}
		return Scope{Text: t}, nil
	}
	bad := fmt.Errorf("scope %q: want %s:NAME:ACTIONS such as repository:myteam/myapi:pull,push", t, strings.ToLower(typ))
	// The name may hold a host:port; the actions follow the last colon.
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 || i == len(rest)-1 {
		return Scope{}, bad
	}
	name, list := rest[:i], rest[i+1:]
	if strings.ContainsAny(name, " \t") {
		return Scope{}, bad
	}
	var actions []string
	seen := map[string]bool{}
	for _, a := range strings.Split(list, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || strings.ContainsAny(a, " :") {
			return Scope{}, bad
		}
		if !seen[a] {
			seen[a] = true
			actions = append(actions, a)
		}
	}
	sortActions(actions)
	return Scope{Type: strings.ToLower(typ), Name: name, Actions: actions}, nil
}

// sortActions puts known actions first, in their usual order, and keeps
// the order of the others.
func sortActions(a []string) {
	rank := func(s string) int {
		if r, ok := actionOrder[s]; ok {
			return r
		}
		return len(actionOrder) + 1
	}
	for i := 1; i < len(a); i++ { // insertion sort: stable and tiny
		for j := i; j > 0 && rank(a[j]) < rank(a[j-1]); j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// String shows the scope as it is stored: "repository:myteam/myapi:pull"
// or the free text.
func (sc Scope) String() string {
	if sc.Type == "" {
		return sc.Text
	}
	return sc.Type + ":" + sc.Name + ":" + strings.Join(sc.Actions, ",")
}
