module github.com/docker-credential-pat/docker-credential-pat

go 1.26.8
