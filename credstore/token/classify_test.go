package token

import (
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-pat/docker-credential-pat/credstore/registryurl"
)

const (
	hub     = "https://index.docker.io/v1/"
	ghcr    = "ghcr.io"
	private = "registry.example.com:5000"
)

type classifyCase struct {
	name     string
	server   string
	user     string
	secret   string
	class    Class
	provider string
	kind     string
	conf     string
}

func runClassify(t *testing.T, cases []classifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := tc.server
			if server == "" {
				server = private
			}
			user := tc.user
			if user == "" {
				user = "alice"
			}
			c := Classify(server, user, NewSecret(tc.secret))
			if c.Class != tc.class {
				t.Fatalf("class = %v, want %v (reason %q)", c.Class, tc.class, c.Reason)
			}
			if tc.provider != "" && c.Provider != tc.provider {
				t.Errorf("provider = %q, want %q", c.Provider, tc.provider)
			}
			if tc.kind != "" && c.Kind != tc.kind {
				t.Errorf("kind = %q, want %q", c.Kind, tc.kind)
			}
			if tc.conf != "" && c.Confidence != tc.conf {
				t.Errorf("confidence = %q, want %q", c.Confidence, tc.conf)
			}
			if c.Reason == "" {
				t.Error("empty reason")
			}
			// The first bytes may be a public prefix the reason names.
			if len(tc.secret) > 12 {
				assertNoLeak(t, tc.secret[12:], c.Reason)
			}
		})
	}
}

// assertNoLeak fails if text contains any 6-byte piece of secret.
func assertNoLeak(t *testing.T, secret string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for i := 0; i+6 <= len(secret); i++ {
			if strings.Contains(text, secret[i:i+6]) {
				t.Fatalf("text %q contains part of the secret (%q at %d)", text, secret[i:i+6], i)
			}
		}
	}
}

func TestClassifyGitHub(t *testing.T) {
	r := newRand(t)
	var cases []classifyCase
	for _, p := range []struct{ prefix, kind string }{
		{"ghp_", "personal access token"}, {"gho_", "oauth access token"}, {"ghu_", "app user access token"},
		{"ghs_", "app installation token"}, {"ghr_", "refresh token"},
	} {
		good := genGitHub(r, p.prefix, 36)
		cases = append(cases,
			classifyCase{name: p.prefix + "valid", server: ghcr, secret: good, class: ClassToken, provider: "github", kind: p.kind, conf: "checksum"},
			classifyCase{name: p.prefix + "valid-on-private", secret: good, class: ClassToken, provider: "github", conf: "checksum"},
			classifyCase{name: p.prefix + "checksum", server: ghcr, secret: flip(good, len(good)-1, alnum), class: ClassInvalid, provider: "github"},
			classifyCase{name: p.prefix + "entropy", server: ghcr, secret: flip(good, 10, alnum), class: ClassInvalid},
			classifyCase{name: p.prefix + "short", server: ghcr, secret: good[:len(good)-1], class: ClassInvalid},
			classifyCase{name: p.prefix + "stray", server: ghcr, secret: good[:20] + "-" + good[21:], class: ClassInvalid},
		)
	}
	cases = append(cases,
		classifyCase{name: "longer-future-token", server: ghcr, secret: genGitHub(r, "ghp_", 60), class: ClassToken, conf: "checksum"},
		classifyCase{name: "fine-grained", server: ghcr, secret: "github_pat_" + randFrom(r, alnum, 22) + "_" + randFrom(r, alnum, 59),
			class: ClassToken, provider: "github", kind: "fine-grained personal access token", conf: "structure"},
		classifyCase{name: "fine-grained-short", server: ghcr, secret: "github_pat_" + randFrom(r, alnum, 22) + "_" + randFrom(r, alnum, 58), class: ClassInvalid},
		classifyCase{name: "fine-grained-no-separator", server: ghcr, secret: "github_pat_" + randFrom(r, alnum, 82), class: ClassInvalid},
		classifyCase{name: "legacy-40-hex-ghcr", server: ghcr, secret: randFrom(r, hexLower, 40), class: ClassToken, kind: "legacy personal access token"},
		classifyCase{name: "legacy-40-hex-hub", server: hub, secret: randFrom(r, hexLower, 40), class: ClassPassword},
		classifyCase{name: "near-miss-prefix", server: ghcr, secret: "ghx_" + randFrom(r, alnum, 36), class: ClassPassword},
		classifyCase{name: "prefix-not-anchored", server: ghcr, secret: "x" + genGitHub(r, "ghp_", 36), class: ClassPassword},
	)
	runClassify(t, cases)
}

// TestGitHubChecksumKnownValue pins the base62 rendering to a value
// computed by hand: CRC-32("") is 0, which renders as six zeros, and a
// string whose CRC is small keeps its leading zeros.
func TestGitHubChecksumKnownValue(t *testing.T) {
	if got := githubChecksum(""); string(got[:]) != "000000" {
		t.Fatalf("checksum of empty entropy = %q, want 000000", got)
	}
	// CRC-32("a") = 0xe8b7be43 = 3904355907 = 4*62^5 + ... ; ghChecksum
	// computes the same with math/big.
	for _, e := range []string{"a", "abc", strings.Repeat("Z", 30)} {
		if got, want := githubChecksum(e), ghChecksum(e); string(got[:]) != want {
			t.Errorf("githubChecksum(%q) = %q, math/big says %q", e, got, want)
		}
	}
}

func TestClassifyGitLab(t *testing.T) {
	r := newRand(t)
	routable := genGitLabRoutable(r, "glpat-", "c:1\no:2s\nu:b4", "01")
	future := genGitLabRoutable(r, "glpat-", "o:2s\nu:b4", "02")
	instance := genGitLabRoutable(r, "ACME-glpat-", "o:1", "01")
	deployRoutable := genGitLabRoutable(r, "gldt-", "o:3", "01")
	cases := []classifyCase{
		{name: "pat-legacy", secret: "glpat-" + randFrom(r, urlSafe, 20), class: ClassToken, provider: "gitlab", kind: "personal access token", conf: "structure"},
		{name: "pat-legacy-short", secret: "glpat-" + randFrom(r, urlSafe, 19), class: ClassInvalid, provider: "gitlab"},
		{name: "pat-legacy-bad-char", secret: "glpat-" + randFrom(r, urlSafe, 19) + "!", class: ClassInvalid},
		{name: "pat-routable", secret: routable, class: ClassToken, provider: "gitlab", kind: "personal access token", conf: "checksum"},
		{name: "pat-routable-crc", secret: flip(routable, len(routable)-1, "0123456789abcdefghijklmnopqrstuvwxyz"), class: ClassInvalid},
		{name: "pat-routable-payload", secret: flip(routable, 10, alnum), class: ClassInvalid},
		{name: "pat-routable-truncated", secret: routable[:len(routable)-1], class: ClassInvalid},
		{name: "pat-routable-future-version", secret: future, class: ClassToken, conf: "structure"},
		{name: "pat-instance-prefix", secret: instance, class: ClassToken, provider: "gitlab", conf: "checksum"},
		{name: "pat-instance-prefix-legacy", secret: "ACME-glpat-" + randFrom(r, urlSafe, 20), class: ClassToken, provider: "gitlab"},
		{name: "deploy-legacy", user: "gitlab+deploy-token-12", secret: "gldt-" + randFrom(r, urlSafe, 20), class: ClassToken, kind: "deploy token"},
		{name: "deploy-routable", secret: deployRoutable, class: ClassToken, kind: "deploy token", conf: "checksum"},
		{name: "deploy-wrong-length", secret: "gldt-" + randFrom(r, urlSafe, 21), class: ClassInvalid},
		{name: "deploy-user-legacy-unprefixed", user: "gitlab+deploy-token-7", secret: randFrom(r, urlSafe, 20), class: ClassToken, kind: "deploy token", conf: "context"},
		{name: "deploy-user-with-password", user: "gitlab+deploy-token-7", secret: "hunter2hunter2", class: ClassInvalid},
		{name: "job-legacy", user: "gitlab-ci-token", secret: "glcbt-64_" + randFrom(r, urlSafe, 20), class: ClassToken, kind: "job token"},
		{name: "job-legacy-bad", user: "gitlab-ci-token", secret: "glcbt-64_" + randFrom(r, urlSafe, 19), class: ClassInvalid},
		{name: "job-jwt", user: "gitlab-ci-token", secret: "glcbt-" + genJWT(r, map[string]any{"sub": "gid://gitlab/Ci::Build/1", "aud": "gitlab-authz-token", "exp": 4102444800}),
			class: ClassToken, kind: "job token"},
		{name: "job-jwt-broken", user: "gitlab-ci-token", secret: "glcbt-eyJhbGciOi.eyJzdWIiOi.abc", class: ClassInvalid},
		{name: "job-user-unprefixed", user: "gitlab-ci-token", secret: randFrom(r, urlSafe, 20), class: ClassToken, conf: "context"},
		{name: "job-user-password", user: "gitlab-ci-token", secret: "Summer2024!", class: ClassInvalid},
		{name: "oauth-secret", secret: "gloas-" + randFrom(r, urlSafe, 64), class: ClassToken, kind: "oauth application secret"},
		{name: "unprefixed-20", secret: randFrom(r, urlSafe, 20), class: ClassPassword},
	}
	runClassify(t, cases)
}

func TestClassifyDockerHub(t *testing.T) {
	r := newRand(t)
	pat := "dckr_pat_" + randFrom(r, urlSafe, 27)
	oat := "dckr_oat_" + randFrom(r, urlSafe, 32)
	cases := []classifyCase{
		{name: "pat", server: hub, secret: pat, class: ClassToken, provider: "dockerhub", kind: "personal access token", conf: "structure"},
		{name: "pat-docker.io", server: "docker.io", secret: pat, class: ClassToken, provider: "dockerhub"},
		{name: "oat", server: hub, user: "acme", secret: oat, class: ClassToken, kind: "organization access token"},
		{name: "pat-short", server: hub, secret: pat[:len(pat)-1], class: ClassInvalid, provider: "dockerhub"},
		{name: "pat-long", server: hub, secret: pat + "x", class: ClassInvalid},
		{name: "pat-bad-char", server: hub, secret: pat[:20] + "." + pat[21:], class: ClassInvalid},
		{name: "oat-as-pat-length", server: hub, secret: "dckr_oat_" + randFrom(r, urlSafe, 27), class: ClassInvalid},
		{name: "pat-space-inside", server: hub, secret: pat[:15] + " " + pat[16:], class: ClassInvalid},
		{name: "near-miss-prefix", server: hub, secret: "dckr_pst_" + randFrom(r, urlSafe, 27), class: ClassPassword},
		{name: "legacy-uuid", server: hub, secret: uuid(r), class: ClassToken, kind: "legacy access token", conf: "structure"},
		{name: "uuid-upper-is-password", server: hub, secret: strings.ToUpper(uuid(r)), class: ClassPassword},
		{name: "32-hex", server: hub, secret: randFrom(r, hexLower, 32), class: ClassPassword},
		{name: "24-alnum", server: hub, secret: randFrom(r, alnum, 24), class: ClassPassword},
		{name: "uuid-on-private", secret: uuid(r), class: ClassPassword},
	}
	runClassify(t, cases)
}

func TestClassifyDockerOAuth(t *testing.T) {
	r := newRand(t)
	jwt := genJWT(r, map[string]any{"iss": "https://login.docker.com/", "exp": 4102444800, "scope": "openid offline_access"})
	cases := []classifyCase{
		{name: "access", server: registryurl.HubAccessTokenKey, secret: jwt, class: ClassToken, provider: "docker", kind: "oauth access token"},
		{name: "access-not-jwt", server: registryurl.HubAccessTokenKey, secret: randFrom(r, alnum, 40), class: ClassInvalid},
		{name: "refresh", server: registryurl.HubRefreshTokenKey, secret: randFrom(r, urlSafe, 40) + ".." + dockerOAuthClientID, class: ClassToken, kind: "refresh token", conf: "structure"},
		{name: "refresh-other-client", server: registryurl.HubRefreshTokenKey, secret: "v1." + randFrom(r, urlSafe, 40) + ".." + randFrom(r, alnum, 32), class: ClassToken, conf: "context"},
		{name: "refresh-word", server: registryurl.HubRefreshTokenKey, secret: "hunter2..x", class: ClassInvalid},
		{name: "refresh-word-our-client", server: registryurl.HubRefreshTokenKey, secret: "Summer2024!.." + dockerOAuthClientID, class: ClassInvalid},
		{name: "refresh-short-client", server: registryurl.HubRefreshTokenKey, secret: randFrom(r, urlSafe, 40) + "..abc", class: ClassInvalid},
		{name: "refresh-no-separator", server: registryurl.HubRefreshTokenKey, secret: randFrom(r, urlSafe, 40), class: ClassInvalid},
	}
	runClassify(t, cases)
	c := Classify(registryurl.HubAccessTokenKey, "alice", NewSecret(jwt))
	if want := time.Unix(4102444800, 0).UTC(); !c.ExpiresAt.Equal(want) {
		t.Errorf("expiresAt = %v, want %v", c.ExpiresAt, want)
	}
	if strings.Join(c.Scope, " ") != "openid offline_access" {
		t.Errorf("scope = %q", c.Scope)
	}
}

func TestClassifyChecksumFormats(t *testing.T) {
	r := newRand(t)
	acr := genACR(r)
	adoUser := genADOLegacy(r, adoUserSeed)
	adoApp := genADOLegacy(r, adoAppSeed)
	b64 := alnum + "+/"
	cases := []classifyCase{
		{name: "acr", server: "myreg.azurecr.io", user: "myreg", secret: acr, class: ClassToken, provider: "azure-acr", conf: "checksum"},
		{name: "acr-checksum", server: "myreg.azurecr.io", secret: flip(acr, 50, b64), class: ClassInvalid, provider: "azure-acr"},
		{name: "acr-body", server: "myreg.azurecr.io", secret: flip(acr, 3, b64), class: ClassInvalid},
		{name: "acr-bad-char", server: "myreg.azurecr.io", secret: acr[:5] + "-" + acr[6:], class: ClassInvalid},
		{name: "ado-user", secret: adoUser, class: ClassToken, provider: "azure-devops", conf: "checksum"},
		{name: "ado-app", secret: adoApp, class: ClassToken, provider: "azure-devops", conf: "checksum"},
		{name: "ado-checksum-wrong", secret: flip(adoUser, 20, "abcdefghijklmnopqrstuvwxyz234567"), class: ClassPassword},
		{name: "ado-random-base32", secret: randFrom(r, "abcdefghijklmnopqrstuvwxyz234567", 52), class: ClassPassword},
	}
	runClassify(t, cases)
}

// TestMarvinKnownVector checks Marvin32 and the ACR layout against the
// synthetic test key in microsoft/security-utilities' own tests.
func TestMarvinKnownVector(t *testing.T) {
	key := strings.Repeat("e", 42) + "+ACRCTB7t/"
	if !acrChecksumOK(key) {
		t.Fatal("the security-utilities ACR test key does not validate")
	}
	if acrChecksumOK(strings.Repeat("e", 42) + "+ACRCTB7t0") {
		t.Fatal("a one-character mutant validates")
	}
}

func TestClassifyStructureFormats(t *testing.T) {
	r := newRand(t)
	cases := []classifyCase{
		{name: "do-pat", server: "registry.digitalocean.com", secret: "dop_v1_" + randFrom(r, hexLower, 64), class: ClassToken, provider: "digitalocean", kind: "personal access token"},
		{name: "do-pat-upper", server: "registry.digitalocean.com", secret: "dop_v1_" + strings.ToUpper(randFrom(r, hexLower, 64)), class: ClassInvalid},
		{name: "do-oauth", secret: "doo_v1_" + randFrom(r, hexLower, 64), class: ClassToken, kind: "oauth access token"},
		{name: "do-short", secret: "dop_v1_" + randFrom(r, hexLower, 63), class: ClassInvalid},
		{name: "nvapi", server: "nvcr.io", user: "$oauthtoken", secret: "nvapi-" + randFrom(r, urlSafe, 64), class: ClassToken, provider: "nvidia"},
		{name: "nvapi-short", server: "nvcr.io", user: "$oauthtoken", secret: "nvapi-" + randFrom(r, urlSafe, 60), class: ClassInvalid},
		{name: "ngc-legacy", server: "nvcr.io", user: "$oauthtoken", secret: randFrom(r, alnum, 84), class: ClassToken, provider: "nvidia", kind: "legacy api key"},
		{name: "heroku", server: "registry.heroku.com", user: "_", secret: "HRKU-AA" + randFrom(r, urlSafe, 58), class: ClassToken, provider: "heroku"},
		{name: "heroku-legacy-uuid", server: "registry.heroku.com", user: "_", secret: uuid(r), class: ClassToken, provider: "heroku", conf: "context"},
		{name: "heroku-short", server: "registry.heroku.com", user: "_", secret: "HRKU-AA" + randFrom(r, urlSafe, 50), class: ClassInvalid},
		{name: "openshift", secret: "sha256~" + randFrom(r, urlSafe, 43), class: ClassToken, provider: "openshift"},
		{name: "openshift-short", secret: "sha256~" + randFrom(r, urlSafe, 42), class: ClassInvalid},
		{name: "fly", server: "registry.fly.io", user: "x", secret: "FlyV1 fm2_" + randFrom(r, alnum+"+/", 300) + "==,fm2_" + randFrom(r, alnum+"+/", 200), class: ClassToken, provider: "flyio"},
		{name: "fly-bad-part", server: "registry.fly.io", user: "x", secret: "FlyV1 fm2_" + randFrom(r, alnum, 100) + ",zz_" + randFrom(r, alnum, 40), class: ClassInvalid},
		{name: "fly-user-password", server: "registry.fly.io", user: "x", secret: "MyFlyPassw0rd", class: ClassInvalid},
		{name: "jfrog-api-key", secret: "AKCp" + randFrom(r, b58, 69), class: ClassToken, provider: "jfrog", kind: "api key"},
		{name: "jfrog-api-key-not-base58", secret: "AKCp" + randFrom(r, b58, 68) + "0", class: ClassInvalid},
		{name: "jfrog-api-key-short", secret: "AKCp" + randFrom(r, b58, 68), class: ClassInvalid},
		{name: "jfrog-reference", secret: genJFrogReference(r), class: ClassToken, provider: "jfrog", kind: "reference token"},
		{name: "jfrog-reference-bad-decode", secret: "cmVmdGtu" + randFrom(r, alnum, 56), class: ClassInvalid},
		{name: "google-oauth", server: "europe-docker.pkg.dev", user: "oauth2accesstoken", secret: "ya29." + randFrom(r, urlSafe+".", 180), class: ClassToken, provider: "google"},
		{name: "google-oauth-gcloud-user", server: "gcr.io", user: "_dcgcloud_token", secret: "ya29." + randFrom(r, urlSafe, 150), class: ClassToken, provider: "google"},
		{name: "google-oauth-space", server: "gcr.io", secret: "ya29." + randFrom(r, urlSafe, 50) + " " + randFrom(r, urlSafe, 50), class: ClassInvalid},
		{name: "google-user-password", server: "gcr.io", user: "oauth2accesstoken", secret: "Tr0ub4dor&3", class: ClassInvalid, provider: "google"},
		{name: "entra-current", server: "myreg.azurecr.io", secret: randFrom(r, urlSafe, 3) + "8Q~" + randFrom(r, urlSafe+".~", 34), class: ClassToken, provider: "azure-entra"},
		{name: "entra-legacy", server: "myreg.azurecr.io", secret: randFrom(r, urlSafe, 3) + "7Q~" + randFrom(r, urlSafe+".~", 31), class: ClassToken, provider: "azure-entra"},
		{name: "entra-short", server: "myreg.azurecr.io", secret: randFrom(r, urlSafe, 3) + "8Q~" + randFrom(r, urlSafe, 30), class: ClassInvalid},
		{name: "ado-cask", secret: randFrom(r, alnum, 52) + "JQQJ99" + "x" + "C" + randFrom(r, alnum, 12) + "AAAAAZDO" + randFrom(r, alnum, 4), class: ClassToken, provider: "azure-devops"},
		{name: "ado-cask-bad-month", secret: randFrom(r, alnum, 52) + "JQQJ99" + "x" + "Z" + randFrom(r, alnum, 12) + "AAAAAZDO" + randFrom(r, alnum, 4), class: ClassInvalid},
	}
	runClassify(t, cases)
}

func TestClassifyUsernames(t *testing.T) {
	r := newRand(t)
	cases := []classifyCase{
		{name: "quay-oauth", server: "quay.io", user: "$oauthtoken", secret: randFrom(r, upperDig, 40), class: ClassToken, provider: "quay", kind: "oauth access token", conf: "context"},
		{name: "quay-oauth-lower", server: "quay.io", user: "$oauthtoken", secret: randFrom(r, alnum, 40) + "a", class: ClassInvalid},
		{name: "quay-app", server: "quay.io", user: "$app", secret: randFrom(r, upperDig, 120), class: ClassToken, kind: "application token"},
		{name: "quay-app-short", server: "quay.io", user: "$app", secret: randFrom(r, upperDig, 119), class: ClassInvalid},
		{name: "quay-token", server: "quay.io", user: "$token", secret: randFrom(r, upperDig, 64), class: ClassToken, kind: "access token"},
		{name: "quay-robot", server: "quay.io", user: "acme+ci", secret: randFrom(r, upperDig, 64), class: ClassToken, kind: "robot token"},
		{name: "quay-robot-wrong", server: "quay.io", user: "acme+ci", secret: "S3cure!Passw0rd", class: ClassInvalid},
		{name: "plus-user-elsewhere", user: "acme+ci", secret: "S3cure!Passw0rd", class: ClassPassword},
		{name: "harbor-robot", server: "harbor.example.com", user: "robot$ci", secret: randFrom(r, "abc", 10) + randFrom(r, "XYZ", 10) + randFrom(r, "123", 12), class: ClassToken, provider: "harbor", kind: "robot token"},
		{name: "harbor-robot-project", server: "harbor.example.com", user: "robot$proj+ci", secret: "aA1" + randFrom(r, alnum, 29), class: ClassToken, provider: "harbor"},
		{name: "harbor-robot-no-digit", server: "harbor.example.com", user: "robot$ci", secret: "abcdefghABCDEFGH", class: ClassInvalid, provider: "harbor"},
		{name: "harbor-robot-too-long", server: "harbor.example.com", user: "robot$ci", secret: "aA1" + randFrom(r, alnum, 126), class: ClassInvalid},
		{name: "robot-on-hub", server: hub, user: "robot$ci", secret: "Summer2024", class: ClassPassword},
		{name: "robot-on-ghcr", server: "ghcr.io", user: "robot$ci", secret: "aA1" + randFrom(r, alnum, 29), class: ClassPassword},
		{name: "robot-on-quay", server: "quay.io", user: "robot$ci", secret: "Summer2024", class: ClassPassword},
		{name: "quay-app-on-hub", server: hub, user: "$app", secret: randFrom(r, upperDig, 120), class: ClassPassword},
		{name: "gitlab-ci-on-ghcr", server: "ghcr.io", user: "gitlab-ci-token", secret: randFrom(r, urlSafe, 20), class: ClassPassword},
		{name: "gitlab-ci-self-managed", server: "registry.corp.example:5050", user: "gitlab-ci-token", secret: randFrom(r, urlSafe, 20), class: ClassToken, provider: "gitlab"},
		{name: "harbor-shell-ate-dollar", server: "harbor.example.com", user: "robot", secret: "aA1" + randFrom(r, alnum, 29), class: ClassPassword},
		{name: "ibm-apikey", server: "icr.io", user: "iamapikey", secret: randFrom(r, urlSafe, 44), class: ClassToken, provider: "ibm"},
		{name: "ibm-apikey-short", server: "icr.io", user: "iamapikey", secret: randFrom(r, urlSafe, 43), class: ClassInvalid},
		{name: "ibm-bearer-not-jwt", server: "icr.io", user: "iambearer", secret: randFrom(r, urlSafe, 43), class: ClassInvalid},
		{name: "ibm-refresh", server: "icr.io", user: "iamrefresh", secret: randFrom(r, urlSafe, 300), class: ClassToken, kind: "refresh token"},
		{name: "ibm-refresh-regional", server: "de.icr.io", user: "iamrefresh", secret: randFrom(r, urlSafe, 300), class: ClassToken, provider: "ibm"},
		{name: "ibm-refresh-on-ghcr", server: "ghcr.io", user: "iamrefresh", secret: "correct horse battery", class: ClassPassword},
		{name: "ibm-refresh-self-hosted", server: "registry.example.com", user: "iamrefresh", secret: "CorrectHorseBattery1", class: ClassPassword},
		{name: "ibm-apikey-on-hub", server: hub, user: "iamapikey", secret: randFrom(r, urlSafe, 44), class: ClassPassword},
		{name: "scaleway", server: "rg.fr-par.scw.cloud", user: "nologin", secret: uuid(r), class: ClassToken, provider: "scaleway"},
		{name: "scaleway-not-uuid", server: "rg.fr-par.scw.cloud", user: "nologin", secret: "hunter2hunter2", class: ClassInvalid},
		{name: "nologin-elsewhere", user: "nologin", secret: uuid(r), class: ClassPassword},
		{name: "alibaba-temp", server: "registry.cn-hangzhou.aliyuncs.com", user: "cr_temp_user", secret: randFrom(r, alnum, 120), class: ClassToken, provider: "alibaba"},
		{name: "aws-not-ecr", server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", user: "AWS", secret: "hunter2hunter2", class: ClassInvalid, provider: "aws-ecr"},
		{name: "acr-null-guid-not-jwt", server: "myreg.azurecr.io", user: "00000000-0000-0000-0000-000000000000", secret: randFrom(r, alnum, 60), class: ClassInvalid, provider: "azure-acr"},
		{name: "redhat-not-jwt", server: "registry.redhat.io", user: "12345678|ci-builder", secret: randFrom(r, alnum, 60), class: ClassInvalid, provider: "redhat"},
		{name: "google-json-key", server: "gcr.io", user: "_json_key", secret: `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMII` + randFrom(r, alnum, 64) + `\n-----END PRIVATE KEY-----\n", "client_email": "ci@proj.iam.gserviceaccount.com"}`, class: ClassToken, kind: "service account key"},
		{name: "google-json-key-not-json", server: "gcr.io", user: "_json_key", secret: "hunter2hunter2", class: ClassInvalid},
	}
	runClassify(t, cases)
}

func TestClassifyJWT(t *testing.T) {
	r := newRand(t)
	past, future := int64(1700000000), int64(4102444800)
	type want struct {
		provider, kind string
		exp            int64
		scope          string
	}
	cases := []struct {
		name   string
		server string
		user   string
		claims map[string]any
		want   want
	}{
		{"distribution-access", "registry.example.com", "alice", map[string]any{
			"iss": "auth.example.com", "exp": future,
			"access": []map[string]any{{"type": "repository", "name": "library/alpine", "actions": []string{"pull"}}, {"type": "repository", "name": "a/b", "actions": []string{"pull", "push"}}},
		}, want{"", "registry token", future, "repository:library/alpine:pull repository:a/b:pull,push"}},
		{"scope-string", "registry.example.com", "alice", map[string]any{"exp": past, "scope": "read write"}, want{"", "jwt", past, "read write"}},
		{"scope-array", "registry.example.com", "alice", map[string]any{"scope": []string{"a", "b"}}, want{"", "jwt", 0, "a b"}},
		{"scp-jfrog", "acme.jfrog.io", "alice", map[string]any{"sub": "jfac@01/users/alice", "scp": "applied-permissions/user", "exp": 1.7e9 + 0.5}, want{"jfrog", "access token", 1700000000, "applied-permissions/user"}},
		{"acr-refresh", "myreg.azurecr.io", "00000000-0000-0000-0000-000000000000", map[string]any{
			"iss": "Azure Container Registry", "aud": "myreg.azurecr.io", "grant_type": "refresh_token", "exp": future,
			"permissions": map[string]any{"actions": []string{"read", "write"}, "notActions": []string{"delete"}},
		}, want{"azure-acr", "refresh token", future, "read write not:delete"}},
		{"kubernetes", "registry.example.com", "sa", map[string]any{"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:ns:sa"}, want{"kubernetes", "service account token", 0, ""}},
		{"ibm-bearer", "icr.io", "iambearer", map[string]any{"iss": "https://iam.cloud.ibm.com/identity", "exp": future}, want{"ibm", "iam bearer token", future, ""}},
		{"redhat", "registry.redhat.io", "12345678|ci-builder", map[string]any{"sub": "abc"}, want{"redhat", "registry service account token", 0, ""}},
		{"no-hints-on-hub", hub, "alice", map[string]any{"sub": "x"}, want{"dockerhub", "jwt", 0, ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := genJWT(r, tc.claims)
			c := Classify(tc.server, tc.user, NewSecret(s))
			if c.Class != ClassToken {
				t.Fatalf("class = %v (%s)", c.Class, c.Reason)
			}
			if tc.want.provider != "" && c.Provider != tc.want.provider {
				t.Errorf("provider = %q, want %q", c.Provider, tc.want.provider)
			}
			if c.Kind != tc.want.kind {
				t.Errorf("kind = %q, want %q", c.Kind, tc.want.kind)
			}
			if tc.want.exp == 0 && !c.ExpiresAt.IsZero() || tc.want.exp != 0 && c.ExpiresAt.Unix() != tc.want.exp {
				t.Errorf("expiresAt = %v, want unix %d", c.ExpiresAt, tc.want.exp)
			}
			if got := strings.Join(c.Scope, " "); got != tc.want.scope {
				t.Errorf("scope = %q, want %q", got, tc.want.scope)
			}
			assertNoLeak(t, s, c.Reason)
		})
	}
	t.Run("broken", func(t *testing.T) {
		good := genJWT(r, map[string]any{"sub": "x"})
		h, rest, _ := strings.Cut(good, ".")
		for name, s := range map[string]string{
			"payload-not-json": h + ".bm90IGpzb24." + "c2ln",
			"header-no-alg":    "eyJ0eXAiOiJKV1QifQ." + rest,
			"bad-base64":       h + ".eyJ!!!.sig",
			"sig-bad-chars":    good + "!",
		} {
			if c := Classify(private, "alice", NewSecret(s)); c.Class != ClassInvalid {
				t.Errorf("%s: class = %v, want invalid", name, c.Class)
			}
		}
		if c := Classify(private, "alice", NewSecret(h+"."+rest[:strings.IndexByte(rest, '.')])); c.Class != ClassPassword {
			t.Errorf("two segments: class = %v, want password", c.Class)
		}
	})
}

func TestClassifyECR(t *testing.T) {
	r := newRand(t)
	const server = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	exp := int64(4102444800)
	c := Classify(server, "AWS", NewSecret(genECR(r, exp)))
	if c.Class != ClassToken || c.Provider != "aws-ecr" || c.Kind != "authorization token" {
		t.Fatalf("got %+v", c)
	}
	if c.ExpiresAt.Unix() != exp {
		t.Errorf("expiresAt = %v, want unix %d", c.ExpiresAt, exp)
	}
	if c := Classify("public.ecr.aws", "AWS", NewSecret(genECR(r, exp))); c.Class != ClassToken {
		t.Errorf("public ECR: %v", c.Class)
	}
	// payload and datakey but no expiration: a mangled ECR token.
	if c := Classify(server, "AWS", NewSecret("eyJwYXlsb2FkIjoiYSIsImRhdGFrZXkiOiJiIn0=")); c.Class != ClassInvalid {
		t.Errorf("incomplete payload: %v", c.Class)
	}
	// Truncated: no longer base64 of JSON, and AWS expects ECR.
	if s := genECR(r, exp); Classify(server, "AWS", NewSecret(s[:len(s)-10])).Class != ClassInvalid {
		t.Error("truncated ECR token not invalid")
	}
}

func TestClassifyIdentity(t *testing.T) {
	r := newRand(t)
	c := Classify("myreg.azurecr.io", "<token>", NewSecret(randFrom(r, alnum, 30)))
	if c.Class != ClassIdentity || c.Provider != "azure-acr" {
		t.Fatalf("opaque identity token: %+v", c)
	}
	jwt := genJWT(r, map[string]any{"iss": "Azure Container Registry", "grant_type": "refresh_token", "exp": 4102444800})
	c = Classify("myreg.azurecr.io", "<token>", NewSecret(jwt))
	if c.Class != ClassIdentity || c.ExpiresAt.Unix() != 4102444800 {
		t.Fatalf("JWT identity token: %+v", c)
	}
	// Even something that looks like a password is an identity token.
	if c := Classify(hub, "<token>", NewSecret("hunter2")); c.Class != ClassIdentity {
		t.Fatalf("class = %v", c.Class)
	}
}

// passwordStyles are passwords of every style we could think of. None of
// them may be stored, on any registry.
func passwordStyles(r interface{ IntN(int) int }) map[string]string {
	pick := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	symbols := alnum + "!@#$%^&*()-_=+[]{};:,.<>/?~"
	return map[string]string{
		"short":            "hunter2",
		"short-symbols":    "Pa$$w0rd",
		"common":           "Summer2024!",
		"passphrase":       "correct horse battery staple",
		"passphrase-dash":  "correct-horse-battery-staple",
		"leetspeak":        "Tr0ub4dor&3",
		"leet-long":        "p455w0rd_l33t_h4x0r",
		"manager-symbols":  pick(symbols, 20),
		"manager-long":     pick(symbols, 64),
		"random-alnum-16":  pick(alnum, 16),
		"random-alnum-32":  pick(alnum, 32),
		"random-alnum-40":  pick(alnum, 40),
		"random-alnum-64":  pick(alnum, 64),
		"random-upper-64":  pick(upperDig, 64),
		"random-base32-52": pick("abcdefghijklmnopqrstuvwxyz234567", 52),
		"random-hex-32":    pick(hexLower, 32),
		"unicode":          "пароль-Ünïcödé-密码",
		"spaces":           " padded password ",
	}
}

func TestPasswordsRefused(t *testing.T) {
	r := newRand(t)
	for name, pw := range passwordStyles(r) {
		for _, server := range []string{hub, "docker.io", ghcr, private, "https://registry.example.com/v2/"} {
			c := Classify(server, "alice", NewSecret(pw))
			if c.Class != ClassPassword {
				t.Errorf("%s on %s: class = %v, kind %q (%s)", name, server, c.Class, c.Kind, c.Reason)
			}
		}
	}
}

func TestClassifyEdges(t *testing.T) {
	if c := Classify(hub, "alice", NewSecret("")); c.Class != ClassInvalid {
		t.Errorf("empty: %v", c.Class)
	}
	if c := Classify(hub, "alice", NewSecret(strings.Repeat("a", maxSecretLen+1))); c.Class != ClassInvalid {
		t.Errorf("huge: %v", c.Class)
	}
	if c := Classify("::bad url::", "alice", NewSecret("hunter2")); c.Class != ClassPassword {
		t.Errorf("bad server URL: %v", c.Class)
	}
	for c, want := range map[Class]string{ClassPassword: "password", ClassToken: "token", ClassIdentity: "identity", ClassInvalid: "invalid", Class(9): "unknown"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q", c, c.String())
		}
	}
}
