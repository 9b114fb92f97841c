module github.com/docker-credential-pat/docker-credential-pat

go 1.26.8

require golang.org/x/sys v0.49.0
