package main

// command is one of the commands for people.
type command struct {
	run  func(a *app, args []string) int
	help string
}

// commands are the commands for people; the protocol actions are apart.
var commands = map[string]*command{}

const mainHelp = `docker-credential-pat: keep registry access tokens, never passwords, in your keychain

Docker runs this helper when ~/.docker/config.json says "credsStore": "pat".

Protocol actions (run by docker; input on stdin, answer on stdout):
  store     store {"ServerURL","Username","Secret"} read from stdin
  get       print the credentials for the server address on stdin
  erase     erase the credentials for the server address on stdin
  list      print {"<server URL>": "<username>"} for every stored entry
  version   print the version

Environment:
  DOCKER_CREDENTIAL_PAT_BACKEND    auto (default), secretservice, keychain, wincred, keyctl
  DOCKER_CREDENTIAL_PAT_STATE_DIR  where metadata lives (default: <user config dir>/docker-credential-pat)
  DOCKER_CREDENTIAL_PAT_TIMEOUT    bound on each keychain call (default 5s)

Examples:
  echo -n ghcr.io | docker-credential-pat get
  docker-credential-pat list
  echo -n ghcr.io | docker-credential-pat erase
`
