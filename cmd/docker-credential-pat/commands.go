package main

// command is one of the commands for people.
type command struct {
	run  func(a *app, args []string) int
	help string
}

// commands are the commands for people; the protocol actions are apart.
var commands = map[string]*command{
	"ls":       {run: runLs, help: lsHelp},
	"inspect":  {run: runInspect, help: inspectHelp},
	"add":      {run: runAdd, help: addHelp},
	"annotate": {run: runAnnotate, help: annotateHelp},
	"rm":       {run: runRm, help: rmHelp},
	"prune":    {run: runPrune, help: pruneHelp},
	"doctor":   {run: runDoctor, help: doctorHelp},
	"setup":    {run: runSetup, help: setupHelp},
	"probe":    {run: runProbe, help: probeHelp},
}

const mainHelp = `docker-credential-pat: keep registry access tokens, never passwords, in your keychain

Docker runs this helper when ~/.docker/config.json says "credsStore": "pat".

Protocol actions (run by docker; input on stdin, answer on stdout):
  store     store {"ServerURL","Username","Secret"} read from stdin
  get       print the credentials for the server address on stdin
  erase     erase the credentials for the server address on stdin
  list      print {"<server URL>": "<username>"} for every stored entry
  version   print the version

Commands for people (each has --help with examples):
  ls        list the stored tokens with provider, scope, expiry and last use
  inspect   show everything known about one token
  add       store a token by hand, with scope, description and expiry
  annotate  edit a token's scope, description or expiry
  rm        remove tokens and say where to revoke them
  prune     remove expired or unused tokens
  doctor    check the set-up; exits 1 when something needs attention
  setup     set "credsStore": "pat" in docker's config; --migrate moves plaintext tokens
  probe     ask a registry what a stored token may do on a repository

Environment:
  DOCKER_CREDENTIAL_PAT_BACKEND    auto (default), secretservice, keychain, wincred, keyctl
  DOCKER_CREDENTIAL_PAT_STATE_DIR  where metadata lives (default: <user config dir>/docker-credential-pat)
  DOCKER_CREDENTIAL_PAT_TIMEOUT    bound on each keychain call (default 5s)
  DOCKER_CREDENTIAL_PAT_PROMPT_TIMEOUT  bound on a keychain call while its dialog waits for you (default 1m)

Exit status: 0 success, 1 failure or something needs attention, 2 usage error.

Examples:
  docker-credential-pat setup --migrate
  docker-credential-pat ls --expiring-within 14d
  echo -n ghcr.io | docker-credential-pat get
  docker-credential-pat doctor
`
