module github.com/docker-credential-pat/docker-credential-pat

go 1.26.8

require (
	github.com/docker/docker-credential-helpers v0.9.12
	github.com/godbus/dbus/v5 v5.2.2
	github.com/rogpeppe/go-internal v1.16.0
	github.com/spf13/pflag v1.0.10
	github.com/zalando/go-keyring v0.2.8
	golang.org/x/crypto v0.57.0
	golang.org/x/sys v0.49.0
	golang.org/x/term v0.47.0
)

require (
	github.com/danieljoos/wincred v1.2.3 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
