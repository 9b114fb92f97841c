package main

import (
	"fmt"

	"github.com/docker-credential-pat/docker-credential-pat/credstore"
	"github.com/docker-credential-pat/docker-credential-pat/credstore/doctor"
)

const doctorHelp = `Usage: docker-credential-pat doctor [--json] [--repair] [--docker-config DIR]

Check the whole set-up and say what needs attention, one line per finding
with its fix, under the name of its check (the "check" of --json):

  backend      the keychain in use (and why auto chose it), and whether it
               answers a real write, read and delete of a throwaway item;
               a locked or unreachable keychain fails
  keyctl       for the kernel keyring: where items live, how long they last
               and how much of the kernel key quota is used
  config.json  whether docker's config.json reads
  credsStore   what config.json tells docker to use, and whether that helper
               is on PATH (a credsStore naming a missing helper breaks every
               pull and push)
  PATH         whether docker-credential-pat itself is on PATH
  credHelpers  registries docker sends to other helpers, and missing ones
  plaintext    credentials left in plain text in config.json
  backups      backups of config.json (written by setup) that still hold
               credentials in plain text
  index        whether the metadata index reads
  permissions  the state directory 0700, its files 0600
  interrupted  a store or erase a killed process left half done
  keychain     each listed token's secret is in its keychain, and no token
               config.json names is in the keychain but not listed
  tokens       tokens expired or expiring within 7 days

Exits 0 when everything is ok, 1 when something needs attention.

With --repair it mends what it safely can: an unreadable index is moved
aside (index.json.corrupt-<time>) and rebuilt from the keychain items it
can find; permissions are tightened; interrupted changes are finished;
entries whose secret is gone are dropped; tokens the index lost are listed
again. It never removes a token from the keychain and never edits
config.json (that is setup's job).

Flags:
      --json              print {"ok": BOOL, "checks": [{"check", "status", "detail", "hint", "repaired"}]}
      --repair            mend what can be mended safely
      --docker-config DIR docker's configuration directory (default: $DOCKER_CONFIG or ~/.docker)
` + commonFlagsHelp + `
Examples:
  docker-credential-pat doctor
  docker-credential-pat doctor --repair
  docker-credential-pat doctor --json | jq -r '.checks[] | select(.status != "ok") | .detail'
`

func runDoctor(a *app, args []string) int {
	fs := a.flags("doctor")
	asJSON := fs.Bool("json", false, "")
	repair := fs.Bool("repair", false, "")
	dockerConfig := fs.String("docker-config", "", "")
	if code, ok := a.parse(fs, args, doctorHelp); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return a.usage("doctor", "doctor takes no arguments")
	}
	s, err := a.store()
	if err != nil {
		return a.fail(err, "")
	}
	r := doctor.Run(s, doctor.Options{Repair: *repair, DockerConfigDir: *dockerConfig})
	code := 0
	if !r.OK() {
		code = 1
	}
	if *asJSON {
		out := struct {
			OK     bool           `json:"ok"`
			Checks []doctor.Check `json:"checks"`
		}{r.OK(), r.Checks}
		if out.Checks == nil {
			out.Checks = []doctor.Check{}
		}
		if err := writeJSON(a.stdout, out); err != nil {
			return a.fail(err, "")
		}
		return code
	}
	t := newTable(a.stdout, "STATUS", "CHECK", "DETAIL")
	for _, c := range r.Checks {
		t.row(c.Status, c.Name, clean(c.Detail))
		if c.Repaired != "" {
			t.row("", "", "repaired: "+clean(c.Repaired))
		}
		if c.Hint != "" && c.Status != doctor.StatusOK {
			t.row("", "", "hint: "+clean(c.Hint))
		}
	}
	if err := t.flush(); err != nil {
		return a.fail(err, "")
	}
	if code != 0 {
		n := 0
		for _, c := range r.Checks {
			if c.Status != doctor.StatusOK {
				n++
			}
		}
		a.warn(credstore.Warning{Message: fmt.Sprintf("%d of %d checks need attention", n, len(r.Checks))})
	}
	return code
}
