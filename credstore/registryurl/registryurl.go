// Package registryurl turns the server addresses docker and other clients
// send into canonical keys: one key per registry, Docker Hub under any of
// its names. It is a leaf: it imports nothing of this module.
package registryurl

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"
)

// HubKey is the key docker uses for Docker Hub credentials.
const HubKey = "https://index.docker.io/v1/"

// Docker's own OAuth entries, kept apart from the Hub key.
const (
	HubAccessTokenKey  = HubKey + "access-token"
	HubRefreshTokenKey = HubKey + "refresh-token"
)

// HubHost is the host name Host gives Docker Hub under any of its names:
// the one name to compare with when asking "is this Docker Hub".
const HubHost = "index.docker.io"

// hubHosts are the names under which docker and other clients ask for
// Docker Hub credentials.
var hubHosts = map[string]bool{
	"index.docker.io":         true,
	"docker.io":               true,
	"registry-1.docker.io":    true,
	"registry.hub.docker.com": true,
}

// ErrInvalidServerURL is returned for a server address that is not an
// http(s) URL or a bare host[:port][/path].
var ErrInvalidServerURL = errors.New("invalid server URL")

// maxServerURL bounds what we accept as a server address.
const maxServerURL = 2048

// Canonical returns the key under which credentials for serverURL are kept.
//
// Docker Hub, under any of its names, with or without scheme, trailing
// slash, /v1/ or /v2/, is HubKey; Docker's OAuth entries are HubKey plus
// "access-token" or "refresh-token". Any other registry is
// host[:port][/path] with the host in lower case, no scheme, no trailing
// slash and no bare /v1 or /v2 path: scheme and trailing slash do not
// matter, ports do. Docker Hub's names with port 443 are Docker Hub; with
// any other port they are refused, so that no spelling of Docker Hub is
// ever treated as another registry.
func Canonical(serverURL string) (string, error) {
	host, path, err := splitServerURL(serverURL)
	if err != nil {
		return "", err
	}
	if hubHosts[host] {
		switch path {
		case "", "/v1", "/v2":
			return HubKey, nil
		case "/v1/access-token", "/v1/refresh-token":
			return HubKey + path[len("/v1/"):], nil
		}
		return HubHost + path, nil
	}
	if path == "/v1" || path == "/v2" {
		path = ""
	}
	return host + path, nil
}

// Host returns the registry host[:port] of serverURL in canonical form:
// "index.docker.io" for every Docker Hub key.
func Host(serverURL string) (string, error) {
	host, _, err := splitServerURL(serverURL)
	if err != nil {
		return "", err
	}
	if hubHosts[host] {
		return HubHost, nil
	}
	return host, nil
}

// IsDockerHub reports whether serverURL names Docker Hub.
func IsDockerHub(serverURL string) bool {
	host, _, err := splitServerURL(serverURL)
	return err == nil && hubHosts[host]
}

// Display is how a person types serverURL on docker's command line:
// "docker.io" for Docker Hub, the canonical key otherwise, or serverURL as
// it is when it cannot be parsed.
func Display(serverURL string) string {
	if IsDockerHub(serverURL) {
		return "docker.io"
	}
	if h, err := Canonical(serverURL); err == nil {
		return h
	}
	return serverURL
}

// splitServerURL validates serverURL and returns its lower-case
// host[:port] and its path without trailing slashes.
func splitServerURL(s string) (host, path string, err error) {
	invalid := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("%w: %s", ErrInvalidServerURL, why)
	}
	if s == "" {
		return invalid("empty")
	}
	if len(s) > maxServerURL {
		return invalid("longer than 2048 bytes")
	}
	if !utf8.ValidString(s) {
		return invalid("not valid UTF-8")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '\\' {
			return invalid("contains a space, a control character or a backslash")
		}
	}
	rest := s
	// A scheme stands before the first slash; "://" later is path.
	if i := strings.Index(rest, "://"); i >= 0 && !strings.Contains(rest[:i], "/") {
		switch strings.ToLower(rest[:i]) {
		case "http", "https":
		default:
			return invalid("only http and https URLs are supported")
		}
		rest = rest[i+3:]
	} else if i := strings.Index(rest, ":/"); i >= 0 && !strings.Contains(rest[:i], "/") {
		return invalid("only http and https URLs are supported") // file:/x, unix:/x
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		return invalid("a query or fragment is not part of a registry address")
	}
	hostport := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		hostport, path = rest[:i], rest[i:]
	}
	if strings.Contains(hostport, "@") {
		return invalid("user information is not part of a registry address")
	}
	if host, err = canonicalHostPort(hostport); err != nil {
		return invalid(err.Error())
	}
	if name, port, ok := strings.Cut(host, ":"); ok && hubHosts[name] {
		if port != "443" {
			return invalid("Docker Hub is served on port 443 only")
		}
		host = name
	}
	path = strings.TrimRight(path, "/")
	if strings.Contains(path, "//") {
		return invalid("empty path segment")
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return invalid("dot segment in path")
		}
	}
	return host, path, nil
}

func canonicalHostPort(hp string) (string, error) {
	if hp == "" {
		return "", errors.New("no host")
	}
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", errors.New("unclosed [ in host")
		}
		host, port = hp[:end+1], hp[end+1:]
		ip := net.ParseIP(host[1 : len(host)-1])
		if ip == nil || ip.To4() != nil {
			return "", errors.New("bad IPv6 address")
		}
		host = "[" + ip.String() + "]"
		if port != "" && port[0] != ':' {
			return "", errors.New("junk after ]")
		}
	} else if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		host, port = hp[:i], hp[i:]
		if strings.Contains(host, ":") {
			return "", errors.New("an IPv6 address needs [brackets]")
		}
		if err := checkHostname(host); err != nil {
			return "", err
		}
		host = strings.ToLower(host)
	} else {
		if err := checkHostname(host); err != nil {
			return "", err
		}
		host = strings.ToLower(host)
	}
	if port != "" {
		n, err := strconv.Atoi(port[1:])
		if err != nil || n < 1 || n > 65535 || port[1] == '0' || port[1] == '+' {
			return "", errors.New("bad port")
		}
		port = ":" + strconv.Itoa(n)
	}
	return host + port, nil
}

func checkHostname(h string) error {
	if h == "" || len(h) > 253 {
		return errors.New("bad host name")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("bad host name")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			case (c == '-' || c == '_') && i > 0 && i < len(label)-1:
			default:
				return errors.New("bad host name")
			}
		}
	}
	return nil
}
